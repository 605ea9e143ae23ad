"""Word-of-mouth contacts: the contact graph of a run, built straight into one contact-averaging operator.

The graph is built once per run; the hot path only ever calls
:meth:`Contacts.mean`, which averages a per-customer quantity over each
customer's contacts (a sparse row-normalised product, or the population mean
for a fully mixed market, where no N x N matrix is ever stored).

The generators draw the same random graphs as networkx's (Watts-Strogatz,
Barabasi-Albert, G(n, p), stochastic block model) but as numpy edge arrays:
networkx builds them one node and one edge at a time in Python, which at a
million customers costs tens of seconds and over a gigabyte, while a run only
needs the CSR matrix. networkx is still there for pictures and analysis of
small graphs (:meth:`Contacts.to_networkx`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from sim.config.schema import NetworkConfig

if TYPE_CHECKING:
    import networkx as nx

Edges = tuple[np.ndarray, np.ndarray]
"""An undirected simple graph as two int32 arrays of end points, one entry per edge."""

_MAX_REWIRING_ROUNDS = 1000
"""Redraw rounds after which a Watts-Strogatz edge keeps its lattice end (networkx skips a customer who
already knows everyone; only tiny dense graphs ever get near this)."""


@dataclass
class Contacts:
    """Who talks to whom.

    Attributes:
        adjacency: (n, n) CSR, row-normalised, or ``None`` when fully mixed.
        n: number of customers.
    """

    adjacency: sp.csr_array | None
    n: int

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Average ``values`` (n,) or (n, m) over each customer's contacts."""
        if self.adjacency is not None:
            return self.adjacency @ values
        total = values.sum(axis=0)
        return (total - values) / (self.n - 1)

    def to_networkx(self) -> nx.Graph:
        """The contact graph for pictures and analysis of small networks (complete when fully mixed).

        Computed on demand rather than kept, because a networkx graph of a large run costs far more
        memory than the run itself.
        """
        import networkx as nx  # only for analysis: a run never needs it, so it does not pay the import

        if self.adjacency is None:
            return nx.complete_graph(self.n)
        graph = nx.empty_graph(self.n)
        upper = sp.triu(self.adjacency, k=1).tocoo()
        graph.add_edges_from(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
        return graph


def build_contacts(config: NetworkConfig, segment: np.ndarray, rng: np.random.Generator) -> Contacts:
    """Build the contact operator once per run."""
    n = len(segment)
    if config.kind == "fully_mixed":
        return Contacts(adjacency=None, n=n)
    first, second = build_edges(config, segment, rng)
    return Contacts(adjacency=_row_normalised(first, second, n), n=n)


def placed(contacts: Contacts, order: np.ndarray) -> Contacts:
    """``contacts`` built for customers ``order`` (node k is customer ``order[k]``), indexed by customer.

    A network is built on nodes in index order, and the lattice of a small
    world links neighbouring indices; arrivals hold the last indices in order
    of arrival, so without a random placement each would know mostly others
    who arrived with it. Placing every customer at a random node gives an
    arrival the contacts anyone has.
    """
    if contacts.adjacency is None:
        return contacts
    node = np.argsort(order)
    return Contacts(adjacency=contacts.adjacency[node][:, node], n=contacts.n)


def build_edges(config: NetworkConfig, segment: np.ndarray, rng: np.random.Generator) -> Edges:
    """Draw the contact graph of ``config.kind`` over customers coded by ``segment``."""
    n = len(segment)
    degree = min(config.mean_degree, n - 1)
    if config.kind == "small_world":
        return watts_strogatz_edges(n, max(2, degree - degree % 2), config.rewiring, rng)
    if config.kind == "scale_free":
        return barabasi_albert_edges(n, max(1, degree // 2), rng)
    if config.kind == "random":
        return block_model_edges([n], np.array([[degree / (n - 1)]]), rng)
    if config.kind == "homophilous":
        return _homophilous_edges(segment, degree, config.homophily, rng)
    raise ValueError(f"network.kind {config.kind!r} has no graph")


def _row_normalised(first: np.ndarray, second: np.ndarray, n: int) -> sp.csr_array:
    """Adjacency with each row divided by the customer's degree, so a product averages over contacts.

    Both directions of every edge are encoded as one int64 key ``row * n + column`` and sorted, which
    gives CSR order in one numpy sort instead of scipy's slower COO round trip. A repeated edge, which
    only the Watts-Strogatz fallback for a customer who knows everyone can leave, is dropped.
    """
    edges = len(first)
    key = np.empty(2 * edges, dtype=np.int64)
    key[:edges], key[edges:] = first, second
    key[:edges] *= n
    key[:edges] += second
    key[edges:] *= n
    key[edges:] += first
    key.sort()
    if edges and not np.all(key[1:] != key[:-1]):
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    indptr = np.searchsorted(key, np.arange(n + 1, dtype=np.int64) * n)
    degree = np.diff(indptr)
    np.remainder(key, n, out=key)
    indices = key.astype(_index_dtype(max(n, len(key))))
    del key
    weight = np.repeat(1.0 / np.maximum(degree, 1), degree)
    return sp.csr_array((weight, indices, indptr.astype(indices.dtype)), shape=(n, n))


def _index_dtype(largest: int) -> type[np.integer]:
    """int32 whenever it can hold every index: half the memory of int64 for the biggest arrays of a run."""
    return np.int32 if largest < np.iinfo(np.int32).max else np.int64


def _complete_edges(n: int) -> Edges:
    """Every pair of customers: where a lattice or attachment rule asks for more contacts than exist."""
    first, second = np.triu_indices(n, k=1)
    return first.astype(_index_dtype(n)), second.astype(_index_dtype(n))


def watts_strogatz_edges(n: int, k: int, p: float, rng: np.random.Generator) -> Edges:
    """Small world: a ring lattice of even degree ``k`` whose edges are rewired with probability ``p``.

    As in networkx's ``watts_strogatz_graph``, lattice edge (u, u + j) becomes (u, w) with w uniform
    among the customers who are neither u nor already its contacts, so the graph keeps its n * k / 2
    edges; the clashes networkx avoids one edge at a time are redrawn here in rounds over all edges.
    """
    if k >= n - 1:
        return _complete_edges(n)
    dtype = _index_dtype(n + k)
    half = k // 2
    source = np.tile(np.arange(n, dtype=dtype), half)
    target = source + np.repeat(np.arange(1, half + 1, dtype=dtype), n)
    target[target >= n] -= n
    rewired = np.flatnonzero(rng.random(len(source)) < p)
    target[rewired] = _rewired_ends(source, target, rewired, n, rng)
    return source, target


def _rewired_ends(source: np.ndarray, target: np.ndarray, rewired: np.ndarray, n: int,
                  rng: np.random.Generator) -> np.ndarray:
    """New far ends for the ``rewired`` lattice edges: uniform, redrawn while they clash.

    A draw clashes when it is the edge's old end (still a contact at the time networkx rewires it),
    a lattice edge that stays, an end another rewired edge already took, or an earlier draw of the
    same round.
    """
    near = source[rewired].astype(np.int64)
    old = target[rewired].astype(np.int64)
    stays = np.ones(len(source), dtype=bool)
    stays[rewired] = False
    ends = old.copy()
    placed = np.zeros(len(rewired), dtype=bool)
    for _ in range(_MAX_REWIRING_ROUNDS):
        todo = np.flatnonzero(~placed)
        if not len(todo):
            break
        draw = rng.integers(0, n - 1, size=len(todo))
        draw += draw >= near[todo]
        key = _pair_key(near[todo], draw, n)
        first_time = np.zeros(len(todo), dtype=bool)
        first_time[np.unique(key, return_index=True)[1]] = True
        fits = (first_time & (draw != old[todo]) & ~_is_staying_lattice_edge(near[todo], draw, stays, n)
                & ~_is_among(key, np.sort(_pair_key(near[placed], ends[placed], n))))
        ends[todo[fits]] = draw[fits]
        placed[todo[fits]] = True
    return ends


def _pair_key(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """One int64 per unordered pair, to compare edges whichever way round they were drawn."""
    return np.minimum(a, b) * n + np.maximum(a, b)


def _is_among(key: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Membership by binary search: np.isin hashes both arrays, several times slower here."""
    if not len(sorted_keys):
        return np.zeros(len(key), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, key), len(sorted_keys) - 1)
    return sorted_keys[at] == key


def _is_staying_lattice_edge(a: np.ndarray, b: np.ndarray, stays: np.ndarray, n: int) -> np.ndarray:
    """Whether (a, b) is a lattice edge that was not rewired.

    Lattice edge number ``(j - 1) * n + u`` joins u and u + j (mod n), so ring distance finds it
    without a lookup table.
    """
    half = len(stays) // n
    ahead = (b - a) % n
    behind = n - ahead
    forward = (ahead >= 1) & (ahead <= half)
    backward = (behind >= 1) & (behind <= half)
    index = np.where(forward, (ahead - 1) * n + a, (behind - 1) * n + b)
    return (forward | backward) & stays[np.where(forward | backward, index, 0)]


def barabasi_albert_edges(n: int, m: int, rng: np.random.Generator) -> Edges:
    """Scale free: networkx's ``barabasi_albert_graph``, a star on m + 1 customers, then preferential attachment.

    Every later customer ties to m distinct earlier ones, each picked with probability proportional to
    its degree. As in networkx (and Batagelj-Brandes), that is a uniform pick from the list of all edge
    ends so far, two per edge: row r of ``ends`` holds customer m + r's m targets and then m copies of
    itself (row 0 is the star). Customers are added in blocks that double in size; a pick that lands on
    a target still unknown inside the block takes that target's value (pointer jumping).
    """
    if n <= m + 1:
        return _complete_edges(n)
    dtype = _index_dtype(n)
    ends = np.full((n - m, 2 * m), -1, dtype=dtype)
    ends[0, :m] = 0
    ends[0, m:] = np.arange(1, m + 1)
    ends[1:, m:] = np.arange(m + 1, n, dtype=dtype)[:, None]
    start = 1
    while start < n - m:
        stop = min(2 * start, n - m)
        ends[start:stop, :m] = _attach(ends, start, stop, rng)
        start = stop
    first = np.concatenate([np.zeros(m, dtype=dtype), np.repeat(np.arange(m + 1, n, dtype=dtype), m)])
    return first, np.concatenate([ends[0, m:], ends[1:, :m].reshape(-1)])


def _attach(ends: np.ndarray, start: int, stop: int, rng: np.random.Generator) -> np.ndarray:
    """Targets of the customers of rows ``start:stop``: m distinct earlier customers, degree-proportional.

    A repeated target is redrawn (networkx draws until it has m distinct ones), and the block is
    resolved again, since customers later in the block may have copied the replaced value.
    """
    m = ends.shape[1] // 2
    known = 2 * m * np.arange(start, stop)[:, None]
    picks = np.floor(rng.random((stop - start, m)) * known).astype(np.int64)
    while True:
        targets = _follow(ends, picks, start)
        again = _repeated(targets)
        if not again.any():
            return targets
        picks[again] = np.floor(rng.random(np.count_nonzero(again)) * np.broadcast_to(known, again.shape)[again])


def _follow(ends: np.ndarray, picks: np.ndarray, start: int) -> np.ndarray:
    """Customer at each picked end, following picks of not-yet-known targets back to what they picked."""
    width = ends.shape[1]
    flat = ends.reshape(-1)
    at = picks.reshape(-1).copy()
    value = flat[at]
    todo = np.flatnonzero(value < 0)
    while len(todo):
        row, column = np.divmod(at[todo], width)
        at[todo] = picks[row - start, column]
        value[todo] = flat[at[todo]]
        todo = todo[value[todo] < 0]
    return value.reshape(picks.shape)


def _repeated(targets: np.ndarray) -> np.ndarray:
    """Whether each target already appears earlier in its row (the first pick of a customer stands)."""
    order = np.argsort(targets, axis=1, kind="stable")
    ranked = np.take_along_axis(targets, order, axis=1)
    again = np.zeros(targets.shape, dtype=bool)
    np.put_along_axis(again, order[:, 1:], ranked[:, 1:] == ranked[:, :-1], axis=1)
    return again


def block_model_edges(sizes: list[int], probabilities: np.ndarray, rng: np.random.Generator) -> Edges:
    """Stochastic block model over customers numbered block by block; one block is G(n, p).

    Each pair of customers in blocks a and b is tied independently with probability
    ``probabilities[a, b]``, as in networkx's ``stochastic_block_model`` and ``fast_gnp_random_graph``.
    """
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    dtype = _index_dtype(int(offsets[-1]))
    firsts, seconds = [], []
    for a, size in enumerate(sizes):
        picked = _bernoulli_indices(size * (size - 1) // 2, probabilities[a, a], rng)
        low, high = _triangle_pair(picked)
        firsts.append((low + offsets[a]).astype(dtype))
        seconds.append((high + offsets[a]).astype(dtype))
        for b in range(a + 1, len(sizes)):
            low, high = np.divmod(_bernoulli_indices(size * sizes[b], probabilities[a, b], rng), sizes[b])
            firsts.append((low + offsets[a]).astype(dtype))
            seconds.append((high + offsets[b]).astype(dtype))
    return np.concatenate(firsts), np.concatenate(seconds)


def _bernoulli_indices(count: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Ascending indices in [0, count), each kept independently with probability ``p``.

    The gaps between successive successes of Bernoulli trials are geometric, so the work grows with
    the number of edges, not with ``count`` (all pairs of customers, half a trillion at a million).
    """
    if count == 0 or p <= 0:
        return np.empty(0, dtype=np.int64)
    if p >= 1:
        return np.arange(count, dtype=np.int64)
    scale = -1.0 / np.log1p(-p)
    parts = []
    last = -1.0
    while last < count:
        expected = (count - 1 - last) * p
        position = np.floor(rng.standard_exponential(int(expected + 6 * np.sqrt(expected) + 16)) * scale)
        position += 1.0
        np.cumsum(position, out=position)
        position += last
        parts.append(position[position < count].astype(np.int64))
        last = position[-1]
    return np.concatenate(parts)


def _triangle_pair(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair (i, j), i < j, numbered ``j * (j - 1) / 2 + i``: the inverse of listing pairs by their larger end."""
    high = ((1.0 + np.sqrt(1.0 + 8.0 * index)) / 2.0).astype(np.int64)
    # beyond 2**53 the float square root can land one off either way; integer arithmetic settles it
    high -= high * (high - 1) // 2 > index
    high += (high + 1) * high // 2 <= index
    return index - high * (high - 1) // 2, high


def _homophilous_edges(segment: np.ndarray, degree: int, homophily: float, rng: np.random.Generator) -> Edges:
    """Stochastic block model with segments as blocks, customers renumbered back from segment order."""
    order = np.argsort(segment, kind="stable").astype(_index_dtype(len(segment)))
    probabilities = homophilous_probabilities(segment, degree, homophily)
    first, second = block_model_edges(np.bincount(segment).tolist(), probabilities, rng)
    return order[first], order[second]


def homophilous_probabilities(segment: np.ndarray, degree: int, homophily: float) -> np.ndarray:
    """Tie probabilities between segments.

    They are set so the expected degree is about ``degree`` and about a share ``homophily`` of each
    customer's ties fall inside its own segment (tie probabilities between two segments are
    symmetrised, which shifts both slightly when segments differ in size).
    """
    n = len(segment)
    sizes = np.bincount(segment)
    inside = homophily * degree / np.maximum(sizes - 1, 1)
    outside = (1 - homophily) * degree / np.maximum(n - sizes, 1)
    probs = np.repeat(outside[:, None], len(sizes), axis=1)
    np.fill_diagonal(probs, inside)
    return np.minimum((probs + probs.T) / 2, 1.0)
