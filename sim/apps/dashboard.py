"""The live classroom dashboard: every browser session runs its own market, set up with controls.

``make dashboard`` (or ``market-sim-dashboard``) serves it at
http://localhost:8765; in Jupyter, ``from sim.apps.dashboard import page`` and
then ``page`` as the last line of a cell shows the same page. Each browser
tab (each student, when it is served to a room with ``--host 0.0.0.0``)
builds and steps a market of its own: :func:`Page` holds the market in the
session's state, so nobody drives anybody else's.

The controls pick the scenario (named with the first sentence of its own
file), the network, the market's size and horizon, the seed, and each firm's
main dials. A change applies at once: the market is composed again exactly
as ``market-sim`` composes the same overrides (:func:`overrides`) and starts
at month 0, so what the class sees is a run anyone can repeat from the
command line; a value the CLI would refuse is refused with the CLI's own
line, and the market running stays. Reset, play and step are Mesa's own
``ModelController``; its developer settings (play and render interval) are
folded away.

The pictures are drawn server-side with matplotlib from the run's own
tables (:mod:`sim.apps.live`, which notebooks use too), at the size they are
shown, so ``make bench`` times them from a real browser.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import solara

with warnings.catch_warnings():
    # Solara's hook check flags Mesa 3.3.1's ComponentsView, whose early return only happens with no components
    warnings.filterwarnings("ignore", message=".*ComponentsView")
    from mesa.visualization.solara_viz import ModelController, update_counter

from sim.apps.errors import describe_bad_input
from sim.apps.live import LiveCharts, LiveNetwork, NetworkView, outcomes_so_far, segment_table
from sim.config.compose import CONFIG_DIR, load_config
from sim.config.schema import PRICING_POLICIES
from sim.world.model import MarketModel

NO_SCENARIO = "none"
STRATEGIES = tuple(sorted(path.stem for path in (CONFIG_DIR / "strategy").glob("*.yaml")))
NETWORKS = tuple(sorted(path.stem for path in (CONFIG_DIR / "network").glob("*.yaml")))
ADDRESS = ("localhost", 8765)
DESCRIPTION_LENGTH = 110
HEADING = {"font-weight": "bold", "font-size": "15px"}
"""Plain bold text, not Markdown: solara's Markdown fetches KaTeX from a CDN, which a classroom offline lacks."""


def describe(path: Path) -> str:
    """The first sentence of a config file's leading comment, as its one-line description."""
    lines = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if "@package" not in line:
            lines.append(line.lstrip("# ").strip())
    text = re.sub(r" \(\.\./shared/DOMAIN\.md\)", "", " ".join(lines))
    sentence = re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= DESCRIPTION_LENGTH else sentence[:DESCRIPTION_LENGTH - 1].rstrip() + "…"


SCENARIOS = {NO_SCENARIO: "the default market: three firms, four segments, ten years",
             **{path.stem: describe(path) for path in sorted((CONFIG_DIR / "scenario").glob("*.yaml"))}}
"""Each scenario of ``conf/scenario`` with the first sentence of its own file."""

_DEFAULT = load_config()
CONTROLS = {  # control -> (the override it sets, its value in the default market)
    "focused": ("firms.focused.strategy", _DEFAULT.firms["focused"].strategy),
    "centric": ("firms.centric.strategy", _DEFAULT.firms["centric"].strategy),
    "obsessed": ("firms.obsessed.strategy", _DEFAULT.firms["obsessed"].strategy),
    "network": ("network", _DEFAULT.network.kind),
    "customers": ("market.customers", _DEFAULT.market.customers),
    "years": ("market.steps", _DEFAULT.market.steps // _DEFAULT.market.steps_per_year),
    "drift": ("market.drift", _DEFAULT.market.drift),
    "imitation": ("market.wom.imitation", _DEFAULT.market.wom.imitation),
}
"""The market's dials a class can turn. A control left at the default market's value sets nothing, so a scenario's
own value holds (``fast_drift`` keeps its drift, ``bass_docking`` its fully mixed network)."""
FIRM_DIALS = {  # dial of a firm (firms.NAME.<dial>) -> (label, lowest, highest, step)
    "price": ("price", 0.5, 2.0, 0.05),
    "service": ("service level", 0.0, 1.0, 0.05),
}
STRATEGY_DIALS = {  # dial of a strategy preset (strategies.NAME.<dial>): label, lowest, highest, step
    "research_respondents": ("needs interviews a review", 0, 400, 5),
}


def overrides(scenario: str = NO_SCENARIO, seed: int = 0, dials: Mapping[str, object] | None = None,
              **controls: object) -> list[str]:
    """The ``market-sim`` overrides the dashboard's controls stand for: scenario, moved controls, dials, seed.

    ``controls`` are those of :data:`CONTROLS` (the three default firms'
    strategies among them; ``years`` is the horizon); ``dials`` are further
    ``key=value`` overrides, as the firm and strategy panels set them.
    """
    unknown = set(controls) - set(CONTROLS)
    if unknown:
        raise TypeError(f"unknown controls {sorted(unknown)}; allowed: {', '.join(CONTROLS)}")
    chosen = [] if scenario == NO_SCENARIO else [f"scenario={scenario}"]
    for name, value in controls.items():
        if value != CONTROLS[name][1]:
            key = CONTROLS[name][0]
            chosen.append(f"{key}={int(value) * _DEFAULT.market.steps_per_year}" if name == "years"
                          else f"{key}={value}")
    chosen += [f"{key}={value}" for key, value in (dials or {}).items()]
    return [*chosen, f"seed={seed}"]


class DashboardMarket(MarketModel):
    """A :class:`MarketModel` built from the dashboard's controls (see :func:`overrides`)."""

    def __init__(self, scenario: str = NO_SCENARIO, seed: int = 0, dials: Mapping[str, object] | None = None,
                 **controls: object) -> None:
        """Compose the config of these controls and build the market; a refused value raises as the CLI's would."""
        self.overrides = overrides(scenario, int(seed), dials, **controls)
        super().__init__(load_config(self.overrides), seed=int(seed))
        self.view = NetworkView.of(self, seed=int(seed))


DEFAULT_SETTINGS: dict[str, object] = {"scenario": NO_SCENARIO, "seed": 0, "dials": {},
                                       **{name: value for name, (_, value) in CONTROLS.items()}}


def build(settings: Mapping[str, object]) -> tuple[DashboardMarket | None, str]:
    """The market of ``settings``, or None and the one line the CLI would print for them."""
    try:
        return DashboardMarket(**settings), ""
    except Exception as error:  # a refused value, said as the CLI says it
        message = describe_bad_input(error)
        if message is None:
            raise
        return None, message


def _select(label: str, values: Sequence[str], value: str, on_value) -> None:
    solara.Select(label=label, values=list(values), value=value, on_value=on_value, dense=True)


def _slider(label: str, value: float, low: float, high: float, step: float, on_value, shown: str) -> None:
    """A slider whose value is always written beside its label, not only while it is dragged."""
    kind = solara.SliderInt if isinstance(step, int) else solara.SliderFloat
    kind(label=f"{label}: {shown}", value=value, min=low, max=high, step=step, on_value=on_value,
         thumb_label=False)


@solara.component
def MarketControls(settings: solara.Reactive[dict]) -> None:
    """The scenario, network, size, horizon, drift, word of mouth and seed."""
    current = settings.value

    def setter(name: str):
        return lambda value: settings.set({**current, name: value})

    with solara.Card("Market"), solara.Column(gap="6px"):
        solara.v.Select(label="Scenario", v_model=str(current["scenario"]), dense=True,
                        items=[{"text": f"{name}: {text}", "value": name} for name, text in SCENARIOS.items()],
                        on_v_model=lambda value: settings.set({**current, "scenario": value, "dials": {}}))
        _select("Word-of-mouth network", NETWORKS, str(current["network"]), setter("network"))
        _slider("Simulated customers", int(current["customers"]), 1_000, 50_000, 1_000, setter("customers"),
                f"{int(current['customers']):,}")
        _slider("Years", int(current["years"]), 1, 20, 1, setter("years"), str(current["years"]))
        _slider("Speed of changing needs", float(current["drift"]), 0.0, 3.0, 0.25, setter("drift"),
                f"{float(current['drift']):g} x default")
        _slider("Word of mouth (Bass q)", float(current["imitation"]), 0.0, 1.0, 0.02, setter("imitation"),
                f"{float(current['imitation']):.2f}")
        _slider("Seed", int(current["seed"]), 0, 99, 1, setter("seed"), str(current["seed"]))


@solara.component
def FirmControls(settings: solara.Reactive[dict], model: MarketModel) -> None:
    """Each firm's strategy, price and service, and each strategy's research: the dials the brief turns."""
    current = settings.value
    dials = dict(current["dials"])

    def set_dial(key: str):
        return lambda value: settings.set({**current, "dials": {**dials, key: value}})

    config = model.config
    with solara.Card("Firms"), solara.Column(gap="6px"):
        for name, firm in config.firms.items():
            solara.Text(name, style=HEADING)
            _select(f"strategy of {name}", STRATEGIES if firm.strategy in STRATEGIES else
                    (*STRATEGIES, firm.strategy), firm.strategy, set_dial(f"firms.{name}.strategy"))
            for dial, (label, low, high, step) in FIRM_DIALS.items():
                value = float(getattr(firm, dial))
                _slider(f"{label} of {name}", value, low, high, step, set_dial(f"firms.{name}.{dial}"), f"{value:.2f}")
        for strategy in dict.fromkeys(firm.strategy for firm in config.firms.values()):
            preset = config.strategies[strategy]
            solara.Text(f"strategy {strategy} (every firm playing it)", style=HEADING)
            _select(f"pricing policy of {strategy}", PRICING_POLICIES, preset.pricing_policy,
                    set_dial(f"strategies.{strategy}.pricing_policy"))
            for dial, (label, low, high, step) in STRATEGY_DIALS.items():
                value = int(getattr(preset, dial))
                _slider(f"{label} ({strategy})", value, low, high, step,
                        set_dial(f"strategies.{strategy}.{dial}"), str(value))


@solara.component
def Charts(model: MarketModel) -> None:
    """Share, cumulative profit, retention and NPS by firm so far, drawn at the size they are shown.

    matplotlib on the server, not Vega-Lite in the browser: solara's Vega
    widget fetches its JavaScript from a CDN, which a classroom offline lacks.
    """
    update_counter.get()
    charts = solara.use_memo(lambda: LiveCharts(model), [model])
    solara.Image(charts.png())


@solara.component
def Network(model: DashboardMarket) -> None:
    """The sampled customers coloured by their current firm."""
    update_counter.get()
    network = solara.use_memo(lambda: LiveNetwork(model, model.view), [model])
    solara.Image(network.png())


@solara.component
def Segments(model: DashboardMarket) -> None:
    """Share of each segment held by each firm now, in percent."""
    update_counter.get()
    with solara.Card(f"Segment share by firm, month {model.steps} (%)"):
        solara.DataFrame(segment_table(model).reset_index(), items_per_page=10)


@solara.component
def Finished(model: MarketModel) -> None:
    """At the horizon: who earned most, shares, retention, NPS, and who went out of business and when."""
    update_counter.get()
    if model.running:
        return
    table = outcomes_so_far(model)
    best = table["cumulative profit (M)"].idxmax()
    with solara.Card(f"Run finished at month {model.steps}"):
        solara.Text(f"{best} earned most: {table.loc[best, 'cumulative profit (M)']:.1f} M over the run. "
                    + (" ".join(f"{name} went out of business in month {month}."
                                for name, month in table["out of business"].items() if month != "")
                       or "Every firm stayed in business."), style=HEADING)
        solara.DataFrame(table.reset_index(), items_per_page=10)


@solara.component
def Page() -> None:
    """One browser session's dashboard: its own settings and market."""
    settings = solara.use_reactive(DEFAULT_SETTINGS)
    first = solara.use_memo(lambda: build(DEFAULT_SETTINGS)[0], [])
    model = solara.use_reactive(first)
    problem = solara.use_reactive("")
    play_interval = solara.use_reactive(150)
    render_interval = solara.use_reactive(1)
    threads = solara.use_reactive(False)

    def rebuild() -> None:
        if settings.value is DEFAULT_SETTINGS:
            return
        market, message = build(settings.value)
        problem.set(message)
        if market is not None:
            model.set(market)

    solara.use_effect(rebuild, [settings.value])
    market = model.value
    with solara.AppBar():
        Heading(market)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(model, model_parameters={**settings.value}, play_interval=play_interval,
                            render_interval=render_interval, use_threads=threads).key(f"controller-{id(market)}")
            with solara.Column(gap="2px"):
                Month(market)
                solara.Text("Every change below starts a new market at month 0.", style={"font-size": "13px"})
                if problem.value:
                    solara.Error(problem.value)
            with solara.Details("Playback (Mesa's settings)", expand=False):
                solara.SliderInt(label=f"Pause between months: {play_interval.value} ms", value=play_interval,
                                 min=0, max=1000, step=50, thumb_label=False)
                solara.SliderInt(label=f"Months per redraw: {render_interval.value}", value=render_interval,
                                 min=1, max=12, step=1, thumb_label=False)
        MarketControls(settings)
        FirmControls(settings, market)
    with solara.Column(style={"min-width": "0"}):
        Finished(market)
        Charts(market)
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            Network(market)
            Segments(market)
        solara.Text("market-sim " + " ".join(market.overrides), style={"font-family": "monospace"})


@solara.component
def Heading(model: MarketModel) -> None:
    """The page's title: the firms in the market now (an entrant once it enters; none that has gone)."""
    update_counter.get()
    present = [firm.name for firm in model.firms if firm.alive] or model.config.firm_names
    title = f"Customer strategy: {', '.join(present)}"
    solara.Title(title)
    solara.AppBarTitle(title)


@solara.component
def Month(model: MarketModel) -> None:
    """Where the run is: month so far of its horizon."""
    update_counter.get()
    solara.Text(f"Month: {model.steps} of {model.config.market.steps}", style={"font-size": "16px"})


page = Page()
"""The page as an element: solara serves it with a render context, and so a market, per browser session; in Jupyter
it displays as a widget."""


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

