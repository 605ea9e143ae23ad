"""The Firm agent: its offer, its books, what it knows, and its periodic review.

Firms are Mesa agents reached through ``model.agents_by_type[Firm]``. Every
step a firm books revenue and costs and learns from its own accounts
(retention and margin by segment); every ``review_every`` steps it listens to
customers, reads its tracking survey, and decides its offering, service,
price and marketing through the rules in :mod:`sim.world.strategies` that its
strategy's dials select. Customer counts and money are in real units
(``market.total_customers``), whatever the number of simulated customers.
"""

from __future__ import annotations

from typing import Protocol

import mesa
import numpy as np

from sim.config.schema import FirmConfig, SimConfig, StrategyConfig
from sim.world import strategies
from sim.world.metrics import customer_equity, periodic_rate
from sim.world.offers import Offers
from sim.world.population import Population

NO_TARGET = -1
RETENTION_MEMORY = 0.1
LEVEL_SMOOTHING = 0.5
TREND_SMOOTHING = 0.2
COST_ITEMS = ("goods", "service", "marketing", "research", "reposition", "winback", "transition", "fixed")


class Market(Protocol):
    """What a firm sees of the market it trades in: the model's state, none of its machinery.

    :class:`sim.world.model.MarketModel` is one; naming only this keeps firms
    free of the model module (no import cycle, not even for type hints).
    """

    config: SimConfig
    population: Population
    segment_sizes: np.ndarray
    steps: int


class Firm(mesa.Agent):
    """A firm that competes for customers with the strategy named in its config."""

    model: Market

    def __init__(
        self,
        model: Market,
        *,
        code: int,
        name: str,
        config: FirmConfig,
        offering: np.ndarray,
        research: np.random.Generator,
        enters_later: bool = False,
    ) -> None:
        """Create a firm at ``offering`` with the starting price, service and cash of ``config``.

        ``research`` is the firm's own random stream for sampling customers.
        A firm that ``enters_later`` does not trade until its ``enter`` event.
        """
        super().__init__(model)
        market_size = model.config.market.total_customers
        segments = len(model.config.segments)
        self.code = code
        self.name = name
        self.strategy_name = config.strategy
        self.strategy: StrategyConfig = model.config.strategies[config.strategy]
        self.config = config
        self.research = research
        self.offering = np.array(offering, dtype=float)
        self.list_price = config.price
        self.price = config.price
        self.service = config.service
        self.marketing = self.strategy.acquisition_budget
        self.marketing_spend = self.marketing
        self.cash = config.initial_cash * market_size
        self.revenue_since_review = 0.0
        self.alive = not enters_later
        self.pending_switch: tuple[int, StrategyConfig, str] | None = None
        self.price_cut: tuple[float, int] | None = None
        self.target = NO_TARGET
        self.ideal: np.ndarray | None = None
        self.readings = np.empty((0, len(offering)))
        self.demand: list[tuple[np.ndarray, float]] = []  # (every firm's price, log own share) at each review
        self.ideal_step = 0
        self.ideal_trend: np.ndarray | None = None
        self.last_share = float("nan")
        self.last_nps = float("nan")
        self.tracked_nps = float("nan")
        self.tracked_satisfaction = float("nan")
        self.retention = np.full(segments, np.nan)
        self.segment_spend = np.full(segments, np.nan)
        self.segment_customers = np.zeros(segments)
        self.costs = dict.fromkeys(COST_ITEMS, 0.0)
        self.revenue = 0.0
        self.profit = 0.0
        self.cumulative_profit = 0.0

    @property
    def service_cost(self) -> float:
        """Cost of service per unit of customer spend: grows with the square of the level."""
        return self.model.config.market.costs.service_cost * self.service**2

    @property
    def unit_cost(self) -> float:
        """Cost per unit of customer spend served, at the current service level."""
        return self.config.unit_cost + self.service_cost

    def offered_price(self, step: int) -> float:
        """The price customers see at ``step``: a running price cut, else the firm's own price."""
        if self.price_cut is not None and step < self.price_cut[1]:
            return self.price_cut[0]
        return self.price

    def unit_margin(self) -> float:
        """Margin per unit of customer spend."""
        return self.price - self.unit_cost

    def innovation(self, segment_sizes: np.ndarray) -> np.ndarray:
        """Bass p per year that this firm's marketing buys in each segment (s,).

        Spend per potential customer maps to p with constant elasticity; a
        targeting firm concentrates the same budget on its target segment.
        """
        wom = self.model.config.market.wom
        spend = np.full(len(segment_sizes), self.marketing_spend)
        if self.strategy.targeting == "clv" and self.target != NO_TARGET:
            spend[:] = 0.0
            spend[self.target] = self.marketing_spend * segment_sizes.sum() / segment_sizes[self.target]
        if not self.alive:
            spend[:] = 0.0
        return wom.innovation * (spend / wom.reference_marketing) ** wom.marketing_elasticity

    def observe(self, at_risk: np.ndarray, churned: np.ndarray, customers: np.ndarray,
                spend: np.ndarray) -> None:
        """Learn from its own accounts (real units, by segment): retention and spend per customer."""
        with np.errstate(invalid="ignore", divide="ignore"):
            kept = 1.0 - churned / at_risk
            mean_spend = spend / customers
        seen = at_risk > 0
        fresh = seen & np.isnan(self.retention)
        self.retention[fresh] = kept[fresh]
        update = seen & ~fresh
        self.retention[update] += RETENTION_MEMORY * (kept[update] - self.retention[update])
        self.segment_spend = np.where(customers > 0, mean_spend, self.segment_spend)
        self.segment_customers = customers

    def open_month(self) -> None:
        """Start the month's accounts at zero (events, booking and reviews then add to them).

        The month's marketing is its budget cut to the cash on hand: a firm
        does not spend on acquisition money it does not have.
        """
        self.revenue = self.profit = 0.0
        self.costs = dict.fromkeys(COST_ITEMS, 0.0)
        size = self.model.config.market.total_customers
        self.marketing_spend = min(self.marketing, max(self.cash, 0.0) / size)

    def book(self, *, spend: float, price: float, winback_cost: float) -> None:
        """Book the month's revenue and operating costs at the offer customers saw; cash absorbs the profit.

        ``spend`` and ``winback_cost`` are real totals and ``price`` the price
        customers paid. Review and event costs are added by :meth:`pay`. A
        firm that is not trading books nothing.
        """
        if not self.alive:
            return
        size = self.model.config.market.total_customers
        self.revenue = spend * price
        self.revenue_since_review += self.revenue
        self.pay("goods", spend * self.config.unit_cost)
        self.pay("service", spend * self.service_cost)
        self.pay("marketing", self.marketing_spend * size)
        self.pay("winback", winback_cost)
        self.pay("fixed", self.config.fixed_cost * size)
        self.profit += self.revenue
        self.cumulative_profit += self.revenue
        self.cash += self.revenue

    def pay(self, item: str, amount: float) -> None:
        """Spend ``amount`` on cost ``item`` in the current step."""
        self.costs[item] += amount
        self.profit -= amount
        self.cumulative_profit -= amount
        self.cash -= amount

    def complete_switch(self) -> None:
        """Adopt the pending strategy: its dials, name and marketing budget; a target only if it plans by CLV."""
        _, strategy, label = self.pending_switch  # type: ignore[misc]  # called only with a switch pending
        self.strategy, self.strategy_name, self.pending_switch = strategy, label, None
        self.marketing = strategy.acquisition_budget
        if strategy.targeting != "clv":
            self.target = NO_TARGET

    def _seek_profit(self, offers: Offers, share: float) -> None:
        """Move toward the best response to the demand the firm estimates from its own sales, then test a price.

        The test (a random change of ``PRICE_TEST`` of the price, from the
        firm's own stream) is what lets it see how its demand responds; it
        never prices below unit cost.
        """
        if share > 0:
            self.demand = [*self.demand[1 - strategies.DEMAND_MEMORY:], (offers.price.copy(), float(np.log(share)))]
        prices = np.array([entry[0] for entry in self.demand]).reshape(len(self.demand), len(offers.price))
        slope = strategies.demand_semi_elasticity(self.code, prices, np.array([entry[1] for entry in self.demand]))
        if slope is not None:
            target = strategies.profit_price(self.unit_cost, slope)
            self.price += self.strategy.adjust_rate * (target - self.price)
        self.price = max(self.price * (1.0 + strategies.PRICE_TEST * self.research.standard_normal()), self.unit_cost)

    def customer_equity(self) -> float:
        """Sum of current customers' CLVs from own margin and retention by segment."""
        market = self.model.config.market
        discount = periodic_rate(market.discount_rate, market.steps_per_year)
        margin = np.nan_to_num(self.segment_spend) * self.unit_margin()
        return customer_equity(margin, np.nan_to_num(self.retention), discount, self.segment_customers)

    def review(self, share: float, offers: Offers) -> None:
        """Listen, then decide offering, service, price and marketing for the next steps.

        ``share`` comes from the firm's own books (exact); its NPS only from
        the tracking survey it pays for. Rivals are judged by ``offers``, the
        snapshot customers saw this step, so every firm decides on the same
        information whatever the firm order.
        """
        model = self.model
        config = model.config
        population = model.population
        costs = config.market.costs
        if self.strategy.targeting == "clv":
            self._choose_target()
        own = np.flatnonzero(population.firm == self.code)
        scale = strategies.programme_scale(self.strategy, costs, self.revenue_since_review, self.cash)
        self.revenue_since_review = 0.0
        tracking = strategies.track(int(self.strategy.tracking_respondents * scale), own, population, costs,
                                    self.research)
        self.pay("research", tracking.cost)
        if tracking.respondents:
            self.tracked_nps, self.tracked_satisfaction = tracking.nps, tracking.satisfaction
        nps = tracking.nps
        pool = strategies.audience(self.strategy, population, own, self.target)
        evidence = strategies.listen(self.strategy, pool, population, costs, self.research, scale)
        self.pay("research", evidence.cost)
        heard = pool if pool.size else population.present()
        price_sensitivity = float(population.price_sensitivity[heard].mean())
        service_sensitivity = float(population.service_sensitivity[heard].mean())
        if evidence.ideal is not None:
            self.readings = evidence.readings
            self._learn_ideal(evidence.ideal)
            self._reposition(heard, price_sensitivity)
        wanted_service = strategies.service_level(
            self.strategy, self.service, service_sensitivity, price_sensitivity,
            config.market.costs.service_cost,
        )
        self.service += self.strategy.adjust_rate * (wanted_service - self.service)
        losing = strategies.losing_ground(
            share, self.last_share, nps, self.last_nps, self.strategy.reaction_threshold)
        self._set_price(losing, price_sensitivity, service_sensitivity, offers, share)
        boost = self.strategy.acquisition_boost if losing else 0.0
        self.marketing = self.strategy.acquisition_budget * (1.0 + boost)
        self.last_share, self.last_nps = share, nps

    def _choose_target(self) -> None:
        """Plan around the segment the strategy names, or else the one of highest potential customer equity."""
        if self.strategy.target_segment:
            best = self.model.config.segment_names.index(self.strategy.target_segment)
        else:
            market = self.model.config.market
            discount = periodic_rate(market.discount_rate, market.steps_per_year)
            margin = self.segment_spend * self.unit_margin()
            values = strategies.segment_values(margin, self.retention, self.model.segment_sizes, discount)
            if not np.isfinite(values).any():
                return
            best = int(np.argmax(values))
        if best != self.target:
            self.target = best
            self.ideal, self.ideal_trend = None, None
            self.readings = np.empty((0, len(self.offering)))

    def _learn_ideal(self, estimate: np.ndarray) -> None:
        """Holt's linear-trend smoothing of the audience's ideal: a level and a per-step drift.

        Smoothing keeps sampling noise in single readings from being
        extrapolated ``lead`` steps ahead.
        """
        step = self.model.steps
        if self.ideal is None:
            self.ideal, self.ideal_step = estimate, step
            return
        elapsed = step - self.ideal_step
        trend = self.ideal_trend if self.ideal_trend is not None else np.zeros_like(estimate)
        forecast = self.ideal + trend * elapsed
        level = forecast + LEVEL_SMOOTHING * (estimate - forecast)
        slope = (level - self.ideal) / elapsed
        self.ideal_trend = slope if self.ideal_trend is None else trend + TREND_SMOOTHING * (slope - trend)
        self.ideal, self.ideal_step = level, step

    def _reposition(self, heard: np.ndarray, price_sensitivity: float) -> None:
        config = self.model.config
        population = self.model.population
        goal = strategies.projected_ideal(self.ideal, self.ideal_trend, self.strategy.lead)
        if not strategies.beyond_noise(self.readings, self.offering, goal, LEVEL_SMOOTHING,
                                       self.strategy.move_confidence):
            return
        proposed = self.offering + self.strategy.adjust_rate * (goal - self.offering)
        cost = config.market.costs.reposition_cost * config.market.total_customers * float(
            np.linalg.norm(proposed - self.offering))
        if self.strategy.declines_unprofitable:
            own = heard[population.firm[heard] == self.code]
            horizon = self.strategy.horizon
            trend = self.ideal_trend if self.ideal_trend is not None else 0.0
            pays = strategies.reposition_pays(
                old=self.offering, new=proposed, expected_needs=self.readings + trend * horizon / 2,
                fit_weight=config.market.behaviour.fit_weight,
                price_sensitivity=price_sensitivity,
                spend=float(population.spend[heard].mean()),
                customers=float(population.weight[own].sum()), horizon=horizon, cost=cost,
            )
            if not pays:
                return
        self.pay("reposition", cost)
        self.offering = proposed

    def _set_price(self, losing: bool, price_sensitivity: float, service_sensitivity: float,
                   offers: Offers, share: float) -> None:
        policy = self.strategy.pricing_policy
        rivals = np.flatnonzero(offers.alive & (np.arange(len(offers.alive)) != self.code))
        if policy == "profit":
            self._seek_profit(offers, share)
        elif policy == "promotional":
            self.price = strategies.promotional_price(self.list_price, self.strategy.promotion_depth, losing)
        elif policy == "never_raise":
            lowest = float(offers.price[rivals].min()) if rivals.size else self.price
            self.price = strategies.never_raise_price(self.price, lowest, self.unit_cost, losing)
        else:
            fit_weight = self.model.config.market.behaviour.fit_weight
            readings = self.readings if len(self.readings) else self.offering[None, :]

            def utility(offering: np.ndarray, service: float) -> float:
                return strategies.mean_fit(readings, offering, fit_weight) + service_sensitivity * service

            # buying nothing is an alternative like a rival: worth outside_utility at the reference price 1.0
            utilities = [self.model.config.market.behaviour.outside_utility,
                         *(utility(offers.offering[j], offers.service[j]) for j in rivals)]
            prices = [1.0, *(float(offers.price[j]) for j in rivals)]
            net = [u - price_sensitivity * (price - 1.0) for u, price in zip(utilities, prices, strict=True)]
            best = int(np.argmax(net))
            wanted = strategies.value_price(
                own_utility=utility(self.offering, self.service), alternative_utility=utilities[best],
                alternative_price=prices[best], price_sensitivity=price_sensitivity, floor=self.unit_cost,
            )
            self.price += self.strategy.adjust_rate * (wanted - self.price)
