"""The gamma-gamma model of what a purchase is worth (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

Each purchase of a customer is worth a gamma(p, nu) draw; nu varies across
customers as gamma(q, gamma). It is fitted by its exact likelihood to each
repeat buyer's number of repeat purchases and their mean worth, the
``frequency`` and ``monetary`` columns of a cohort's summary
(:func:`sim.clv.translog.build_cohort`). Its ``p`` is the shape of a purchase's
worth around a customer's own mean: the segment's ``purchases.amount_shape``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln

from sim.clv.likelihood import Estimate, maximise

PARAMETERS = ("p", "q", "gamma")
#: Starting points of the search: every combination of these for (p, q, gamma).
START_GRID = ((0.5, 5.0), (1.5, 10.0), (1.0, 20.0))


@dataclass(frozen=True)
class GammaGammaFit:
    """Maximum likelihood estimates of the gamma-gamma model and how they were found."""

    p: float
    q: float
    gamma: float
    search: Estimate

    @property
    def mean_worth(self) -> float:
        """The population's mean worth of a purchase, p gamma / (q - 1) (infinite for q <= 1)."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("inf")


def log_likelihood(params: np.ndarray, frequency: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    """Each repeat buyer's log-likelihood of its mean purchase worth ``monetary`` over ``frequency`` purchases."""
    p, q, gamma = params
    x, m = frequency, monetary
    return (-betaln(p * x, q) + q * np.log(gamma) + (p * x - 1.0) * np.log(m) + p * x * np.log(x)
            - (p * x + q) * np.log(gamma + m * x))


def fit(summary: pd.DataFrame) -> GammaGammaFit:
    """Maximum likelihood fit to the customers with at least one repeat purchase of positive worth."""
    buyers = summary[(summary["frequency"] > 0) & (summary["monetary"] > 0)]
    search = maximise(log_likelihood, buyers, PARAMETERS, START_GRID, columns=("frequency", "monetary"))
    return GammaGammaFit(**search.values, search=search)
