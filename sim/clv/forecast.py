"""A calibration study: fit the simulator to a cohort, forecast its holdout, and set the standard models beside it.

One function, :func:`study`, does what ``market-sim-calibrate`` and
``experiments/cdnow.py`` both run: calibrate a segment's purchase process
(:mod:`sim.clv.calibration`: by the Pareto/NBD's exact likelihood, or by
simulated moments), simulate the whole horizon in fresh cohorts, fit the
benchmarks on the same split (Pareto/NBD by maximum likelihood,
:mod:`sim.clv.paretonbd`; BG/NBD by pymc-marketing's MAP, :mod:`sim.clv.bgnbd`),
and compare each with what the customers really did, in aggregate (the weekly
cumulative curve) and one by one (conditional expected holdout purchases).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.clv import bgnbd, calibration, paretonbd
from sim.clv.translog import Cohort
from sim.output.files import atomic_write_text, write_figure, write_table

FREQUENCY_GROUPS = 8  # customers compared by calibration repeat purchases 0..6 and 7+
MODELS = ("simulator", "paretonbd", "bgnbd")


@dataclass
class Study:
    """Everything a calibration study found.

    Attributes:
        cohort: the real cohort.
        at_cut: cumulative repeat purchases at the exact end of calibration, per series (actual and each
            model's), which the holdout totals are counted from.
        fit: the calibrated purchase process.
        bgnbd: the BG/NBD point estimates, or ``None`` when pymc-marketing is not installed.
        paretonbd: the Pareto/NBD maximum likelihood estimates.
        weekly: tidy weekly cumulative repeat purchases: ``week``, ``series`` (actual, simulator,
            simulator_low, simulator_high, paretonbd, bgnbd) and ``cumulative``.
        customers: the calibration summary with holdout purchases ``actual``, ``simulator``, ``paretonbd``
            and ``bgnbd``.
        replicates: fresh simulated cohorts behind the simulator's forecast.
    """

    cohort: Cohort
    fit: calibration.Fit
    bgnbd: object | None
    paretonbd: paretonbd.ParetoNBDFit
    weekly: pd.DataFrame
    customers: pd.DataFrame
    replicates: int
    at_cut: dict[str, float]

    @property
    def curves(self) -> pd.DataFrame:
        """The weekly table wide: one column per series, indexed by week."""
        return self.weekly.pivot(index="week", columns="series", values="cumulative")

    def errors(self) -> pd.DataFrame:
        """Each forecast against the actual: at the holdout end, over the holdout alone, and per customer."""
        wide = self.curves
        end, cut = self.cohort.holdout_weeks, self.cohort.calibration_weeks
        actual = wide["actual"]
        truth = actual[end] - self.at_cut["actual"]
        rows = []
        for model in [m for m in MODELS if m in wide]:
            predicted = wide[model]
            holdout = predicted[end] - self.at_cut[model]
            per_customer = self.customers[model] - self.customers["actual"]
            rows.append({
                "model": model,
                "cumulative_at_end": predicted[end],
                "error_at_end": predicted[end] / actual[end] - 1,
                "holdout_purchases": holdout,
                "holdout_error": holdout / truth - 1,
                "weekly_mape_holdout": float((predicted[cut + 1:] / actual[cut + 1:] - 1).abs().mean()),
                "customer_mae": float(per_customer.abs().mean()),
                "customer_rmse": float(np.sqrt((per_customer**2).mean())),
            })
        return pd.DataFrame(rows)

    def by_frequency(self) -> pd.DataFrame:
        """Mean holdout purchases by calibration repeat purchases (0..6, 7+): actual and each model's expectation."""
        group = np.minimum(self.customers["frequency"], FREQUENCY_GROUPS - 1).rename("frequency")
        columns = [c for c in ("actual", *MODELS) if c in self.customers]
        table = self.customers[columns].groupby(group).mean()
        table.insert(0, "customers", group.value_counts().sort_index())
        return table.reset_index()


def study(cohort: Cohort, seed: int = 0, iterations: int = 40, replicates: int = 20, benchmark: bool = True,
          cohorts: int = 3, on_progress: Callable[[str], None] = print, method: str = "likelihood") -> Study:
    """Calibrate, forecast, benchmark (see the module docstring); ``on_progress`` gets one line per stage.

    ``method`` is how the simulator's process is fitted: ``likelihood`` (the
    default: the simulated process is the Pareto/NBD, so its exact
    likelihood fits it) or ``moments`` (simulated moments, for processes
    without a closed-form likelihood; ``iterations`` and ``cohorts`` tune it).
    Raises ImportError at once when ``benchmark`` is asked for without pymc-marketing.
    """
    if benchmark:
        bgnbd.require()
    if method == "likelihood":
        on_progress(f"calibrating on {cohort.size:,} customers, {cohort.calibration_weeks} weeks "
                    f"(Pareto/NBD maximum likelihood)")
        fit = calibration.calibrate_by_likelihood(cohort)
    else:
        on_progress(f"calibrating on {cohort.size:,} customers, {cohort.calibration_weeks} weeks "
                    f"(simulated moments: differential evolution, at most {iterations} generations, "
                    f"{cohorts} simulated cohorts per evaluation)")
        fit = calibration.calibrate(cohort, seed=seed, iterations=iterations, cohorts=cohorts)
    on_progress(f"calibrated in {fit.seconds:.1f} s; forecasting in {replicates} fresh cohorts")
    runs = calibration.simulate(fit.purchases, cohort.birth, cohort.holdout_weeks, cohort.calibration_weeks,
                                seed=seed + 1, replicates=replicates, continuous=fit.method == "likelihood",
                                cut=cohort.calibration_span, end=cohort.holdout_span)
    paths = np.cumsum(runs.paths, axis=1)
    weeks = np.arange(1, cohort.holdout_weeks + 1)
    ends = np.minimum(weeks, cohort.holdout_span)  # the last week ends on the holdout's last day
    exact = np.array([cohort.calibration_span, cohort.holdout_span])
    at_cut = {"actual": float(cohort.customers["frequency"].sum()),
              "simulator": float(runs.calibration.sum()) / replicates}
    series = {"actual": np.cumsum(cohort.weekly), "simulator": paths.mean(axis=0),
              "simulator_low": np.quantile(paths, 0.05, axis=0), "simulator_high": np.quantile(paths, 0.95, axis=0)}
    customers = cohort.customers.rename(columns={"holdout": "actual"})
    customers["simulator"] = calibration.conditional_expected(runs, cohort)
    horizon = cohort.holdout_span - cohort.calibration_span
    pareto = (paretonbd.ParetoNBDFit(**fit.likelihood.values, search=fit.likelihood)  # the same fit: not twice
              if fit.likelihood is not None else paretonbd.fit(cohort.customers))
    series["paretonbd"] = paretonbd.expected_cumulative(pareto, cohort.birth, ends)
    at_cut["paretonbd"] = float(paretonbd.expected_cumulative(pareto, cohort.birth, exact)[0])
    customers["paretonbd"] = paretonbd.conditional_expected(pareto, cohort.customers, horizon)
    fitted = None
    if benchmark:
        on_progress("fitting BG/NBD (pymc-marketing, MAP)")
        summary = cohort.customers.rename(columns={"customer": "customer_id"})
        fitted = bgnbd.fit(summary)
        series["bgnbd"] = bgnbd.expected_cumulative(fitted, cohort.birth, ends)
        at_cut["bgnbd"] = float(bgnbd.expected_cumulative(fitted, cohort.birth, exact)[0])
        customers["bgnbd"] = bgnbd.conditional_expected(fitted, summary, horizon)
    weekly = pd.DataFrame([{"week": week, "series": name, "cumulative": float(value)}
                           for name, values in series.items() for week, value in zip(weeks, values, strict=True)])
    return Study(cohort=cohort, fit=fit, bgnbd=fitted, paretonbd=pareto, weekly=weekly, customers=customers,
                 replicates=replicates, at_cut=at_cut)


def report(result: Study) -> str:
    """The study as text: the cohort, the fitted process, and both forecasts against the actual."""
    cohort, fit, p = result.cohort, result.fit, result.fit.purchases
    end = cohort.start + pd.Timedelta(days=round(cohort.holdout_span * 7)) - pd.Timedelta(days=1)
    cut = cohort.start + pd.Timedelta(days=round(cohort.calibration_span * 7)) - pd.Timedelta(days=1)
    in_calibration = int(cohort.customers["frequency"].sum())
    lines = [
        f"cohort: {cohort.size:,} customers, first purchases from {cohort.start.date()}; "
        f"calibration to {cut.date()} ({cohort.calibration_span:.2f} weeks), holdout to {end.date()} "
        f"({cohort.holdout_span:.2f} weeks); purchases on one day count once, time is counted in days",
        *([f"note: the log's last purchase is on {cohort.log_end.date()}, "
           f"{(end - cohort.log_end).days} day(s) before the holdout's end: the actual counts nobody buying then"]
          if cohort.log_end < end else []),
        f"repeat purchases: {in_calibration:,} in calibration, "
        f"{int(cohort.weekly.sum()) - in_calibration:,} in the holdout",
        "",
        "calibrated purchase process (" + ("the Pareto/NBD's exact likelihood" if fit.method == "likelihood"
                                          else "method of simulated moments, differential evolution") + "):",
        f"  purchase rate   mean {p.rate:.3f} per year, gamma shape {p.rate_shape:.3f}",
        f"  dropout hazard  mean {p.dropout:.3f} per year, gamma shape {p.dropout_shape:.3f}",
        f"  per purchase    mean {fit.amount_mean:.2f}, gamma shape {p.amount_shape:.3f} "
        + (f"(gamma-gamma: p {fit.spend.p:.3f}, q {fit.spend.q:.3f}, gamma {fit.spend.gamma:.3f}, over "
           f"{fit.spend.search.customers:,} repeat buyers)" if fit.spend is not None else "(moments of the log)"),
    ]
    if fit.likelihood is not None:
        search = fit.likelihood
        lines.append(f"  log-likelihood {search.log_likelihood:,.1f}; {search.agreeing} of {search.starts} starts "
                     f"reached it; {search.seconds:.1f} s")
    else:
        lines.append(f"  objective {fit.objective:.3f} (mean squared z-score over {fit.moments} moments), "
                     f"{fit.evaluations} simulated cohorts, {fit.seconds:.0f} s")
    if fit.purchases.dropout > 0:
        lines.append(f"  as a closed segment it keeps {fit.remaining(10):.0%} of its customers after 10 years: "
                     f"give it arrivals (segments.<name>.arrivals, about {1 - fit.remaining(1):.2f} a year "
                     f"holds its first year) or it shrinks the market")
    q = result.paretonbd
    lines.append(f"Pareto/NBD (maximum likelihood): r {q.r:.3f}, alpha {q.alpha:.3f} weeks, s {q.s:.3f}, "
                 f"beta {q.beta:.3f} weeks (log-likelihood {q.search.log_likelihood:,.1f})")
    if result.bgnbd is not None:
        b = result.bgnbd
        lines.append(f"BG/NBD (pymc-marketing MAP): r {b.r:.3f}, alpha {b.alpha:.3f} weeks, a {b.a:.3f}, "
                     f"b {b.b:.3f} ({b.seconds:.0f} s)")
    wide = result.curves
    fitted, actual = result.at_cut["simulator"], result.at_cut["actual"]
    lines.append(f"fit to the calibration period: {fitted:,.0f} simulated repeat purchases by {cut.date()} "
                 f"against {actual:,.0f} ({fitted / actual - 1:+.1%})")
    actual = wide["actual"].iloc[-1]
    lines += ["", f"cumulative repeat purchases at {end.date()} (week {cohort.holdout_span:.2f}): "
                  f"actual {actual:,.0f}; "
                  f"simulator 90% Monte Carlo range {wide['simulator_low'].iloc[-1]:,.0f}-"
                  f"{wide['simulator_high'].iloc[-1]:,.0f} over {result.replicates} cohorts", ""]
    errors = result.errors()
    lines.append(errors.to_string(index=False, formatters={
        "cumulative_at_end": "{:,.0f}".format, "holdout_purchases": "{:,.0f}".format,
        "error_at_end": "{:+.1%}".format, "holdout_error": "{:+.1%}".format,
        "weekly_mape_holdout": "{:.1%}".format, "customer_mae": "{:.3f}".format,
        "customer_rmse": "{:.3f}".format}))
    lines += ["", "mean holdout purchases per customer by calibration repeat purchases (7 = 7 or more):",
              result.by_frequency().to_string(index=False, float_format="{:.3f}".format)]
    return "\n".join(lines)


def segment_yaml(result: Study, source: str) -> str:
    """The calibrated segment's purchase block, to paste under a segment in ``conf/segments``."""
    p = result.fit.purchases
    block = {"purchases": {"process": "poisson", **{k: round(float(v), 6) for k, v in asdict(p).items()
                                                      if k != "process"}}}
    head = (f"# Calibrated by market-sim-calibrate on {source} ({result.cohort.size:,} customers).\n"
            f"# Paste under a segment of conf/segments; its spend stays in the market's units (the log's mean\n"
            f"# per purchase was {result.fit.amount_mean:.4g}, {result.fit.amount_mean * p.rate / 12:.4g} a month "
            f"at the mean rate).\n")
    return head + yaml.safe_dump(block, sort_keys=False)


def write(result: Study, out: Path, source: str) -> None:
    """Write the study's tables, figure, fitted segment and report to ``out`` (each file atomically)."""
    from sim.output.figures import forecast_figure

    out.mkdir(parents=True, exist_ok=True)
    write_table(result.weekly, out / "weekly.parquet")
    write_table(result.customers, out / "customers.parquet")
    write_table(result.errors(), out / "errors.parquet")
    write_figure(forecast_figure(result.weekly, result.by_frequency(), result.cohort.calibration_weeks),
                 out / "forecast.png")
    atomic_write_text(out / "segment.yaml", segment_yaml(result, source))
    fit = {"method": result.fit.method, "purchases": asdict(result.fit.purchases),
           "amount_mean": result.fit.amount_mean,
           "objective": result.fit.objective, "moments": result.fit.moments, "evaluations": result.fit.evaluations,
           "likelihood": None if result.fit.likelihood is None else asdict(result.fit.likelihood),
           "seconds": result.fit.seconds, "bgnbd": None if result.bgnbd is None else asdict(result.bgnbd),
           "paretonbd": {name: getattr(result.paretonbd, name) for name in paretonbd.PARAMETERS},
           "gammagamma": None if result.fit.spend is None else asdict(result.fit.spend.search),
           "overrides": result.fit.market_overrides()}
    atomic_write_text(out / "fit.json", json.dumps(fit, indent=2, allow_nan=False) + "\n")
    atomic_write_text(out / "report.md", report(result) + "\n")
