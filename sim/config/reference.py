"""The parameter reference: every field of :class:`SimConfig` as the Markdown of docs/PARAMETERS.md.

Each fact has one source, so the page cannot drift from the code: meanings
and units are the fields' metadata in :mod:`sim.config.schema`; allowed
values are what its validation checks, read by running that validation on
the default config with its check helpers recording instead of checking;
defaults are those of the composed default config (``conf/config.yaml``),
or the schema's for the named entries (segments, firms, strategies,
events) whose presets differ. Regenerate the page with
``python -m sim.config.reference > docs/PARAMETERS.md``; a test fails while
it is out of date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import MISSING, Field, dataclass, fields, is_dataclass, replace
from typing import Any, get_args, get_origin, get_type_hints

from sim.config import schema
from sim.config.compose import CONFIG_DIR, load_config
from sim.config.schema import EVENT_KINDS, OUTPUT_HELP, EventConfig, OutputConfig, SimConfig

# The config groups (folders of conf/) whose presets fill in the named entries with their own values
_PRESETS = {"segments": ("segments",), "firms": ("firms", "firm_profile"), "strategies": ("strategy",),
            "events": ("scenario",)}
_HEADER = """# Parameters

Every configurable parameter of a run, generated from `sim/config/schema.py`
by `python -m sim.config.reference > docs/PARAMETERS.md` (do not edit by
hand: `tests/config/test_reference.py` fails while this page is out of date).
Set any of them as a Hydra override, as in
`market-sim market.wom.imitation=0.5 segments.enthusiasts.purchases.process=poisson`.

- **Default** is the value of the default config (`conf/config.yaml`); for
  named entries (`segments.<name>`, `firms.<name>`, `strategies.<name>`,
  `events[]`) it is the schema's default, which the presets override.
- **Allowed** is what validation accepts; a bad value stops the run with one
  line naming the field (exit code 2). Where a limit depends on other
  parameters, it is given for the default config ({context}).
- One step is one month. Money is in the model's currency and, where a unit
  says *per potential customer*, is multiplied by `market.total_customers`.
  Attribute units are positions in the attribute space of `market.attributes`.
"""


@dataclass(frozen=True)
class Parameter:
    """One leaf field of the config, with everything the reference says about it."""

    name: str  # dotted, as in an override: segments.<name>.purchases.rate
    section: str  # the dotted name of the table it belongs to ("" for top-level fields)
    type: str
    default: str | None  # None: required, no default
    unit: str
    allowed: str
    meaning: str


def _help(owner: type, item: Field) -> tuple[str, str]:
    """Meaning and unit of a field: its metadata, or OutputConfig's table beside it."""
    if owner is OutputConfig:
        return OUTPUT_HELP.get(item.name, ("", ""))
    return item.metadata.get("help", ""), item.metadata.get("unit", "")


def _yaml(value: Any) -> str:
    """A value as it would be written in a YAML config."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_yaml(item)}" for key, item in value.items()) + "}"
    return str(value)


def _schema_default(item: Field) -> str | None:
    if item.default_factory is not MISSING:
        return _yaml(item.default_factory())
    return None if item.default == schema.MISSING else _yaml(item.default)


def _walk(owner: type, prefix: str, instance: object | None) -> Iterator[tuple[str, type, Field, str | None]]:
    """(section, its class, field, default) for every leaf under ``owner``, in schema order.

    ``instance`` is the composed config's value where the path has one; below a
    dict of named entries or a list there is none, so defaults are the schema's.
    """
    hints = get_type_hints(owner)
    for item in fields(owner):
        kind, name = hints[item.name], f"{prefix}.{item.name}" if prefix else item.name
        args = get_args(kind)
        if is_dataclass(kind):
            yield from _walk(kind, name, None if instance is None else getattr(instance, item.name))
        elif get_origin(kind) is dict and is_dataclass(args[1]):
            yield from _walk(args[1], f"{name}.<name>", None)
        elif get_origin(kind) is list and args and is_dataclass(args[0]):
            yield from _walk(args[0], f"{name}[]", None)
        else:
            default = _schema_default(item) if instance is None else _yaml(getattr(instance, item.name))
            yield prefix, owner, item, default


def _generic(path: str) -> str:
    """``segments.enthusiasts.share`` -> ``segments.<name>.share``; ``events[2].month`` -> ``events[].month``."""
    path = re.sub(r"^(segments|firms|strategies)\.[^.]+(?=\.)", r"\1.<name>", path)
    return re.sub(r"^events\[\d+\]", "events[]", path)


def _complete(config: SimConfig) -> dict[str, Any]:
    """Changes to ``config`` that take every branch of its validation: optional fields set, one event per kind."""
    attributes = len(config.market.attributes)
    firm, segment, strategy = next(iter(config.firms)), next(iter(config.segments)), next(iter(config.strategies))
    events = [EventConfig(kind=kind, month=1, firm=firm, segment=segment, strategy=strategy,
                          shift=[0.0] * attributes, drift=[0.0] * attributes, price_sensitivity=1.0, size=1.0,
                          arrivals=0.0, price=1.0) for kind in EVENT_KINDS]
    firms = {name: replace(item, offering=[0.5] * attributes, initial_share=0.5) for name, item in config.firms.items()}
    strategies = {name: replace(item, target_segment=segment) for name, item in config.strategies.items()}
    return {"firms": firms, "strategies": strategies, "events": events}


def _validation_rules(config: SimConfig) -> dict[str, list[str]]:
    """What the schema's validation allows, by generic field name, read from the validation itself.

    The check helpers of :mod:`sim.config.schema` are swapped for recorders
    (and put back after) while a complete config validates, so every range, choice and condition
    is taken from the code that enforces it. Of a condition written out by
    hand, the message is kept (up to its ", got ...") when it is phrased as
    a requirement ("must", "needs", "only"), since it is recorded whether or
    not it holds; those saying which fields an event kind needs are left to
    the meaning column.
    """
    rules: dict[str, list[str]] = {}
    named = {tuple(config.firms): "a key of `firms`", tuple(config.strategies): "a key of `strategies`",
             tuple(config.segments): "a key of `segments`"}

    def note(path: str, rule: str) -> None:
        found = rules.setdefault(_generic(path), [])
        if rule not in found:
            found.append(rule)

    def check_range(value: float, path: str, low: float | None = None, high: float | None = None) -> None:
        if low is not None and high is not None:
            note(path, f"{low:g} to {high:g}")
        elif low is not None:
            note(path, f"≥ {low:g}")
        elif high is not None:
            note(path, f"≤ {high:g}")
        else:
            note(path, "any finite number")

    def check_choice(value: str, path: str, allowed: tuple[str, ...]) -> None:
        note(path, named.get(tuple(allowed)) or "one of " + ", ".join(f"`{item}`" for item in allowed))

    def require(ok: bool, path: str, message: str) -> None:
        if re.search(r"\b(must|needs|only)\b", message) and not re.match(r"a \w+ event needs ", message):
            rule = message.split(", got ")[0]
            for words, sign in (("must be >= ", "≥ "), ("must be <= ", "≤ "), ("must be > ", "> ")):
                rule = rule.replace(words, sign)
            note(path, rule)

    recorders = {"_check_range": check_range, "_check_choice": check_choice, "_require": require}
    saved = {name: getattr(schema, name) for name in recorders}
    for name, recorder in recorders.items():
        setattr(schema, name, recorder)
    try:
        complete = replace(config, **_complete(config))  # validates as it is built
        for item in fields(complete):
            section = getattr(complete, item.name)
            if is_dataclass(section) and hasattr(section, "__post_init__"):
                section.__post_init__()
    finally:
        for name, helper in saved.items():
            setattr(schema, name, helper)
    return rules


def _described(config: SimConfig) -> tuple[list[tuple[Parameter, type]], dict[str, list[str]]]:
    """Every parameter with the class of its section, and the validation's rules by generic name."""
    rules = _validation_rules(config)
    described = []
    for section, owner, item, default in _walk(SimConfig, "", config):
        name = f"{section}.{item.name}" if section else item.name
        meaning, unit = _help(owner, item)
        allowed = rules.get(name) or (["`true` or `false`"] if item.type == "bool" else [])
        described.append((Parameter(name=name, section=section, type=str(item.type), default=default, unit=unit,
                                    allowed="; ".join(allowed), meaning=meaning), owner))
    return described, rules


def parameters() -> list[Parameter]:
    """Every leaf field of :class:`SimConfig`, in schema order, as the reference describes it."""
    return [parameter for parameter, _ in _described(load_config())[0]]


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "—"


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _group(group: str) -> str:
    """A config group as its folder and its choices: ``conf/segments/` (default, single)``."""
    choices = sorted(path.stem for path in (CONFIG_DIR / group).glob("*.yaml"))
    return f"`conf/{group}/` ({', '.join(choices)})"


def _section_intro(section: str, owner: type, config: SimConfig, rules: dict[str, list[str]]) -> str:
    """The lines above a table: what the section is, and for named entries their presets and shared conditions."""
    lines = [(owner.__doc__ or "").strip().splitlines()[0].replace("``", "`")]
    container = section.removesuffix(".<name>").removesuffix("[]")
    if container in _PRESETS and container != section:
        entries = getattr(config, container)
        present = ", ".join(f"`{name}`" for name in entries) if entries else "none"
        groups = ", ".join(_group(group) for group in _PRESETS[container])
        lines.append(f"The default config has {present}; presets with their own values: {groups}.")
        if rules.get(container):
            lines.append("Across entries: " + "; ".join(rules[container]) + ".")
    return "\n".join(lines) + "\n"


def reference_markdown() -> str:
    """docs/PARAMETERS.md: one table per section (top-level fields first), each parameter on a row."""
    config = load_config()
    described, rules = _described(config)
    tables: dict[str, tuple[type, list[Parameter]]] = {}
    for parameter, owner in described:
        tables.setdefault(parameter.section, (owner, []))[1].append(parameter)
    context = (f"{len(config.market.attributes)} attributes, {config.market.steps} months, "
               f"{config.market.customers} simulated customers")
    out = [_HEADER.format(context=context)]
    for section in sorted(tables, key=bool):  # stable: the top level first, then schema order
        owner, rows = tables[section]
        out += [f"## {_code(section) or 'Top level'}\n", _section_intro(section, owner, config, rules),
                "| Parameter | Type | Default | Unit | Allowed | Meaning |", "|---|---|---|---|---|---|"]
        for row in rows:
            default = "required" if row.default is None else _code(row.default)
            cells = (_code(row.name), _code(row.type), default, row.unit, row.allowed, row.meaning)
            out.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown(), end="")
