"""Spaces a study searches or samples: the dials of a strategy search and the uncertainties of a futures study.

Both are YAML files, shipped (``conf/search/``, ``conf/futures/``) or given
by path, naming a config path and the values it may take: a range, a scale on
the base values, or a list of choices. One reader finds and checks them, so a
bad range or an unknown name is refused the same way, naming the file and the
entry, before any run; sensitivity's ``PATH=LOW:HIGH`` factors take the same
range check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.config.compose import CONFIG_DIR, load_config
from sim.config.schema import ConfigError, SimConfig, StrategyConfig

if TYPE_CHECKING:
    import optuna

SEARCH_DIR = CONFIG_DIR / "search"

FUTURES_DIR = CONFIG_DIR / "futures"

DIAL_KINDS = ("int", "float", "choice")

UNCERTAINTY_KINDS = ("range", "scale", "choices")

DIAL_TYPES: dict[str, type] = {item.name: type(getattr(StrategyConfig(), item.name)) for item in fields(StrategyConfig)}


@dataclass(frozen=True)
class Dial:
    """One dial to search: an ``int`` or ``float`` range (optionally stepped or log-scaled) or a ``choice``.

    ``values`` holds ``(low, high)`` of a range (both included) or the choices.
    """

    name: str
    kind: str
    values: tuple[Any, ...]
    step: float | None = None
    log: bool = False

    def suggest(self, trial: optuna.Trial) -> Any:
        """The value Optuna proposes for this dial in ``trial``."""
        if self.kind == "int":
            low, high = self.values
            return trial.suggest_int(self.name, low, high, step=int(self.step or 1), log=self.log)
        if self.kind == "float":
            low, high = self.values
            return trial.suggest_float(self.name, low, high, step=self.step, log=self.log)
        return trial.suggest_categorical(self.name, list(self.values))

    def contains(self, value: Any) -> bool:
        """Whether the search can propose ``value`` (on a stepped range, only the steps)."""
        if self.kind == "choice":
            return any(type(value) is type(choice) and value == choice for choice in self.values)
        low, high = self.values
        if not low <= value <= high:
            return False
        steps = (value - low) / self.step if self.step else 0.0
        return math.isclose(steps, round(steps), abs_tol=1e-9)

    def spec(self) -> dict[str, Any]:
        """The dial as plain JSON-ready data (recorded with a stored study)."""
        return {"name": self.name, "kind": self.kind, "values": list(self.values), "step": self.step, "log": self.log}


@dataclass(frozen=True)
class SearchSpace:
    """The dials a search turns, read from ``source``."""

    name: str
    source: Path
    dials: tuple[Dial, ...]

    @property
    def where(self) -> str:
        """The file, relative to the project when inside it (so reports read the same on every machine)."""
        return _shown(self.source)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(CONFIG_DIR.parent))
    except ValueError:
        return str(path)


def _is_number(value: Any, integer: bool) -> bool:
    kinds = (int,) if integer else (int, float)
    return isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)


def space_file(name_or_path: str, folder: Path, kind: str) -> tuple[Path, Any]:
    """The file of a shipped space (``folder/<name>.yaml``) or a YAML path, and its contents.

    Raises:
        ConfigError: naming the spaces ``folder`` ships when there is no such file.
    """
    is_path = name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path
    source = Path(name_or_path) if is_path else folder / f"{name_or_path}.yaml"
    if not source.is_file():
        known = ", ".join(sorted(path.stem for path in folder.glob("*.yaml")))
        raise ConfigError(f"space: unknown {kind} space {name_or_path!r}; allowed: {known} (in {_shown(folder)}) "
                          f"or the path of a YAML file")
    with source.open() as stream:
        return source, yaml.safe_load(stream)


def checked_range(bounds: Any, where: str, integer: bool = False) -> tuple[float, float]:
    """``bounds`` as ``(low, high)``: two finite numbers (whole ones if ``integer``), low below high.

    Every range a study takes (a dial's, an uncertainty's, a sensitivity
    factor's) passes here, so an empty or reversed range is refused alike.
    """
    pair = isinstance(bounds, list | tuple) and len(bounds) == 2
    if not (pair and all(_is_number(value, integer) for value in bounds)):
        kind = "int" if integer else "finite number"
        raise ConfigError(f"{where}: a range must be [low, high] with {kind} values, got {bounds!r}")
    low, high = bounds
    if low >= high:
        raise ConfigError(f"{where}: empty range [{low}, {high}]; low must be below high")
    return low, high


def _parse_dial(name: str, entry: Any, where: str) -> Dial:
    """One entry of a space file, checked against the dial's type in :class:`StrategyConfig`."""
    if name not in DIAL_TYPES:
        near = get_close_matches(str(name), DIAL_TYPES, n=2)
        hint = f"did you mean {' or '.join(near)}? " if near else ""
        raise ConfigError(f"{where}: unknown dial; {hint}allowed: {', '.join(sorted(DIAL_TYPES))}")
    example = "{int: [0, 24]}, {float: [0.1, 1.0]} or {choice: [value, ...]}"
    kinds = [key for key in DIAL_KINDS if isinstance(entry, dict) and key in entry]
    if len(kinds) != 1:
        raise ConfigError(f"{where}: expected exactly one of {example}, got {entry!r}")
    kind = kinds[0]
    allowed = [kind] if kind == "choice" else [kind, "step", "log"]
    unknown = sorted(map(str, set(entry) - set(allowed)))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    dial_type = DIAL_TYPES[name]
    if kind == "choice":
        return Dial(name, kind, _parse_choices(entry[kind], dial_type, where))
    if dial_type.__name__ != kind:
        fit = "{choice: [...]}" if dial_type in (str, bool) else f"{{{dial_type.__name__}: [low, high]}}"
        raise ConfigError(f"{where}: the dial is of type {dial_type.__name__}, not {kind}; use {fit}")
    integer = kind == "int"
    low, high = checked_range(entry[kind], where, integer)
    step, log = entry.get("step"), entry.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log must be true or false, got {log!r}")
    if log and (step is not None or low <= 0):
        raise ConfigError(f"{where}: a log range needs low > 0 and no step")
    if step is not None:
        if not (_is_number(step, integer) and step > 0):
            raise ConfigError(f"{where}: step must be a positive {kind}, got {step!r}")
        steps = (high - low) / step
        if not math.isclose(steps, round(steps), abs_tol=1e-9):
            raise ConfigError(f"{where}: range [{low}, {high}] is not a whole number of steps of {step}")
    return Dial(name, kind, (dial_type(low), dial_type(high)), step, log)


def _parse_choices(choices: Any, dial_type: type, where: str) -> tuple[Any, ...]:
    if not (isinstance(choices, list) and choices):
        raise ConfigError(f"{where}: choice needs a non-empty list, got {choices!r}")
    for choice in choices:
        fits = _is_number(choice, dial_type is int) if dial_type in (int, float) else type(choice) is dial_type
        if not fits:
            raise ConfigError(f"{where}: choice {choice!r} is not a {dial_type.__name__}")
    if len(set(choices)) < len(choices):
        raise ConfigError(f"{where}: choices repeat a value: {choices!r}")
    return tuple(dial_type(choice) for choice in choices)


def search_space_names() -> list[str]:
    """Names of the search spaces shipped in ``conf/search/``."""
    return sorted(path.stem for path in SEARCH_DIR.glob("*.yaml"))


def load_search_space(name_or_path: str) -> SearchSpace:
    """Read and check a search space: a name in ``conf/search/`` or a path to a YAML file.

    Raises:
        ConfigError: naming the file and the dial, for an unknown dial, a type
            the dial cannot take, an empty range or an empty list of choices.
    """
    source, raw = space_file(name_or_path, SEARCH_DIR, "search")
    if not (isinstance(raw, dict) and raw):
        raise ConfigError(f"{_shown(source)}: a search space maps dial names to ranges, e.g. lead: {{int: [0, 24]}}")
    dials = tuple(_parse_dial(str(name), entry, f"{_shown(source)}: {name}") for name, entry in raw.items())
    return SearchSpace(name=source.stem, source=source, dials=dials)


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain assumption: a value between bounds, a factor on base values, or a choice."""

    name: str
    path: str
    kind: str
    bounds: tuple[Any, ...]

    def value(self, unit: float) -> Any:
        """The assumption's value at ``unit`` in [0, 1) of its Latin-hypercube column."""
        if self.kind == "choices":
            return self.bounds[min(int(unit * len(self.bounds)), len(self.bounds) - 1)]
        low, high = self.bounds
        return float(low + unit * (high - low))

    def overrides(self, value: Any, base: SimConfig) -> list[str]:
        """Hydra overrides that put ``value`` into a config composed from the space's base."""
        if self.kind != "scale":
            return [f"{self.path}={value}"]
        section, star, attribute = self.path.split(".")
        names = list(getattr(base, section)) if star == "*" else [star]
        return [f"{section}.{name}.{attribute}={getattr(getattr(base, section)[name], attribute) * value:.6g}"
                for name in names]


@dataclass(frozen=True)
class FuturesSpace:
    """Whose strategy is chosen, among which candidates, on which outcome, under which uncertainties."""

    firm: str
    base: tuple[str, ...]
    strategies: tuple[str, ...]
    outcome: str
    uncertainties: tuple[Uncertainty, ...]

    def base_config(self, extra: Sequence[str] = ()) -> SimConfig:
        """The market every future starts from."""
        return load_config([*self.base, *extra])


def load_futures_space(name: str) -> FuturesSpace:
    """Read and check a futures space: a name in ``conf/futures`` or a path to a YAML file."""
    path, raw = space_file(name, FUTURES_DIR, "futures")
    raw = raw or {}
    where = f"futures space {path.name}"
    missing = sorted({"firm", "strategies", "uncertainties"} - set(raw))
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    uncertainties = []
    for uname, spec in raw["uncertainties"].items():
        kinds = [kind for kind in UNCERTAINTY_KINDS if kind in (spec or {})]
        if "path" not in (spec or {}) or len(kinds) != 1:
            raise ConfigError(f"{where}: uncertainties.{uname}: needs a path and one of {', '.join(UNCERTAINTY_KINDS)}")
        bounds = tuple(spec[kinds[0]])
        if kinds[0] != "choices":
            checked_range(bounds, f"{where}: uncertainties.{uname}.{kinds[0]}")
        elif len(bounds) < 2:
            raise ConfigError(f"{where}: uncertainties.{uname}.choices: needs at least two choices, got {list(bounds)}")
        if kinds[0] == "scale" and spec["path"].count(".") != 2:
            raise ConfigError(f"{where}: uncertainties.{uname}.path: a scale needs section.name.field, "
                              f"e.g. segments.*.price_sensitivity; got {spec['path']!r}")
        uncertainties.append(Uncertainty(uname, str(spec["path"]), kinds[0], bounds))
    space = FuturesSpace(firm=str(raw["firm"]), base=tuple(raw.get("base", [])), strategies=tuple(raw["strategies"]),
                  outcome=str(raw.get("outcome", "cumulative_profit")), uncertainties=tuple(uncertainties))
    _check(space, where)
    return space


def _check(space: FuturesSpace, where: str) -> None:
    """Compose the base and the futures at every uncertainty's low and high end, so a bad path fails before any run."""
    base = space.base_config()
    if space.firm not in base.firms:
        raise ConfigError(f"{where}: firm: unknown firm {space.firm!r}; allowed: {', '.join(base.firms)}")
    unknown = sorted(set(space.strategies) - set(base.strategies))
    if unknown or len(space.strategies) < 2:
        raise ConfigError(f"{where}: strategies: needs two or more of {', '.join(sorted(base.strategies))}, "
                          f"got {list(space.strategies)}")
    for unit in (0.0, 0.999999):
        overrides = [o for u in space.uncertainties for o in u.overrides(u.value(unit), base)]
        try:
            load_config([*space.base, *overrides])
        except Exception as error:
            raise ConfigError(f"{where}: uncertainties: {error}".splitlines()[0]) from error
