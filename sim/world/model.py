"""The Mesa market model: builds the world from a config and runs the monthly phases in order.

Phase order of one step (see docs/ODD.md): needs drift; marketing and word
of mouth spread awareness and attitudes; customers drop out of the market;
the rest choose (acquisition, switching, churn, win-back); customers
experience value and update satisfaction; customers buy from their firm;
firms learn from and book what was bought at the offers customers saw;
due firms review, all against the same snapshot of rivals' offers; firms
out of cash exit; the step is recorded. Tallies of simulated
customers are turned into real units (times ``market.scale``) once per
step, before firms or the recorder see them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import mesa
import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from sim.config.schema import SimConfig
from sim.world import events
from sim.world.firms import Firm
from sim.world.network import build_contacts, placed
from sim.world.offers import Offers, collect_offers, value
from sim.world.phases import (
    apply_moves,
    buy,
    choose_firms,
    drift_needs,
    experience,
    last_purchases,
    leave_market,
    let_go,
    purchases_by_firm,
    spread_word_of_mouth,
)
from sim.world.population import (
    NO_FIRM,
    arrival_schedule,
    create_arrivals,
    create_population,
    experience_tallies,
    tally,
)
from sim.world.recorder import Recorder

STREAMS = ("network", "population", "needs", "word_of_mouth", "choice", "experience", "purchases", "arrivals")
"""Named random streams, spawned in this order from the seed. ``SeedSequence.spawn`` children are indexed, so a
stream added at the end leaves every earlier stream's draws unchanged."""


class PhaseClock:
    """Seconds spent in each phase of building and running a model, so a slow run says where its time went."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        """Add the time spent inside the ``with`` block to ``phase``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - started


class MarketModel(mesa.Model):
    """Firms (Mesa agents) competing for a vectorised customer population."""

    def __init__(self, config: SimConfig, seed: int | None = None) -> None:
        """Build the population, the contact network and the firms.

        ``seed`` defaults to ``config.seed``. Each mechanism draws from its own
        stream spawned from the seed, and each firm's research from its own,
        so changing one mechanism (or one firm's sample) does not shift
        another's random numbers.
        """
        seed = config.seed if seed is None else seed
        super().__init__(rng=seed)
        self.config = config
        self.clock = PhaseClock()
        mechanisms, research = np.random.SeedSequence(seed).spawn(2)
        self.streams = dict(zip(
            STREAMS, (np.random.default_rng(s) for s in mechanisms.spawn(len(STREAMS))), strict=True))
        firm_names = config.firm_names
        research_streams = [np.random.default_rng(s) for s in research.spawn(len(firm_names))]
        later = events.entering(config)
        with self.clock("build population"):
            self.population = create_population(config, len(firm_names), self.streams["population"],
                                                     absent=[firm_names.index(name) for name in sorted(later)],
                                                     purchases=self.streams["purchases"])
            start = np.bincount(self.population.segment, minlength=len(config.segments))
            schedule = arrival_schedule(config, start, self.streams["arrivals"])
            # customers arriving at step t hold the slots arrival_slots[t - 1]:arrival_slots[t]
            self.arrival_slots = self.population.size + np.concatenate([[0], np.cumsum(schedule.sum(axis=1))])
            if schedule.any():
                self.population = self.population.joined(
                    create_arrivals(config, len(firm_names), schedule, self.streams["arrivals"]))
            self.open = bool(schedule.any() or any(s.purchases.dropout > 0 for s in config.segments.values()))
            self.segment_sizes = np.zeros(len(config.segments))
            self.resize_segments()
        with self.clock("build network"):
            segment = self.population.segment
            if schedule.any():
                order = self.streams["arrivals"].permutation(segment.size)
                self.contacts = placed(build_contacts(config.network, segment[order], self.streams["network"]), order)
            else:
                self.contacts = build_contacts(config.network, segment, self.streams["network"])
        weights = np.array([s.share for s in config.segments.values()])
        mean_need = weights @ np.array([s.needs for s in config.segments.values()], dtype=float)
        for code, name in enumerate(firm_names):
            firm_config = config.firms[name]
            Firm(
                self,
                code=code,
                name=name,
                config=firm_config,
                offering=np.array(firm_config.offering) if firm_config.offering is not None else mean_need,
                research=research_streams[code],
                enters_later=name in later,
            )
        self.recorder = Recorder(config, self.firms, self.segment_sizes)
        self._settle_expectations()

    @property
    def firms(self) -> list[Firm]:
        """Firms in code order."""
        return sorted(self.agents_by_type[Firm], key=lambda firm: firm.code)

    def firm_named(self, name: str) -> Firm:
        """The firm called ``name`` in the config."""
        return self.firms[self.config.firm_names.index(name)]

    def offers(self) -> Offers:
        """Snapshot of what every firm offers this step."""
        return collect_offers(self.firms, self.steps, self.segment_sizes)

    def _settle_expectations(self) -> None:
        """Start everyone expecting what the (identical) starting offers deliver."""
        population = self.population
        offers = self.offers()
        everyone = np.arange(population.size)
        values = value(population, offers, self.config, everyone, rated=True)
        population.expectation[:] = values[:, offers.alive].mean(axis=1)
        experience(population, offers, self.config, self.streams["experience"])

    def step(self) -> None:
        """Advance the market by one month."""
        population, config = self.population, self.config
        streams, clock = self.streams, self.clock
        firms = self.firms
        n_firms, n_segments = len(firms), len(config.segments)
        with clock("tally"):
            at_risk = tally(population, n_firms, n_segments)
        for firm in firms:
            firm.open_month()
        fired, released = events.fire(self, self.steps)
        self.arrive()

        with clock("needs drift"):
            drift_needs(population, config, streams["needs"])
        offers = self.offers()
        with clock("word of mouth"):
            spread_word_of_mouth(population, offers, self.contacts, config, streams["word_of_mouth"])
        with clock("purchases"):
            dropped = leave_market(population, config, streams["purchases"])
        dropped_firm = population.firm[dropped]
        with clock("record"):
            self.recorder.end_spells(population, dropped, self.steps, reason="dropout")
        let_go(population, dropped)
        if self.open:
            self.resize_segments()
        with clock("choice"):
            moves = choose_firms(population, offers, config, streams["choice"])
        with clock("record"):
            self.recorder.end_spells(population, moves.left, self.steps, reason="churn")
        apply_moves(population, moves, self.steps)
        with clock("experience"):
            experience(population, offers, config, streams["experience"])
        with clock("purchases"):
            bought, counts = buy(population, config, streams["purchases"])
            farewell, farewell_counts = last_purchases(population, dropped, config, streams["purchases"])

        with clock("tally"):
            # a customer who dropped out is lost to its firm like one who churned
            lost, lost_firm = np.concatenate([moves.left, dropped]), np.concatenate([moves.left_firm, dropped_firm])
            churned = np.bincount(
                lost_firm * n_segments + population.segment[lost],
                weights=population.weight[lost], minlength=n_firms * n_segments,
            ).reshape(n_firms, n_segments)
            acquired = np.bincount(moves.joined_firm, weights=population.weight[moves.joined], minlength=n_firms)
            tallies, spend = experience_tallies(population, n_firms, n_segments, bought)
            purchases = purchases_by_firm(population, counts, tallies[0], n_firms)
            if dropped.size:  # those who left this month bought from their firm until they left
                spend += np.bincount(dropped_firm * n_segments + population.segment[dropped],
                                     weights=population.weight[dropped] * farewell,
                                     minlength=n_firms * n_segments).reshape(n_firms, n_segments)
                purchases += np.bincount(dropped_firm, weights=population.weight[dropped] * farewell_counts,
                                         minlength=n_firms)
        held = tallies[0]
        shares = held.sum(axis=1) / self.segment_sizes.sum()

        with clock("firms"):
            for firm in firms:
                firm.observe(at_risk[firm.code], churned[firm.code], held[firm.code], spend[firm.code])
                firm.book(spend=float(spend[firm.code].sum()), price=float(offers.price[firm.code]),
                          winback_cost=float(moves.winback_cost[firm.code]))
            for firm in firms:
                if firm.alive and self.steps % firm.strategy.review_every == 0:
                    firm.review(share=float(shares[firm.code]), offers=offers)
            for firm in firms:
                if firm.alive and firm.cash < 0:
                    released[firm.code] = self.exit_firm(firm)
        for firm in firms:
            if not firm.alive:
                tallies[:, firm.code, :] = 0.0

        with clock("record"):
            self.recorder.record_step(
                step=self.steps,
                firms=firms,
                offers=offers,
                tallies=tallies,
                at_risk=at_risk,
                churned=churned,
                released=released,
                acquired=acquired,
                purchases=purchases,
                won_back=moves.won_back,
                fired=fired,
            )
        if self.steps >= config.market.steps:
            self.running = False

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables of a finished run (:meth:`sim.world.recorder.Recorder.tables`).

        The contact network is let go first: the tables do not need it, and
        at a million customers it is a large share of the peak memory.
        """
        self.contacts = None
        with self.clock("tables"):
            return self.recorder.tables(self.population, self.steps)

    def release(self) -> None:
        """Let go of the firms so a finished model can be garbage-collected.

        Mesa 3.3 keeps every model it has seen as a key of the class-level
        ``Agent._ids`` (mesa issue #3179, fixed in later releases that no
        longer support Python 3.11), so a worker that runs hundreds of models
        would otherwise hold them all in memory.
        """
        self.remove_all_agents()
        mesa.Agent._ids.pop(self, None)

    def monopoly_price(self, code: int) -> float:
        """The price that maximises firm ``code``'s profit from the segment it serves most, were it alone there.

        Its customers' only alternative is then buying nothing: each customer
        present in that segment buys from it with the logit probability of its
        offer (at the firm's offering and service) against the outside option,
        and the price maximises the margin over unit cost times the expected
        buyers. A value-pricing firm above it would be charging more than any
        monopolist of its audience would (ODD 8.12).
        """
        population, offers, firm = self.population, self.offers(), self.firms[code]
        segment = np.bincount(population.segment[population.firm == code]).argmax()
        customers = np.flatnonzero((population.segment == segment) & ~population.gone)
        alpha = population.price_sensitivity[customers]
        worth = value(population, offers, self.config, customers)[:, code] + alpha * (offers.price[code] - 1.0)
        outside = self.config.market.behaviour.outside_utility

        def loss(price: float) -> float:
            weight = np.exp(worth - alpha * (price - 1.0) - outside)
            return -(price - firm.unit_cost) * float(np.mean(weight / (1.0 + weight)))

        return float(minimize_scalar(loss, bounds=(firm.unit_cost, 50.0), method="bounded").x)

    def exit_firm(self, firm: Firm) -> np.ndarray:
        """A firm out of cash (or leaving by an ``exit`` event) exits; its customers are released to shop again.

        Returns the released customers by segment (s,), in real units: customers the firm lost.
        """
        firm.alive = False
        firm.segment_customers = np.zeros_like(firm.segment_customers)
        population = self.population
        released = np.flatnonzero(population.firm == firm.code)
        self.recorder.end_spells(population, released, self.steps, reason="exit")
        population.firm[released] = NO_FIRM
        population.score[released] = -1
        return np.bincount(population.segment[released], weights=population.weight[released],
                           minlength=len(self.config.segments))

    def resize_segments(self) -> None:
        """Recount each segment's real size from the weights of the customers present (in place: shared)."""
        population = self.population
        self.segment_sizes[:] = np.bincount(population.segment, weights=np.where(population.gone, 0.0,
                                                                                 population.weight),
                                            minlength=len(self.config.segments))

    def arrive(self) -> None:
        """This step's arrivals enter the market, knowing no firm, expecting what the offers present deliver."""
        start, stop = self.arrival_slots[self.steps - 1:self.steps + 1]
        if start == stop:
            return
        population = self.population
        arrivals = np.arange(start, stop)
        population.gone[arrivals] = False
        population.aware[arrivals] = False
        population.attitude[arrivals] = 0.0
        offers = self.offers()
        if offers.alive.any():
            values = value(population, offers, self.config, arrivals, rated=True)
            population.expectation[arrivals] = values[:, offers.alive].mean(axis=1)
        self.resize_segments()
