"""Sweeps on Hydra's launchers: what the driver does around the jobs, the DuckDB result store, the report."""

from sim.lazy import exports

_HOMES = {
    "Store": "sim.sweeps.store",
    "StoreError": "sim.sweeps.store",
    "SweepProgress": "sim.sweeps.driver",
    "build": "sim.sweeps.store",
    "build_report": "sim.sweeps.report",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = exports(__name__, _HOMES)
