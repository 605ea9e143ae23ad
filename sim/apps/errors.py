"""Bad input, said the one way every command says it: one ``<program>: error:`` line, exit code 2.

A user who mistypes an override, a firm or a flag should read what is wrong
and what is allowed, not a traceback; and a script should be able to tell bad
input (2) from a failed run (1). Every entry point reports through :func:`fail`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, is_dataclass
from difflib import get_close_matches
from typing import Any, NoReturn

import yaml
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from sim import extras
from sim.config.compose import load_config
from sim.config.schema import ConfigError

BAD_INPUT_EXIT = 2
GLOBAL_GROUPS = ("scenario",)  # groups whose files change the whole config (package _global_)


def fail(message: str, program: str = "market-sim") -> NoReturn:
    """Report bad input as one line and exit with code 2."""
    print(f"{program}: error: {message}", file=sys.stderr)
    raise SystemExit(BAD_INPUT_EXIT)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``<prog>: error:`` line with exit code 2, no usage block."""

    def error(self, message: str) -> NoReturn:
        """Report a bad argument the way every other bad input is reported."""
        fail(message, self.prog)


def nearest_names(full_key: str, schema: object = None) -> str:
    """``"; did you mean ...?"`` with the valid names nearest a misspelt key, and the names allowed there.

    The names are the fields of ``schema`` (the dataclass OmegaConf names in
    its error, so a preset added on the command line is covered too), else
    the keys at that place in the default config; ``""`` if neither is known.
    """
    *parents, wrong = full_key.split(".")
    if is_dataclass(schema):
        names = [item.name for item in fields(schema)]
    else:
        node: Any = load_config()
        try:
            for name in parents:
                node = node[name] if isinstance(node, dict) else getattr(node, name)
        except (AttributeError, KeyError):
            return ""
        names = list(node) if isinstance(node, dict) else [item.name for item in fields(node)] if is_dataclass(
            node) else []
    if not names:
        return ""
    near = get_close_matches(wrong, names, n=3)
    return (f"; did you mean {' or '.join(near)}?" if near else "") + f"; allowed: {', '.join(sorted(names))}"


def _yaml_error_line(error: yaml.MarkedYAMLError) -> str:
    """The file, line and column where the parser gave up, and what it was reading, which started earlier.

    The problem mark is where the error is; the context mark is only where
    the enclosing mapping or list began (for a bad indentation, often many
    lines before it), so it is said after the problem. Marks count from 0.
    """
    mark = error.problem_mark or error.context_mark
    where = f"{mark.name}, line {mark.line + 1}, column {mark.column + 1}"
    detail = error.problem or error.context or "invalid YAML"
    context = error.context_mark
    if error.problem and error.context and context is not None and context is not mark:
        detail += f" ({error.context} started at line {context.line + 1}, column {context.column + 1})"
    return f"{where}: YAML syntax error: {detail}; check the indentation and brackets there"


def describe_bad_input(error: BaseException) -> str | None:
    """One line naming the field and what is allowed, or ``None`` if ``error`` is not bad input."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        if isinstance(item, ConfigError):
            return str(item)
    for item in chain:
        if isinstance(item, yaml.MarkedYAMLError) and (item.problem_mark or item.context_mark) is not None:
            return _yaml_error_line(item)
    for item in chain:
        if isinstance(item, OmegaConfBaseException) and getattr(item, "full_key", None) in GLOBAL_GROUPS:
            group = item.full_key
            return (f"{group}: the {group} file must begin with the line '# @package _global_' "
                    f"(its keys are changes to the whole config)")
    for item in chain:
        if isinstance(item, OverrideParseException):
            detail = " ".join(item.message.split()).split(" See https://")[0]
            return f"malformed override {item.override!r}: {detail}; expected key=value (see 'market-sim --help')"
    for item in chain:
        if isinstance(item, MissingConfigException) and item.options:
            group = (item.missing_cfg_file or "").rsplit("/", 1)[0]
            wanted = (item.missing_cfg_file or "").rsplit("/", 1)[-1]
            if group == "hydra/launcher" and wanted.startswith("ray"):
                return f"{group}={wanted}: {extras.missing_message('hydra_plugins.hydra_ray_launcher')}"
            return f"{group}: unknown option {wanted!r}; allowed: {', '.join(sorted(item.options))}"
    for item in chain:
        if isinstance(item, OmegaConfBaseException):
            key = getattr(item, "full_key", None)
            message = " ".join(str(getattr(item, "msg", item)).strip().splitlines()[0].split())
            if key and isinstance(item, ConfigKeyError | ConfigAttributeError):
                message += nearest_names(key, getattr(item, "object_type", None))
            return f"{key}: {message}" if key else message
    for item in chain:
        if isinstance(item, HydraException):
            return " ".join(str(item).split())
    return None
