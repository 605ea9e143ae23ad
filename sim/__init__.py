"""Agent-based market simulator for customer-focused, -centric and -obsessed firms.

The public entry point is :func:`sim.run.run_model`: a pure function of a
:class:`sim.config.SimConfig` and a seed that returns tidy result tables;
:func:`sim.compose.load_config` builds that config from ``conf/`` with the
same overrides the ``market-sim`` command takes.
"""

from sim.compose import load_config
from sim.config import ConfigError, SimConfig
from sim.run import RunResult, run_model

__all__ = ["ConfigError", "RunResult", "SimConfig", "load_config", "run_model"]
