"""Customer lifetime value from real data: transaction logs, calibration, a log's market, BG/NBD, survival.

BG/NBD needs the ``calibration`` extra; it loads only when used.
"""

from sim.lazy import exports

_HOMES = {
    **{name: f"sim.clv.{name}:" for name in ("bgnbd", "calibration", "forecast", "gammagamma", "likelihood",
                                             "market", "paretonbd", "survival", "translog")},
    "Cohort": "sim.clv.translog",
    "LogError": "sim.clv.translog",
    "build_cohort": "sim.clv.translog",
    "calibrate": "sim.clv.calibration",
    "kaplan_meier": "sim.clv.survival",
    "logrank": "sim.clv.survival",
    "read_cdnow": "sim.clv.translog",
    "read_log": "sim.clv.translog",
    "study": "sim.clv.forecast",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = exports(__name__, _HOMES)
