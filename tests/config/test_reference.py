"""The parameter reference (docs/PARAMETERS.md) is current and complete, and CITATION.cff is valid."""

import tomllib
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import get_args, get_origin, get_type_hints

import yaml

from sim.config.reference import parameters, reference_markdown
from sim.config.schema import SimConfig

ROOT = Path(__file__).resolve().parents[2]


def _leaves(owner: type, prefix: str = "") -> list[str]:
    """Every leaf field under ``owner`` by dotted name, found independently of the generator."""
    names = []
    hints = get_type_hints(owner)
    for item in fields(owner):
        kind, name = hints[item.name], f"{prefix}{item.name}"
        nested = [arg for arg in get_args(kind) if is_dataclass(arg)]
        if is_dataclass(kind):
            names += _leaves(kind, f"{name}.")
        elif nested and get_origin(kind) is dict:
            names += _leaves(nested[0], f"{name}.<name>.")
        elif nested and get_origin(kind) is list:
            names += _leaves(nested[0], f"{name}[].")
        else:
            names.append(name)
    return names


def test_the_page_is_up_to_date():
    page = (ROOT / "docs" / "PARAMETERS.md").read_text()
    assert page == reference_markdown(), "regenerate: python -m sim.config.reference > docs/PARAMETERS.md"


def test_every_leaf_field_is_on_the_page_with_a_meaning():
    leaves = _leaves(SimConfig)
    assert {"seed", "market.wom.innovation", "segments.<name>.purchases.rate", "events[].kind"} <= set(leaves)
    described = {parameter.name: parameter for parameter in parameters()}
    assert sorted(described) == sorted(leaves)
    page = (ROOT / "docs" / "PARAMETERS.md").read_text()
    for name in leaves:
        assert f"| `{name}` |" in page, name
        assert described[name].meaning, f"{name} has no meaning: give its field metadata=_doc(...)"


def test_ranges_come_from_the_validation():
    described = {parameter.name: parameter for parameter in parameters()}
    assert described["market.initial_penetration"].allowed == "0 to 1"
    assert described["strategies.<name>.promotion_depth"].allowed == "0 to 0.9"
    assert described["network.kind"].allowed.startswith("one of `small_world`")
    assert described["firms.<name>.strategy"].allowed == "a key of `strategies`"
    assert described["market.customers"].allowed == "≥ 2"


def test_defaults_are_those_of_the_default_config():
    described = {parameter.name: parameter for parameter in parameters()}
    assert described["market.customers"].default == "10000"
    assert described["network.kind"].default == "small_world"
    assert described["events[].kind"].default is None  # required


def test_citation_file_is_valid_cff():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert {"cff-version", "message", "title", "authors"} <= set(citation)
    assert citation["cff-version"] == "1.2.0"
    assert citation["authors"] and all("name" in author or "family-names" in author
                                       for author in citation["authors"])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"]
