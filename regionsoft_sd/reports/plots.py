"""Figures of scenario trajectories for policy readers. Every function returns a Figure.

Figures are built with `matplotlib.figure.Figure` directly, not pyplot, so no
global state or GUI backend is involved: they work in scripts, tests, the CLI
and notebooks alike (a notebook shows a Figure a cell returns, once
`%matplotlib inline` has run).

What every figure here does (see `regionsoft_sd.model.style`): a scenario keeps its
colour in every figure; the baseline is black, thicker and drawn on top; axes
carry readable units ("billion yuan at 2005 prices per year", "index, rest of China =
1"), never the model's `Dmnl` or `Byuan`; long names are wrapped, not cut. Variable names may be
spelled any way the model accepts (case, spaces and underscores ignored).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.style import (
    BASELINE,
    line_style,
    scenario_colours,
    thousands,
    tick_locator,
    variable_units,
    wrap,
)

Trajectories = Mapping[str, pd.DataFrame] | pd.DataFrame


def key_variables() -> list[str]:
    """The model variables behind the ranked outcome metrics, in metric order.

    Derived from `metrics.METRICS`, so a new headline metric brings its variable
    into the default figures without editing this module.
    """
    from regionsoft_sd.model.metrics import METRICS

    cat = catalogue()
    names = [
        cat[m.variable].name
        for m in METRICS
        if m.better and m.variable in cat and cat[m.variable].kind in ("stock", "auxiliary")
    ]
    return list(dict.fromkeys(names))


def _as_mapping(trajectories: Trajectories) -> dict[str, pd.DataFrame]:
    if isinstance(trajectories, pd.DataFrame):
        return {trajectories.attrs.get("scenario", "run"): trajectories}
    return dict(trajectories)


def _resolve(variables: Sequence[str], runs: Mapping[str, pd.DataFrame]) -> list[str]:
    """Canonical column names for `variables` (any spelling the model accepts)."""
    cat = catalogue()
    first = next(iter(runs.values()))
    out = []
    for v in variables:
        name = v if v in first.columns else cat.resolve(v, key="variables")
        missing = [s for s, df in runs.items() if name not in df.columns]
        if missing:
            raise KeyError(f"{name!r} is not in the trajectories of {', '.join(missing)}")
        out.append(name)
    return out


def _units_of(df: pd.DataFrame, name: str) -> str:
    return variable_units(name, (df.attrs.get("units") or {}).get(name))


def _time_axis(ax) -> None:
    ax.xaxis.set_tick_params(labelbottom=True)
    ax.set_xlabel("Year")


def _order(runs: Mapping[str, pd.DataFrame], baseline: str | None) -> list[str]:
    """Draw order: the baseline last, so that it stays on top."""
    return [n for n in runs if n != baseline] + [n for n in runs if n == baseline]


def spread(positions: Sequence[float], gap: float, lo: float = 0.0, hi: float = 1.0) -> list[float]:
    """Positions moved as little as possible so that neighbours are at least `gap` apart.

    Overlapping neighbours are pushed apart symmetrically, repeatedly, within [lo, hi]
    (if they all fit there); the order of the positions is kept. Returned in the
    order given.
    """
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    p = [float(positions[i]) for i in order]
    gap = min(gap, (hi - lo) / max(len(p) - 1, 1))
    for _ in range(2000):
        moved = False
        for i in range(1, len(p)):
            short = gap - (p[i] - p[i - 1])
            if short > 1e-9:
                p[i - 1] -= short / 2
                p[i] += short / 2
                moved = True
        p = [min(max(x, lo), hi) for x in p]  # a wall pushes back only those against it
        if not moved:
            break
    out = [0.0] * len(p)
    for k, i in enumerate(order):
        out[i] = p[k]
    return out


def _readable_ink(colour: str) -> tuple[float, float, float]:
    """A line's colour for text on white: light colours (sand, cyan) darkened until
    their luminance is at most 0.35, so that their names stay legible."""
    from matplotlib.colors import to_rgb

    rgb = to_rgb(colour)
    for _ in range(20):
        lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
        if lum <= 0.35:
            break
        rgb = tuple(c * 0.85 for c in rgb)
    return rgb


def _end_labels(ax, items: list[tuple[str, float, float, str]], fontsize: float = 7.5) -> None:
    """Name each line just right of its last point, nudged apart so that no two overlap.

    `items` holds (label, x and y of the last point, colour). The axes end at the
    last time, so each label sits beside its line's end; a label nudged away from
    its line is joined to it by a thin leader in the line's colour.
    """
    if not items:
        return
    lo, hi = ax.get_ylim()  # the autoscaled limits (linear axes)
    fig = ax.get_figure()
    height_in = fig.get_size_inches()[1] * ax.get_position().height
    gap = (fontsize * 1.5 / 72) / max(height_in, 0.5)  # a text line and a bit, axes fraction
    ends = [(y - lo) / (hi - lo) if hi > lo else 0.5 for _, _, y, _ in items]
    placed = spread(ends, gap, lo=-0.05, hi=1.05)
    for (label, x, y, colour), at, end in zip(items, placed, ends, strict=True):
        nudged = abs(at - end) > gap / 3
        ink = _readable_ink(colour)
        ax.annotate(
            label,
            xy=(x, y),
            xycoords="data",
            xytext=(1.025, at),
            textcoords="axes fraction",
            fontsize=fontsize,
            color=ink,
            va="center",
            ha="left",
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6, "shrinkA": 0, "shrinkB": 0}
            if nudged
            else None,
        )


def plot_trajectories(
    trajectories: Trajectories,
    variables: Sequence[str] | None = None,
    *,
    ncols: int = 2,
    title: str | None = None,
    baseline: str | None = BASELINE,
    colours: Mapping[str, str] | None = None,
    end_labels: bool | None = None,
) -> Figure:
    """Overlay several scenarios: one panel per variable, one line per scenario.

    `variables` defaults to `key_variables()`; any spelling of model names works.
    All panels share the time axis; each y axis carries readable units. A single
    DataFrame (one `run()`) is drawn as one scenario. `colours` (scenario ->
    colour) defaults to `style.scenario_colours`; the `baseline` scenario, if
    present, is highlighted. `end_labels` names each line at its right end
    (default: when there are two or more scenarios).
    """
    runs = _as_mapping(trajectories)
    if not runs:
        raise ValueError("plot_trajectories needs at least one trajectory")
    variables = _resolve(key_variables() if variables is None else variables, runs)
    if not variables:
        raise ValueError("plot_trajectories needs at least one variable")
    colours = dict(colours or scenario_colours(runs, baseline))
    end_labels = len(runs) > 1 if end_labels is None else end_labels
    first = next(iter(runs.values()))
    ncols = max(1, min(ncols, len(variables)))
    nrows = math.ceil(len(variables) / ncols)
    width = (5.6 if end_labels else 4.8) * ncols
    fig = Figure(figsize=(width, 2.9 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for ax, var in zip(axes, variables, strict=False):
        ends = []
        for name in _order(runs, baseline):
            df = runs[name]
            ax.plot(df.index, df[var], **line_style(name, colours, baseline))
            ends.append((name, float(df.index[-1]), float(df[var].iloc[-1]), colours[name]))
        ax.set_title(wrap(var, 40), fontsize=10)
        ax.set_ylabel(wrap(_units_of(first, var), 22), fontsize=8.5)
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.yaxis.set_major_locator(tick_locator())
        ax.grid(True, alpha=0.3)
        if end_labels:
            ax.set_xlim(first.index[0], first.index[-1])  # labels follow the lines' ends
            _end_labels(ax, ends)
    for ax in axes[len(variables) :]:
        ax.set_visible(False)
    # The lowest drawn panel of each column carries the time axis: sharex hides
    # the tick labels of every panel above the bottom row, which may be empty.
    for col in range(ncols):
        _time_axis(axes[col : len(variables) : ncols][-1])
    _legend(fig, axes[0], len(runs))
    if title:
        fig.suptitle(wrap(title, 110))
    return fig


def _legend(fig: Figure, ax, n: int) -> None:
    handles, labels = ax.get_legend_handles_labels()
    # legend in the order the user gave, the baseline first
    order = sorted(range(len(labels)), key=lambda i: (not labels[i].endswith("(reference)"), i))
    fig.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="outside lower center",
        ncols=min(n, 4),
        fontsize=8.5,
        frameon=False,
    )


def plot_outcomes(
    trajectories: Trajectories,
    variables: Sequence[str] | None = None,
    *,
    baseline: str = BASELINE,
    colours: Mapping[str, str] | None = None,
    title: str | None = "Key outcomes",
) -> Figure:
    """Each outcome twice: its level (left) and its difference from the baseline (right).

    Strategies often end within a few per cent of each other, so their lines
    overlap on the level scale; the right column shows how far each one is above
    or below the baseline, in per cent, with each line named at its end. Without
    a baseline among the scenarios, only the levels are drawn.
    """
    runs = _as_mapping(trajectories)
    if baseline not in runs or len(runs) < 2:
        return plot_trajectories(runs, variables, title=title, baseline=baseline, colours=colours)
    variables = _resolve(key_variables() if variables is None else variables, runs)
    colours = dict(colours or scenario_colours(runs, baseline))
    first = next(iter(runs.values()))
    fig = Figure(figsize=(11.5, 2.7 * len(variables) + 1.0), layout="constrained")
    axes = fig.subplots(len(variables), 2, sharex=True, squeeze=False)
    base = runs[baseline]
    for (left, right), var in zip(axes, variables, strict=True):
        ends = []
        for name in _order(runs, baseline):
            df = runs[name]
            style = line_style(name, colours, baseline)
            left.plot(df.index, df[var], **style)
            with np.errstate(divide="ignore", invalid="ignore"):
                diff = (df[var] / base[var] - 1.0) * 100.0
            right.plot(df.index, diff, **style)
            if name != baseline:
                ends.append((name, float(df.index[-1]), float(diff.iloc[-1]), colours[name]))
        left.set_title(wrap(var, 50), fontsize=10, loc="left")
        left.set_ylabel(wrap(_units_of(first, var), 22), fontsize=8.5)
        right.set_title("difference from the baseline", fontsize=9, loc="left", color="0.3")
        right.set_ylabel("% above (+) or below (-)", fontsize=8.5)
        right.axhline(
            0, **{k: v for k, v in line_style(baseline, colours, baseline).items() if k != "label"}
        )
        for ax in (left, right):
            ax.yaxis.set_major_formatter(FuncFormatter(thousands))
            ax.yaxis.set_major_locator(tick_locator())
            ax.grid(True, alpha=0.3)
        right.set_xlim(first.index[0], first.index[-1])  # labels follow the lines' ends
        _end_labels(right, ends)
    for ax in axes[-1]:
        _time_axis(ax)
    _legend(fig, axes[0][0], len(runs))
    if title:
        fig.suptitle(title)
    return fig


def plot_stocks(
    trajectories: Trajectories,
    *,
    ncols: int = 4,
    title: str | None = None,
    baseline: str | None = BASELINE,
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """Small multiples of the model's stocks (the seven elements and hard power's base).

    The stocks are read from the model (INTEG equations that feed back);
    accounting stocks such as cumulative spending are left out.
    """
    stocks = [e.name for e in catalogue().stocks()]
    return plot_trajectories(
        trajectories,
        stocks,
        ncols=ncols,
        title=title or "Stocks of the model",
        baseline=baseline,
        colours=colours,
        end_labels=False,
    )
