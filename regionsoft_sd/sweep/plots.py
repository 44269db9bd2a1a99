"""Figures of a sweep, each returned as a matplotlib Figure (the caller saves it).

Built on `matplotlib.figure.Figure`, never pyplot, and never changing the global
backend: importing this module (as `run_sweep` does) leaves a notebook's inline
figures alone. Figures follow `regionsoft_sd.model.style`: readable units, wrapped
parameter names, a fixed colour per strategy, the baseline highlighted.

Sensitivity figures (Sobol, Morris, tornado) show the first strategy (the
reference, usually the baseline); the CSV files hold every strategy. Fans and
outcome distributions show every strategy on shared axes. A Morris design is a
screening grid, half of whose values sit at the range bounds, so its spread is
labelled as such, never as a range of futures. `save_figures` writes the PNGs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from regionsoft_sd.common.io import save_figure
from regionsoft_sd.model.style import (
    BASELINE,
    BASELINE_COLOUR,
    metric_readable_units,
    metric_title,
    readable_units,
    scenario_colours,
    thousands,
    tick_locator,
    variable_units,
    wrap,
)

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.sweep.result import SweepResult

_DESIGN = {"morris": "Morris screening design", "oat": "one-at-a-time design"}
PROBABILITY_METHODS = ("sobol", "lhs", "montecarlo")
"""Methods whose samples are draws from the parameter distributions (a range of futures)."""
S1_COLOUR, ST_COLOUR = "#0072B2", "#E69F00"
LOW_COLOUR, HIGH_COLOUR = "#0072B2", "#D55E00"


def _grid(n: int, width: float, height: float, cols: int = 3, **kw) -> tuple[Figure, list]:
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, **kw)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _metric_axis(ax, axis: str = "x") -> None:
    """Round, well-spaced ticks with thousands separators (NPV labels never run together)."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(tick_locator(4))
    target.set_major_formatter(FuncFormatter(thousands))


def sobol_bars(sobol: pd.DataFrame, strategy: str, units: dict[str, str]) -> Figure:
    """S1 and ST of each parameter, one panel per metric, with 95 % confidence intervals."""
    df = sobol[sobol.strategy == strategy]
    metrics = list(dict.fromkeys(df.metric))
    k = df.parameter.nunique()
    fig, axes = _grid(len(metrics), width=5.6, height=0.48 * k + 1.4)
    for ax, metric in zip(axes, metrics, strict=True):
        d = df[df.metric == metric].sort_values("ST")
        y = np.arange(len(d))
        ax.barh(y - 0.2, d.S1, 0.4, xerr=d.S1_conf, label="S1: alone", color=S1_COLOUR)
        ax.barh(y + 0.2, d.ST, 0.4, xerr=d.ST_conf, label="ST: with interactions", color=ST_COLOUR)
        ax.set_yticks(y, [wrap(p, 26) for p in d.parameter], fontsize=8)
        ax.set_xlabel("share of the outcome's variance")
        ax.set_title(wrap(metric_title(metric), 40), fontsize=10)
        ax.axvline(0, color="black", lw=0.5)
        ax.grid(True, axis="x", alpha=0.3)
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False
    )
    fig.suptitle(
        f"Which parameters drive the outcomes? Sobol indices with 95 % intervals ({strategy})"
    )
    return fig


def _side_labels(ax, points: list[tuple[str, float, float]]) -> None:
    """Label points from a column right of the axes, with leader lines: labels never overlap."""
    if not points:
        return
    points = sorted(points, key=lambda p: p[2], reverse=True)  # top label for the highest point
    n = len(points)
    for i, (text, x, y) in enumerate(points):
        ty = 0.95 - i * (0.9 / max(n - 1, 1)) if n > 1 else 0.5
        ax.annotate(
            wrap(text, 24),
            xy=(x, y),
            xycoords="data",
            xytext=(1.04, ty),
            textcoords="axes fraction",
            fontsize=7.5,
            va="center",
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": "0.55", "lw": 0.6, "shrinkB": 3},
        )


def morris_plot(morris: pd.DataFrame, strategy: str, units: dict[str, str], top: int = 6) -> Figure:
    """Morris mu* against sigma, one panel per metric; error bars are mu*'s 95 % CI.

    The `top` parameters by mu* are named beside each panel. Morris ranks
    influence; its design is a grid with half its values at the range bounds, so
    it says nothing about how likely an outcome is.
    """
    df = morris[morris.strategy == strategy]
    metrics = list(dict.fromkeys(df.metric))
    fig, axes = _grid(len(metrics), width=6.4, height=4.0, cols=2)
    for ax, metric in zip(axes, metrics, strict=True):
        d = df[df.metric == metric]
        u = metric_readable_units(metric, units)
        ax.errorbar(
            d.mu_star, d.sigma, xerr=d.mu_star_conf, fmt="o", ms=4, alpha=0.8, color=S1_COLOUR
        )
        lim = max(float(d.mu_star.max()), float(d.sigma.max()), 1e-12) * 1.1
        ax.plot([0, lim], [0, lim], color="grey", lw=0.6, ls="--", label="σ = μ*")
        best = d.nlargest(top, "mu_star")
        _side_labels(ax, [(r.parameter, r.mu_star, r.sigma) for r in best.itertuples()])
        unit = f" ({u})" if u else ""
        ax.set_xlabel(f"μ*: mean size of a parameter's effect{unit}", fontsize=8.5)
        ax.set_ylabel(f"σ: how much that effect varies{unit}", fontsize=8.5)
        ax.set_title(wrap(metric_title(metric), 48), fontsize=10)
        _metric_axis(ax, "x")
        _metric_axis(ax, "y")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(
        f"Morris screening ({strategy}): which parameters matter. A ranking of influence, "
        "not a range of futures"
    )
    return fig


def tornado_plot(
    tornado: pd.DataFrame, strategy: str, units: dict[str, str], top: int = 10
) -> Figure:
    """Outcome at each parameter's low and high quantile, around the base run."""
    df = tornado[tornado.strategy == strategy]
    metrics = list(dict.fromkeys(df.metric))
    fig, axes = _grid(len(metrics), width=5.8, height=0.36 * top + 1.4)
    for ax, metric in zip(axes, metrics, strict=True):
        d = df[df.metric == metric].nlargest(top, "swing").iloc[::-1]
        base = float(d.base_outcome.iloc[0]) if len(d) else 0.0
        y = np.arange(len(d))
        ax.barh(y, d.outcome_at_low - base, left=base, color=LOW_COLOUR, label="parameter low")
        ax.barh(y, d.outcome_at_high - base, left=base, color=HIGH_COLOUR, label="parameter high")
        ax.axvline(base, color="black", lw=0.8)
        ax.set_yticks(y, [wrap(p, 26) for p in d.parameter], fontsize=8)
        ax.set_xlabel(metric_readable_units(metric, units), fontsize=8.5)
        base_text = thousands(float(f"{base:.3g}"))
        ax.set_title(wrap(f"{metric_title(metric)} (base run: {base_text})", 44), fontsize=10)
        _metric_axis(ax)
        ax.grid(True, axis="x", alpha=0.3)
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False
    )
    fig.suptitle(f"One parameter at a time: outcome at its low and high value ({strategy})")
    return fig


def _fan_title(method: str, runs: int) -> str:
    if method in PROBABILITY_METHODS:
        return f"Range of futures: median, 25-75 % and 5-95 % of {runs:,} sampled runs"
    if method == "morris":
        return (
            f"Spread over the Morris screening design ({runs:,} runs). Not a range of futures: "
            "Morris puts half its values at the range bounds"
        )
    return f"Spread over the one-at-a-time design ({runs:,} runs); not a range of futures"


def fan_charts(
    fan: pd.DataFrame,
    strategies: Sequence[str],
    method: str,
    *,
    units: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
    baseline: str = BASELINE,
) -> Figure:
    """Fans of every strategy on shared axes: rows are variables, columns strategies.

    Each row shares its y axis, so strategies compare at a glance; the baseline's
    median is repeated as a dashed black line in every other column. `units`
    maps a variable to its readable units (default: from the shipped model).
    """
    strategies = [s for s in strategies if s in set(fan.strategy)]
    variables = list(dict.fromkeys(fan.variable))
    colours = dict(colours or scenario_colours(strategies, baseline))
    times = [c for c in fan.columns if c not in ("strategy", "variable", "quantile", "runs")]
    t = np.array([float(c) for c in times])
    nrow, ncol = len(variables), len(strategies)
    fig = Figure(figsize=(2.5 * ncol + 1.6, 2.3 * nrow + 1.2), layout="constrained")
    axes = fig.subplots(nrow, ncol, sharex=True, sharey="row", squeeze=False)

    def bands(strategy: str, var: str) -> dict[float, np.ndarray]:
        d = fan[(fan.strategy == strategy) & (fan.variable == var)].set_index("quantile")[times]
        return {round(k, 2): d.loc[k].to_numpy(dtype=float) for k in d.index}

    for i, var in enumerate(variables):
        ref = bands(baseline, var) if baseline in strategies else None
        for j, s in enumerate(strategies):
            ax = axes[i][j]
            q = bands(s, var)
            c = colours[s]
            ax.fill_between(t, q[0.05], q[0.95], color=c, alpha=0.18, lw=0, label="5-95 %")
            ax.fill_between(t, q[0.25], q[0.75], color=c, alpha=0.38, lw=0, label="25-75 %")
            ax.plot(t, q[0.5], color=c, lw=2.4 if s == baseline else 1.6, label="median")
            if ref is not None and s != baseline:
                ax.plot(t, ref[0.5], color=BASELINE_COLOUR, lw=1, ls="--", label="baseline median")
            ax.grid(True, alpha=0.3)
            ax.yaxis.set_major_formatter(FuncFormatter(thousands))
            if i == 0:
                ax.set_title(wrap(s, 18), fontsize=10, color=c, fontweight="bold")
            if j == 0:
                u = units[var] if units is not None and var in units else variable_units(var)
                ax.set_ylabel(wrap(f"{var} ({u})" if u else var, 26), fontsize=8.5)
            if i == nrow - 1:
                ax.set_xlabel("Year")
    key = [
        Patch(fc="0.45", alpha=0.18, label="5-95 %"),
        Patch(fc="0.45", alpha=0.38, label="25-75 %"),
        Line2D([], [], color="0.3", lw=1.6, label="median"),
    ]
    if baseline in strategies and len(strategies) > 1:
        key.append(Line2D([], [], color=BASELINE_COLOUR, lw=1, ls="--", label="baseline median"))
    fig.legend(handles=key, loc="outside lower center", ncols=len(key), frameon=False)
    runs = int(fan.runs.iloc[0]) if len(fan) else 0
    fig.suptitle(wrap(_fan_title(method, runs), 120))
    return fig


def outcome_distributions(
    result: SweepResult, *, colours: Mapping[str, str] | None = None, baseline: str = BASELINE
) -> Figure:
    """Per metric, each strategy's outcome distribution (box: quartiles, whiskers: 5-95 %)."""
    metrics = list(result.outcomes)
    strategies = [s.name for s in result.spec.strategies]
    colours = dict(colours or scenario_colours(strategies, baseline))
    fig, axes = _grid(len(metrics), width=5.6, height=0.45 * len(strategies) + 1.6, cols=2)
    for ax, metric in zip(axes, metrics, strict=True):
        by = result.outcomes[metric]
        names = list(by)
        data = [np.asarray(v)[~np.isnan(v)] for v in by.values()]
        box = ax.boxplot(
            data, whis=(5, 95), showfliers=False, orientation="horizontal", patch_artist=True
        )
        for patch, n in zip(box["boxes"], names, strict=True):
            patch.set(facecolor=colours[n], alpha=0.45, edgecolor=colours[n])
            patch.set_linewidth(2.2 if n == baseline else 1.0)
        for med in box["medians"]:
            med.set(color="black", lw=1.4)
        labels = names
        if metric in result.win_share.index:
            ws = result.win_share.loc[metric]
            labels = [f"{n}\nbest in {ws.get(n, 0):.0%}" for n in names]
        ax.set_yticks(range(1, len(names) + 1), labels, fontsize=8)
        for tick, n in zip(ax.get_yticklabels(), names, strict=True):
            tick.set_color(colours[n])
            tick.set_fontweight("bold" if n == baseline else "normal")
        ax.set_xlabel(metric_readable_units(metric, result.units), fontsize=8.5)
        ax.set_title(wrap(metric_title(metric), 48), fontsize=10)
        _metric_axis(ax)
        ax.grid(True, axis="x", alpha=0.3)
    n = len(next(iter(result.outcomes.values()), {}).get(strategies[0], [])) if metrics else 0
    if result.spec.method in PROBABILITY_METHODS:
        head = f"Outcomes over {n:,} plausible futures (share of futures where each is best)"
    else:
        head = (
            f"Outcomes over the {_DESIGN.get(result.spec.method, result.spec.method)} "
            f"({n:,} runs): a screening design, not a probability sample of futures"
        )
    fig.suptitle(wrap(head, 120))
    return fig


def win_share_table(win: pd.DataFrame) -> Figure:
    """The win-share table as a heat map: rows metrics, columns strategies."""
    fig = Figure(
        figsize=(1.4 * win.shape[1] + 3.6, 0.62 * win.shape[0] + 1.8), layout="constrained"
    )
    ax = fig.subplots()
    values = win.to_numpy(dtype=float)
    im = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(win.shape[1]), [wrap(c, 14) for c in win.columns], fontsize=8)
    ax.set_yticks(range(win.shape[0]), [wrap(metric_title(m), 30) for m in win.index], fontsize=8)
    for (i, j), v in np.ndenumerate(values):
        color = "white" if v > 0.6 else "black"
        ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=8, color=color)
    fig.colorbar(im, ax=ax, label="share of futures where the strategy is best")
    ax.set_title("In what share of plausible futures is each strategy best?")
    return fig


def save_figures(result: SweepResult) -> list[Path]:
    """Draw every figure the result supports and save it under out_dir/figures."""
    from regionsoft_sd.model.catalogue import catalogue

    d = Path(result.out_dir) / "figures"
    strategies = [s.name for s in result.spec.strategies]
    ref = strategies[0]
    colours = scenario_colours(strategies)
    figs: dict[str, Figure] = {}
    if not result.sobol.empty:
        figs["sobol"] = sobol_bars(result.sobol, ref, result.units)
    if not result.morris.empty:
        figs["morris"] = morris_plot(result.morris, ref, result.units)
    if not result.tornado.empty:
        figs["tornado"] = tornado_plot(result.tornado, ref, result.units)
    if not result.fan.empty:
        cat = catalogue(result.spec.model)  # the fan's variables come from the spec's model
        units = {
            v: readable_units(cat[v].units, cat[v].name, cat[v].documentation)
            for v in set(result.fan.variable)
            if v in cat
        }
        figs["fans"] = fan_charts(
            result.fan, strategies, result.spec.method, units=units, colours=colours
        )
    if result.spec.method != "oat":
        figs["outcomes"] = outcome_distributions(result, colours=colours)
    if not result.win_share.empty and len(result.spec.strategies) > 1:
        figs["win_share"] = win_share_table(result.win_share)
    return [save_figure(fig, d / f"{name}.png") for name, fig in figs.items()]
