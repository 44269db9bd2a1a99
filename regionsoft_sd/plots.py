"""Figures of scenario trajectories. Every function returns a matplotlib Figure.

Figures are built with `matplotlib.figure.Figure` directly, not pyplot, so no
global state or GUI backend is involved: they work in scripts, tests, the CLI
and notebooks alike (a notebook displays a returned Figure). Axis labels carry
the model's units, read from the run results or the catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

from regionsoft_sd.catalogue import catalogue
from regionsoft_sd.simulate import units_of

KEY_VARIABLES = (
    "Dominant Soft Power",
    "Hard Power Index",
    "Potential Soft Power",
    "Value Identity",
    "Human Quality",
    "Soft power budget",
)
"""Variables of the default overlay: the outcomes and what drives them."""

Trajectories = Mapping[str, pd.DataFrame] | pd.DataFrame


def _as_mapping(trajectories: Trajectories) -> dict[str, pd.DataFrame]:
    if isinstance(trajectories, pd.DataFrame):
        return {trajectories.attrs.get("scenario", "run"): trajectories}
    return dict(trajectories)


def _label(variable: str, units: Mapping[str, str]) -> str:
    u = units.get(variable) or (catalogue()[variable].units if variable in catalogue() else "")
    return f"{variable} [{u}]" if u else variable


def plot_trajectories(
    trajectories: Trajectories,
    variables: Sequence[str] = KEY_VARIABLES,
    *,
    ncols: int = 2,
    title: str | None = None,
) -> Figure:
    """Overlay several scenarios: one panel per variable, one line per scenario.

    All panels share the time axis; each y axis is labelled with its units. A
    single DataFrame (one `run()`) is drawn as one scenario.
    """
    runs = _as_mapping(trajectories)
    if not runs:
        raise ValueError("plot_trajectories needs at least one trajectory")
    first = next(iter(runs.values()))
    units = units_of(first)
    ncols = max(1, min(ncols, len(variables)))
    nrows = math.ceil(len(variables) / ncols)
    fig = Figure(figsize=(5.2 * ncols, 3.0 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for ax, var in zip(axes, variables, strict=False):
        for name, df in runs.items():
            ax.plot(df.index, df[var], label=name, linewidth=1.6)
        ax.set_title(var, fontsize=10)
        ax.set_ylabel(_label(var, units), fontsize=8)
        ax.grid(True, alpha=0.3)
    for ax in axes[len(variables) :]:
        ax.set_visible(False)
    # The lowest drawn panel of each column carries the time axis: sharex hides
    # the tick labels of every panel above the bottom row, which may be empty.
    for col in range(ncols):
        ax = axes[col : len(variables) : ncols][-1]
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel(f"Time [{catalogue()['INITIAL TIME'].units}]")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(runs), 4), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_stocks(trajectories: Trajectories, *, ncols: int = 4, title: str | None = None) -> Figure:
    """Small multiples of the model's stocks (the seven elements and hard power's base).

    The stocks are read from the model (INTEG equations that feed back);
    accounting stocks such as cumulative spending are left out.
    """
    stocks = [e.name for e in catalogue().stocks()]
    return plot_trajectories(
        trajectories, stocks, ncols=ncols, title=title or "Stocks of the model"
    )
