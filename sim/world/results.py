"""What a run produces (:class:`RunResult`) and the software behind it (:func:`versions`).

Kept apart from :mod:`sim.world.run` so that reading results, recording jobs and a
sweep's driver do not load the model (and Mesa) to name them.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pandas as pd

from sim import DISTRIBUTION

PACKAGES = (DISTRIBUTION, "mesa", "numpy", "numba", "pandas", "networkx", "scipy", "hydra-core")


@dataclass
class RunResult:
    """Everything one run produced.

    Attributes:
        firms: one row per step and firm.
        segments: one row per step, firm and segment.
        tenures: one row per customer spell.
        summary: per-firm headline figures and run metadata (JSON-ready).
    """

    firms: pd.DataFrame
    segments: pd.DataFrame
    tenures: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def versions() -> dict[str, str]:
    """Python and package versions behind a run (recorded with its results)."""
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "unknown"
    return found
