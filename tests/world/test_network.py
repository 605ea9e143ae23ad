"""Word-of-mouth contacts: each network kind and the contact-averaging operator."""

import numpy as np
import pytest

from sim.config.schema import NetworkConfig
from sim.world.network import build_contacts


def _segments(n=3000, blocks=4):
    return np.random.default_rng(42).permutation(np.repeat(np.arange(blocks), n // blocks))


@pytest.mark.parametrize("kind", ["small_world", "scale_free", "random", "homophilous"])
def test_graphs_have_the_configured_mean_degree(kind):
    segment = _segments()
    contacts = build_contacts(NetworkConfig(kind=kind, mean_degree=10), segment, np.random.default_rng(0))
    edges = np.array(contacts.to_networkx().edges())
    degrees = np.bincount(edges.ravel(), minlength=len(segment))
    assert degrees.mean() == pytest.approx(10, rel=0.1)
    row_sums = contacts.adjacency.sum(axis=1)
    assert np.allclose(row_sums[degrees > 0], 1.0)
    assert np.allclose(row_sums[degrees == 0], 0.0)


def test_contact_mean_averages_over_neighbours():
    segment = _segments(400)
    contacts = build_contacts(NetworkConfig(kind="random", mean_degree=6), segment, np.random.default_rng(1))
    values = np.random.default_rng(2).random(400)
    graph = contacts.to_networkx()
    node = next(n for n in graph if graph.degree(n) > 0)
    neighbours = list(graph.neighbors(node))
    assert contacts.mean(values)[node] == pytest.approx(values[neighbours].mean())


def test_fully_mixed_is_everyone_else_without_a_matrix():
    contacts = build_contacts(NetworkConfig(kind="fully_mixed"), _segments(100), np.random.default_rng(0))
    assert contacts.adjacency is None
    assert contacts.to_networkx().number_of_edges() == 100 * 99 // 2
    values = np.arange(100, dtype=float)
    assert contacts.mean(values)[0] == pytest.approx(values[1:].mean())


def test_homophilous_network_keeps_ties_inside_segments():
    segment = _segments(4000)
    contacts = build_contacts(NetworkConfig(kind="homophilous", mean_degree=10, homophily=0.8),
                              segment, np.random.default_rng(3))
    edges = np.array(contacts.to_networkx().edges())
    inside = np.mean(segment[edges[:, 0]] == segment[edges[:, 1]])
    assert inside == pytest.approx(0.8, abs=0.03)


def test_same_stream_gives_the_same_graph():
    segment = _segments(1000)
    config = NetworkConfig(kind="small_world")
    first = build_contacts(config, segment, np.random.default_rng(7)).adjacency
    second = build_contacts(config, segment, np.random.default_rng(7)).adjacency
    assert (first != second).nnz == 0
