"""Dial search: the strategy dials that maximise one firm's profit over common seeds, proposed by Optuna.

A search space (``conf/search/<name>.yaml``) names the dials of a firm's
strategy to turn and the range of each. Every trial replaces those dials in
the firm's preset, runs the market over the same seeds (common random
numbers: trials differ by their dials, not by their luck) and scores the
firm's cumulative profit by its mean over the seeds, or by a lower quantile
for a choice that holds up in bad draws. Optuna's TPE sampler, seeded,
proposes the dials one trial after another, so a search is reproducible bit
for bit. A combination of dials that is not a valid strategy (a target
audience without CLV targeting) is pruned with its reason, never scored.

This drives current Optuna (5.x) through its ask-and-tell interface rather
than Hydra's Optuna sweeper plugin, which pins ``optuna<3`` and would search
override strings instead of typed dials.

The best trial's score is biased upwards: it is the largest of many noisy
estimates, chosen on the very seeds it was measured on. :func:`optimise`
therefore runs the best dials and the preset again on fresh seeds, whose
paired difference is the estimate to quote.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import yaml
from optuna.trial import FrozenTrial, TrialState

from sim.config.compose import CONFIG_DIR
from sim.config.schema import ConfigError, SimConfig, StrategyConfig
from sim.studies.replications import replicate_many
from sim.studies.spaces import SearchSpace
from sim.studies.stats import Interval, interval_text, mean_ci
from sim.world.outcomes import money, money_change

STRATEGY_DIR = CONFIG_DIR / "strategy"
OBJECTIVES = ("mean", "quantile")
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
#: What the report shows of the whole market beside the firm's profit.
MARKET_VIEW = ("cumulative_profit", "mean_price", "final_price", "no_firm_share", "market_size")
#: A rise of the share buying from nobody (points of the market) above which the report warns.
SHRINK_WARNING = 0.05
BATCH = 5  # trials proposed together and run in one pool of workers (see run_search)


def preset(config: SimConfig, firm: str) -> StrategyConfig:
    """The strategy preset ``firm`` runs in ``config``."""
    return config.strategies[config.firms[firm].strategy]


def with_dials(config: SimConfig, firm: str, dials: dict[str, Any]) -> SimConfig:
    """``config`` with ``firm`` (only) running its preset with ``dials`` changed, validated.

    The changed strategy is installed as a new preset ``<firm>_trial`` so
    that other firms naming the same preset keep it.

    Raises:
        ConfigError: if the dials do not make a valid strategy.
    """
    name = f"{firm}_trial"
    strategies = {**config.strategies, name: replace(preset(config, firm), **dials)}
    firms = {**config.firms, firm: replace(config.firms[firm], strategy=name)}
    return replace(config, strategies=strategies, firms=firms)


def check_space(space: SearchSpace, config: SimConfig, firm: str) -> None:
    """Refuse a range end or choice that no setting of the space's other choices makes a valid strategy.

    A value that is valid only in some combinations (``audience: target``
    with ``targeting: clv`` in the same space) is allowed; the search prunes
    the combinations that are not. Rules between dials in
    :class:`StrategyConfig` link choice dials only, so trying the other
    choices is enough.

    Raises:
        ConfigError: naming the space file, the dial and why the value is invalid.
    """
    choices = [dial for dial in space.dials if dial.kind == "choice"]
    for dial in space.dials:
        others = [other for other in choices if other.name != dial.name]
        for value in dial.values:
            settings = (dict(zip((o.name for o in others), combo, strict=True))
                        for combo in itertools.product(*(o.values for o in others)))
            errors = []
            for setting in settings:
                try:
                    with_dials(config, firm, {**setting, dial.name: value})
                    break
                except ConfigError as error:
                    errors.append(error)
            else:
                raise ConfigError(f"{space.where}: {dial.name}: {value!r} makes no valid strategy for firm "
                                  f"{firm!r} ({errors[0]})")


@dataclass(frozen=True)
class Search:
    """What a search asks: whose dials, in which space, scored how, over how many common seeds.

    Trials run seeds ``0 .. seeds-1``. ``objective`` ``mean`` scores the
    mean cumulative profit over them, ``quantile`` its ``quantile``-th
    quantile (numpy's linear interpolation), a robust choice. ``market``
    labels the base market in reports and in a stored study. ``keep_market``
    (0-1, optional) is a constraint: a trial counts only if the share of the
    market buying from some firm stays at least that fraction of the
    preset's, so a win bought by emptying the market is never chosen.
    """

    firm: str
    space: SearchSpace
    seeds: int = 5
    objective: str = "mean"
    quantile: float = 0.2
    market: str = ""
    keep_market: float | None = None

    def __post_init__(self) -> None:
        if self.seeds < 2:
            raise ConfigError(f"seeds: must be >= 2 for an interval, got {self.seeds}")
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"objective: unknown value {self.objective!r}; allowed: {', '.join(OBJECTIVES)}")
        if not 0.0 < self.quantile < 1.0:
            raise ConfigError(f"quantile: must be between 0 and 1, got {self.quantile}")
        if self.keep_market is not None and not 0.0 < self.keep_market <= 1.0:
            raise ConfigError(f"keep_market: must be above 0 and at most 1, got {self.keep_market}")

    def score(self, profits: Sequence[float]) -> float:
        """The objective of one trial from its profit on each seed."""
        if self.objective == "mean":
            return float(np.mean(profits))
        return float(np.quantile(profits, self.quantile))

    @property
    def score_name(self) -> str:
        """The objective in words."""
        return "mean" if self.objective == "mean" else f"{self.quantile * 100:g}% quantile"

    def settings(self) -> dict[str, Any]:
        """Everything that makes scores comparable, as plain JSON data (checked when a study is resumed)."""
        settings = {"firm": self.firm, "space": [dial.spec() for dial in self.space.dials], "seeds": self.seeds,
                    "objective": self.objective, "quantile": self.quantile if self.objective == "quantile" else None,
                    "market": self.market, "keep_market": self.keep_market}
        return json.loads(json.dumps(settings))


def open_study(search: Search, sampler_seed: int, storage: Path | None = None,
               study_name: str | None = None) -> optuna.Study:
    """A new study, or the study of that name in the SQLite file ``storage`` if it exists.

    Raises:
        ConfigError: if a stored study was searched with other settings, whose scores would not compare.
    """
    name = study_name or f"{search.firm}-{search.space.name}"
    url = f"sqlite:///{storage.resolve()}" if storage is not None else None
    study = optuna.create_study(storage=url, sampler=optuna.samplers.TPESampler(seed=sampler_seed),
                                study_name=name, direction="maximize", load_if_exists=True)
    settings, stored = search.settings(), study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", settings)
    elif stored != settings:
        changed = ", ".join(f"{key} was {stored.get(key)!r}" for key in settings if stored.get(key) != settings[key])
        raise ConfigError(f"storage: study {name!r} in {storage} was searched with other settings ({changed}); "
                          f"use another storage file or study name")
    return study


def served_share(frame: pd.DataFrame, firm: str) -> pd.Series:
    """Per config key, the mean over seeds of the share of the market buying from some firm at the end."""
    rows = frame[frame["firm"] == firm]
    return 1.0 - rows.groupby("config")["no_firm_share"].mean()


def finished(study: optuna.Study) -> list[FrozenTrial]:
    """Trials that count towards the number asked for: complete or pruned."""
    return study.get_trials(deepcopy=False, states=FINISHED)


def _firm_profits(frame: pd.DataFrame, firm: str) -> pd.DataFrame:
    """Cumulative profit of ``firm``, one row per seed and one column per config key."""
    return frame[frame["firm"] == firm].pivot(index="seed", columns="config", values="cumulative_profit")


def run_search(
    config: SimConfig,
    search: Search,
    trials: int,
    *,
    batch: int = BATCH,
    workers: int = 1,
    sampler_seed: int = 0,
    storage: Path | None = None,
    study_name: str | None = None,
    on_trial: Callable[[optuna.Study, FrozenTrial], None] | None = None,
) -> optuna.Study:
    """Run trials until the study holds ``trials`` complete or pruned ones; return the study.

    The first trial of a new study is the firm's preset when the space can
    express it, so the best trial is never worse than the preset on the
    search seeds. Trials are proposed ``batch`` at a time (the sampler
    treats those not yet scored as running, Optuna's constant liar) and the
    runs of a whole batch go to one pool of ``workers`` processes: starting a
    pool costs about as much as a few runs, and the result does not depend
    on ``workers``. A resumed study (``storage``) gets only the missing
    trials; it is valid but not identical to an uninterrupted search, as the
    sampler starts afresh.
    """
    study = open_study(search, sampler_seed, storage, study_name)
    if search.keep_market is not None and "min_served" not in study.user_attrs:
        baseline = replicate_many({"preset": config}, range(search.seeds), workers)
        study.set_user_attr("min_served", search.keep_market * float(served_share(baseline, search.firm)["preset"]))
    current = preset(config, search.firm)
    values = {dial.name: getattr(current, dial.name) for dial in search.space.dials}
    if not study.trials and all(dial.contains(values[dial.name]) for dial in search.space.dials):
        study.enqueue_trial(values, user_attrs={"preset": True})
    told = on_trial or (lambda study, trial: None)
    while (missing := trials - len(finished(study))) > 0:
        proposed: dict[int, tuple[optuna.Trial, SimConfig]] = {}
        for _ in range(min(batch, missing)):
            trial = study.ask()
            dials = {dial.name: dial.suggest(trial) for dial in search.space.dials}
            try:
                proposed[trial.number] = (trial, with_dials(config, search.firm, dials))
            except ConfigError as error:
                trial.set_user_attr("reason", str(error))
                told(study, study.tell(trial, state=TrialState.PRUNED))
        if not proposed:
            continue
        try:
            runs = replicate_many({number: item[1] for number, item in proposed.items()}, range(search.seeds), workers)
        except BaseException:
            for trial, _ in proposed.values():
                study.tell(trial, state=TrialState.FAIL)
            raise
        profits = _firm_profits(runs, search.firm)
        served = served_share(runs, search.firm)
        for number, (trial, _) in proposed.items():
            trial.set_user_attr("profits", [float(value) for value in profits[number]])
            trial.set_user_attr("mean_profit", float(profits[number].mean()))
            trial.set_user_attr("served", float(served[number]))
            if "min_served" in study.user_attrs:  # Optuna's constraint: <= 0 keeps the market, TPE steers by it
                shortfall = study.user_attrs["min_served"] - float(served[number])
                trial.set_user_attr("shortfall", shortfall)
                trial.set_constraint("keep_market", shortfall)
            told(study, study.tell(trial, search.score(profits[number].to_numpy())))
    return study


def best_trial(study: optuna.Study) -> FrozenTrial:
    """The complete trial of highest score, among those that keep the market when the search is constrained.

    Raises:
        ConfigError: if no trial completed (every combination tried was pruned), or none kept the market.
    """
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
        reason = f" (e.g. {pruned[0].user_attrs['reason']})" if pruned else ""
        raise ConfigError(f"space: no trial completed; {len(pruned)} pruned{reason}: narrow the space")
    keeping = [trial for trial in complete if trial.user_attrs.get("shortfall", 0.0) <= 0.0]
    if not keeping:
        raise ConfigError(f"keep_market: none of {len(complete)} trials kept the market (served share at least "
                          f"{study.user_attrs['min_served']:.1%}); lower it or widen the space")
    return max(keeping, key=lambda trial: trial.value)


def trials_table(study: optuna.Study, space: SearchSpace) -> pd.DataFrame:
    """One row per trial: number, state, score, mean profit, each dial, profit on each seed, reason if pruned."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        profits = trial.user_attrs.get("profits", [])
        rows.append({
            "number": trial.number,
            "state": trial.state.name.lower(),
            "score": np.nan if trial.value is None else trial.value,
            "mean_profit": trial.user_attrs.get("mean_profit", np.nan),
            "preset": trial.user_attrs.get("preset", False),
            "served": trial.user_attrs.get("served", np.nan),
            "keeps_market": trial.user_attrs.get("shortfall", 0.0) <= 0.0,
            **{dial.name: trial.params.get(dial.name) for dial in space.dials},
            **{f"profit_seed_{seed}": profit for seed, profit in enumerate(profits)},
            "reason": trial.user_attrs.get("reason", ""),
        })
    return pd.DataFrame(rows)


@dataclass
class SearchResult:
    """A finished search and its check on fresh seeds: what the report and the files are made from.

    ``check`` has one row per seed: ``seeds`` (``search`` or ``fresh``),
    the firm's cumulative profit under the ``preset`` and the ``best``
    dials, and their ``difference``. ``market`` has one row per ``config``
    (``preset``, ``best``) and firm: mean over the fresh seeds of its
    cumulative profit, mean and final price, the share of the market
    buying from nobody and its size at the end (real potential customers),
    so a win bought by emptying or shrinking the market shows.
    """

    search: Search
    study: optuna.Study
    preset: StrategyConfig
    best: StrategyConfig
    check: pd.DataFrame
    market: pd.DataFrame
    sampler_seed: int
    batch: int
    months: int

    @property
    def best_number(self) -> int:
        """Number of the best trial."""
        return best_trial(self.study).number

    def changed(self) -> dict[str, tuple[Any, Any]]:
        """The dials the best trial changes: name -> (preset value, best value)."""
        before, after = asdict(self.preset), asdict(self.best)
        return {name: (before[name], after[name]) for name in before if before[name] != after[name]}


def optimise(
    config: SimConfig,
    search: Search,
    trials: int,
    *,
    check_seeds: int,
    batch: int = BATCH,
    workers: int = 1,
    sampler_seed: int = 0,
    storage: Path | None = None,
    study_name: str | None = None,
    on_trial: Callable[[optuna.Study, FrozenTrial], None] | None = None,
) -> SearchResult:
    """Search, then run the best dials and the preset on the search seeds and on ``check_seeds`` fresh ones.

    The fresh seeds follow the search seeds (``seeds .. seeds+check_seeds-1``),
    so no run of the check was seen by the search.
    """
    study = run_search(config, search, trials, batch=batch, workers=workers, sampler_seed=sampler_seed,
                       storage=storage, study_name=study_name, on_trial=on_trial)
    dials = best_trial(study).params
    seeds = range(search.seeds + check_seeds)
    frame = replicate_many({"preset": config, "best": with_dials(config, search.firm, dials)}, seeds, workers)
    profits = _firm_profits(frame, search.firm).reset_index()
    check = pd.DataFrame({
        "seed": profits["seed"],
        "seeds": np.where(profits["seed"] < search.seeds, "search", "fresh"),
        "preset": profits["preset"],
        "best": profits["best"],
        "difference": profits["best"] - profits["preset"],
    })
    fresh = frame[frame["seed"] >= search.seeds]
    market = fresh.groupby(["config", "firm"], sort=False)[list(MARKET_VIEW)].mean().reset_index()
    current = preset(config, search.firm)
    return SearchResult(search=search, study=study, preset=current, best=replace(current, **dials), check=check,
                        market=market, sampler_seed=sampler_seed, batch=batch, months=config.market.steps)


def _interval(interval: Interval, sign: bool = False) -> str:
    return interval_text(interval.mean, interval.low, interval.high, money_change if sign else money)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value) if value == "" else str(value)


def _seed_span(seeds: Iterable[int]) -> str:
    seeds = list(seeds)
    return f"{seeds[0]}-{seeds[-1]}"


def progress_line(study: optuna.Study, trial: FrozenTrial, trials: int) -> str:
    """One line per finished trial: its score (or why it was pruned) and the best so far."""
    head = f"[{len(finished(study)):>3}/{trials}] trial {trial.number}:"
    if trial.state == TrialState.PRUNED:
        return f"{head} pruned: {trial.user_attrs['reason']}"
    kept = "" if trial.user_attrs.get("shortfall", 0.0) <= 0.0 else " (shrinks the market: not eligible)"
    try:
        best = best_trial(study)
    except ConfigError:
        return f"{head} score {money(trial.value)}{kept}; no trial has kept the market yet"
    return f"{head} score {money(trial.value)}{kept}; best {money(best.value)} (trial {best.number})"


def report(outcome: SearchResult) -> str:
    """The answer in words and a table: the dials that changed, and profit with and without them, with intervals."""
    search, study = outcome.search, outcome.study
    states = [trial.state for trial in study.get_trials(deepcopy=False)]
    complete, pruned = states.count(TrialState.COMPLETE), states.count(TrialState.PRUNED)
    best = best_trial(study)
    search_part = outcome.check[outcome.check["seeds"] == "search"]
    fresh_part = outcome.check[outcome.check["seeds"] == "fresh"]
    firm, months = search.firm, outcome.months
    first = study.get_trials(deepcopy=False)[0]
    lines = [
        f"# Dial search: the {firm} firm's strategy",
        "",
        f"Space {search.space.name} ({search.space.where}, {len(search.space.dials)} dials); "
        f"market: {search.market or 'the default'}.",
        f"Objective: {search.score_name} of the {firm} firm's cumulative profit over {months} months, "
        f"seeds {_seed_span(search_part['seed'])}, the same for every trial (Optuna TPE, sampler seed "
        f"{outcome.sampler_seed}, batches of {outcome.batch} trials).",
        f"Trials: {len(states)} ({complete} complete, {pruned} pruned as invalid strategies)"
        + ("; trial 0 is the preset." if first.user_attrs.get("preset") else "."),
    ]
    if search.keep_market is not None:
        kept = sum(trial.user_attrs.get("shortfall", 0.0) <= 0.0 for trial in study.get_trials(
            deepcopy=False, states=(TrialState.COMPLETE,)))
        lines.append(f"Constraint: the share of the market buying from some firm stays at least "
                     f"{search.keep_market:g} of the preset's ({study.user_attrs['min_served']:.1%}); {kept} of "
                     f"{complete} complete trials kept it, and only those could be chosen.")
    if search.seeds < 5:
        lines.append(f"Only {search.seeds} seeds per trial: a smoke test; use at least 5 for a decision.")
    lines.append("")
    changed = outcome.changed()
    if changed:
        lines.append(f"Best dials (trial {best.number}), preset -> best; every other dial keeps the preset's value:")
        lines += [f"- {name}: {_show(before)} -> {_show(after)}" for name, (before, after) in changed.items()]
        lines.append("A change need not matter: a dial the others leave idle (promotion_depth without promotional "
                     "pricing) keeps whatever value the sampler drew.")
    else:
        lines.append(f"No trial beat the preset on seeds {_seed_span(search_part['seed'])}: "
                     f"the best dials are its own.")
    lines += [
        "",
        f"The {firm} firm's cumulative profit over {months} months, mean [95% CI] over seeds:",
        "",
        "| seeds | preset | best dials | best - preset, paired | best ahead |",
        "|---|---|---|---|---|",
    ]
    for label, part in ((f"search {_seed_span(search_part['seed'])} (chose the best)", search_part),
                        (f"fresh {_seed_span(fresh_part['seed'])} (the check)", fresh_part)):
        lines.append(f"| {label} | {_interval(mean_ci(part['preset']))} | {_interval(mean_ci(part['best']))} | "
                     f"{_interval(mean_ci(part['difference']), sign=True)} | "
                     f"{int((part['difference'] > 0).sum())} of {len(part)} |")
    scores = {name: (search.score(search_part[name]), search.score(fresh_part[name])) for name in ("best", "preset")}
    lines += [
        "",
        f"Search score ({search.score_name}): best {money(scores['best'][0])}, preset {money(scores['preset'][0])}; "
        f"on the fresh seeds best {money(scores['best'][1])}, preset {money(scores['preset'][1])}.",
        f"The search-seed figures are biased upwards: the best of {complete} trials was chosen on those seeds. "
        f"Quote the fresh-seed difference.",
    ]
    return "\n".join([*lines, "", *_market_lines(outcome)]) + "\n"


def _market_lines(outcome: SearchResult) -> list[str]:
    """Every firm's profit and prices and the share buying from nobody, preset against best, and a warning."""
    market = outcome.market.set_index(["config", "firm"])
    lines = ["The whole market with the preset and with the best dials (means over the fresh seeds):", "",
             "| firm | profit, preset -> best | mean price | final price |", "|---|---|---|---|"]
    for firm in market.loc["preset"].index:
        before, after = market.loc[("preset", firm)], market.loc[("best", firm)]
        lines.append(f"| {firm} | {money(before['cumulative_profit'])} -> {money(after['cumulative_profit'])} | "
                     f"{before['mean_price']:.2f} -> {after['mean_price']:.2f} | "
                     f"{before['final_price']:.2f} -> {after['final_price']:.2f} |")
    nobody_before = float(market.loc["preset", "no_firm_share"].iloc[0])
    nobody_after = float(market.loc["best", "no_firm_share"].iloc[0])
    size_before = float(market.loc["preset", "market_size"].iloc[0])
    size_after = float(market.loc["best", "market_size"].iloc[0])
    lines += ["", f"Buying from nobody at the end: {nobody_before:.1%} of the market with the preset, "
                  f"{nobody_after:.1%} with the best dials; the market's size at the end: {size_before:,.0f} "
                  f"and {size_after:,.0f} potential customers."]
    if nobody_after - nobody_before > SHRINK_WARNING:
        lines.append(f"Warning: the best dials shrink the market by {nobody_after - nobody_before:.1%} of its "
                     f"customers; read the profit with the prices above, not alone.")
    return lines


def strategy_yaml(outcome: SearchResult, name: str | None = None) -> str:
    """The best dials as a complete strategy preset, with a header saying how it was found and how to use it."""
    search = outcome.search
    fresh = outcome.check[outcome.check["seeds"] == "fresh"]
    preset_name = name or "NAME"
    header = [
        f"Found by market-sim-optimise: the {search.firm} firm's preset with the dials of trial "
        f"{outcome.best_number} ({len(outcome.study.trials)} trials)",
        f"(space {search.space.name}, {search.score_name} cumulative profit over seeds 0-{search.seeds - 1}, "
        f"TPE sampler seed {outcome.sampler_seed}, batch {outcome.batch}, market: {search.market or 'the default'}).",
        f"Best minus preset on fresh seeds {_seed_span(fresh['seed'])}, paired: "
        f"{_interval(mean_ci(fresh['difference']), sign=True)}.",
        f"To use it, save it as conf/strategy/{preset_name}.yaml and run",
        f"  market-sim +strategy@strategies.{preset_name}={preset_name} firms.{search.firm}.strategy={preset_name}",
    ]
    return "".join(f"# {line}\n" for line in header) + yaml.safe_dump(asdict(outcome.best), sort_keys=False)
