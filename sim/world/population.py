"""The customer population as typed arrays, its creation, and tallies of it by firm and segment.

Every customer is an individual agent with its own state, but the state is
held column-wise (one numpy array per attribute); the phases that change it
are in :mod:`sim.world.phases`. Shapes below use ``n`` customers, ``k``
attributes, ``f`` firms and ``s`` segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numba
import numpy as np

from sim.config.schema import SimConfig
from sim.world.metrics import DETRACTOR_MAX, PROMOTER_MIN
from sim.world.purchases import Habits, draw_habits

NO_FIRM = -1


@dataclass
class Population:
    """All customers, one array per attribute.

    Attributes:
        segment: (n,) int segment code.
        needs: (n, k) latent needs; they drift.
        perceived: (n, k) what customers believe they need: needs seen with a lag.
        want_offset: (n, k) segment bias plus personal noise of stated wants.
        drift: (s, k) per-step movement of each segment's needs.
        want_lag: (s,) share of the perceived-to-needs gap closed per step.
        spend: (n,) units bought per step from whichever firm they use (on average, for
            customers who buy by the Poisson process: see ``habits``).
        price_sensitivity, service_sensitivity, wom_activity, inertia: (n,).
        value_for_money: (n,) share of the price effect on choice credited in ratings.
        expectation: (n,) adaptive expected value (Oliver).
        satisfaction: (n,) in (0, 1); last experienced satisfaction.
        score: (n,) int 0-10 promoter score, -1 for non-customers.
        weight: (n,) real customers each simulated one stands for (``market.scale``
            at the start; a ``segment_change`` event resizes a segment through it).
        aware: (n, f) bool awareness of each firm.
        attitude: (n, f) in [-1, 1].
        firm: (n,) current firm code or ``NO_FIRM``.
        spell_start: (n,) step at which the current spell with ``firm`` began.
        habits: how each customer buys and its dropout hazard (:class:`sim.world.purchases.Habits`, (n,) arrays).
        gone: (n,) bool, customers not in the market: dropped out for good, or arrivals yet to arrive
            (:func:`create_arrivals`). They never choose, and surveys and shares leave them out.
    """

    segment: np.ndarray
    needs: np.ndarray
    perceived: np.ndarray
    want_offset: np.ndarray
    drift: np.ndarray
    want_lag: np.ndarray
    spend: np.ndarray
    price_sensitivity: np.ndarray
    service_sensitivity: np.ndarray
    wom_activity: np.ndarray
    inertia: np.ndarray
    value_for_money: np.ndarray
    expectation: np.ndarray
    satisfaction: np.ndarray
    score: np.ndarray
    aware: np.ndarray
    attitude: np.ndarray
    firm: np.ndarray
    spell_start: np.ndarray
    weight: np.ndarray
    habits: Habits
    gone: np.ndarray

    @property
    def size(self) -> int:
        """Number of customers."""
        return len(self.segment)

    def wants(self, idx: np.ndarray) -> np.ndarray:
        """Stated wants (m, k) of customers ``idx``: lagged needs plus bias and noise."""
        return self.perceived[idx] + self.want_offset[idx]

    def present(self) -> np.ndarray:
        """Indices of the customers in the market now (not ``gone``)."""
        return np.flatnonzero(~self.gone)

    def joined(self, other: Population) -> Population:
        """This population followed by ``other``'s customers (per-segment fields are this one's)."""
        per_segment = {"drift", "want_lag"}
        columns = {f.name: getattr(self, f.name) if f.name in per_segment
                   else np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                   for f in fields(self) if f.name != "habits"}
        habits = Habits(**{f.name: np.concatenate([getattr(self.habits, f.name), getattr(other.habits, f.name)])
                           for f in fields(Habits)})
        return Population(**columns, habits=habits)


def _segment_codes(shares: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Exact segment sizes (largest remainder), randomly placed."""
    raw = shares * n
    counts = np.floor(raw).astype(np.int64)
    counts[np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def create_population(
    config: SimConfig,
    firms: int,
    rng: np.random.Generator,
    absent: Sequence[int] = (),
    purchases: np.random.Generator | None = None,
) -> Population:
    """Draw a population from the segment definitions.

    A share ``market.initial_penetration`` of customers starts with a firm
    drawn uniformly among the firms present (so firms start identical), or
    with the firms' ``initial_share`` odds where a config gives them;
    everyone knows their own firm and each other present firm with
    probability ``market.initial_awareness``. Firms ``absent`` at the start
    (they enter later) have no customers and nobody knows them.

    Purchase habits are drawn from their own stream ``purchases`` (default:
    ``rng``, after everything else), which a market where everyone buys
    steadily and nobody drops out never touches.
    """
    market = config.market
    n = market.customers
    segment = _segment_codes(np.array([s.share for s in config.segments.values()]), n, rng)
    needs, want_offset, spend = _draw_traits(config, segment, rng)

    present = np.setdiff1d(np.arange(firms), np.asarray(absent, dtype=np.int64))
    firm = np.full(n, NO_FIRM, dtype=np.int64)
    starts = rng.random(n) < market.initial_penetration
    shares = config.start_shares()
    if shares is None:
        firm[starts] = present[rng.integers(present.size, size=int(starts.sum()))]
    else:
        firm[starts] = rng.choice(firms, size=int(starts.sum()), p=np.asarray(shares) / sum(shares))
    aware = rng.random((n, firms)) < market.initial_awareness
    aware[:, list(absent)] = False
    aware[np.flatnonzero(starts), firm[starts]] = True

    return _assemble(config, segment, needs, want_offset, spend, aware, firm, rng if purchases is None else purchases,
                     gone=np.zeros(n, dtype=bool))


def _draw_traits(
    config: SimConfig, segment: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Needs (n, k), stated-want offsets (n, k) and spend (n,) of customers of ``segment`` codes, in that order."""
    segments = list(config.segments.values())
    n, k = segment.size, len(config.market.attributes)
    needs_spread = np.array([s.needs_spread for s in segments])[segment, None]
    needs = np.array([s.needs for s in segments], dtype=float)[segment] + needs_spread * rng.standard_normal((n, k))
    want_offset = (
        np.array([s.want_bias for s in segments], dtype=float)[segment]
        + np.array([s.want_noise for s in segments])[segment, None] * rng.standard_normal((n, k))
    )
    spread = np.array([s.spend_spread for s in segments])[segment]
    spend = np.array([s.spend for s in segments])[segment] * np.exp(spread * rng.standard_normal(n) - spread**2 / 2)
    return needs, want_offset, spend


def _assemble(
    config: SimConfig,
    segment: np.ndarray,
    needs: np.ndarray,
    want_offset: np.ndarray,
    spend: np.ndarray,
    aware: np.ndarray,
    firm: np.ndarray,
    purchases: np.random.Generator,
    gone: np.ndarray,
) -> Population:
    """A population from drawn traits; segment-level traits are read from the config."""
    segments = list(config.segments.values())
    market = config.market
    n = segment.size

    def per_segment(name: str) -> np.ndarray:
        return np.array([getattr(s, name) for s in segments], dtype=float)

    return Population(
        segment=segment,
        needs=needs,
        perceived=needs.copy(),
        want_offset=want_offset,
        drift=market.drift * np.array([s.drift for s in segments], dtype=float) / market.steps_per_year,
        want_lag=per_segment("want_lag"),
        spend=spend,
        price_sensitivity=per_segment("price_sensitivity")[segment],
        service_sensitivity=per_segment("service_sensitivity")[segment],
        wom_activity=per_segment("wom_activity")[segment],
        inertia=per_segment("inertia")[segment],
        value_for_money=per_segment("value_for_money")[segment],
        expectation=np.zeros(n),
        satisfaction=np.full(n, 0.5),
        score=np.full(n, -1, dtype=np.int64),
        aware=aware,
        attitude=np.zeros(aware.shape),
        firm=firm,
        spell_start=np.zeros(n, dtype=np.int64),
        weight=np.full(n, market.scale),
        habits=draw_habits([s.purchases for s in segments], segment, spend, market.steps_per_year, purchases),
        gone=gone,
    )


def arrival_schedule(config: SimConfig, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Simulated arrivals (steps, s) at each step 1..steps of the run, drawn once when the market is built.

    Segment ``s`` gains a Poisson number of new customers a step with mean
    ``arrivals`` (per year, a share of its ``start`` (s,) simulated size)
    divided by the steps in a year; a ``segment_change`` event with an
    ``arrivals`` rate replaces the segment's rate from its month on. A
    closed market (every rate 0) draws nothing.
    """
    market = config.market
    rates = np.tile([s.arrivals for s in config.segments.values()], (market.steps, 1)).astype(float)
    for event in config.events:
        if event.kind == "segment_change" and event.arrivals is not None:
            rates[event.month - 1:, config.segment_names.index(str(event.segment))] = event.arrivals
    if not rates.any():
        return np.zeros(rates.shape, dtype=np.int64)
    return rng.poisson(rates * start / market.steps_per_year)


def create_arrivals(config: SimConfig, firms: int, schedule: np.ndarray, rng: np.random.Generator) -> Population:
    """The customers of an arrival ``schedule`` (steps, s), in order of arrival, not yet in the market.

    Their traits are drawn from their segment now; their needs then drift
    and shift with everyone else's until they arrive, so an arrival's needs
    are drawn from the segment as it is when it arrives. They know no firm.
    """
    steps, segments = schedule.shape
    segment = np.repeat(np.tile(np.arange(segments), steps), schedule.ravel())
    needs, want_offset, spend = _draw_traits(config, segment, rng)
    unaware = np.zeros((segment.size, firms), dtype=bool)
    return _assemble(config, segment, needs, want_offset, spend, unaware, np.full(segment.size, NO_FIRM), rng,
                     gone=np.ones(segment.size, dtype=bool))


@numba.njit(cache=True, nogil=True)
def _sums_by_cell(firm, segment, weight, score, satisfaction, spend, firms, segments,
                  rows):  # pragma: no cover - compiled
    """Sums by (firm, segment) cell over customers with a firm, in real units, in one pass.

    Row 0 counts customers; with ``rows`` 5, rows 1-4 sum promoters,
    detractors, satisfaction and spend. Adds customer by customer in index order, as ``np.bincount`` does, so the
    sums are the same to the last bit.
    """
    sums = np.zeros((rows, firms * segments))
    for i in range(firm.size):
        if firm[i] < 0:
            continue
        cell = firm[i] * segments + segment[i]
        real = weight[i]
        sums[0, cell] += 1.0 * real
        if rows > 1:
            sums[1, cell] += (1.0 if score[i] >= PROMOTER_MIN else 0.0) * real
            sums[2, cell] += (1.0 if score[i] <= DETRACTOR_MAX else 0.0) * real
            sums[3, cell] += satisfaction[i] * real
            sums[4, cell] += spend[i] * real
    return sums.reshape(rows, firms, segments)


def tally(population: Population, firms: int, segments: int) -> np.ndarray:
    """Real customers by current firm and segment, (f, s): each simulated customer counts for its ``weight``."""
    return _sums_by_cell(population.firm, population.segment, population.weight, population.score,
                         population.satisfaction, population.spend, firms, segments, 1)[0]


def experience_tallies(
    population: Population, firms: int, segments: int, bought: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Customers, promoters (9-10), detractors (0-6) and summed satisfaction by firm and segment, (4, f, s).

    Also the month's spend, (f, s): what each customer ``bought`` (n,) this
    step (:func:`sim.world.phases.buy`; default its ``spend``); all in real units.
    """
    spend = population.spend if bought is None else bought
    sums = _sums_by_cell(population.firm, population.segment, population.weight, population.score,
                         population.satisfaction, spend, firms, segments, 5)
    return sums[:4], sums[4]
