"""What a run leaves behind: result files written atomically and read back, job records, and figures.

Figures take tables, never a model, and are built without pyplot (no global
state leaks between the jobs of a sweep).
"""

from sim.lazy import exports

_HOMES = {
    "JobState": "sim.output.jobs",
    "TABLES": "sim.output.files",
    "atomic_write_text": "sim.output.files",
    "comparison_figure": "sim.output.figures",
    "convergence_figure": "sim.output.figures",
    "forecast_figure": "sim.output.figures",
    "interval_bands": "sim.output.figures",
    "interval_bars": "sim.output.figures",
    "is_complete": "sim.output.jobs",
    "market_figure": "sim.output.figures",
    "read_results": "sim.output.files",
    "scan": "sim.output.jobs",
    "sensitivity_figure": "sim.output.figures",
    "write_figure": "sim.output.files",
    "write_results": "sim.output.files",
    "write_table": "sim.output.files",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = exports(__name__, _HOMES)
