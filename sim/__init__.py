"""Agent-based market simulator for customer-focused, -centric and -obsessed firms.

``import sim`` is the API a notebook or a script needs; every name loads on
first use (PEP 562), so importing it costs nothing. The package is built in
floors, each importing only those below it (checked by import-linter)::

    sim.config   the typed schema and composing it from conf/
    sim.world    the market: population, firms, events, model, one run
    sim.output   result files, job records, figures
    sim.clv      transaction logs, calibration, BG/NBD, survival
    sim.studies  replications, stats, the brief's claims, compare, searches
    sim.sweeps   the sweep driver, the DuckDB store, the sweep report
    sim.apps     the commands, dashboard, live views, the studies' kit

A first run::

    import sim
    result = sim.run_model(sim.load_config(["scenario=best_buy"]), seed=0)
    sim.market_figure(result.firms)
"""

import warnings
from importlib import metadata

from sim.lazy import exports

# Mesa imports tqdm.auto for its batch_run, which this package never uses; in a notebook without ipywidgets
# (a plain Jupyter or VS Code kernel) that import warns "IProgress not found" in the middle of a lesson
warnings.filterwarnings("ignore", message="IProgress not found")

DISTRIBUTION = "customer-strategy-sim"
__version__ = metadata.version(DISTRIBUTION)

_HOMES = {
    # configuring a market
    **dict.fromkeys(("ConfigError", "SimConfig", "StrategyConfig", "AUDIENCES", "INFORMATION_SOURCES",
                     "NETWORK_KINDS", "PRICING_POLICIES", "SERVICE_POLICIES", "TARGETING"), "sim.config.schema"),
    "load_config": "sim.config.compose",
    # running it
    "run_model": "sim.world.run", "RunResult": "sim.world.results", "MarketModel": "sim.world.model",
    "OUTCOMES": "sim.world.outcomes", "money": "sim.world.outcomes", "money_change": "sim.world.outcomes",
    **dict.fromkeys(("bass_cumulative", "logit_docking_equilibrium"), "sim.world.metrics"),
    # its files and figures
    **dict.fromkeys(("read_results", "write_results"), "sim.output.files"),
    **dict.fromkeys(("market_figure", "comparison_figure", "interval_bars", "interval_bands", "convergence_figure"),
                    "sim.output.figures"),
    # many runs
    **dict.fromkeys(("replicate", "replicate_many", "firm_rows", "map_pairs"), "sim.studies.replications"),
    **dict.fromkeys(("Interval", "mean_ci", "difference_ci", "paired", "intervals", "paired_differences", "verdict",
                     "leader", "interval_text", "ratio_interval"), "sim.studies.stats"),
    **{name: f"sim.studies.{name}:" for name in ("claims", "compare", "stats")},
    # watching a market live
    **dict.fromkeys(("NetworkView", "LiveCharts", "network_figure", "segment_table"), "sim.apps.live"),
}
__all__ = ["DISTRIBUTION", "__version__", *sorted(_HOMES)]
__getattr__, __dir__ = exports(__name__, _HOMES)
