"""Customer metrics as pure functions of arrays: NPS, retention, CLV, customer equity, and the theory models dock to.

Each function takes plain numbers or numpy arrays and returns numbers, so the
same definitions serve the model, the result tables and the tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.config.schema import SimConfig

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def nps_from_counts(
    promoters: np.ndarray | float, detractors: np.ndarray | float, respondents: np.ndarray | float
) -> np.ndarray | float:
    """NPS in points (-100..100) from counts; a group without respondents has none (``nan``)."""
    respondents = np.asarray(respondents, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        nps = np.where(respondents > 0, 100.0 * (np.asarray(promoters) - np.asarray(detractors)) / respondents,
                       np.nan)
    return nps if nps.ndim else float(nps)


def net_promoter_score(scores: np.ndarray) -> float:
    """NPS in points (-100..100): share of 9-10 scores minus share of 0-6 scores."""
    scores = np.asarray(scores)
    return nps_from_counts(np.count_nonzero(scores >= PROMOTER_MIN), np.count_nonzero(scores <= DETRACTOR_MAX),
                           scores.size)


def retention_rate(at_risk: np.ndarray | float, churned: np.ndarray | float) -> np.ndarray | float:
    """Share of the customers held at the start of a period still held at its end."""
    at_risk = np.asarray(at_risk, dtype=float)
    churned = np.asarray(churned, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(at_risk > 0, 1.0 - churned / np.where(at_risk > 0, at_risk, 1.0), np.nan)
    return rate if rate.ndim else float(rate)


def periodic_rate(annual_rate: float, periods_per_year: int) -> float:
    """Per-period discount rate equivalent to ``annual_rate`` compounded per period."""
    return (1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0


def customer_lifetime_value(
    margin: np.ndarray | float, retention: np.ndarray | float, discount: float
) -> np.ndarray | float:
    """CLV with constant retention: ``m * r / (1 + i - r)``.

    Margins are counted from the next period on (the customer must first be
    retained), discounted at ``discount`` per period.
    """
    margin = np.asarray(margin, dtype=float)
    retention = np.clip(np.asarray(retention, dtype=float), 0.0, 1.0)
    value = margin * retention / (1.0 + discount - retention)
    return value if value.ndim else float(value)


def customer_equity(
    margin: np.ndarray, retention: np.ndarray, discount: float, customers: np.ndarray | float = 1.0
) -> float:
    """Customer equity: the sum of the CLVs of the customers held now.

    ``margin`` and ``retention`` describe groups of ``customers`` alike (one
    customer each by default).
    """
    return float(np.sum(customers * customer_lifetime_value(margin, retention, discount)))


def bass_cumulative(t: np.ndarray | float, p: float, q: float) -> np.ndarray | float:
    """Bass model cumulative adoption F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    decay = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - decay) / (1.0 + (q / p) * decay)


def logit_shares(utilities: np.ndarray, outside_utility: float) -> np.ndarray:
    """Multinomial-logit choice shares (f,) of firms with mean ``utilities`` beside an outside option."""
    weights = np.exp(np.asarray(utilities, dtype=float) - outside_utility)
    return weights / (1.0 + weights.sum())


def logit_nash_prices(
    price_sensitivity: float, costs: np.ndarray, qualities: np.ndarray, outside_utility: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bertrand-Nash prices and shares of single-product firms facing logit demand with an outside option.

    A customer's utility of firm ``j`` is ``qualities[j] - price_sensitivity *
    price[j]`` plus a Gumbel taste shock; buying nothing is worth
    ``outside_utility``. Each firm's first-order condition is the markup rule
    ``p_j - c_j = 1 / (alpha (1 - s_j))`` (Anderson, de Palma & Thisse 1992);
    the fixed point is solved numerically, as asymmetric costs or qualities
    have no closed form. One firm gives the monopoly price.
    """
    from scipy.optimize import root  # scipy loads only for the docking reference

    costs, qualities = np.asarray(costs, dtype=float), np.asarray(qualities, dtype=float)

    def markup_gap(prices: np.ndarray) -> np.ndarray:
        shares = logit_shares(qualities - price_sensitivity * prices, outside_utility)
        return prices - costs - 1.0 / (price_sensitivity * (1.0 - shares))

    solved = root(markup_gap, costs + 1.0 / price_sensitivity, tol=1e-13)
    if not solved.success:
        raise ArithmeticError(f"no logit-Nash equilibrium found: {solved.message}")
    prices = solved.x
    return prices, logit_shares(qualities - price_sensitivity * prices, outside_utility)


def logit_docking_equilibrium(config: SimConfig) -> dict[str, tuple[float, float]]:
    """Each firm's Bertrand-Nash price and share in a ``scenario=logit_docking`` market (ODD 8.11).

    There the one segment's customers know every firm and choose by
    ``alpha (1 - p) + service_sensitivity x service`` against the outside
    option, so a firm's quality is ``alpha + service_sensitivity x service``
    and its unit cost its goods plus its service cost.
    """
    segment = next(iter(config.segments.values()))
    names = list(config.firms)
    service = np.array([config.firms[name].service for name in names])
    costs = np.array([config.firms[name].unit_cost for name in names]) + config.market.costs.service_cost * service**2
    qualities = segment.price_sensitivity + segment.service_sensitivity * service
    prices, shares = logit_nash_prices(segment.price_sensitivity, costs, qualities,
                                       config.market.behaviour.outside_utility)
    return {name: (float(price), float(share)) for name, price, share in zip(names, prices, shares, strict=True)}
