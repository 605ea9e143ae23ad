"""The faces people use: the commands, the classroom dashboard and live views, the studies' kit, the benchmark.

The dashboard needs the ``classroom`` extra; it loads only when used.
"""

from sim.lazy import exports

_HOMES = {
    "page": "sim.apps.dashboard",
    "BAD_INPUT_EXIT": "sim.apps.errors",
    "LiveCharts": "sim.apps.live",
    "LiveNetwork": "sim.apps.live",
    "NetworkView": "sim.apps.live",
    "describe_bad_input": "sim.apps.errors",
    "experiment": "sim.apps.experiment:",
    "fail": "sim.apps.errors",
    "network_figure": "sim.apps.live",
    "segment_table": "sim.apps.live",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = exports(__name__, _HOMES)
