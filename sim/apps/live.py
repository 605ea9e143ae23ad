"""Live views of a model while it runs: the steps so far as charts, a network picture, a segment table.

Notebooks and the dashboard (:mod:`sim.apps.dashboard`) both draw from these, so
a class sees the same pictures in either. Figures are plain matplotlib
(built without pyplot, like :mod:`sim.output.figures`), so they render in Jupyter,
VS Code and Colab alike.

The network picture shows a neighbourhood of a few hundred customers
gathered around a few starting customers; its layout is computed once
(:class:`NetworkView`) and reused at every step, so customers stay put and
only their colours change.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from PIL import Image

from sim.output.figures import PANELS, InlineFigure, mark_exits, market_figure, market_series
from sim.world.model import MarketModel
from sim.world.outcomes import exits, firm_outcomes
from sim.world.population import NO_FIRM, tally

SAMPLED_CUSTOMERS = 300
"""Customers in the network picture: enough to see clusters form, few enough to draw in a few milliseconds."""


@dataclass(frozen=True)
class NetworkView:
    """A fixed sample of the contact network for pictures: which customers, who knows whom, and where each sits."""

    customers: np.ndarray
    edges: np.ndarray
    positions: np.ndarray

    @classmethod
    def of(cls, model: MarketModel, seed: int = 0, size: int = SAMPLED_CUSTOMERS) -> NetworkView:
        """Gather ``size`` customers breadth-first around a few seeded starting customers, and lay them out once.

        A uniform sample of a sparse graph would show almost no contacts;
        a neighbourhood shows the local clusters word of mouth travels in.
        In a fully mixed market everyone talks to everyone: a random sample
        sits on a circle and no contact lines are drawn. The draw uses its own
        generator seeded by ``seed``, so it takes no random numbers from
        the model.
        """
        n = model.population.size
        rng = np.random.default_rng(seed)
        adjacency = model.contacts.adjacency if model.contacts is not None else None
        if adjacency is None:
            chosen = np.sort(rng.choice(n, size=min(size, n), replace=False))
            return cls(chosen, np.empty((0, 2), dtype=np.int64),
                       np.array(list(nx.circular_layout(nx.empty_graph(len(chosen))).values())))
        chosen = _neighbourhood(adjacency.indptr, adjacency.indices, size, rng)
        sub = adjacency[chosen][:, chosen].tocoo()
        graph = nx.empty_graph(len(chosen))
        graph.add_edges_from((int(a), int(b)) for a, b in zip(sub.row, sub.col, strict=True) if a < b)
        layout = nx.spring_layout(graph, seed=int(rng.integers(2**31)), iterations=50)
        positions = np.array([layout[node] for node in range(len(chosen))])
        edges = np.array(list(graph.edges), dtype=np.int64).reshape(-1, 2)
        return cls(chosen, edges, positions)


def _neighbourhood(indptr: np.ndarray, indices: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``size`` customers reached breadth-first from a few random starts, sorted."""
    n = len(indptr) - 1
    seen: dict[int, None] = {}
    frontier = [int(start) for start in rng.choice(n, size=min(4, n), replace=False)]
    while frontier and len(seen) < size:
        nxt = []
        for customer in frontier:
            if customer in seen:
                continue
            seen[customer] = None
            if len(seen) == size:
                break
            nxt.extend(int(c) for c in indices[indptr[customer]:indptr[customer + 1]])
        frontier = nxt
    return np.array(sorted(seen), dtype=np.int64)


_NO_ROWS = pd.DataFrame({column: pd.Series(dtype=float) for column in ("step", "firm", "strategy", "alive", "released",
                                                                       *(column for column, _ in PANELS))})


def firms_so_far(model: MarketModel) -> pd.DataFrame:
    """The ``firms`` table of the steps run so far (the same rows ``run_model`` writes; no rows before a step)."""
    rows = model.recorder.firm_rows
    return pd.DataFrame(rows) if rows else _NO_ROWS


CHART_DPI = 72
"""The dots per inch live pictures are drawn at: one point of type is one pixel on the screen, so a 12-point label
reads at 12 pixels, and the page shows each picture at its own size."""
LIVE_FONT = 12
LIVE_SIZE = (10.0, 6.2)
"""Inches of the live charts: 720 x 446 pixels at :data:`CHART_DPI`, which fits beside the controls on a
1366 x 768 projector."""


class Snapshots:
    """PNG pictures of a live figure whose frame is drawn once: each update draws only the artists that move.

    Axes, ticks, titles and legend change seldom; drawing them is most of
    what drawing a chart costs. The frame is drawn without the ``moving``
    artists and kept; a picture restores it and draws those artists on top,
    and the frame is drawn again only when its ``key`` (say, the axes'
    limits) changes.
    """

    def __init__(self, figure: Figure) -> None:
        figure.set_dpi(CHART_DPI)
        self.figure, self.canvas = figure, FigureCanvasAgg(figure)
        self.frame: object | None = None
        self.key: object = None

    def png(self, moving: Sequence[Artist], key: object) -> bytes:
        """The figure now, as PNG bytes at :data:`CHART_DPI`."""
        if self.frame is None or key != self.key:
            for artist in moving:
                artist.set_visible(False)
            self.canvas.draw()
            self.frame, self.key = self.canvas.copy_from_bbox(self.figure.bbox), key
            for artist in moving:
                artist.set_visible(True)
        self.canvas.restore_region(self.frame)
        for artist in moving:
            self.figure.draw_artist(artist)
        picture = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(picture, format="png", compress_level=1)
        return picture.getvalue()


class LiveCharts:
    """:func:`sim.output.figures.market_figure` of a running model, kept open and brought up to date in place.

    Building the figure costs about as much as drawing it, so a live page
    that redraws every month updates the lines' data instead, and its
    picture (:meth:`png`) redraws only the lines over a kept frame. The years
    run from 0 to the horizon from the start, so a line grows across a fixed
    frame, and a value axis widens by a quarter more than its data needs
    when they outgrow it, so the frame seldom changes; type is at least
    :data:`LIVE_FONT` points.
    """

    def __init__(self, model: MarketModel) -> None:
        self.model = model
        market = model.config.market
        self.figure = market_figure(_NO_ROWS, market.steps_per_year, horizon_years=market.steps / market.steps_per_year)
        self.figure.set_size_inches(*LIVE_SIZE)
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.1, top=0.94, hspace=0.35, wspace=0.25)
        for axis in self.figure.axes:
            axis.set_title(axis.get_title(), fontsize=LIVE_FONT + 1)
            axis.tick_params(labelsize=LIVE_FONT)
            for label in (axis.xaxis.label, axis.yaxis.label):
                label.set_fontsize(LIVE_FONT)
            axis.yaxis.set_major_locator(MaxNLocator(4))
            axis.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        for text in self.figure.texts:
            text.set_fontsize(max(text.get_fontsize(), LIVE_FONT + 2))
        self.snapshots = Snapshots(self.figure)
        self.lines: dict[tuple[int, str], Line2D] = {}
        self.exits = 0
        self.fitted: set[Axes] = set()
        self.drawn_step = -1
        self.update()

    def update(self) -> InlineFigure:
        """The figure with every step run so far."""
        if self.model.steps == self.drawn_step:
            return self.figure
        axes = self.figure.axes
        firms = firms_so_far(self.model)
        for key, (years, values) in market_series(firms, self.model.config.market.steps_per_year).items():
            if key in self.lines:
                self.lines[key].set_data(years, values)
            else:
                (self.lines[key],) = axes[key[0]].plot(years, values, label=key[1])
        for axis, bounds in zip(axes, BOUNDS, strict=True):
            _widen(axis, fresh=axis not in self.fitted, bounds=bounds)
            if axis.get_lines():
                self.fitted.add(axis)
        if self.lines and axes[0].get_legend() is None:
            axes[0].legend(loc="upper left", fontsize=LIVE_FONT)
        ended = len(exits(firms)) if len(firms) else 0
        if ended != self.exits:  # only when a firm exits: the marks are part of the kept frame
            mark_exits(self.figure, firms, self.model.config.market.steps_per_year)
            self.exits = ended
        self.drawn_step = self.model.steps
        return self.figure

    def png(self) -> bytes:
        """The picture the page shows, brought up to date (only the lines are drawn again, most months)."""
        self.update()
        frame = (tuple(axis.get_ylim() for axis in self.figure.axes), self.figure.axes[0].get_legend() is not None,
                 self.exits)
        return self.snapshots.png(list(self.lines.values()), frame)


BOUNDS = ((0.0, 1.0), (-np.inf, np.inf), (0.0, 1.0), (-100.0, 100.0))
"""The values each panel can take (share, profit, retention, NPS): an axis never runs past them."""


def _widen(axis: Axes, fresh: bool = False, bounds: tuple[float, float] = (-np.inf, np.inf)) -> None:
    """Widen the value axis when its lines outgrow it, with room for them to grow by half the axis again.

    A ``fresh`` axis (its first lines) is fitted to them instead, so
    retention near 100% is not drawn as one flat line at the top.
    """
    values = [line.get_ydata() for line in axis.get_lines()]
    data = np.concatenate([np.asarray(v, dtype=float) for v in values]) if values else np.empty(0)
    data = data[np.isfinite(data)]
    if not data.size:
        return
    low, high = axis.get_ylim()
    least, most = float(data.min()), float(data.max())
    room = 0.25 * max(most - least, 1e-9, 0.1 * abs(most))
    if fresh:
        low, high = least - room, most + room
    elif least >= low and most <= high:
        return
    else:  # at least half the span again: a line that keeps growing redraws the frame ever more seldom
        room = max(room, 0.5 * (high - low))
        low, high = min(low, least - room) if least < low else low, max(high, most + room) if most > high else high
    axis.set_ylim(max(low, bounds[0]), min(high, bounds[1]))


def outcomes_so_far(model: MarketModel) -> pd.DataFrame:
    """Each firm's headline figures over the months run so far, for the page's finished panel (one row per firm).

    The tables are read without closing any customer's spell, so the model can go on.
    """
    steps_per_year = model.config.market.steps_per_year
    firms = firms_so_far(model)
    columns = model.recorder.segment_columns
    segments = pd.DataFrame({name: np.concatenate(values) for name, values in columns.items()})
    segments["firm"] = np.asarray(model.config.firm_names, dtype=object)[segments["firm"].to_numpy()]
    rows = firm_outcomes(firms, segments, steps_per_year)
    exited = dict(exits(firms).itertuples(index=False))
    return pd.DataFrame({
        "strategy": [row["strategy"] for row in rows],
        "cumulative profit (M)": [round(row["cumulative_profit"] / 1e6, 2) for row in rows],
        "final share (%)": [round(100 * row["final_share"], 1) for row in rows],
        "retention a year (%)": [round(100 * row["annual_retention"], 1) for row in rows],
        "NPS": [round(row["mean_nps"], 1) for row in rows],
        "out of business": [int(exited[row["firm"]]) if row["firm"] in exited else "" for row in rows],
    }, index=pd.Index([row["firm"] for row in rows], name="firm"))


def firm_colours(count: int) -> list[str]:
    """One colour per firm code, matplotlib's default cycle, so the network matches the charts."""
    return [f"C{code % 10}" for code in range(count)]


class LiveNetwork:
    """The sampled customers at their fixed places, coloured by the firm each uses now (grey: none).

    Drawn once; :meth:`update` only recolours the customers and retitles the picture.
    """

    def __init__(self, model: MarketModel, view: NetworkView) -> None:
        self.model, self.view = model, view
        names = model.config.firm_names
        self.palette = np.array(["0.6", *firm_colours(len(names))], dtype=object)
        self.figure = InlineFigure(figsize=(5.5, 5.5))
        self.figure.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93)
        axis = self.figure.add_subplot()
        if len(view.edges):
            axis.add_collection(LineCollection(view.positions[view.edges], colors="0.8", linewidths=0.5, zorder=1))
        self.dots = axis.scatter(view.positions[:, 0], view.positions[:, 1], s=18, zorder=2, linewidths=0)
        for colour, name in zip(self.palette, ["no firm", *names], strict=True):
            axis.scatter([], [], c=colour, s=18, label=name)
        axis.legend(loc="lower left", fontsize=LIVE_FONT, frameon=False)
        axis.set_axis_off()
        # in figure coordinates, not an axes title: its place is then known before the first full draw
        self.title = self.figure.text(0.5, 0.99, "", ha="center", va="top", fontsize=LIVE_FONT)
        self.snapshots = Snapshots(self.figure)
        self.update()

    def update(self) -> InlineFigure:
        """The picture as customers stand now."""
        firm = self.model.population.firm[self.view.customers]
        self.dots.set_facecolor(list(self.palette[np.where(firm == NO_FIRM, 0, firm + 1)]))
        self.title.set_text(f"{len(self.view.customers)} customers and their contacts, month {self.model.steps}")
        return self.figure

    def png(self) -> bytes:
        """The picture the page shows: the contacts and legend kept, the customers and the title drawn again."""
        self.update()
        return self.snapshots.png([self.dots, self.title], None)


def network_figure(model: MarketModel, view: NetworkView) -> InlineFigure:
    """A picture of ``view``'s customers as they stand now (:class:`LiveNetwork`)."""
    return LiveNetwork(model, view).figure


def segment_table(model: MarketModel) -> pd.DataFrame:
    """Share of each segment (rows) held by each firm (columns) now, in percent of the segment's real customers."""
    names, segments = model.config.firm_names, model.config.segment_names
    held = tally(model.population, len(names), len(segments))
    share = held / np.maximum(model.segment_sizes, 1e-12)[None, :]
    return pd.DataFrame(np.round(100 * share.T, 1), index=pd.Index(segments, name="segment"), columns=names)
