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

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.output.figures import PANELS, InlineFigure, market_figure, market_series
from sim.world.model import MarketModel
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


class LiveCharts:
    """:func:`sim.output.figures.market_figure` of a running model, kept open and brought up to date in place.

    Building the figure costs about as much as drawing it, so a live page
    that redraws every month updates the lines' data instead; titles sit at
    a fixed height, years are whole and each axis carries a handful of
    ticks, because laying out tick labels is most of what drawing it costs.
    """

    def __init__(self, model: MarketModel) -> None:
        self.model = model
        self.figure = market_figure(_NO_ROWS, model.config.market.steps_per_year)
        for axis in self.figure.axes:  # the costly parts of redrawing: placing titles and tick labels anew
            axis.set_title(axis.get_title(), y=1.0, pad=5)
            axis.yaxis.set_major_locator(MaxNLocator(4))
            axis.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        self.lines: dict[tuple[int, str], Line2D] = {}
        self.drawn_step = -1
        self.update()

    def update(self) -> InlineFigure:
        """The figure with every step run so far."""
        if self.model.steps == self.drawn_step:
            return self.figure
        axes = self.figure.axes
        for key, (years, values) in market_series(firms_so_far(self.model),
                                                  self.model.config.market.steps_per_year).items():
            if key in self.lines:
                self.lines[key].set_data(years, values)
            else:
                (self.lines[key],) = axes[key[0]].plot(years, values, label=key[1])
        for axis in axes:
            axis.relim()
            axis.autoscale_view()
        if self.lines and axes[0].get_legend() is None:
            axes[0].legend(loc="upper left", fontsize="small")
        self.drawn_step = self.model.steps
        return self.figure


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
        axis.legend(loc="lower left", fontsize="small", frameon=False)
        axis.set_axis_off()
        self.title = axis.set_title("")
        self.update()

    def update(self) -> InlineFigure:
        """The picture as customers stand now."""
        firm = self.model.population.firm[self.view.customers]
        self.dots.set_facecolor(list(self.palette[np.where(firm == NO_FIRM, 0, firm + 1)]))
        self.title.set_text(f"{len(self.view.customers)} customers and their contacts, month {self.model.steps}")
        return self.figure


def network_figure(model: MarketModel, view: NetworkView) -> InlineFigure:
    """A picture of ``view``'s customers as they stand now (:class:`LiveNetwork`)."""
    return LiveNetwork(model, view).figure


def segment_table(model: MarketModel) -> pd.DataFrame:
    """Share of each segment (rows) held by each firm (columns) now, in percent of the segment's real customers."""
    names, segments = model.config.firm_names, model.config.segment_names
    held = tally(model.population, len(names), len(segments))
    share = held / np.maximum(model.segment_sizes, 1e-12)[None, :]
    return pd.DataFrame(np.round(100 * share.T, 1), index=pd.Index(segments, name="segment"), columns=names)
