"""Collects a run's observations step by step into the tidy tables of the output contract.

Tables (columns documented in docs/OUTPUTS.md):
``firms`` one row per step and firm; ``segments`` one row per step, firm and
segment (counts and money in both in real units); ``tenures`` one row per
spell of a simulated customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.config.schema import SimConfig
from sim.world.firms import COST_ITEMS, NO_TARGET, Firm
from sim.world.metrics import nps_from_counts, retention_rate
from sim.world.offers import Offers
from sim.world.population import NO_FIRM, Population

SPELL_ENDINGS = ("churn", "exit", "censored", "dropout")
"""How a spell ends, in the order of the ``ended_by`` codes (``dropout`` last, so earlier codes keep their meaning)."""
LEAVING = ("churn", "dropout")
"""Endings where the customer left: the event of survival analysis (``tenures.churned``)."""


class Recorder:
    """Accumulates rows in column lists; :meth:`tables` turns them into data frames."""

    def __init__(self, config: SimConfig, firms: list[Firm], segment_sizes: np.ndarray) -> None:
        """Prepare empty columns for ``firms`` in ``config``; ``segment_sizes`` (s,) are in real units."""
        self.config = config
        self.segment_sizes = segment_sizes
        self.firm_names = [f.name for f in firms]
        self.segment_names = config.segment_names
        self.firm_rows: list[dict[str, object]] = []
        self.segment_columns: dict[str, list[np.ndarray]] = {}
        self.spells: list[dict[str, np.ndarray]] = []

    def end_spells(self, population: Population, idx: np.ndarray, step: int, reason: str) -> None:
        """Close the current spells of customers ``idx`` at ``step``."""
        if idx.size:  # narrow integers while the run goes on; tables() widens them to the output's int64
            self.spells.append({
                "customer": idx.astype(np.int32),
                "segment": population.segment[idx].astype(np.int32),
                "firm": population.firm[idx].astype(np.int32),
                "start": population.spell_start[idx].astype(np.int32),
                "end": np.full(idx.size, step, dtype=np.int32),
                "ended_by": np.full(idx.size, SPELL_ENDINGS.index(reason), dtype=np.int8),
            })

    def record_step(
        self,
        *,
        step: int,
        firms: list[Firm],
        offers: Offers,
        tallies: np.ndarray,
        at_risk: np.ndarray,
        churned: np.ndarray,
        released: np.ndarray,
        acquired: np.ndarray,
        purchases: np.ndarray,
        won_back: np.ndarray,
        fired: dict[str, list[str]],
    ) -> None:
        """Append the firm rows and the firm x segment rows of one step.

        Every count is in real units (simulated counts times ``market.scale``).
        ``tallies`` is the (4, f, s) array of :func:`sim.world.population.experience_tallies` for the
        customers at the end of the step. ``at_risk``, ``churned`` and
        ``released`` are (f, s): customers held at
        the start of the step, customers who left by choice or dropped out of
        the market, and customers lost because their firm exited. Retention counts both kinds of loss: in the
        month a firm exits, everyone it held at the start of the month is lost. Price,
        service and offering are those of ``offers``, what customers saw and
        paid this step (a review's changes show from the next row). ``fired``
        names, per firm, the events that fired for it this step. ``purchases`` (f,) are the purchases each
        firm sold this step (:func:`sim.world.phases.purchases_by_firm`).
        """
        n_firms, n_segments = at_risk.shape
        size = n_firms * n_segments
        customers, promoters, detractors, satisfaction_sum = tallies
        group_nps = nps_from_counts(promoters, detractors, customers)
        nps = nps_from_counts(promoters.sum(axis=1), detractors.sum(axis=1), customers.sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            group_satisfaction = np.where(customers > 0, satisfaction_sum / customers, np.nan)
            firm_satisfaction = satisfaction_sum.sum(axis=1) / customers.sum(axis=1)

        lost = np.where(released > 0, at_risk, churned)
        retention = retention_rate(at_risk.sum(axis=1), lost.sum(axis=1))
        attributes = self.config.market.attributes
        for firm in firms:
            c = firm.code
            row: dict[str, object] = {
                "step": step,
                "firm": firm.name,
                "strategy": firm.strategy_name,
                "alive": firm.alive,
                "event": ",".join(fired.get(firm.name, [])),
                "customers": float(customers[c].sum()),
                "share": customers[c].sum() / self.segment_sizes.sum(),
                "market_size": float(self.segment_sizes.sum()),
                "acquired": float(acquired[c]),
                "purchases": float(purchases[c]),
                "churned": float(churned[c].sum()),
                "released": float(released[c].sum()),
                "won_back": float(won_back[c]),
                "retention_rate": retention[c],
                "revenue": firm.revenue,
            }
            row.update({f"cost_{item}": firm.costs[item] for item in COST_ITEMS})
            row.update({
                "profit": firm.profit,
                "cumulative_profit": firm.cumulative_profit,
                "cash": firm.cash,
                "nps": float(nps[c]),
                "satisfaction": firm_satisfaction[c],
                "tracked_nps": firm.tracked_nps,
                "tracked_satisfaction": firm.tracked_satisfaction,
                "customer_equity": firm.customer_equity(),
                "price": float(offers.price[c]),
                "service": float(offers.service[c]),
                "target_segment": (self.segment_names[firm.target]
                                   if firm.target != NO_TARGET else ""),
            })
            row.update({f"offering_{a}": float(v) for a, v in zip(attributes, offers.offering[c], strict=True)})
            self.firm_rows.append(row)

        columns = {
            "step": np.full(size, step),
            "firm": np.repeat(np.arange(n_firms), n_segments),
            "segment": np.tile(np.arange(n_segments), n_firms),
            "customers": customers.ravel(),
            "share": (customers / self.segment_sizes[None, :]).ravel(),
            "at_risk": at_risk.ravel(),
            "churned": churned.ravel(),
            "released": released.ravel(),
            "lost": lost.ravel(),
            "retention_rate": retention_rate(at_risk, lost).ravel(),
            "satisfaction": group_satisfaction.ravel(),
            "nps": group_nps.ravel(),
        }
        for name, values in columns.items():
            self.segment_columns.setdefault(name, []).append(values)

    def tables(self, population: Population, final_step: int) -> dict[str, pd.DataFrame]:
        """The three result tables; spells still open at the horizon are censored."""
        open_spells = np.flatnonzero(population.firm != NO_FIRM)
        self.end_spells(population, open_spells, final_step, reason="censored")
        firm_cat = pd.CategoricalDtype(self.firm_names)
        segment_cat = pd.CategoricalDtype(self.segment_names)

        firms = pd.DataFrame(self.firm_rows)
        firms["firm"] = firms["firm"].astype(firm_cat)

        segments = pd.DataFrame({k: np.concatenate(v) for k, v in self.segment_columns.items()})
        segments["firm"] = pd.Categorical.from_codes(segments["firm"], dtype=firm_cat)
        segments["segment"] = pd.Categorical.from_codes(segments["segment"], dtype=segment_cat)

        spells = {k: np.concatenate([s[k] for s in self.spells]) if self.spells else np.array([], dtype=np.int32)
                  for k in ("customer", "segment", "firm", "start", "end", "ended_by")}
        self.spells = []
        order = np.lexsort((spells["end"], spells["start"], spells["customer"]))  # stable: by customer, start, end
        spells = {k: v[order] for k, v in spells.items()}
        start, end = spells["start"].astype(np.int64), spells["end"].astype(np.int64)
        tenures = pd.DataFrame({
            "customer": spells["customer"].astype(np.int64),
            "segment": pd.Categorical.from_codes(spells["segment"], dtype=segment_cat),
            "firm": pd.Categorical.from_codes(spells["firm"], dtype=firm_cat),
            "start": start,
            "end": end,
            "duration": end - start,
            "ended_by": pd.Categorical.from_codes(spells["ended_by"], dtype=pd.CategoricalDtype(SPELL_ENDINGS)),
        })
        tenures["churned"] = tenures["ended_by"].isin(LEAVING)
        return {"firms": firms, "segments": segments, "tenures": tenures}
