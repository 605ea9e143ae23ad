"""The vectorised graph generators against networkx's, and the CSR operator they feed.

networkx's generators are the reference: every kind is compared with its networkx
counterpart on mean degree, degree distribution (two-sample Kolmogorov-Smirnov
distance over a few seeds) and average clustering, with tolerances a wrong
algorithm would miss (a ring lattice has clustering ~0.67, a rewired one ~0.49,
G(n, p) ~0.005; uniform instead of preferential attachment has a KS distance
~0.16 from Barabasi-Albert).
"""

import networkx as nx
import numpy as np
import pytest

from sim.config.schema import NetworkConfig
from sim.world.network import (
    _triangle_pair,
    barabasi_albert_edges,
    block_model_edges,
    build_contacts,
    build_edges,
    homophilous_probabilities,
    watts_strogatz_edges,
)

N = 2000
SEEDS = range(5)
KINDS = ["small_world", "scale_free", "random", "homophilous"]
KS_BOUND = 0.03


def _segments(n=N, sizes=(0.5, 0.3, 0.15, 0.05)):
    counts = np.round(np.array(sizes) * n).astype(int)
    return np.random.default_rng(42).permutation(np.repeat(np.arange(len(sizes)), counts))


def _graph(edges, n=N):
    graph = nx.empty_graph(n)
    graph.add_edges_from(zip(*(np.asarray(end).tolist() for end in edges), strict=True))
    return graph


def _ours(generator):
    return [_graph(generator(np.random.default_rng(seed))) for seed in SEEDS]


def _theirs(generator):
    return [generator(seed) for seed in SEEDS]


def _degrees(graphs):
    return np.concatenate([[degree for _, degree in graph.degree()] for graph in graphs])


def _clustering(graphs):
    return np.mean([nx.average_clustering(graph) for graph in graphs])


def _ks(a, b):
    """Largest gap between the two empirical degree distributions."""
    top = max(a.max(), b.max()) + 1
    cdf = [np.cumsum(np.bincount(sample, minlength=top)) / len(sample) for sample in (a, b)]
    return np.abs(cdf[0] - cdf[1]).max()


def _assert_like_networkx(ours, theirs, clustering_tolerance):
    mine, reference = _degrees(ours), _degrees(theirs)
    assert mine.mean() == pytest.approx(reference.mean(), abs=0.25)
    assert mine.var() == pytest.approx(reference.var(), rel=0.1)
    assert _ks(mine, reference) < KS_BOUND
    assert _clustering(ours) == pytest.approx(_clustering(theirs), abs=clustering_tolerance)


def test_unrewired_small_world_is_networkx_ring_lattice():
    ours = _graph(watts_strogatz_edges(N, 10, 0.0, np.random.default_rng(0)))
    assert nx.utils.edges_equal(ours.edges(), nx.watts_strogatz_graph(N, 10, 0.0, seed=0).edges())


@pytest.mark.parametrize(("p", "clustering_tolerance"), [(0.1, 0.015), (0.5, 0.01), (1.0, 0.002)])
def test_small_world_matches_networkx(p, clustering_tolerance):
    ours = _ours(lambda rng: watts_strogatz_edges(N, 10, p, rng))
    _assert_like_networkx(ours, _theirs(lambda seed: nx.watts_strogatz_graph(N, 10, p, seed=seed)),
                          clustering_tolerance)
    assert all(graph.number_of_edges() == N * 5 for graph in ours)


def test_rewiring_moves_only_the_far_end():
    first, _ = watts_strogatz_edges(N, 10, 0.3, np.random.default_rng(0))
    assert np.array_equal(np.bincount(first, minlength=N), np.full(N, 5))


def test_scale_free_matches_networkx():
    ours = _ours(lambda rng: barabasi_albert_edges(N, 5, rng))
    theirs = _theirs(lambda seed: nx.barabasi_albert_graph(N, 5, seed=seed))
    _assert_like_networkx(ours, theirs, clustering_tolerance=0.006)
    largest = [max(degree for _, degree in graph.degree()) for graph in ours + theirs]
    assert np.mean(largest[:len(SEEDS)]) == pytest.approx(np.mean(largest[len(SEEDS):]), rel=0.2)


def test_every_new_customer_attaches_to_m_distinct_earlier_ones():
    m = 5
    first, second = barabasi_albert_edges(N, m, np.random.default_rng(0))
    assert len(first) == m * (N - m) == nx.barabasi_albert_graph(N, m, seed=0).number_of_edges()
    later = first > 0
    assert np.all(second[later] < first[later])
    assert np.array_equal(np.bincount(first[later]), np.r_[np.zeros(m + 1), np.full(N - m - 1, m)])
    assert len(np.unique(first.astype(np.int64) * N + second)) == len(first)


def test_hubs_gain_early_and_often_as_in_networkx():
    m, n, runs = 3, 30, 400
    ours = np.mean([np.bincount(np.r_[barabasi_albert_edges(n, m, np.random.default_rng(seed))], minlength=n)
                    for seed in range(runs)], axis=0)
    theirs = np.mean([[degree for _, degree in sorted(nx.barabasi_albert_graph(n, m, seed=seed).degree())]
                      for seed in range(runs)], axis=0)
    assert np.abs(ours - theirs).max() < 0.6


def test_random_matches_networkx():
    p = 10 / (N - 1)
    ours = _ours(lambda rng: block_model_edges([N], np.array([[p]]), rng))
    _assert_like_networkx(ours, _theirs(lambda seed: nx.fast_gnp_random_graph(N, p, seed=seed)),
                          clustering_tolerance=0.0015)


@pytest.mark.parametrize(("sizes", "probabilities"), [([8], [[0.3]]), ([3, 5], [[0.6, 0.1], [0.1, 0.3]])])
def test_every_pair_is_tied_with_its_block_probability(sizes, probabilities):
    n, runs = sum(sizes), 3000
    rng = np.random.default_rng(0)
    ties = np.zeros((n, n))
    for _ in range(runs):
        first, second = block_model_edges(sizes, np.array(probabilities), rng)
        np.add.at(ties, (first, second), 1)
    block = np.repeat(np.arange(len(sizes)), sizes)
    expected = np.array(probabilities)[block[:, None], block[None, :]]
    upper = np.triu_indices(n, k=1)
    assert np.abs(ties[upper] / runs - expected[upper]).max() < 0.04
    assert np.tril(ties).sum() == 0


def test_pair_numbers_decode_exactly_where_floating_point_square_roots_round_up():
    larger = np.array([5, 2**20, 500_000_011, 2**31 - 5], dtype=np.int64)
    index = np.concatenate([larger * (larger - 1) // 2 + offset for offset in (0, larger - 1)])
    low, high = _triangle_pair(index)
    assert np.array_equal(high, np.tile(larger, 2))
    assert np.array_equal(low, np.concatenate([np.zeros(4), larger - 1]))


def test_homophilous_matches_networkx():
    segment = _segments()
    probabilities = homophilous_probabilities(segment, 10, 0.8)
    order = np.argsort(segment, kind="stable")

    def reference(seed):
        sizes = np.bincount(segment).tolist()
        graph = nx.stochastic_block_model(sizes, probabilities.tolist(), seed=seed, sparse=True)
        return nx.relabel_nodes(graph, dict(enumerate(order.tolist())))

    config = NetworkConfig(kind="homophilous", mean_degree=10, homophily=0.8)
    ours = _ours(lambda rng: build_edges(config, segment, rng))
    theirs = _theirs(reference)
    _assert_like_networkx(ours, theirs, clustering_tolerance=0.002)

    def inside_share(graphs):
        edges = np.concatenate([np.array(graph.edges()) for graph in graphs])
        return np.mean(segment[edges[:, 0]] == segment[edges[:, 1]])

    def smallest_segment_degree(graphs):
        return np.mean([np.mean([graph.degree(node) for node in np.flatnonzero(segment == 3)]) for graph in graphs])

    assert inside_share(ours) == pytest.approx(inside_share(theirs), abs=0.01)
    assert smallest_segment_degree(ours) == pytest.approx(smallest_segment_degree(theirs), abs=0.3)


@pytest.mark.parametrize("kind", KINDS)
def test_generators_draw_simple_graphs(kind):
    first, second = build_edges(NetworkConfig(kind=kind), _segments(), np.random.default_rng(0))
    assert first.dtype == second.dtype == np.int32
    assert np.all(first != second)
    low, high = np.minimum(first, second).astype(np.int64), np.maximum(first, second).astype(np.int64)
    assert len(np.unique(low * N + high)) == len(first)


@pytest.mark.parametrize("kind", KINDS)
def test_contacts_average_over_a_symmetric_simple_graph(kind):
    adjacency = build_contacts(NetworkConfig(kind=kind), _segments(), np.random.default_rng(0)).adjacency
    assert adjacency.indices.dtype == adjacency.indptr.dtype == np.int32
    assert adjacency.data.dtype == np.float64
    pattern = (adjacency != 0).astype(int)
    assert (pattern != pattern.T).nnz == 0
    assert not adjacency.diagonal().any()
    row = np.repeat(np.arange(N), np.diff(adjacency.indptr))
    assert np.all(np.diff(row.astype(np.int64) * N + adjacency.indices) > 0)
    degree = np.diff(adjacency.indptr)
    row_sums = adjacency.sum(axis=1)
    assert np.allclose(row_sums[degree > 0], 1.0)
    assert np.all(row_sums[degree == 0] == 0)


@pytest.mark.parametrize("kind", KINDS)
def test_same_stream_gives_identical_arrays_and_another_seed_another_graph(kind):
    config, segment = NetworkConfig(kind=kind), _segments()
    first, again, other = (build_contacts(config, segment, np.random.default_rng(seed)).adjacency
                           for seed in (7, 7, 8))
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert (first != other).nnz > 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [2, 3, 5, 12])
def test_tiny_markets_get_simple_graphs(kind, n):
    segment = np.arange(n) % 2
    graph = build_contacts(NetworkConfig(kind=kind, mean_degree=10), segment, np.random.default_rng(0)).to_networkx()
    assert nx.number_of_selfloops(graph) == 0
    assert graph.number_of_nodes() == n
    if kind != "homophilous":
        assert nx.is_connected(graph)
