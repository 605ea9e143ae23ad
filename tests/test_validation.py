"""Validation of the whole model: docking to Bass and the patterns of the domain brief.

Patterns are judged over 20 seeds with 95% confidence intervals of paired
differences (same seed, same market), never on one lucky seed.
"""

import numpy as np
import pytest

from sim import patterns
from sim.compose import load_config
from sim.metrics import bass_cumulative
from sim.replicate import replicate
from sim.run import run_model

SEEDS = range(20)


def _adoption(config):
    firms = run_model(config).firms
    years = firms["step"].to_numpy() / config.market.steps_per_year
    return years, firms["share"].to_numpy()


def test_docking_to_bass_on_a_fully_mixed_market(compose):
    config = compose("scenario=bass_docking")
    t, adopted = _adoption(config)
    expected = bass_cumulative(t, config.market.wom.innovation, config.market.wom.imitation)
    assert np.max(np.abs(adopted - expected)) < 0.02
    assert adopted[-1] > 0.75


def test_sparse_networks_diffuse_more_slowly_with_the_same_p_and_q(compose):
    _, mixed = _adoption(compose("scenario=bass_docking"))
    _, sparse = _adoption(compose("scenario=bass_docking", "network=small_world",
                                  "network.mean_degree=4", "network.rewiring=0.01"))
    halfway = len(mixed) // 2
    assert sparse[halfway] < mixed[halfway] - 0.03
    assert np.all(sparse[12:] <= mixed[12:] + 0.01)


@pytest.fixture(scope="module")
def default_runs():
    return replicate(load_config([]), SEEDS)


@pytest.mark.slow
def test_a_centric_ends_with_more_profit_than_focused(default_runs):
    lead = patterns.centric_profit_lead(default_runs)
    assert lead.low > 0, lead


@pytest.mark.slow
def test_b_obsessed_pleases_most_but_earns_less_than_centric(default_runs):
    nps_lead = patterns.obsessed_nps_lead(default_runs)
    assert nps_lead.low > 0, nps_lead
    shortfall = patterns.obsessed_profit_shortfall(default_runs)
    assert shortfall.low > 0, shortfall


@pytest.mark.slow
def test_c_focused_does_at_least_as_well_in_the_first_year(default_runs):
    quick_win = patterns.focused_first_year_lead(default_runs)
    assert quick_win.low >= 0, quick_win


@pytest.mark.slow
def test_d_centric_keeps_its_target_segment_best(default_runs):
    lead = patterns.centric_target_retention_lead(default_runs)
    assert lead.low > 0, lead


@pytest.mark.slow
def test_counter_scenario_static_needs_and_dear_research_break_the_centric_lead(compose):
    runs = replicate(compose("scenario=static_needs"), SEEDS)
    lead = patterns.focused_profit_lead(runs)
    assert lead.low > 0, lead


@pytest.mark.slow
def test_counter_scenario_an_obsessed_rival_with_deep_pockets_keeps_centric_behind_focused(compose):
    runs = replicate(compose("scenario=deep_pockets"), SEEDS)
    assert runs[runs["firm"] == "obsessed"]["alive"].all()
    lead = patterns.focused_profit_lead(runs)
    assert lead.low > 0, lead
