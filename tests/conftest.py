"""Shared fixtures: configs composed from the real conf/ through Hydra's compose API."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hydra.core.global_hydra import GlobalHydra

from sim.config.compose import load_config
from sim.config.schema import SimConfig

SMALL = ("market.customers=1500", "market.steps=36")


@pytest.fixture(autouse=True)
def _clear_hydra() -> Iterator[None]:
    yield
    GlobalHydra.instance().clear()


@pytest.fixture
def compose() -> Callable[..., SimConfig]:
    """Compose the real config with overrides, as ``market-sim`` would."""
    return lambda *overrides: load_config(list(overrides))


@pytest.fixture
def small_config(compose: Callable[..., SimConfig]) -> SimConfig:
    """The default market shrunk to run in well under a second."""
    return compose(*SMALL)
