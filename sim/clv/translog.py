"""A real transaction log, read and checked, and the cohort view every CLV study takes of it.

A log is one row per transaction: who bought, when, for how much. The
cohort view follows the customers who first bought before the calibration
end: week by week repeat purchases (every purchase day after a customer's
first counts once, as in the BG/NBD literature), and per customer the
calibration summary (frequency, recency, T in weeks) and the holdout count.
Time runs in weeks from the cohort's week 0, the day of its first purchase.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ("customer", "date", "amount")
"""The fields a log must give; ``columns.<field>=<name>`` maps them to a file's own headings."""
DAYS_PER_YEAR = 365.25
"""Days in a year: a log's time is counted in days, the segment's dials are per year."""
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7
"""Weeks of seven days in a year: the unit the summaries and the literature's parameters use."""


class LogError(ValueError):
    """A transaction log cannot be used; the message says what is wrong and where, on one line."""


def _where(bad: pd.Series) -> str:
    first = int(np.flatnonzero(bad.to_numpy())[0])
    count = int(bad.sum())
    return f"line {first + 2} of the file" + (f" and {count - 1} more line(s)" if count > 1 else "")


def check_log(raw: pd.DataFrame, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """The log as ``customer`` (str), ``date`` (datetime64) and ``amount`` (float) columns, or :class:`LogError`.

    Missing columns, empty logs, unparseable dates and negative or
    non-numeric amounts are refused with the first offending row, so a
    calibration never runs on a silently mangled log.
    """
    names = {field: (columns or {}).get(field, field) for field in COLUMNS}
    missing = [f"{name!r}" for name in names.values() if name not in raw.columns]
    if missing:
        found = ", ".join(repr(str(c)) for c in raw.columns) or "none"
        raise LogError(f"missing column(s) {', '.join(missing)}; found {found}; name yours with "
                       f"columns.customer=<heading> (or .date, .amount)")
    if raw.empty:
        raise LogError("the log has no transactions")
    customer = raw[names["customer"]]
    if customer.isna().any():
        raise LogError(f"column {names['customer']!r}: empty customer id at {_where(customer.isna())}")
    text = raw[names["date"]].astype(str).str.strip()
    date = pd.to_datetime(text, errors="coerce", format="mixed")
    if date.isna().any():
        bad = date.isna()
        example = text[bad].iloc[0]
        raise LogError(f"column {names['date']!r}: cannot read {example!r} as a date at {_where(bad)} "
                       f"(use ISO dates, 1997-01-31)")
    amount = pd.to_numeric(raw[names["amount"]], errors="coerce")
    if amount.isna().any() or not np.isfinite(amount).all():
        bad = amount.isna() | ~np.isfinite(amount.fillna(0))
        raise LogError(f"column {names['amount']!r}: {raw[names['amount']][bad].iloc[0]!r} is not a number at "
                       f"{_where(bad)}")
    if (amount < 0).any():
        bad = amount < 0
        raise LogError(f"column {names['amount']!r}: negative amount {amount[bad].iloc[0]:g} at {_where(bad)} "
                       f"(returns are not purchases; drop or net them first)")
    return pd.DataFrame({"customer": customer.astype(str).to_numpy(), "date": date.dt.normalize().to_numpy(),
                         "amount": amount.astype(float).to_numpy()})


def read_log(path: Path, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Read and check a CSV log (:func:`check_log`); a file that is not a readable CSV is a :class:`LogError`."""
    if not path.is_file():
        raise LogError(f"no file {path}")
    try:
        raw = pd.read_csv(path, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise LogError(f"{path} is not a readable CSV file: {str(error).splitlines()[0]}") from None
    return check_log(raw, columns)


def cdnow_path(name: str = "CDNOW_master.txt") -> Path:
    """Where a CDNOW file is: inside the installed ``lifetimes`` wheel (MIT), read as a file, not imported.

    ``CDNOW_master.txt`` is the whole log (23,570 customers); ``CDNOW_sample.txt``
    the 2,357-customer sample Fader, Hardie and Lee (2005) fitted.
    """
    try:
        files = importlib.metadata.files("lifetimes") or []
    except importlib.metadata.PackageNotFoundError:
        raise LogError("the CDNOW log ships in the lifetimes wheel: pip install -e '.[calibration]'") from None
    for file in files:
        if file.name == name:
            return Path(file.locate())
    raise LogError(f"the installed lifetimes wheel has no datasets/{name}")


def read_cdnow(path: Path | None = None) -> pd.DataFrame:
    """The CDNOW master log (id, date YYYYMMDD, CDs, dollars; whitespace-separated), checked like any log."""
    raw = pd.read_csv(path or cdnow_path(), sep=r"\s+", header=0, names=["customer", "date", "cds", "amount"],
                      dtype=str)
    return check_log(raw)


def read_cdnow_sample() -> pd.DataFrame:
    """The CDNOW sample (id, panel id, date YYYYMMDD, CDs, dollars; whitespace-separated, no header), checked."""
    raw = pd.read_csv(cdnow_path("CDNOW_sample.txt"), sep=r"\s+", header=None,
                      names=["customer", "panel", "date", "cds", "amount"], dtype=str)
    return check_log(raw)


@dataclass
class Cohort:
    """The customers who first bought by the calibration end, seen week by week.

    Attributes:
        start: the cohort's week 0 (its first purchase day).
        calibration_weeks, holdout_weeks: whole or partial weeks from ``start`` to the end of each period (the
            rows of a weekly table; the last may end before seven days are up).
        calibration_span, holdout_span: weeks from ``start`` to the end of each period's last day, exactly:
            a forecast runs to these, never past the given dates.
        log_end: the day of the log's last purchase.
        birth: (n,) each customer's first purchase, in weeks since ``start``.
        counts: (n, holdout_weeks) each customer's repeat purchases week by week.
        calibration_counts: (n, calibration_weeks) the same, counting only purchases by the calibration end
            (a week the end falls in holds only its days up to the end).
        customers: per customer (in the order of ``birth`` and ``counts``) ``customer``, ``frequency``,
            ``recency``, ``T`` (the calibration summary BG/NBD takes, in weeks), ``monetary`` (the mean worth
            of its repeat purchases in calibration, 0 if none) and ``holdout`` (repeat purchases after the
            calibration end).
        amounts: (m,) what each repeat purchase day in the calibration period was worth.
    """

    start: pd.Timestamp
    calibration_weeks: int
    holdout_weeks: int
    calibration_span: float
    holdout_span: float
    log_end: pd.Timestamp
    birth: np.ndarray
    counts: np.ndarray
    calibration_counts: np.ndarray
    customers: pd.DataFrame
    amounts: np.ndarray

    @property
    def size(self) -> int:
        """Customers in the cohort."""
        return self.birth.size

    @property
    def weekly(self) -> np.ndarray:
        """(holdout_weeks,) the cohort's repeat purchases week by week."""
        return self.counts.sum(axis=0)


def _day(value: str | pd.Timestamp, field: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise LogError(f"{field}: cannot read {value!r} as a date (use ISO dates, 1997-09-30)") from None


def build_cohort(log: pd.DataFrame, calibration_end: str | pd.Timestamp, holdout_end: str | pd.Timestamp) -> Cohort:
    """The cohort view of a checked log (:func:`check_log`) for one calibration/holdout split.

    A customer's purchases on one day are one purchase (a basket); the
    cohort is everyone whose first purchase falls by ``calibration_end``, and
    transactions after ``holdout_end`` are left out. Both periods end at the
    end of their given day, not at the end of a week. A log's last purchase
    need not be its last day of observation, so a holdout may end after it;
    :attr:`Cohort.log_end` keeps it, and the report says so when it does.
    """
    calibration, holdout = _day(calibration_end, "calibration_end"), _day(holdout_end, "holdout_end")
    if holdout <= calibration:
        raise LogError(f"holdout_end: must be after calibration_end ({calibration.date()}), got {holdout.date()}")
    days = log.groupby(["customer", "date"], sort=True, as_index=False)["amount"].sum()
    first = days.groupby("customer")["date"].transform("min")
    days = days[(first <= calibration) & (days["date"] <= holdout)].assign(first=first)
    if days.empty:
        raise LogError(f"calibration_end: nobody bought by {calibration.date()}")
    start = days["first"].min()
    if holdout < start + pd.Timedelta(weeks=2):
        raise LogError(f"holdout_end: must leave at least two weeks after the first purchase ({start.date()})")

    def weeks(stamp: pd.Series | pd.Timestamp) -> pd.Series | float:
        return (stamp - start) / pd.Timedelta(weeks=1)

    calibration_weeks = int(np.ceil(weeks(calibration + pd.Timedelta(days=1))))
    holdout_weeks = int(np.ceil(weeks(holdout + pd.Timedelta(days=1))))
    repeat = days[days["date"] > days["first"]]
    in_calibration = repeat[repeat["date"] <= calibration]
    people = days.groupby("customer").agg(first=("first", "first"))
    counts = np.zeros((len(people), holdout_weeks), dtype=np.int32)
    np.add.at(counts, (people.index.get_indexer(repeat["customer"]), np.floor(weeks(repeat["date"])).astype(int)), 1)
    calibration_counts = np.zeros((len(people), calibration_weeks), dtype=np.int32)
    np.add.at(calibration_counts, (people.index.get_indexer(in_calibration["customer"]),
                                   np.floor(weeks(in_calibration["date"])).astype(int)), 1)
    counted = in_calibration.groupby("customer").agg(frequency=("date", "size"), last=("date", "max"),
                                                     monetary=("amount", "mean"))
    later = repeat[repeat["date"] > calibration].groupby("customer").size().rename("holdout")
    people = people.join(counted).join(later)
    people["frequency"] = people["frequency"].fillna(0).astype(int)
    people["holdout"] = people["holdout"].fillna(0).astype(int)
    last = people["last"].fillna(people["first"])
    customers = pd.DataFrame({
        "customer": people.index.to_numpy(),
        "frequency": people["frequency"].to_numpy(),
        "recency": ((last - people["first"]) / pd.Timedelta(weeks=1)).to_numpy(),
        "T": ((calibration - people["first"]) / pd.Timedelta(weeks=1)).to_numpy(),
        "monetary": people["monetary"].fillna(0.0).to_numpy(),
        "holdout": people["holdout"].to_numpy(),
    })
    return Cohort(start=start, calibration_weeks=calibration_weeks, holdout_weeks=holdout_weeks,
                  calibration_span=float(weeks(calibration + pd.Timedelta(days=1))),
                  holdout_span=float(weeks(holdout + pd.Timedelta(days=1))), log_end=log["date"].max(),
                  birth=weeks(people["first"]).to_numpy(dtype=float), counts=counts,
                  calibration_counts=calibration_counts, customers=customers,
                  amounts=in_calibration["amount"].to_numpy(dtype=float))
