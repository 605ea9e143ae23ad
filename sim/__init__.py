"""Agent-based market simulator for customer-focused, -centric and -obsessed firms.

The public entry point is :func:`sim.world.run.run_model`: a pure function of a
:class:`sim.config.schema.SimConfig` and a seed that returns tidy result tables;
:func:`sim.config.compose.load_config` builds that config from ``conf/`` with the
same overrides the ``market-sim`` command takes.

The names below load on first use (PEP 562), so a command that only
composes configs or reads results (a sweep's driver, ``market-sim --help``)
does not wait for the model and Mesa to import.
"""

import warnings
from importlib import import_module, metadata
from typing import Any

# Mesa imports tqdm.auto for its batch_run, which this package never uses; in a notebook without ipywidgets
# (a plain Jupyter or VS Code kernel) that import warns "IProgress not found" in the middle of a lesson
warnings.filterwarnings("ignore", message="IProgress not found")

DISTRIBUTION = "customer-strategy-sim"
__version__ = metadata.version(DISTRIBUTION)

_HOMES = {"ConfigError": "sim.config.schema", "SimConfig": "sim.config.schema", "load_config": "sim.config.compose",
          "RunResult": "sim.world.results", "run_model": "sim.world.run"}

__all__ = ["ConfigError", "RunResult", "SimConfig", "__version__", "load_config", "run_model"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
