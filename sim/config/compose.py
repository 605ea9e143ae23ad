"""Compose a validated :class:`SimConfig` from ``conf/`` in Python, exactly as the CLI would.

Notebooks, tests and scripts call :func:`load_config` with the same override
strings a user types after ``market-sim``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from difflib import get_close_matches
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir
from hydra._internal.defaults_list import create_defaults_list
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from sim.config.schema import ConfigError, SimConfig, register_configs

# An installed wheel carries the configs as sim/conf; a checkout keeps them in its top-level conf/
_PACKAGED = Path(__file__).resolve().parents[1] / "conf"
INSTALLED_CONFIGS = _PACKAGED.is_dir()
CONFIG_DIR = _PACKAGED if INSTALLED_CONFIGS else _PACKAGED.parents[1] / "conf"

# ${pid:} in run and sweep folder names; cached like Hydra's ${now:...}, so a sweep's jobs share the driver's value
OmegaConf.register_new_resolver("pid", os.getpid, use_cache=True, replace=True)


def _check_known_keys(node: object, path: str) -> None:
    """Refuse keys the schema does not have (a ``+`` override can add any), suggesting the nearest."""
    if isinstance(node, ListConfig):
        for index, item in enumerate(node):
            _check_known_keys(item, f"{path}[{index}]")
        return
    if not isinstance(node, DictConfig):
        return
    schema = OmegaConf.get_type(node)
    allowed = [item.name for item in fields(schema)] if schema is not None and is_dataclass(schema) else None
    for key in node:
        where = f"{path}.{key}" if path else str(key)
        if allowed is not None and key not in allowed:
            near = get_close_matches(str(key), allowed, n=3)
            hint = f"did you mean {' or '.join(near)}? " if near else ""
            raise ConfigError(f"{where}: unknown key {str(key)!r}; {hint}allowed: {', '.join(sorted(allowed))}")
        _check_known_keys(node[key], where)


def _apply_design(plain: DictConfig, design: DictConfig) -> None:
    """Set the values of row ``design.row`` of the table ``design.file`` (one column per config path).

    A design table is how a study that samples parameters (Morris, Sobol,
    a Latin hypercube) runs its samples as a sweep on any of Hydra's
    launchers: ``market-sim -m +design.file=design.parquet '+design.row=range(0,N)'``.
    """
    path, row = design.get("file"), design.get("row")
    if path is None:
        raise ConfigError("design.file: a design needs a Parquet table (and design.row, a row number)")
    try:
        table = pd.read_parquet(str(path))
    except (OSError, ValueError) as error:
        raise ConfigError(f"design.file: cannot read {path}: {error}".splitlines()[0]) from error
    if row is None:  # a sweep's base config: its jobs bring the row (a run must have one: sim.apps.cli checks)
        return
    if not 0 <= int(row) < len(table):
        raise ConfigError(f"design.row: must be within 0..{len(table) - 1}, got {row}")
    # a one-row frame, not a row Series: a Series would turn an integer column into floats beside a float one
    values = table.drop(columns=["sample"], errors="ignore").iloc[[int(row)]].to_dict("records")[0]
    for column, value in values.items():
        OmegaConf.update(plain, str(column), value.item() if hasattr(value, "item") else value, merge=False)


def to_sim_config(cfg: DictConfig) -> SimConfig:
    """Convert a composed Hydra config to a validated :class:`SimConfig` (once, at the edge)."""
    plain = cfg.copy()
    with open_dict(plain):
        plain.pop("hydra", None)
        design = plain.pop("design", None)
    if design is not None:
        _apply_design(plain, design)
    _check_known_keys(plain, "")
    config = OmegaConf.to_object(plain)
    if not isinstance(config, SimConfig):
        raise ConfigError("config: does not follow the sim_schema (is 'sim_schema' in the defaults?)")
    return config


def _override_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_override_value(item) for item in value) + "]"
    return "null" if value is None else str(value)


def expand_new_firms(overrides: Sequence[str]) -> list[str]:
    """Turn ``+firms.NAME={strategy: focused, price: 0.75}`` into the overrides Hydra can apply.

    OmegaConf cannot assign a plain dict to a new entry of a dict of typed
    firms, so a firm written inline becomes the default starting profile
    (``+firm_profile@firms.NAME=focused``, ``conf/firm_profile/``) plus one override per
    field, each checked by the schema like any other value. Every other
    override passes through unchanged.
    """
    parser = OverridesParser.create()
    expanded: list[str] = []
    for text in overrides:
        if not (text.startswith("+firms.") and "={" in text):
            expanded.append(text)
            continue
        override = parser.parse_override(text)
        value = override.value()
        name = override.key_or_group.removeprefix("firms.")
        if not override.is_add() or not isinstance(value, dict) or "." in name:
            expanded.append(text)
            continue
        expanded.append(f"+firm_profile@firms.{name}=focused")
        expanded += [f"firms.{name}.{key}={_override_value(item)}" for key, item in value.items()]
    return expanded


def check_new_firms(config_name: str, overrides: Sequence[str]) -> None:
    """Refuse a firm that a config file adds without naming its strategy: most likely a misspelt firm.

    Once composed, a deliberate new firm and a misspelt one look alike: the
    schema fills in every field a file leaves out, the strategy too. So this
    reads the files Hydra composed (with the same overrides, sweeps left out,
    ``hydra.searchpath`` and ``--config-dir`` included): the ``firms`` group
    file is the line-up, and any other firm must name its ``strategy`` in a
    file (``lowcost: {strategy: low_cost}``, as ``scenario=ryanair`` does; a
    ``firm_profile`` does) or in an override (``firms.NAME.strategy=...``).
    Call it after a successful ``compose``, inside Hydra's initialised state.
    """
    parsed = [item for item in OverridesParser.create().parse_overrides(list(overrides))
              if not item.is_sweep_override()]
    loader = GlobalHydra.instance().config_loader()
    # Hydra's own searchpath handling; private, so pinned with hydra-core in requirements.lock
    _, repo = loader._parse_overrides_and_create_caching_repo(config_name, [item.input_line for item in parsed])
    defaults = create_defaults_list(repo=repo, config_name=config_name, overrides_list=parsed,
                                    prepend_hydra=True, skip_missing=True).defaults
    lineup: list[str] = []
    added: dict[str, bool] = {}  # firm name -> whether some source names its strategy
    for default in defaults:
        package = default.package or ""
        if default.config_path is None or not (package in ("", "firms") or package.startswith("firms.")):
            continue
        loaded = repo.load_config(default.config_path)
        content = loaded.config if loaded is not None else None
        if not isinstance(content, DictConfig):
            continue
        if package == "firms":
            lineup += [str(name) for name in content]
        elif package.startswith("firms.") and package.count(".") == 1:
            name = package.removeprefix("firms.")
            added[name] = added.get(name, False) or "strategy" in content
        elif package == "" and isinstance(content.get("firms"), DictConfig):
            for name, entry in content.firms.items():
                named = isinstance(entry, DictConfig) and "strategy" in entry
                added[str(name)] = added.get(str(name), False) or named
    for item in parsed:
        key = item.key_or_group.split(".")
        if len(key) == 3 and key[0] == "firms" and key[2] == "strategy" and not item.is_delete():
            added[key[1]] = True
    for name, named in added.items():
        if name not in lineup and not named:
            near = get_close_matches(name, lineup, n=1)
            hint = f" (did you mean {near[0]}?)" if near else f" (its firms: {', '.join(lineup)})"
            raise ConfigError(f"firms.{name}: not a firm of this market{hint}; a new firm needs its strategy "
                              f"(firms.{name}.strategy=...)")


def load_config(overrides: Sequence[str] = (), config_name: str = "config",
                config_dirs: Sequence[str | os.PathLike[str]] = ()) -> SimConfig:
    """Compose ``conf/<config_name>.yaml`` with Hydra ``overrides`` into a validated config.

    ``config_dirs`` are folders of your own configs laid out like ``conf/``
    (``scenario/``, ``strategy/``, ...), searched as ``market-sim --config-dir``
    or ``hydra.searchpath`` search them. Leaves Hydra's global state as it
    found it, so it can be called any number of times (and inside a running
    Hydra app's worker).
    """
    register_configs()
    overrides = expand_new_firms(overrides)
    if config_dirs:
        folders = ",".join(f"file://{Path(folder).resolve()}" for folder in config_dirs)
        overrides = [f"hydra.searchpath=[{folders}]", *overrides]
    if GlobalHydra.instance().is_initialized():
        return _compose_checked(config_name, overrides)
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return _compose_checked(config_name, overrides)


def _compose_checked(config_name: str, overrides: list[str]) -> SimConfig:
    composed = compose(config_name=config_name, overrides=overrides)
    check_new_firms(config_name, overrides)
    return to_sim_config(composed)
