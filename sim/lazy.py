"""Names a package exports but loads on first use (PEP 562), so a face costs nothing to import.

Every sub-package's ``__init__`` lists its public names and the module each
lives in. Loading them lazily keeps a command that only composes configs or
reads results (a sweep's driver, ``market-sim --help``) from waiting for the
model, Mesa or an optional extra, and lets an extra that is not installed fail
only when its name is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def exports(package: str, homes: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``homes`` is read from the module named there.

    A home of ``module:`` (with a colon) exports the module itself under the name.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, colon, _ = home.partition(":")
        return import_module(module) if colon else getattr(import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(homes)

    return __getattr__, __dir__
