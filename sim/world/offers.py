"""What the firms put in front of customers, and what an offer is worth to a customer.

One formula of worth (fit, price, service) serves choosing, rating and a
firm's view of its rivals, so the three can never disagree. Shapes use ``n``
customers, ``k`` attributes, ``f`` firms and ``s`` segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numba
import numpy as np

from sim.config.schema import SimConfig, StrategyConfig
from sim.world.population import Population


@dataclass
class Offers:
    """What the firms put in front of customers this step (a read-only snapshot).

    Attributes:
        offering: (f, k) position of each firm's offering in attribute space.
        price: (f,) price per unit of customer spend.
        service: (f,) service level in [0, 1].
        alive: (f,) whether the firm still trades.
        innovation: (f, s) Bass p per year each firm's marketing buys in each segment.
        winback_discount: (f,) share of a month's bill offered to a leaving customer.
    """

    offering: np.ndarray
    price: np.ndarray
    service: np.ndarray
    alive: np.ndarray
    innovation: np.ndarray
    winback_discount: np.ndarray




class Offering(Protocol):
    """What :func:`collect_offers` reads of a firm."""

    offering: np.ndarray
    service: float
    alive: bool

    def offered_price(self, step: int) -> float: ...  # noqa: D102

    def innovation(self, segment_sizes: np.ndarray) -> np.ndarray: ...  # noqa: D102

    strategy: StrategyConfig


def collect_offers(firms: Sequence[Offering], step: int, segment_sizes: np.ndarray) -> Offers:
    """The snapshot of what every firm (in code order) offers at ``step``."""
    return Offers(
        offering=np.array([f.offering for f in firms]),
        price=np.array([f.offered_price(step) for f in firms]),
        service=np.array([f.service for f in firms]),
        alive=np.array([f.alive for f in firms]),
        innovation=np.array([f.innovation(segment_sizes) for f in firms]),
        winback_discount=np.array([f.strategy.winback_discount for f in firms]),
    )


def price_weights(population: Population, rated: bool) -> np.ndarray:
    """Weight of price (n,): full price sensitivity when choosing, its value-for-money share when rating."""
    weight = population.price_sensitivity
    return weight * population.value_for_money if rated else weight


@numba.njit(cache=True, nogil=True)
def offer_worth(i, j, needs, offering, price, service, price_weight, service_sensitivity,
                fit_weight):  # pragma: no cover - compiled
    """What firm ``j``'s offer is worth to customer ``i``: fit, price, service (the one formula of :func:`value`)."""
    squared = 0.0
    for a in range(needs.shape[1]):
        gap = needs[i, a] - offering[j, a]
        squared += gap * gap
    return -fit_weight * np.sqrt(squared) - price_weight[i] * (price[j] - 1.0) + service_sensitivity[i] * service[j]


@numba.njit(cache=True, nogil=True)
def _worth_to(customers, offers_of, needs, offering, price, service, price_weight, service_sensitivity,
              fit_weight):  # pragma: no cover - compiled
    """(m, c): :func:`offer_worth` of firm ``offers_of[row, c]`` to customer ``customers[row]``."""
    worth = np.empty(offers_of.shape)
    for row in range(customers.size):
        for column in range(offers_of.shape[1]):
            worth[row, column] = offer_worth(customers[row], offers_of[row, column], needs, offering, price, service,
                                        price_weight, service_sensitivity, fit_weight)
    return worth


def value(
    population: Population, offers: Offers, config: SimConfig, idx: np.ndarray, rated: bool = False
) -> np.ndarray:
    """Value (m, f) of every firm's offer to customers ``idx``: fit, price, service.

    ``rated=False`` is the value a customer chooses by; ``rated=True`` the
    experience a customer rates, where price counts only as value for money.
    """
    every_firm = np.broadcast_to(np.arange(len(offers.price)), (len(idx), len(offers.price)))
    return _worth_to(idx, every_firm, population.needs, offers.offering, offers.price, offers.service,
                     price_weights(population, rated), population.service_sensitivity,
                     config.market.behaviour.fit_weight)


def rated_value(population: Population, offers: Offers, config: SimConfig, idx: np.ndarray) -> np.ndarray:
    """The experience (m,) customers ``idx`` rate their own firm by (``idx`` must all have a firm).

    Fit and service count as in choice; price only through the segment's
    ``value_for_money`` share, so a cheap, bare offer can be chosen and still
    be rated poorly (stated versus revealed preference).
    """
    return _worth_to(idx, population.firm[idx][:, None], population.needs, offers.offering, offers.price,
                     offers.service, price_weights(population, rated=True), population.service_sensitivity,
                     config.market.behaviour.fit_weight)[:, 0]
