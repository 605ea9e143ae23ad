"""CDNOW: what a richer purchase process would buy, and where the forecast's shortfall lies.

Question: can a process the Pareto/NBD lacks, chosen on the calibration
period alone, forecast CDNOW's holdout better than both standard models?
Two candidates, each fitted by its exact likelihood on the calibration
period (to 1997-09-30) and judged by its unconditional forecast at
1998-06-30, as ODD 8.10 judges the others:

- a two-class mixture of Pareto/NBDs (nine parameters);
- a honeymoon: a customer's purchase rate is ``1 + boost * exp(-age / decay)``
  times its own for its first weeks (age since its first purchase), as
  Fader and Hardie's 2001 CDNOW model let rates change with time; dropout
  as in the Pareto/NBD. The likelihood integrates the dropout time
  numerically (48-point Gauss-Legendre) because the rate's clock and the
  dropout's no longer agree.

Then the weekly gap between the actual and the Pareto/NBD's forecast over
the holdout, by calendar month: where the shortfall is.

Neither candidate is part of the simulator (ODD 8.10 says why).
Usage: ``.venv/bin/python experiments/cdnow_alternatives.py [--calibration-end 1997-09-30]`` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, gammaln

from sim.clv import paretonbd, translog

HOLDOUT_END = "1998-06-30"
NODES, WEIGHTS = np.polynomial.legendre.leggauss(48)


def search(objective, starts: list[np.ndarray]) -> np.ndarray:
    """The best of L-BFGS-B runs from ``starts`` (logs of the parameters)."""
    results = [minimize(objective, start, method="L-BFGS-B", bounds=[(-9.0, 9.0)] * len(start)) for start in starts]
    return min(results, key=lambda result: result.fun).x


def mixture(summary: tuple[np.ndarray, ...], single: np.ndarray, seed: int = 0) -> tuple[float, np.ndarray]:
    """A two-class mixture's log-likelihood and its (weight, class-1 params, class-2 params), 12 random starts."""
    rng = np.random.default_rng(seed)

    def each(theta: np.ndarray) -> np.ndarray:
        weight = expit(theta[0])
        return np.logaddexp(np.log(weight) + paretonbd.log_likelihood(np.exp(theta[1:5]), *summary),
                            np.log1p(-weight) + paretonbd.log_likelihood(np.exp(theta[5:9]), *summary))

    def objective(theta: np.ndarray) -> float:
        value = -float(each(theta).mean())
        return value if np.isfinite(value) else 1e300

    base = np.log(single)
    starts = [np.r_[rng.normal(), base + rng.normal(size=4), base + rng.normal(size=4)] for _ in range(12)]
    best = search(objective, starts)
    return float(each(best).sum()), best


def honeymoon_likelihood(params: np.ndarray, summary: tuple[np.ndarray, ...], ages: np.ndarray) -> float:
    """The honeymoon process's total log-likelihood; ``ages`` are every repeat purchase's weeks since the first."""
    r, alpha, s, beta, boost, decay = params
    x, t_x, T = summary

    def clock(age: np.ndarray) -> np.ndarray:
        return age + boost * decay * -np.expm1(-age / decay)

    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = common - (r + x) * np.log(alpha + clock(T)) + s * np.log(beta / (beta + T))
    half, middle = (T - t_x) / 2, (T + t_x) / 2
    when = middle[:, None] + half[:, None] * NODES[None, :]
    log_f = (-(r + x)[:, None] * np.log(alpha + clock(when)) + np.log(s) + s * np.log(beta)
             - (s + 1) * np.log(beta + when))
    top = log_f.max(axis=1)
    with np.errstate(divide="ignore"):
        dead = common + top + np.log(np.exp(log_f - top[:, None]) @ WEIGHTS * half)
    return float(np.logaddexp(alive, dead).sum() + np.log1p(boost * np.exp(-ages / decay)).sum())


def honeymoon_expected(params: np.ndarray, birth: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A cohort's expected repeat purchases at each of ``at`` (weeks): sum of (r/alpha) int g(a) S(a) da."""
    r, alpha, s, beta, boost, decay = params
    grid = np.linspace(0.0, float(at.max()), 16001)
    rate = (1 + boost * np.exp(-grid / decay)) * (beta / (beta + grid)) ** s
    cumulative = np.concatenate([[0.0], np.cumsum((rate[1:] + rate[:-1]) / 2 * np.diff(grid))]) * r / alpha
    return np.array([np.interp(np.clip(end - birth, 0.0, None), grid, cumulative).sum() for end in at])


def main() -> None:
    """Fit both candidates, print their forecasts beside the Pareto/NBD's, then the holdout's gap by month."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration-end", default="1997-09-30", help="last day of calibration (ISO)")
    args = parser.parse_args()
    started = time.perf_counter()
    log = translog.read_cdnow()
    cohort = translog.build_cohort(log, args.calibration_end, HOLDOUT_END)
    end = pd.Timestamp(args.calibration_end)
    days = log.groupby(["customer", "date"], as_index=False)["amount"].sum()
    days["first"] = days.groupby("customer")["date"].transform("min")
    repeat = days[(days["date"] > days["first"]) & (days["date"] <= end) & (days["first"] <= end)]
    ages = ((repeat["date"] - repeat["first"]) / pd.Timedelta(weeks=1)).to_numpy()
    summary = tuple(cohort.customers[column].to_numpy(dtype=float) for column in ("frequency", "recency", "T"))
    n = cohort.size
    single = paretonbd.fit(cohort.customers)
    base = np.array([single.r, single.alpha, single.s, single.beta])
    at = np.array([cohort.calibration_span, cohort.holdout_span])
    actual = np.array([cohort.customers["frequency"].sum(), cohort.counts.sum()])

    mixed, theta = mixture(summary, base)
    weight, first, second = expit(theta[0]), np.exp(theta[1:5]), np.exp(theta[5:9])
    fits = [paretonbd.ParetoNBDFit(*values, search=None) for values in (first, second)]
    mixture_at = (weight * paretonbd.expected_cumulative(fits[0], cohort.birth, at)
                  + (1 - weight) * paretonbd.expected_cumulative(fits[1], cohort.birth, at))

    def honeymoon_objective(logs: np.ndarray) -> float:
        value = -honeymoon_likelihood(np.exp(logs), summary, ages) / n
        return value if np.isfinite(value) else 1e300

    honeymoon = np.exp(search(honeymoon_objective, [np.log(np.r_[base, boost, decay])
                                                    for boost in (0.5, 2.0) for decay in (4.0, 15.0)]))
    rows = [("Pareto/NBD", 4, single.search.log_likelihood, paretonbd.expected_cumulative(single, cohort.birth, at)),
            ("two-class mixture", 9, mixed, mixture_at),
            ("honeymoon", 6, honeymoon_likelihood(honeymoon, summary, ages),
             honeymoon_expected(honeymoon, cohort.birth, at))]
    table = pd.DataFrame([{"model": name, "parameters": k, "log_likelihood": ll, "bic": -2 * ll + k * np.log(n),
                           "calibration_error": expected[0] / actual[0] - 1,
                           "error_at_end": expected[1] / actual[1] - 1,
                           "holdout_error": (expected[1] - expected[0]) / (actual[1] - actual[0]) - 1}
                          for name, k, ll, expected in rows])
    print(f"calibration to {end.date()}, holdout to {HOLDOUT_END}; {n:,} customers")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"mixture: weight {weight:.3f}, classes (r, alpha, s, beta) {np.round(first, 3)} and {np.round(second, 3)}")
    print("honeymoon (r, alpha, s, beta, boost, decay weeks):", np.round(honeymoon, 3))

    weeks = np.arange(1, cohort.holdout_weeks + 1)
    expected = np.diff(paretonbd.expected_cumulative(single, cohort.birth, np.minimum(weeks, cohort.holdout_span)),
                       prepend=0.0)
    gap = pd.DataFrame({"month": [(cohort.start + pd.Timedelta(weeks=int(week) - 1)).strftime("%Y-%m")
                                  for week in weeks], "actual": cohort.weekly, "paretonbd": expected})
    gap = gap[weeks > cohort.calibration_span].groupby("month")[["actual", "paretonbd"]].sum()
    gap["gap"] = gap["actual"] - gap["paretonbd"]
    print("\nthe holdout by calendar month (weeks by their first day): actual, Pareto/NBD, gap")
    print(gap.round(0).to_string())
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
