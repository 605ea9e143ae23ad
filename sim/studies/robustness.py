"""Where each pattern holds: every world and firm parameter moved one at a time.

The default preset values are one point in a plausible range. A study moves
each market, behaviour, word-of-mouth, cost, segment and firm parameter to
``factor`` times its value (a segment trait in every segment at once, a firm
parameter in every firm at once, each keeping its own value's proportions),
replicates the market over seeds, and judges each pattern of
:mod:`sim.studies.claims` by its paired difference: it *holds* (interval above
zero), *fails* (interval around zero) or *reverses* (interval below zero).
Perturbations are computed from each scenario's own composed config, so a
counter-scenario keeps what makes it one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass

import pandas as pd

from sim.config.compose import load_config
from sim.config.schema import ConfigError, SimConfig
from sim.studies.replications import replicate_many
from sim.studies.stats import Interval, verdict

FACTORS = (0.5, 1.5)
BASELINE = "baseline"
RESOLUTION_AND_HORIZON = ("customers", "steps", "steps_per_year", "attributes")
# shares must sum to 1; positions and drift are covered by market.drift; the purchase process is steady by default
# (its dials act only in a Poisson segment, ODD 7.9); arrivals are 0 by default, which no factor moves
SEGMENT_FIXED = ("share", "needs", "drift", "purchases", "arrivals")
FIRM_PARAMETERS = ("price", "service", "unit_cost", "fixed_cost", "initial_cash")


@dataclass(frozen=True)
class Perturbation:
    """One parameter moved to ``factor`` times its value (``segments.*.x`` and ``firms.*.x`` move in all)."""

    parameter: str
    factor: float

    @property
    def label(self) -> str:
        """Short name for tables, e.g. ``market.wom.imitation x0.5``."""
        return f"{self.parameter} x{self.factor:g}"


def parameters(config: SimConfig) -> list[str]:
    """Every numeric world and firm parameter of ``config``, as a dotted path (``*`` for each segment or firm)."""
    names = []

    def walk(section: object, path: str) -> None:
        for item in fields(section):
            value = getattr(section, item.name)
            if is_dataclass(value):
                walk(value, f"{path}.{item.name}")
            elif item.name not in RESOLUTION_AND_HORIZON and isinstance(value, int | float) \
                    and not isinstance(value, bool):
                names.append(f"{path}.{item.name}")

    walk(config.market, "market")
    segment = next(iter(config.segments.values()))
    names += [f"segments.*.{item.name}" for item in fields(segment) if item.name not in SEGMENT_FIXED]
    names += [f"firms.*.{name}" for name in FIRM_PARAMETERS]
    return names


def _scaled(value: object, factor: float) -> str:
    if isinstance(value, list):
        return "[" + ",".join(repr(float(v) * factor) for v in value) + "]"
    if isinstance(value, int):
        return str(round(value * factor))
    return repr(float(value) * factor)


def _lookup(config: SimConfig, path: str) -> object:
    value: object = config
    for name in path.split("."):
        value = value[name] if isinstance(value, dict) else getattr(value, name)
    return value


def overrides(config: SimConfig, perturbation: Perturbation) -> list[str]:
    """Hydra overrides that move ``perturbation.parameter`` in ``config`` by its factor."""
    group, _, name = perturbation.parameter.partition(".*.")
    if name:
        keys = config.segments if group == "segments" else config.firms
        return [f"{group}.{key}.{name}={_scaled(_lookup(config, f'{group}.{key}.{name}'), perturbation.factor)}"
                for key in keys]
    value = _lookup(config, perturbation.parameter)
    return [f"{perturbation.parameter}={_scaled(value, perturbation.factor)}"]


def perturbed_configs(base: Sequence[str], factors: Iterable[float] = FACTORS) -> dict[str, SimConfig]:
    """The base market and each of its one-at-a-time perturbations, keyed by label.

    A perturbation that would leave a parameter out of its allowed range is
    left out (its validation error names why).
    """
    config = load_config(list(base))
    configs = {BASELINE: config}
    for name in parameters(config):
        for factor in factors:
            perturbation = Perturbation(name, factor)
            try:
                configs[perturbation.label] = load_config([*base, *overrides(config, perturbation)])
            except ConfigError:
                continue
    return configs


def study(
    scenarios: Mapping[str, tuple[Sequence[str], Mapping[str, Callable[[pd.DataFrame], Interval]]]],
    seeds: Iterable[int],
    workers: int = 1,
    factors: Iterable[float] = FACTORS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judge every pattern of every scenario under every perturbation.

    ``scenarios`` maps a name to its base overrides and its patterns. Returns
    the tidy verdict table (one row per scenario, perturbation and pattern)
    and the per-seed, per-firm runs behind it.
    """
    factors = tuple(factors)
    configs = {}
    for name, (base, _) in scenarios.items():
        configs.update({(name, label): config for label, config in perturbed_configs(base, factors).items()})
    runs = replicate_many(configs, seeds, workers)
    runs[["scenario", "perturbation"]] = pd.DataFrame(runs.pop("config").tolist(), index=runs.index)
    rows = []
    for (name, label), group in runs.groupby(["scenario", "perturbation"], sort=False):
        for pattern, statistic in scenarios[name][1].items():
            interval = statistic(group)
            survival = group.groupby("firm", sort=False)["alive"].mean()
            rows.append({"scenario": name, "perturbation": label, "pattern": pattern, "mean": interval.mean,
                         "low": interval.low, "high": interval.high, "verdict": verdict(interval),
                         "survival": ", ".join(f"{firm} {share:.0%}" for firm, share in survival.items()
                                               if share < 1)})
    return pd.DataFrame(rows), runs
