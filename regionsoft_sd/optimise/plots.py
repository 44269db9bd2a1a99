"""Figures of an optimisation, each a `matplotlib.figure.Figure` built from the result.

- `objective_bars` (one objective) or `pareto_front` (several): the found
  strategies against the base and shipped ones, the base in black;
- `split_vs_weight`: the decisions of the Pareto point picked as the weight
  on the first objective goes from 0 to 1;
- `regret_boxes`: each strategy's regret over the fresh futures;
- the discovery's figures (`discover.plots`).

Colours are fixed per strategy: the base black, found strategies red,
shipped strategies the colour and marker they have in every other figure
(`regionsoft_sd.model.style`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import label as metric_label
from regionsoft_sd.model.style import BASELINE_COLOUR, SCENARIO_STYLES, scenario_colours
from regionsoft_sd.optimise.spec import Objective

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.optimise.result import OptimiseResult

FOUND = "#c0392b"
BASE = BASELINE_COLOUR
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">")


def colours(result: OptimiseResult) -> dict[str, str]:
    """A colour per reference strategy: the base black, shipped strategies the colours
    they have in every other figure (`model.style.scenario_colours`)."""
    base = result.spec.base.name
    out = scenario_colours(result.references.index, baseline=base)
    out[base] = BASE
    return out


def marker(name: str, k: int) -> str:
    """A shipped strategy's own marker (`model.style.SCENARIO_STYLES`), else the k-th."""
    return SCENARIO_STYLES[name][2] if name in SCENARIO_STYLES else MARKERS[k % len(MARKERS)]


def score_label(o: Objective, units: dict[str, str], futures: bool = True) -> str:
    """Axis label of an objective's score, with units (`futures`: scored over several)."""
    what = metric_label(o.metric)
    u = units.get(o.metric, "")
    if o.robustness == "percentile":
        return f"{o.percentile:g}th-percentile {what} (bad tail) [{u}]"
    if o.robustness == "regret":
        return f"max regret, {what} [{u}]"
    if o.robustness == "satisficing":
        sign = ">=" if o.better == "higher" else "<="
        return f"share of futures with {what} {sign} {o.threshold:g} [Dmnl]"
    return f"{'mean ' if futures else ''}{what} [{u}]"


def objective_bars(result: OptimiseResult) -> Figure:
    """One objective: the optimum's score beside the base and shipped strategies."""
    o = result.spec.objectives[0]
    names = list(result.names) + list(result.references.index)
    values = list(result.found.scores[o.label]) + list(result.references[o.label])
    col = colours(result)
    feasible = [True] * len(result.names) + list(
        result.references.get("feasible", pd.Series(True, index=result.references.index))
    )
    fig = Figure(figsize=(7.0, 0.42 * len(names) + 1.6), layout="constrained")
    ax = fig.subplots()
    order = np.argsort(values)[:: -1 if o.direction == "lower" else 1]
    for y, i in enumerate(order):
        c = FOUND if names[i] in result.names else col.get(names[i], "grey")
        ax.barh(
            y,
            values[i],
            color=c,
            edgecolor="black" if c == BASE or not feasible[i] else None,
            hatch=None if feasible[i] else "//",
            alpha=1.0 if feasible[i] else 0.45,
        )
        ax.text(values[i], y, f" {values[i]:.4g}", va="center", fontsize=8)
    if not all(feasible):
        ax.text(
            0.99,
            0.01,
            "hatched: misses a constraint",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
        )
    ax.set_yticks(range(len(names)), [names[i] for i in order])
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.25 or abs(hi) * 0.05 or 1.0
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_xlabel(score_label(o, result.units, result.spec.uncertainty is not None))
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(
        f"{result.spec.name}: the optimum (red) against the shipped strategies (base in black)",
        fontsize=10,
    )
    return fig


def pareto_front(result: OptimiseResult) -> Figure:
    """The Pareto set on each pair of objectives, the shipped strategies marked."""
    objs = result.spec.objectives
    pairs = [(i, j) for i in range(len(objs)) for j in range(i + 1, len(objs))]
    fig = Figure(figsize=(5.6 * len(pairs), 4.8), layout="constrained")
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    col = colours(result)
    for ax, (i, j) in zip(axes, pairs, strict=True):
        a, b = objs[i], objs[j]
        F = result.found.scores
        order = np.argsort(F[a.label].to_numpy())
        ax.plot(
            F[a.label].to_numpy()[order],
            F[b.label].to_numpy()[order],
            "-o",
            color=FOUND,
            ms=4,
            lw=1,
            label="Pareto set (found)",
        )
        if result.weights is not None:
            picked = sorted(set(result.weights.point))
            ax.scatter(
                F[a.label].iloc[[p - 1 for p in picked]],
                F[b.label].iloc[[p - 1 for p in picked]],
                s=70,
                facecolors="none",
                edgecolors=FOUND,
                lw=1.2,
                label="picked by some weight",
            )
        for k, (name, row) in enumerate(result.references.iterrows()):
            ax.scatter(
                [row[a.label]],
                [row[b.label]],
                color=col[name],
                s=70,
                marker=marker(name, k),
                edgecolors="black",
                zorder=4,
                label=name + (" (base)" if name == result.spec.base.name else ""),
            )
        ax.set_xlabel(score_label(a, result.units, result.spec.uncertainty is not None), fontsize=9)
        ax.set_ylabel(score_label(b, result.units, result.spec.uncertainty is not None), fontsize=9)
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=8)
    better = ", ".join(f"{o.label}: {o.direction} is better" for o in objs)
    fig.suptitle(f"{result.spec.name}: Pareto front and shipped strategies ({better})", fontsize=10)
    return fig


def split_vs_weight(result: OptimiseResult) -> Figure:
    """The decisions of the picked Pareto point against the weight on the first objective."""
    w = result.weights
    assert w is not None
    space = result.spec.space
    heights = [3.0] * len(space.simplexes) + [1.4] * len(space.scalars)
    fig = Figure(figsize=(7.4, sum(heights) + 1.2), layout="constrained")
    axes = fig.subplots(len(heights), 1, squeeze=False, height_ratios=heights, sharex=True)[:, 0]
    for ax, s in zip(axes, space.simplexes, strict=False):
        ys = [w[n].to_numpy() for n in s.levers]
        names = [n.removeprefix("Policy ") for n in s.levers]
        ax.stackplot(w.weight, ys, labels=names, colors=PALETTE[: s.k], alpha=0.85)
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"{s.group} shares [Dmnl]", fontsize=9)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    units = catalogue().units()
    for k, (ax, s) in enumerate(zip(axes[len(space.simplexes) :], space.scalars, strict=True)):
        ax.plot(w.weight, w[s.name], color=PALETTE[(k + 4) % len(PALETTE)], drawstyle="steps-mid")
        pad = 0.05 * (s.high - s.low) or 0.5
        ax.set_ylim(s.low - pad, s.high + pad)
        ax.set_ylabel(f"{s.name.removeprefix('Policy ')}\n[{units.get(s.name, '')}]", fontsize=8)
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, 1)
    objs = result.spec.objectives
    rest = " and ".join(metric_label(o.metric) for o in objs[1:])
    axes[-1].set_xlabel(
        f"weight on {metric_label(objs[0].metric)} (1 - weight shared by {rest})", fontsize=9
    )
    fig.suptitle(
        f"{result.spec.name}: the Pareto point picked for each weight\n(scores rescaled to "
        "[0, 1] over the Pareto set: 0 its worst, 1 its best)",
        fontsize=10,
    )
    return fig


def regret_boxes(result: OptimiseResult) -> Figure:
    """Regret of each strategy over the fresh futures, one panel per objective metric."""
    metrics = list(result.regret)
    fig = Figure(figsize=(7.2, 3.0 * len(metrics) + 1.0), layout="constrained")
    axes = fig.subplots(len(metrics), 1, squeeze=False)[:, 0]
    col = colours(result)
    for ax, m in zip(axes, metrics, strict=True):
        r = result.regret[m]
        names = list(r.columns)
        bp = ax.boxplot(
            [r[n].to_numpy() for n in names],
            vert=False,
            whis=(5, 95),
            showfliers=False,
            patch_artist=True,
        )
        for patch, n in zip(bp["boxes"], names, strict=True):
            patch.set_facecolor(FOUND if n in result.names else col.get(n, "grey"))
            patch.set_alpha(0.7)
        ax.set_yticks(range(1, len(names) + 1), names, fontsize=7)
        ax.set_xlabel(
            f"regret on {metric_label(m)}: shortfall from the best strategy in "
            f"that future [{result.units.get(m, '')}]",
            fontsize=8,
        )
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle(
        f"{result.spec.name}: regret over the fresh futures (box 25-75 %, whiskers 5-95 %)",
        fontsize=10,
    )
    return fig


def figures(result: OptimiseResult) -> dict[str, Figure]:
    """Every figure of the result, by file name (relative to the output folder)."""
    from regionsoft_sd.futures.discovery_report import discovery_figures

    out: dict[str, Figure] = {}
    if len(result.spec.objectives) == 1:
        out["figures/objective.png"] = objective_bars(result)
    else:
        out["figures/pareto.png"] = pareto_front(result)
    if result.weights is not None:
        out["figures/split_vs_weight.png"] = split_vs_weight(result)
    if result.regret:
        out["figures/regret.png"] = regret_boxes(result)
    if result.discovery is not None:
        out.update(discovery_figures(result.discovery))
    return out
