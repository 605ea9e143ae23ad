"""Compose a validated :class:`SimConfig` from ``conf/`` in Python, exactly as the CLI would.

Notebooks, tests and scripts call :func:`load_config` with the same override
strings a user types after ``market-sim``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.config import ConfigError, SimConfig, register_configs

CONFIG_DIR = Path(__file__).resolve().parent.parent / "conf"


def to_sim_config(cfg: DictConfig) -> SimConfig:
    """Convert a composed Hydra config to a validated :class:`SimConfig` (once, at the edge)."""
    plain = cfg.copy()
    with open_dict(plain):
        plain.pop("hydra", None)
    config = OmegaConf.to_object(plain)
    if not isinstance(config, SimConfig):
        raise ConfigError("config: does not follow the sim_schema (is 'sim_schema' in the defaults?)")
    return config


def load_config(overrides: Sequence[str] = (), config_name: str = "config") -> SimConfig:
    """Compose ``conf/<config_name>.yaml`` with Hydra ``overrides`` into a validated config.

    Leaves Hydra's global state as it found it, so it can be called any
    number of times (and inside a running Hydra app's worker).
    """
    register_configs()
    already = GlobalHydra.instance().is_initialized()
    if already:
        return to_sim_config(compose(config_name=config_name, overrides=list(overrides)))
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return to_sim_config(compose(config_name=config_name, overrides=list(overrides)))
