"""Global sensitivity: Morris screening of many market and segment parameters, then Sobol indices of the top few.

One-at-a-time perturbations (:mod:`sim.studies.robustness`) say where a verdict holds
when one parameter moves; global methods move all of them together over their
ranges. Morris elementary effects (SALib) rank many parameters cheaply: mu*
is the mean absolute effect of a parameter across the space, sigma the spread
of its effects (interactions or non-linearity). Sobol indices (SALib, Saltelli
sampling) then split the outcome's variance among the top parameters by mu*:
S1 is a parameter's share alone, ST its share including every interaction;
the other parameters stay at the base config's values.

A parameter is a dotted path with bounds. ``market.drift`` and the like take
values between the bounds; ``segments.*.price_sensitivity`` (any
``segments.*`` or ``firms.*`` field) takes a factor between the bounds that
multiplies every segment's (firm's) own base value, so segments keep their
differences. Every sample runs the same seeds (common random numbers): the
differences between samples are then the parameters' doing, not the draws';
with one seed the indices describe that one realisation of the random
market, so ``seeds > 1`` averages the outcome over seeds first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.config.schema import ConfigError, SimConfig
from sim.output import jobs
from sim.output.files import write_table
from sim.studies.replications import firm_rows, map_pairs, run_rows
from sim.studies.robustness import parameters
from sim.studies.spaces import checked_range
from sim.world.outcomes import OUTCOMES

LEVELS = 4  # Morris grid levels: SALib's default, enough for a screening


@dataclass(frozen=True)
class Factor:
    """A parameter moved between ``low`` and ``high``; for a ``*`` path these are factors on each base value."""

    path: str
    low: float
    high: float

    @property
    def scales(self) -> bool:
        """True for ``segments.*.x`` and ``firms.*.x``: the value multiplies each one's base value."""
        return ".*." in self.path


DEFAULT_FACTORS = (
    Factor("market.drift", 0.0, 3.0),
    Factor("market.wom.imitation", 0.1, 0.8),
    Factor("market.wom.innovation", 0.01, 0.08),
    Factor("market.behaviour.review_rate", 0.005, 0.05),
    Factor("market.behaviour.dissatisfaction_churn", 0.1, 0.5),
    Factor("market.costs.research_cost", 500.0, 3000.0),
    Factor("market.costs.service_cost", 0.15, 0.45),
    Factor("market.initial_penetration", 0.2, 0.8),
    Factor("segments.*.price_sensitivity", 0.5, 1.5),
    Factor("segments.*.spend", 0.7, 1.3),
    Factor("segments.*.want_lag", 0.5, 1.5),
    Factor("segments.*.inertia", 0.5, 1.5),
)

#: The per-firm summary figures an outcome can name (besides ``retention_<segment>`` and ``final_share_<segment>``).
HEADLINES = tuple(OUTCOMES)


@dataclass(frozen=True)
class Response:
    """A firm's headline figure, or the difference of two firms' (``first - second``)."""

    first: str
    second: str | None
    headline: str

    @property
    def label(self) -> str:
        """How tables and figures name it, e.g. ``centric - focused cumulative_profit``."""
        return f"{self.first}{' - ' + self.second if self.second else ''} {self.headline}"

    def value(self, rows: Sequence[dict[str, Any]]) -> float:
        """The outcome from one run's per-firm rows (:func:`sim.studies.replications.firm_rows`)."""
        by_firm = {row["firm"]: row for row in rows}
        value = float(by_firm[self.first][self.headline])
        return value - float(by_firm[self.second][self.headline]) if self.second else value


def parse_factor(text: str) -> Factor:
    """``PATH=LOW:HIGH`` (e.g. ``market.drift=0:3``, ``segments.*.spend=0.8:1.2``) as a :class:`Factor`."""
    path, equals, bounds = text.partition("=")
    low, colon, high = bounds.partition(":")
    try:
        if not (equals and colon):
            raise ValueError
        factor = Factor(path.strip(), float(low), float(high))
    except ValueError:
        raise ConfigError(f"--param {text!r}: expected PATH=LOW:HIGH, e.g. market.drift=0:3") from None
    return factor


def parse_outcome(text: str) -> Response:
    """``FIRM.HEADLINE`` or ``FIRM-FIRM.HEADLINE`` (e.g. ``centric-focused.cumulative_profit``)."""
    firms, dot, headline = text.partition(".")
    first, _, second = firms.partition("-")
    if not (dot and first and headline):
        raise ConfigError(f"--outcome {text!r}: expected FIRM.HEADLINE or FIRM-FIRM.HEADLINE, "
                          "e.g. centric-focused.cumulative_profit")
    return Response(first, second or None, headline)


def check(base: SimConfig, factors: Sequence[Factor], outcome: Response) -> None:
    """Refuse unknown paths, bad bounds, bounds the schema refuses, unknown firms or headlines, before any run."""
    known = parameters(base)
    if not factors:
        raise ConfigError("--param: no parameters to vary")
    paths = [factor.path for factor in factors]
    if len(set(paths)) < len(paths):
        raise ConfigError(f"--param: a parameter is named twice: {', '.join(sorted(paths))}")
    for factor in factors:
        if factor.path not in known:
            near = get_close_matches(factor.path, known, n=3)
            hint = f"did you mean {' or '.join(near)}? " if near else ""
            raise ConfigError(f"--param {factor.path}: unknown parameter; {hint}"
                              "use a numeric market.* path, segments.*.FIELD or firms.*.FIELD")
        checked_range([factor.low, factor.high], f"--param {factor.path}")
        if factor.scales and factor.low < 0:
            raise ConfigError(f"--param {factor.path}: bounds are factors on each base value and must be >= 0, "
                              f"got {factor.low:g}")
    for end in ("low", "high"):
        configure(base, factors, [getattr(factor, end) for factor in factors])
    for firm in filter(None, (outcome.first, outcome.second)):
        if firm not in base.firms:
            raise ConfigError(f"--outcome: unknown firm {firm!r}; firms: {', '.join(base.firms)}")
    allowed = [*HEADLINES, *(f"{kind}_{segment}" for kind in ("retention", "final_share") for segment in base.segments)]
    if outcome.headline not in allowed:
        near = get_close_matches(outcome.headline, allowed, n=3)
        raise ConfigError(f"--outcome: unknown headline {outcome.headline!r}"
                          f"{'; did you mean ' + ' or '.join(near) + '?' if near else ''}; "
                          f"allowed: {', '.join(HEADLINES)}, retention_<segment>, final_share_<segment>")


def _set(node: Any, names: Sequence[str], value: float) -> Any:
    """``node`` with the field at ``names`` set to ``value`` (after a ``*``: that field of every entry scaled)."""
    head, *rest = names
    if not rest:
        return replace(node, **{head: type(getattr(node, head))(value)})
    child = getattr(node, head)
    if isinstance(child, dict) and rest[0] == "*":  # a factor on each entry's own value
        return replace(node, **{head: {key: _scale(item, rest[1:], value) for key, item in child.items()}})
    return replace(node, **{head: _set(child, rest, value)})


def _scale(node: Any, names: Sequence[str], factor: float) -> Any:
    head, *rest = names
    if not rest:
        return replace(node, **{head: type(getattr(node, head))(getattr(node, head) * factor)})
    return replace(node, **{head: _scale(getattr(node, head), rest, factor)})


def configure(base: SimConfig, factors: Sequence[Factor], values: Sequence[float]) -> SimConfig:
    """``base`` with each factor at its value; the schema validates the result (a bad value raises ConfigError).

    Built by replacing dataclass fields rather than composing with Hydra, so
    a study of thousands of samples does not spend most of its time composing.
    """
    config = base
    for factor, value in zip(factors, values, strict=True):
        config = _set(config, factor.path.split("."), float(value))
    return config


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem definition of ``factors``."""
    return {"num_vars": len(factors), "names": [factor.path for factor in factors],
            "bounds": [[factor.low, factor.high] for factor in factors]}


def _value(config: SimConfig, path: str) -> Any:
    node: Any = config
    for name in path.split("."):
        node = node[name] if isinstance(node, dict) else getattr(node, name)
    return node


def design_table(base: SimConfig, factors: Sequence[Factor], samples: np.ndarray) -> pd.DataFrame:
    """The samples as a design table for ``market-sim -m +design.file=...``: one column per config path.

    A factor on every segment (``segments.*.x``) becomes one column per
    segment holding the scaled value, so a job sets plain values.
    """
    paths = [f"{factor.path.split('.*.')[0]}.{name}.{factor.path.split('.*.')[1]}"
             for factor in factors if factor.scales for name in _value(base, factor.path.split(".*.")[0])]
    paths += [factor.path for factor in factors if not factor.scales]
    configured = [configure(base, factors, sample) for sample in samples]
    table = pd.DataFrame({path: [_value(config, path) for config in configured] for path in sorted(paths)})
    table.insert(0, "sample", range(len(table)))
    return table


@dataclass(frozen=True)
class Launcher:
    """Run samples as a sweep on one of Hydra's launchers (``market-sim -m``) instead of this process's workers.

    ``args`` pick the launcher (``hydra/launcher=ray``), ``overrides`` are the
    study's own (applied to every job), and sweeps go under ``folder``.
    """

    args: tuple[str, ...]
    overrides: tuple[str, ...]
    folder: Path

    def run(self, design: pd.DataFrame, seeds: Sequence[int], label: str) -> list[list[dict[str, Any]]]:
        """Every (sample, seed) job's per-firm summary rows, in sample then seed order."""
        self.folder.mkdir(parents=True, exist_ok=True)
        table, sweep = (self.folder / f"{label}_design.parquet").resolve(), (self.folder / f"{label}_sweep").resolve()
        write_table(design, table)
        command = [str(Path(sys.executable).with_name("market-sim")), "-m", *self.args, *self.overrides,
                   "output.figure=false", "output.tenures=false", f"+design.file={table}",
                   f"+design.row=range(0,{len(design)})", "seed=" + ",".join(map(str, seeds)),
                   f"hydra.sweep.dir={sweep}"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise ValueError(f"the sweep in {sweep} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        rows = {}
        for state in jobs.scan(sweep):
            row = next(int(item.split("=")[1]) for item in state.record["overrides"]
                       if item.startswith("+design.row="))
            summary = json.loads((state.directory / "summary.json").read_text())
            rows[(row, state.record["seed"])] = firm_rows(summary)
        return [rows[(row, seed)] for row in range(len(design)) for seed in seeds]


def evaluate(base: SimConfig, factors: Sequence[Factor], samples: np.ndarray, outcome: Response,
             seeds: Sequence[int], workers: int = 1, launcher: Launcher | None = None,
             label: str = "samples") -> np.ndarray:
    """The outcome of every sample (rows of ``samples``), averaged over ``seeds``; one job per sample and seed.

    Jobs run on ``workers`` joblib processes, or as a sweep on ``launcher``
    (named ``label``); both give the same figures.
    """
    if launcher is None:
        pairs = [(configure(base, factors, sample), seed) for sample in samples for seed in seeds]
        results = map_pairs(run_rows, pairs, workers)
    else:
        results = launcher.run(design_table(base, factors, samples), seeds, label)
    values = np.array([outcome.value(rows) for rows in results])
    values = values.reshape(len(samples), len(seeds)).mean(axis=1)
    if not np.isfinite(values).all():
        raise ValueError(f"{outcome.label} is undefined in {int((~np.isfinite(values)).sum())} samples "
                         "(e.g. NPS of a firm with no customers); choose another outcome")
    return values


def _frame(samples: np.ndarray, values: np.ndarray, factors: Sequence[Factor], outcome: Response) -> pd.DataFrame:
    frame = pd.DataFrame(samples, columns=[factor.path for factor in factors])
    frame.insert(0, "sample", range(len(frame)))
    frame[outcome.label] = values
    return frame


def morris(base: SimConfig, factors: Sequence[Factor], outcome: Response, trajectories: int, seeds: Sequence[int],
           workers: int = 1, seed: int = 0, launcher: Launcher | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris screening: the samples with their outcome, and mu, mu*, sigma, mu*_conf per parameter (by mu*).

    ``trajectories`` x (parameters + 1) samples, on a grid of 4 levels.
    """
    spec = problem(factors)
    samples = morris_sample.sample(spec, trajectories, num_levels=LEVELS, seed=seed)
    values = evaluate(base, factors, samples, outcome, seeds, workers, launcher, "morris")
    result = morris_analysis.analyze(spec, samples, values, num_levels=LEVELS, conf_level=0.95, seed=seed)
    indices = pd.DataFrame({"parameter": spec["names"], "low": [f.low for f in factors],
                            "high": [f.high for f in factors], "mu": result["mu"], "mu_star": result["mu_star"],
                            "sigma": result["sigma"], "mu_star_conf": result["mu_star_conf"]})
    return _frame(samples, values, factors, outcome), indices.sort_values("mu_star", ascending=False,
                                                                          ignore_index=True)


def sobol(base: SimConfig, factors: Sequence[Factor], outcome: Response, n: int, seeds: Sequence[int],
          workers: int = 1, seed: int = 0, launcher: Launcher | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol indices: the samples with their outcome, and S1, ST with their 95% confidence per parameter (by ST).

    ``n`` x (parameters + 2) samples (Saltelli's scheme without second-order
    indices; ``n`` a power of two keeps the Sobol sequence balanced).
    """
    spec = problem(factors)
    samples = sobol_sample.sample(spec, n, calc_second_order=False, seed=seed)
    values = evaluate(base, factors, samples, outcome, seeds, workers, launcher, "sobol")
    result = sobol_analysis.analyze(spec, values, calc_second_order=False, conf_level=0.95, seed=seed)
    indices = pd.DataFrame({"parameter": spec["names"], "S1": result["S1"], "S1_conf": result["S1_conf"],
                            "ST": result["ST"], "ST_conf": result["ST_conf"]})
    return _frame(samples, values, factors, outcome), flag_unreliable(indices).sort_values(
        "ST", ascending=False, ignore_index=True)


def flag_unreliable(indices: pd.DataFrame) -> pd.DataFrame:
    """Sobol ``indices`` with ``S1_unreliable`` and ``ST_unreliable``: estimates a too small sample left open.

    An index is unreliable when its 95% interval's half-width exceeds the
    index itself (it cannot be told from zero, and the digits mean nothing);
    ST is also unreliable when it lies below S1 beyond its interval, which a
    total index (a share including interactions) cannot do: only the
    estimate's noise puts it there. Either one is a sign to take more samples.
    """
    below = indices["ST"] + indices["ST_conf"] < indices["S1"]
    return indices.assign(S1_unreliable=indices["S1_conf"] > indices["S1"].abs(),
                          ST_unreliable=(indices["ST_conf"] > indices["ST"].abs()) | below)


def shown_index(value: float, conf: float, unreliable: bool) -> str:
    """An index with its 95% interval for a table, ``0.479 ± 4.948 (!)`` when unreliable (:func:`flag_unreliable`)."""
    return f"{value:.3f} ± {conf:.3f}" + (" (!)" if unreliable else "")


def sobol_warning(indices: pd.DataFrame, n: int) -> str:
    """One line warning that the sample is too small when any index is unreliable, else ``""``.

    ``indices`` are :func:`sobol`'s, ``n`` the base sample size they came from.
    """
    flags = indices[["S1_unreliable", "ST_unreliable"]].to_numpy()
    if not flags.any():
        return ""
    return (f"Warning: {int(flags.sum())} of {flags.size} Sobol indices (!) have a 95% interval wider than the index "
            f"or ST below S1 beyond its interval: N = {n} is too small a sample to read them; take more samples "
            f"(--sobol-n {4 * n} or more, or more --seeds).")
