"""Questions answered over many runs: replications, intervals, the brief's claims, comparisons and searches.

Every interval and paired difference comes from :mod:`sim.studies.stats`.
The dial search (Optuna) and robustness across futures (EMA Workbench,
scikit-learn) need the ``studies`` extra; they load only when used.
"""

from sim.lazy import exports

_HOMES = {
    "CASES": "sim.studies.claims",
    "CONFIDENCE": "sim.studies.stats",
    "COUNTER": "sim.studies.claims",
    "DEFAULT_MARKET": "sim.studies.claims",
    "Interval": "sim.studies.stats",
    "RYANAIR": "sim.studies.claims",
    "claims": "sim.studies.claims:",
    "compare": "sim.studies.compare:",
    "convergence": "sim.studies.convergence:",
    "difference_ci": "sim.studies.stats",
    "firm_rows": "sim.studies.replications",
    "futures": "sim.studies.futures:",
    "interval_text": "sim.studies.stats",
    "intervals": "sim.studies.stats",
    "leader": "sim.studies.stats",
    "mean_ci": "sim.studies.stats",
    "optimise": "sim.studies.optimise:",
    "paired": "sim.studies.stats",
    "paired_differences": "sim.studies.stats",
    "ratio_interval": "sim.studies.stats",
    "replicate": "sim.studies.replications",
    "replicate_many": "sim.studies.replications",
    "robustness": "sim.studies.robustness:",
    "sensitivity": "sim.studies.sensitivity:",
    "spaces": "sim.studies.spaces:",
    "stats": "sim.studies.stats:",
    "verdict": "sim.studies.stats",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = exports(__name__, _HOMES)
