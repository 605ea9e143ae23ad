"""The optional extras (``pyproject.toml``) and the one sentence that says how to get a missing one.

``make run`` installs only what running the model needs; the dial search,
robustness across futures, Ray, the classroom and the BG/NBD benchmark come
with extras that ``make test`` installs. A command that needs one checks it
first and says in one line what brings it, instead of failing deep inside an
import.
"""

from __future__ import annotations

import importlib.util

#: The extra each optional module comes with.
EXTRAS = {
    "optuna": "studies", "ema_workbench": "studies", "sklearn": "studies",
    "hydra_plugins.hydra_ray_launcher": "ray", "ray": "ray",
    "solara": "classroom", "altair": "classroom", "vl_convert": "classroom", "jupyterlab": "classroom",
    "pymc_marketing": "calibration", "lifetimes": "calibration",
    "playwright": "dev", "nbclient": "dev",
}


class MissingExtra(ImportError):
    """An optional module is not installed; the message names the extra and how to install it."""


def missing_message(module: str) -> str:
    """One line: which extra brings ``module`` (or its top-level package) and the two ways to install it."""
    extra = EXTRAS.get(module) or EXTRAS[module.split(".")[0]]
    return (f"{module.rsplit('.', 1)[-1]} is not installed: it comes with the '{extra}' extra "
            f"(make test installs every extra, or .venv/bin/pip install -c requirements.lock -e '.[{extra}]')")


def require(*modules: str) -> None:
    """Raise :class:`MissingExtra` for the first of ``modules`` that is not installed, without importing any."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a parent package is missing
            found = False
        if not found:
            raise MissingExtra(missing_message(module))
