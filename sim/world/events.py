"""Events on a timeline: what happens at a given month, acting through the model's own state.

Each event of the config's ``events:`` list fires at the start of its month,
before customers see the month's offers, and changes only what the model
already has: a firm's strategy (after a lag, at a transition cost), whether
it trades, its offered price, a segment's needs, drift or price
sensitivity. Nothing here decides an outcome.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sim.config.schema import EventConfig, SimConfig
from sim.world.firms import Firm, Market


class Stage(Market, Protocol):
    """The market as events act on it: what a firm sees, the firms, and the model's powers events use.

    :class:`sim.world.model.MarketModel` is one; events name only this, so
    they import no model (no cycle, not even for type hints).
    """

    @property
    def firms(self) -> list[Firm]: ...  # noqa: D102

    def firm_named(self, name: str) -> Firm: ...  # noqa: D102

    def exit_firm(self, firm: Firm) -> np.ndarray: ...  # noqa: D102

    def resize_segments(self) -> None: ...  # noqa: D102


def entering(config: SimConfig) -> set[str]:
    """Firms outside the market at the start: those with an ``enter`` event."""
    return {str(event.firm) for event in config.events if event.kind == "enter"}


def fire(model: Stage, step: int) -> tuple[dict[str, list[str]], np.ndarray]:
    """Fire the events due at ``step`` and complete strategy switches whose lag has run out.

    Returns, per firm name, the event kinds that fired for it (``switched``
    when a switch takes effect), and the customers released by ``exit``
    events, (f, s) in real units.
    """
    fired: dict[str, list[str]] = {}
    released = np.zeros((len(model.firms), len(model.config.segments)))
    for firm in model.firms:
        if firm.pending_switch is not None and firm.pending_switch[0] <= step:
            firm.complete_switch()
            fired.setdefault(firm.name, []).append("switched")
    for event in model.config.events:
        if event.month != step:
            continue
        if event.firm is not None:
            fired.setdefault(event.firm, []).append(event.kind)
        if event.kind == "exit":
            firm = model.firm_named(str(event.firm))
            if firm.alive:
                released[firm.code] = model.exit_firm(firm)
        else:
            _ACTIONS[event.kind](model, event, step)
    return fired, released


def _switch(model: Stage, event: EventConfig, step: int) -> None:
    firm = model.firm_named(str(event.firm))
    firm.pay("transition", event.transition_cost * model.config.market.total_customers)
    name = event.strategy if event.strategy is not None else firm.strategy_name
    label = f"{name}+dials" if event.dials else name
    firm.pending_switch = (step + event.lag, event.new_strategy(model.config), label)
    if event.lag == 0:
        firm.complete_switch()


def _enter(model: Stage, event: EventConfig, step: int) -> None:
    model.firm_named(str(event.firm)).alive = True


def _segment_code(model: Stage, event: EventConfig) -> int:
    return model.config.segment_names.index(str(event.segment))


def _needs_shift(model: Stage, event: EventConfig, step: int) -> None:
    population, market = model.population, model.config.market
    code = _segment_code(model, event)
    if event.shift is not None:
        population.needs[population.segment == code] += np.asarray(event.shift, dtype=float)
    if event.drift is not None:
        population.drift[code] = market.drift * np.asarray(event.drift, dtype=float) / market.steps_per_year


def _segment_change(model: Stage, event: EventConfig, step: int) -> None:
    population = model.population
    members = population.segment == _segment_code(model, event)
    if event.price_sensitivity is not None:
        population.price_sensitivity[members] = event.price_sensitivity
    if event.size is not None:
        population.weight[members] *= event.size
        model.resize_segments()


def _price_cut(model: Stage, event: EventConfig, step: int) -> None:
    firm = model.firm_named(str(event.firm))
    firm.price_cut = (event.price, step + event.duration)


_ACTIONS = {"switch": _switch, "enter": _enter, "needs_shift": _needs_shift,
            "segment_change": _segment_change, "price_cut": _price_cut}
