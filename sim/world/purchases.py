"""When customers buy, how much, and when they leave the market for good: the purchase process.

A customer with a firm buys at a personal Poisson rate and drops out at a
personal hazard, both gamma-distributed across the customers of a segment
(the Pareto/NBD's assumptions, so a simulated transaction log can be set
beside a real one and beside the standard CLV models). The market model
calls these per step; :mod:`sim.clv.calibration` calls the same functions to
simulate a cohort. Rates and hazards are per year; ``dt`` is the length of a
step in years, or an array of each customer's exposure in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.config.schema import PurchaseConfig


@dataclass
class Habits:
    """Each customer's purchase habits, (n,) arrays drawn once.

    Attributes:
        poisson: whether the customer buys by the Poisson process (else steadily, its spend every step).
        rate: purchases per year (Poisson customers).
        per_purchase: mean worth of one purchase (Poisson customers).
        amount_shape: gamma shape of a purchase's worth around ``per_purchase`` (0: exactly it).
        dropout: hazard per year of leaving the market for good.
    """

    poisson: np.ndarray
    rate: np.ndarray
    per_purchase: np.ndarray
    amount_shape: np.ndarray
    dropout: np.ndarray


def draw_habits(
    purchases: Sequence[PurchaseConfig],
    segment: np.ndarray,
    spend: np.ndarray,
    steps_per_year: int,
    rng: np.random.Generator,
) -> Habits:
    """Draw each customer's rate and dropout hazard from its segment's gamma distributions.

    ``spend`` (n,) is each customer's mean spend per step; a Poisson customer
    is worth ``spend * steps_per_year / rate`` per purchase, so at its
    segment's mean rate it spends ``spend`` per step on average. Segments
    that buy steadily and never drop out draw nothing, so a market of them
    uses no random numbers here.
    """

    def per_segment(name: str) -> np.ndarray:
        return np.array([getattr(p, name) for p in purchases], dtype=float)[segment]

    poisson = np.array([p.process == "poisson" for p in purchases])[segment]
    mean_rate, rate_shape = per_segment("rate"), per_segment("rate_shape")
    mean_dropout, dropout_shape = per_segment("dropout"), per_segment("dropout_shape")
    rate = np.where(poisson, mean_rate, 0.0)
    if poisson.any():
        rate[poisson] = rng.gamma(rate_shape[poisson], mean_rate[poisson] / rate_shape[poisson])
    dropout = np.zeros(segment.size)
    leaving = mean_dropout > 0
    if leaving.any():
        dropout[leaving] = rng.gamma(dropout_shape[leaving], mean_dropout[leaving] / dropout_shape[leaving])
    per_purchase = np.where(poisson, spend * steps_per_year / mean_rate, 0.0)
    return Habits(poisson=poisson, rate=rate, per_purchase=per_purchase,
                  amount_shape=np.where(poisson, per_segment("amount_shape"), 0.0), dropout=dropout)


def count_purchases(habits: Habits, who: np.ndarray, dt: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Purchases (m,) that Poisson customers ``who`` make in a step of ``dt`` years."""
    return rng.poisson(habits.rate[who] * dt)


def purchase_worth(habits: Habits, who: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What ``counts`` purchases of customers ``who`` are worth together (m,).

    A sum of ``c`` independent gamma draws of shape ``k`` is one gamma draw of
    shape ``c k``, so a customer's step costs one draw however often it buys.
    """
    each, shape = habits.per_purchase[who], habits.amount_shape[who]
    worth = counts * each
    varied = (shape > 0) & (counts > 0)
    if varied.any():
        worth[varied] = rng.gamma(counts[varied] * shape[varied], each[varied] / shape[varied])
    return worth


def drop_out(habits: Habits, who: np.ndarray, dt: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Which of customers ``who`` (a bool mask over them) leave the market for good in a step of ``dt`` years."""
    return rng.random(who.size) < -np.expm1(-habits.dropout[who] * dt)


def still_present(dropout: float, dropout_shape: float, years: float | np.ndarray) -> float | np.ndarray:
    """The share of a segment's customers not yet dropped out after ``years``.

    The gamma-mixed exponential's survival, ``(1 + dropout t / shape) ** -shape``:
    the Pareto/NBD's chance of being alive before any purchase is seen.
    """
    return (1.0 + dropout * np.asarray(years, dtype=float) / dropout_shape) ** -dropout_shape


def time_alive(habits: Habits, who: np.ndarray, dt: np.ndarray, leaving: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """How long (years) each of customers ``who`` was in the market in a step of ``dt`` (m,) years.

    Those ``leaving`` (a bool mask over them, from :func:`drop_out`) left at an
    exponential time given that it fell within the step: the inverse of the
    truncated distribution, ``-log(1 - u (1 - exp(-hazard dt))) / hazard``.
    The rest were there all step. A forecast that buys over this time, not
    over the whole step or none of it, is the continuous-time process exactly.
    """
    alive = np.array(dt, dtype=float, copy=True)
    if leaving.any():
        hazard, span = habits.dropout[who[leaving]], alive[leaving]
        alive[leaving] = -np.log1p(-rng.random(hazard.size) * -np.expm1(-hazard * span)) / hazard
    return alive
