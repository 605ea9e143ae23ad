"""The live classroom dashboard: Mesa's SolaraViz over a market a teacher sets up with controls.

``make dashboard`` (or ``market-sim-dashboard``) serves it at
http://localhost:8765; in Jupyter, ``from sim.apps.dashboard import page`` and
then ``page`` as the last line of a cell shows the same page. Controls pick
the scenario, each firm's strategy, a few dials, the network and the seed;
play, pause, step and reset are Mesa's own. Reset builds a new market from
the controls, composed exactly as ``market-sim`` would compose the same
overrides (:func:`overrides`), so what the class sees is a run anyone can
repeat from the command line.

The pictures are drawn server-side with matplotlib from the run's own
tables (:mod:`sim.apps.live`, which notebooks use too), so ``make bench`` times
one step plus everything the page redraws (:func:`redraw`) without a
browser. Solara widgets do not render in Colab; there the notebooks carry
the same pictures.
"""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Sequence

import solara

with warnings.catch_warnings():
    # Solara's hook check flags Mesa 3.3.1's ComponentsView, whose early return only happens with no components
    warnings.filterwarnings("ignore", message=".*ComponentsView")
    from mesa.visualization import SolaraViz

from sim.apps.live import LiveCharts, LiveNetwork, NetworkView, segment_table
from sim.config.compose import CONFIG_DIR, load_config
from sim.world.model import MarketModel

NO_SCENARIO = "none"
SCENARIOS = (NO_SCENARIO, *sorted(path.stem for path in (CONFIG_DIR / "scenario").glob("*.yaml")))
STRATEGIES = tuple(sorted(path.stem for path in (CONFIG_DIR / "strategy").glob("*.yaml")))
NETWORKS = tuple(sorted(path.stem for path in (CONFIG_DIR / "network").glob("*.yaml")))
ADDRESS = ("localhost", 8765)
PNG = {"format": "png", "dpi": 72, "pil_kwargs": {"compress_level": 1}}
"""How the page's pictures are sent: sharp on a projector at the page's size; light compression, because
PIL's default level took a tenth of each redraw to save a few kilobytes on a local connection."""

_DEFAULT = load_config()
CONTROLS = {  # control -> (the override it sets, its value in the default market)
    "focused": ("firms.focused.strategy", _DEFAULT.firms["focused"].strategy),
    "centric": ("firms.centric.strategy", _DEFAULT.firms["centric"].strategy),
    "obsessed": ("firms.obsessed.strategy", _DEFAULT.firms["obsessed"].strategy),
    "network": ("network", _DEFAULT.network.kind),
    "customers": ("market.customers", _DEFAULT.market.customers),
    "drift": ("market.drift", _DEFAULT.market.drift),
    "imitation": ("market.wom.imitation", _DEFAULT.market.wom.imitation),
}
"""The dials a class can turn. A control left at the default market's value sets nothing, so a scenario's
own value holds (``fast_drift`` keeps its drift, ``bass_docking`` its fully mixed network)."""


def overrides(scenario: str = NO_SCENARIO, seed: int = 0, **controls: object) -> list[str]:
    """The ``market-sim`` overrides the dashboard's controls stand for: the scenario, every moved control, the seed.

    The three firms are the default market's, named for the strategy they
    start with; each strategy control sets the strategy that firm plays.
    """
    unknown = set(controls) - set(CONTROLS)
    if unknown:
        raise TypeError(f"unknown controls {sorted(unknown)}; allowed: {', '.join(CONTROLS)}")
    chosen = [] if scenario == NO_SCENARIO else [f"scenario={scenario}"]
    chosen += [f"{CONTROLS[name][0]}={value}" for name, value in controls.items() if value != CONTROLS[name][1]]
    return [*chosen, f"seed={seed}"]


class DashboardMarket(MarketModel):
    """A :class:`MarketModel` built from the dashboard's controls (SolaraViz rebuilds it with keywords on reset)."""

    def __init__(self, scenario: str = NO_SCENARIO, focused: str = CONTROLS["focused"][1],
                 centric: str = CONTROLS["centric"][1], obsessed: str = CONTROLS["obsessed"][1],
                 network: str = CONTROLS["network"][1], customers: int = CONTROLS["customers"][1],
                 drift: float = CONTROLS["drift"][1], imitation: float = CONTROLS["imitation"][1],
                 seed: int = 0) -> None:
        """Compose the config of these controls and build the market (see :func:`overrides`)."""
        self.overrides = overrides(scenario, int(seed), focused=focused, centric=centric, obsessed=obsessed,
                                   network=network, customers=customers, drift=drift, imitation=imitation)
        super().__init__(load_config(self.overrides), seed=int(seed))
        self.view = NetworkView.of(self, seed=int(seed))


def _choices(values: Sequence[str], value: str, label: str) -> dict[str, object]:
    return {"type": "Select", "value": value, "values": list(values), "label": label}


MODEL_PARAMS = {
    "scenario": _choices(SCENARIOS, NO_SCENARIO, "Scenario (conf/scenario)"),
    **{firm: _choices(STRATEGIES, CONTROLS[firm][1], f"Strategy of firm '{firm}'")
       for firm in ("focused", "centric", "obsessed")},
    "network": _choices(NETWORKS, CONTROLS["network"][1], "Word-of-mouth network"),
    "customers": {"type": "SliderInt", "value": CONTROLS["customers"][1], "min": 1_000, "max": 50_000, "step": 1_000,
                  "label": "Simulated customers"},
    "drift": {"type": "SliderFloat", "value": CONTROLS["drift"][1], "min": 0.0, "max": 3.0, "step": 0.25,
              "label": "Speed of changing needs (x default)"},
    "imitation": {"type": "SliderFloat", "value": CONTROLS["imitation"][1], "min": 0.0, "max": 1.0, "step": 0.02,
                  "label": "Word of mouth strength (Bass q)"},
    "seed": {"type": "SliderInt", "value": 0, "min": 0, "max": 99, "step": 1, "label": "Seed"},
}
"""The controls: Mesa's ``model_params``, each the keyword of :class:`DashboardMarket` it sets on reset; those left
at the default market's value leave a scenario's own setting alone (:data:`CONTROLS`)."""


def Charts(model: MarketModel) -> solara.Element:
    """Share, cumulative profit, retention and NPS by firm so far."""
    charts = solara.use_memo(lambda: LiveCharts(model), [model])
    return solara.FigureMatplotlib(charts.update(), dependencies=[model, model.steps], **PNG)


def Network(model: DashboardMarket) -> solara.Element:
    """The sampled customers coloured by their current firm."""
    network = solara.use_memo(lambda: LiveNetwork(model, model.view), [model])
    return solara.FigureMatplotlib(network.update(), dependencies=[model, model.steps], **PNG)


def Segments(model: DashboardMarket) -> solara.Element:
    """Share of each segment held by each firm now, in percent, and the overrides that make this market."""
    with solara.Card(f"Segment share by firm, month {model.steps} (%)") as card:
        solara.DataFrame(segment_table(model).reset_index(), items_per_page=10)
        solara.Text("market-sim " + " ".join(model.overrides))
    return card


def redraw(charts: LiveCharts, network: LiveNetwork) -> list[bytes]:
    """What the page sends after a step: both pictures brought up to date and rendered as PNG (for ``make bench``)."""
    pictures = []
    for figure in (charts.update(), network.update()):
        png = io.BytesIO()
        figure.savefig(png, **PNG)
        pictures.append(png.getvalue())
    segment_table(charts.model)
    return pictures


def make_page(model: DashboardMarket | None = None) -> solara.Element:
    """The dashboard page around ``model`` (a default market when omitted)."""
    return SolaraViz(model if model is not None else DashboardMarket(), components=[Charts, Network, Segments],
                     model_params=MODEL_PARAMS, name="Customer strategy: focused, centric, obsessed")


page = make_page()


def main(argv: Sequence[str] | None = None) -> None:
    """``market-sim-dashboard [--host H] [--port P]``: serve the page with Solara (``make dashboard``)."""
    import argparse

    from solara.__main__ import cli as solara_cli

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=ADDRESS[0])
    parser.add_argument("--port", type=int, default=ADDRESS[1])
    args = parser.parse_args(argv)
    print(f"market-sim-dashboard: open http://{args.host}:{args.port} (Ctrl-C stops it)", file=sys.stderr)
    solara_cli(["run", "sim.apps.dashboard:page", "--host", args.host, "--port", str(args.port), "--production",
                "--no-open"])
