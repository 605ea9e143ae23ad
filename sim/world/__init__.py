"""The simulated market: customers as arrays, firms as Mesa agents, events, and one run from config and seed.

:func:`run_model` is the one pure entry point (config and seed in, tidy
tables out); :data:`OUTCOMES` names the headline figures every printer
shows. Nothing here imports the floors above (output, studies, sweeps, apps).
"""

from sim.lazy import exports

_HOMES = {
    "Firm": "sim.world.firms",
    "MarketModel": "sim.world.model",
    "NO_FIRM": "sim.world.population",
    "OUTCOMES": "sim.world.outcomes",
    "Offers": "sim.world.offers",
    "Outcome": "sim.world.outcomes",
    "Population": "sim.world.population",
    "RunResult": "sim.world.results",
    "bass_cumulative": "sim.world.metrics",
    "create_population": "sim.world.population",
    "customer_equity": "sim.world.metrics",
    "customer_lifetime_value": "sim.world.metrics",
    "firm_outcomes": "sim.world.outcomes",
    "money": "sim.world.outcomes",
    "money_change": "sim.world.outcomes",
    "net_promoter_score": "sim.world.metrics",
    "nps_from_counts": "sim.world.metrics",
    "retention_rate": "sim.world.metrics",
    "run_model": "sim.world.run",
    "versions": "sim.world.results",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = exports(__name__, _HOMES)
