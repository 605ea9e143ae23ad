"""The one-at-a-time robustness study: every parameter it names can be moved, and is moved alone."""

import pytest

from sim import load_config
from sim.studies import robustness


def test_every_parameter_is_a_number_or_a_list_of_numbers():
    config = load_config([])
    for path in robustness.parameters(config):
        group, _, name = path.partition(".*.")
        target = f"{group}.{next(iter(getattr(config, group)))}.{name}" if name else path
        value = robustness._lookup(config, target)
        values = value if isinstance(value, list) else [value]
        assert all(isinstance(item, int | float) and not isinstance(item, bool) for item in values), path


def test_each_perturbation_moves_its_parameter_alone_by_its_factor():
    configs = robustness.perturbed_configs(())
    base = configs.pop(robustness.BASELINE)
    assert len(configs) > 80  # 46 parameters at two factors, less those a factor would take out of range
    drift = configs["market.drift x0.5"]
    assert drift.market.drift == pytest.approx(0.5 * base.market.drift)
    assert drift.market.behaviour == base.market.behaviour and drift.segments == base.segments
    spend = configs["segments.*.spend x1.5"]
    assert all(spend.segments[name].spend == pytest.approx(1.5 * segment.spend)
               for name, segment in base.segments.items())
