"""Customer-base models by their exact likelihood: published fits on the CDNOW sample, and known truths recovered."""

import numpy as np
import pandas as pd
import pytest

from sim.clv import bgnbd, gammagamma, paretonbd, translog
from sim.clv.likelihood import maximise

pytest.importorskip("lifetimes")  # the CDNOW sample ships in its wheel (the calibration extra)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """FHL 2005's CDNOW sample: 2,357 customers, calibration to 1997-09-30, same-day purchases merged, in weeks."""
    return translog.build_cohort(translog.read_cdnow_sample(), "1997-09-30", "1998-06-30").customers


def test_the_pareto_nbd_fit_reproduces_fader_hardie_and_lee_table_2(sample):
    fit = paretonbd.fit(sample)
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    for name, value in published.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.02), name
    assert fit.search.log_likelihood == pytest.approx(-9595.0, abs=0.1)
    assert fit.search.agreeing == fit.search.starts  # every start of the grid reached the same optimum


def test_the_bg_nbd_maximum_likelihood_reproduces_fader_hardie_and_lee_table_2(sample):
    fit = bgnbd.maximum_likelihood(sample)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.02), name
    search = maximise(bgnbd.log_likelihood, sample, ("r", "alpha", "a", "b"), bgnbd.START_GRID)
    assert search.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_the_pareto_nbd_likelihood_is_pymc_marketings(sample):
    pm = pytest.importorskip("pymc")
    pytensor = pytest.importorskip("pytensor")
    from pymc_marketing.clv.distributions import ParetoNBD

    x, t_x, T = (sample[column].to_numpy(dtype=float) for column in ("frequency", "recency", "T"))
    for params in ((0.55, 10.6, 0.61, 11.7), (0.55, 12.6, 0.61, 8.7)):  # alpha above beta, and below
        with pytensor.config.change_flags(mode="FAST_COMPILE"):
            distribution = ParetoNBD.dist(r=params[0], alpha=params[1], s=params[2], beta=params[3], T=T)
            reference = pm.logp(distribution, np.stack([t_x, x], axis=1)).eval()
        assert paretonbd.log_likelihood(np.array(params), x, t_x, T) == pytest.approx(reference, abs=1e-9)


def synthetic_summary(customers: int, r: float, alpha: float, s: float, beta: float, seed: int) -> pd.DataFrame:
    """The (x, t_x, T) of a Pareto/NBD cohort born over 12 weeks and watched to week 52, simulated exactly."""
    rng = np.random.default_rng(seed)
    rate, hazard = rng.gamma(r, 1 / alpha, customers), rng.gamma(s, 1 / beta, customers)
    watched = 52 - rng.uniform(0, 12, customers)
    alive = np.minimum(rng.exponential(1 / hazard), watched)
    frequency = rng.poisson(rate * alive)
    recency = np.where(frequency > 0, alive * rng.beta(np.maximum(frequency, 1), 1), 0.0)  # the last of x uniforms
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": watched})


def test_a_synthetic_log_with_known_parameters_is_recovered_within_its_intervals():
    truth = {"r": 0.8, "alpha": 8.0, "s": 0.5, "beta": 12.0}
    fit = paretonbd.fit(synthetic_summary(5000, **truth, seed=0))
    for name, value in truth.items():
        low, high = fit.search.intervals[name]
        assert low <= value <= high, (name, low, getattr(fit, name), high)
        assert high - low < getattr(fit, name)  # an interval that says something


def test_the_dials_are_the_fitted_process_in_years():
    fit = paretonbd.ParetoNBDFit(r=0.5, alpha=10.0, s=0.6, beta=12.0, search=None)
    dials = paretonbd.purchase_dials(fit, amount_shape=2.0)
    weeks_per_year = 365.25 / 7
    assert dials.process == "poisson" and dials.amount_shape == 2.0
    assert dials.rate == pytest.approx(0.05 * weeks_per_year) and dials.rate_shape == 0.5
    assert dials.dropout == pytest.approx(0.05 * weeks_per_year) and dials.dropout_shape == 0.6


def test_the_gamma_gamma_fit_reproduces_fader_and_hardie_2013(sample):
    fit = gammagamma.fit(sample)  # the 946 customers of the sample who bought again by 1997-09-30
    assert fit.search.customers == 946
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.02), name
    assert fit.search.log_likelihood == pytest.approx(-4055.92, abs=0.01)
