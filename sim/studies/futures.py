"""Robustness across futures, in the manner of EMA Workbench: which strategy holds up whatever the market does?

The uncertain market assumptions of a space file (``conf/futures/``) are
sampled by a Latin hypercube (scipy's ``qmc``). In every sampled future each
candidate strategy is run for our firm with the same seed (common random
numbers), so the strategies are compared on the same customers. Per strategy
the study reports the distribution of the outcome and its regret (the
shortfall from the best strategy in that future); which assumptions decide
the winner is found by a classification tree (scikit-learn) and by PRIM boxes
(EMA Workbench): both are libraries, nothing here is fitted by hand.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc
from sklearn.tree import DecisionTreeClassifier, export_text

from sim.config.compose import load_config
from sim.config.schema import SimConfig
from sim.studies.replications import map_pairs, run_rows
from sim.studies.spaces import FuturesSpace


def sample(space: FuturesSpace, futures: int, seed: int = 0) -> pd.DataFrame:
    """``futures`` Latin-hypercube samples of the uncertainties: one row per future, in each one's own type."""
    units = qmc.LatinHypercube(d=len(space.uncertainties), seed=np.random.default_rng(seed)).random(futures)
    frame = pd.DataFrame({u.name: [u.value(x) for x in units[:, i]] for i, u in enumerate(space.uncertainties)})
    for uncertainty in space.uncertainties:
        if uncertainty.kind == "choices":
            frame[uncertainty.name] = pd.Categorical(frame[uncertainty.name], categories=list(uncertainty.bounds))
    frame.index.name = "future"
    return frame


def future_configs(space: FuturesSpace, futures: pd.DataFrame,
                   extra: Sequence[str] = ()) -> dict[tuple[int, str], SimConfig]:
    """The config of every (future, strategy): the base, the future's assumptions, our firm's strategy.

    Each future is composed once by Hydra; the strategies differ only in our
    firm's ``strategy`` field.
    """
    base = space.base_config(extra)
    configs = {}
    for future, row in futures.iterrows():
        assumptions = [o for u in space.uncertainties for o in u.overrides(row[u.name], base)]
        composed = load_config([*space.base, *assumptions, *extra])
        for strategy in space.strategies:
            firms = {**composed.firms, space.firm: replace(composed.firms[space.firm], strategy=strategy)}
            configs[(int(future), strategy)] = replace(composed, firms=firms)
    return configs


def evaluate(space: FuturesSpace, futures: pd.DataFrame, workers: int = 1, extra: Sequence[str] = (),
             seed: int = 0) -> pd.DataFrame:
    """Our firm's outcome for every strategy in every future; future ``i`` runs with seed ``seed + i``.

    One row per future and strategy: ``future``, ``strategy``, ``seed`` and
    every headline figure of our firm (the outcome among them).
    """
    configs = future_configs(space, futures, ["output.tenures=false", *extra])
    pairs = [(config, seed + future) for (future, _), config in configs.items()]
    rows = []
    for (future, strategy), batch in zip(configs, map_pairs(run_rows, pairs, workers), strict=True):
        ours = next(row for row in batch if row["firm"] == space.firm)
        rows.append({"future": future, "strategy": strategy, **ours})
    return pd.DataFrame(rows)


def regret(outcomes: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per future and strategy: the outcome, the best outcome of that future, and the shortfall from it."""
    wide = outcomes.pivot(index="future", columns="strategy", values=outcome)
    best = wide.max(axis=1)
    table = wide.stack().rename(outcome).reset_index()
    table["best"] = table["future"].map(best)
    table["regret"] = table["best"] - table[outcome]
    return table


def winners(outcomes: pd.DataFrame, outcome: str) -> pd.Series:
    """The best strategy of each future (the first listed wins an exact tie)."""
    wide = outcomes.pivot(index="future", columns="strategy", values=outcome)
    return wide[list(dict.fromkeys(outcomes["strategy"]))].idxmax(axis=1).rename("winner")


def strategy_table(regrets: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per strategy: outcome distribution (mean, 5th, 50th, 95th percentile), regret (mean, max) and wins."""
    grouped = regrets.groupby("strategy", sort=False)
    table = pd.DataFrame({
        "mean": grouped[outcome].mean(),
        "p5": grouped[outcome].quantile(0.05),
        "median": grouped[outcome].median(),
        "p95": grouped[outcome].quantile(0.95),
        "mean_regret": grouped["regret"].mean(),
        "max_regret": grouped["regret"].max(),
        "wins": grouped["regret"].apply(lambda r: float((r == 0).mean())),
    })
    return table.sort_values("max_regret")


def _features(futures: pd.DataFrame) -> pd.DataFrame:
    return pd.get_dummies(futures, prefix_sep="=", dtype=float)


def deciding_tree(futures: pd.DataFrame, winner: pd.Series, depth: int = 3) -> tuple[str, pd.Series]:
    """A classification tree of the winner on the assumptions: its rules as text and each assumption's importance.

    Choices enter one-hot (``network=scale_free``); importances are summed back
    to the assumption they came from.
    """
    features = _features(futures)
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(2, len(futures) // 20), random_state=0)
    tree.fit(features, winner.loc[features.index])
    importance = pd.Series(tree.feature_importances_, index=features.columns)
    by_assumption = importance.groupby(lambda column: column.split("=")[0]).sum().sort_values(ascending=False)
    return export_text(tree, feature_names=list(features.columns), decimals=2), by_assumption


def prim_box(futures: pd.DataFrame, hit: np.ndarray, threshold: float = 0.8) -> dict[str, Any] | None:
    """EMA Workbench's PRIM box of the futures where ``hit`` is true: its limits, coverage and density.

    Returns ``None`` when there are no such futures. The box is the last on
    the peeling trajectory whose density still meets ``threshold`` (EMA's
    choice); limits list only the assumptions the box restricts.
    """
    if not hit.any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
        from ema_workbench.analysis import scenario_discovery_util as sdutil
        from ema_workbench.util import ema_logging

        ema_logging.get_rootlogger().setLevel("WARNING")
        algorithm = prim.Prim(futures.reset_index(drop=True), hit, threshold=threshold)
        box = algorithm.find_box()
        limits = box.box_lim
        restricted = sdutil._determine_restricted_dims(limits, algorithm.box_init)
    bounds: dict[str, Any] = {}
    for name in restricted:
        low, high = limits[name].iloc[0], limits[name].iloc[1]
        bounds[str(name)] = sorted(low) if isinstance(low, set) else (float(low), float(high))
    return {"coverage": float(box.coverage), "density": float(box.density), "limits": bounds}
