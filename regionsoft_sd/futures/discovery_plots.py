"""Figures of a discovery: PRIM's coverage-density trade-off, the chosen box, Sobol of a difference.

Each function takes the analysis result and returns a `matplotlib.figure.Figure`
(no pyplot, no global backend), which the caller saves.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regionsoft_sd.futures.discovery import Discovery


def _short(name: str, width: int = 34) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def prim_tradeoff(d: Discovery) -> Figure:
    """Coverage against density of every box on the peeling trajectory; the chosen one marked."""
    t = d.prim.table()
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.subplots()
    sc = ax.scatter(t.coverage, t.density, c=t.restricted, cmap="viridis", s=22, zorder=3)
    ax.plot(t.coverage, t.density, color="grey", lw=0.6, zorder=2)
    c = t[t.chosen].iloc[0]
    ax.scatter(
        [c.coverage],
        [c.density],
        s=160,
        facecolors="none",
        edgecolors="crimson",
        lw=2,
        zorder=4,
        label=f"chosen box (step {int(t[t.chosen].index[0])})",
    )
    b = d.prim.box
    if d.prim.pruned is not None and b is not d.prim.trajectory[d.prim.chosen]:
        ax.scatter(
            [b.coverage],
            [b.density],
            marker="*",
            s=220,
            color="crimson",
            zorder=5,
            label=f"reported box: {len(b.restricted)} significant restrictions",
        )
    ax.axhline(
        d.prim.threshold,
        color="crimson",
        ls=":",
        lw=1,
        label=f"density threshold {d.prim.threshold:g}",
    )
    ax.axhline(
        d.prim.base_density,
        color="black",
        ls="--",
        lw=0.8,
        label=f"share failing overall {d.prim.base_density:.2f}",
    )
    ax.set_xlabel("coverage: share of all failures inside the box (Dmnl)")
    ax.set_ylabel("density: share of futures in the box that fail (Dmnl)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    fig.colorbar(sc, ax=ax, label="restricted parameters (count)")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(f"PRIM peeling trajectory\n{d.text}", fontsize=10)
    return fig


def prim_box(d: Discovery, units: Mapping[str, str] | None = None) -> Figure:
    """The chosen box: each restricted parameter's limits within its sampled range."""
    box = d.prim.box
    lim = box.limits() if d.prim.status == "box" else box.limits().iloc[:0]
    x = d.cases[list(d.prim.names)]
    n = max(len(lim), 1)
    fig = Figure(figsize=(7.6, 0.55 * n + 1.9), layout="constrained")
    ax = fig.subplots()
    for i, (name, row) in enumerate(lim.iterrows()):
        lo, hi = float(x[name].min()), float(x[name].max())
        span = hi - lo if hi > lo else 1.0
        a, b = (row.lower - lo) / span, (row.upper - lo) / span
        ax.barh(i, 1.0, left=0.0, color="#dddddd", height=0.6)
        ax.barh(i, b - a, left=a, color="#c44e52", height=0.6)
        ax.text(a, i + 0.38, f"{row.lower:.3g}", ha="center", fontsize=7)
        ax.text(b, i + 0.38, f"{row.upper:.3g}", ha="center", fontsize=7)
        ax.text(
            1.01,
            i,
            f"[{lo:.3g}, {hi:.3g}] {(units or {}).get(str(name), '')}",
            va="center",
            fontsize=7,
        )
    ax.set_yticks(range(len(lim)), [_short(str(p)) for p in lim.index])
    ax.set_ylim(-0.6, n - 0.2)
    ax.set_xlim(0, 1.45)
    ax.set_xticks([0, 0.5, 1], ["low end", "middle", "high end"])
    ax.set_xlabel("position within the sampled range (red: the box)")
    status = d.prim.status
    if status == "no cases":
        note = "no failures beyond the tie tolerance: nothing to describe"
    elif status == "everywhere":
        note = (
            f"fails in {d.prim.base_density:.0%} of all futures, above the density "
            f"threshold {d.prim.threshold:g}: no box"
        )
    else:
        note = "no parameter restricted: failures are spread over every future"
    if lim.empty:
        ax.text(0.5, 0, note, ha="center")
    title = f"Where {d.strategy} fails: " + (
        f"coverage {box.coverage:.0%}, density {box.density:.0%}, {box.mass:.0%} of futures"
        if status == "box"
        else f"{d.share:.0%} of futures, no box"
    )
    ax.set_title(title, fontsize=10)
    return fig


def decision_sobol(sobol: pd.DataFrame, title: str) -> Figure:
    """First-order and total Sobol indices of the difference, with 95 % intervals."""
    d = sobol.sort_values("ST")
    fig = Figure(figsize=(6.6, 0.38 * len(d) + 1.6), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(d))
    ax.barh(y - 0.2, d.S1, 0.4, xerr=d.S1_conf, label="S1 (first order)", color="#4c72b0")
    ax.barh(y + 0.2, d.ST, 0.4, xerr=d.ST_conf, label="ST (total)", color="#dd8452")
    ax.set_yticks(y, [_short(str(p)) for p in d.index])
    ax.set_xlabel("Sobol index: share of the variance of the difference (Dmnl)")
    ax.axvline(0, color="black", lw=0.5)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=10)
    return fig
