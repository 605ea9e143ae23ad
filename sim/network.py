"""Word-of-mouth contacts: networkx graphs turned into one contact-averaging operator.

The graph is built once per run; the hot path only ever calls
:meth:`Contacts.mean`, which averages a per-customer quantity over each
customer's contacts (a sparse row-normalised product, or the population mean
for a fully mixed market, where no N x N matrix is ever stored).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.config import NetworkConfig


@dataclass
class Contacts:
    """Who talks to whom.

    Attributes:
        adjacency: (n, n) CSR, row-normalised, or ``None`` when fully mixed.
        graph: the networkx graph, kept for pictures; ``None`` when fully mixed.
        n: number of customers.
    """

    adjacency: sp.csr_array | None
    graph: nx.Graph | None
    n: int

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Average ``values`` (n,) or (n, m) over each customer's contacts."""
        if self.adjacency is not None:
            return self.adjacency @ values
        total = values.sum(axis=0)
        return (total - values) / (self.n - 1)


def build_graph(config: NetworkConfig, segment: np.ndarray, rng: np.random.Generator) -> nx.Graph:
    """Build the contact graph of ``config.kind`` over customers coded by ``segment``."""
    n = len(segment)
    seed = int(rng.integers(2**31 - 1))
    degree = min(config.mean_degree, n - 1)
    if config.kind == "small_world":
        return nx.watts_strogatz_graph(n, max(2, degree - degree % 2), config.rewiring, seed=seed)
    if config.kind == "scale_free":
        return nx.barabasi_albert_graph(n, max(1, degree // 2), seed=seed)
    if config.kind == "random":
        return nx.fast_gnp_random_graph(n, degree / (n - 1), seed=seed)
    if config.kind == "homophilous":
        return _homophilous_graph(segment, degree, config.homophily, seed)
    raise ValueError(f"network.kind {config.kind!r} has no graph")


def _homophilous_graph(segment: np.ndarray, degree: int, homophily: float, seed: int) -> nx.Graph:
    """Stochastic block model with segments as blocks.

    Probabilities are set so the expected degree is about ``degree`` and about
    a share ``homophily`` of each customer's ties fall inside its own segment
    (tie probabilities between two segments are symmetrised, which shifts
    both slightly when segments differ in size).
    """
    n = len(segment)
    order = np.argsort(segment, kind="stable")
    sizes = np.bincount(segment).tolist()
    blocks = len(sizes)
    probs = np.empty((blocks, blocks))
    for a in range(blocks):
        inside = homophily * degree / max(sizes[a] - 1, 1)
        outside = (1 - homophily) * degree / max(n - sizes[a], 1)
        probs[a, :] = outside
        probs[a, a] = inside
    probs = np.minimum((probs + probs.T) / 2, 1.0)
    block_graph = nx.stochastic_block_model(sizes, probs.tolist(), seed=seed, sparse=True)
    return nx.relabel_nodes(block_graph, dict(enumerate(order.tolist())))


def build_contacts(config: NetworkConfig, segment: np.ndarray, rng: np.random.Generator) -> Contacts:
    """Build the contact operator once per run."""
    n = len(segment)
    if config.kind == "fully_mixed":
        return Contacts(adjacency=None, graph=None, n=n)
    graph = build_graph(config, segment, rng)
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    degree = np.bincount(rows, minlength=n).astype(float)
    weight = 1.0 / degree[rows]
    adjacency = sp.csr_array((weight, (rows, cols)), shape=(n, n))
    adjacency.sum_duplicates()
    return Contacts(adjacency=adjacency, graph=graph, n=n)
