"""Figures of a sweep, each returned as a matplotlib Figure (the caller saves it).

Axes are labelled with what they show and its units. Sensitivity figures show
the first strategy (the reference, usually the baseline); the CSV files hold
every strategy. `save_figures` writes them all as PNG, atomically.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from regionsoft_sd.io import save_figure  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from regionsoft_sd.sweep.result import SweepResult


def _grid(n: int, width: float = 4.6, height: float = 3.4, cols: int = 3):
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def sobol_bars(sobol: pd.DataFrame, strategy: str, units: dict[str, str]) -> Figure:
    """S1 and ST of each parameter, one panel per metric, with 95 % confidence intervals."""
    df = sobol[sobol.strategy == strategy]
    metrics = list(dict.fromkeys(df.metric))
    fig, axes = _grid(len(metrics), width=5.2, height=0.35 * df.parameter.nunique() + 1.6)
    for ax, metric in zip(axes, metrics, strict=True):
        d = df[df.metric == metric].sort_values("ST")
        y = np.arange(len(d))
        ax.barh(y - 0.2, d.S1, 0.4, xerr=d.S1_conf, label="S1 (first order)", color="#4c72b0")
        ax.barh(y + 0.2, d.ST, 0.4, xerr=d.ST_conf, label="ST (total)", color="#dd8452")
        ax.set_yticks(y, [_short(p) for p in d.parameter])
        ax.set_xlabel("Sobol index (share of variance, Dmnl)")
        ax.set_title(f"{metric}\n[{units.get(metric, '')}]", fontsize=9)
        ax.axvline(0, color="black", lw=0.5)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Sobol indices with 95 % CI, strategy {strategy!r}")
    fig.tight_layout()
    return fig


def morris_plot(morris: pd.DataFrame, strategy: str, units: dict[str, str]) -> Figure:
    """Morris mu* against sigma, one panel per metric; error bars are mu*'s 95 % CI."""
    df = morris[morris.strategy == strategy]
    metrics = list(dict.fromkeys(df.metric))
    fig, axes = _grid(len(metrics), width=5.0, height=4.2)
    for ax, metric in zip(axes, metrics, strict=True):
        d = df[df.metric == metric]
        u = units.get(metric, "")
        ax.errorbar(d.mu_star, d.sigma, xerr=d.mu_star_conf, fmt="o", ms=4, alpha=0.8)
        top = d.nlargest(6, "mu_star")
        for _, r in top.iterrows():
            ax.annotate(
                _short(r.parameter, 22),
                (r.mu_star, r.sigma),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        lim = max(float(d.mu_star.max()), float(d.sigma.max()), 1e-12) * 1.1
        ax.plot([0, lim], [0, lim], color="grey", lw=0.6, ls="--", label="σ = μ*")
        ax.set_xlabel(f"μ* (mean |effect| per unit probability) [{u}]")
        ax.set_ylabel(f"σ (spread of effects) [{u}]")
        ax.set_title(metric, fontsize=9)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Morris screening, strategy {strategy!r}")
    fig.tight_layout()
    return fig


def tornado_plot(
    tornado: pd.DataFrame, strategy: str, units: dict[str, str], top: int = 10
) -> Figure:
    """Outcome at each parameter's low and high quantile, around the base run."""
    df = tornado[tornado.strategy == strategy]
    metrics = list(dict.fromkeys(df.metric))
    fig, axes = _grid(len(metrics), width=5.4, height=0.32 * top + 1.6)
    for ax, metric in zip(axes, metrics, strict=True):
        d = df[df.metric == metric].nlargest(top, "swing").iloc[::-1]
        base = float(d.base_outcome.iloc[0]) if len(d) else 0.0
        y = np.arange(len(d))
        ax.barh(y, d.outcome_at_low - base, left=base, color="#4c72b0", label="parameter low")
        ax.barh(y, d.outcome_at_high - base, left=base, color="#dd8452", label="parameter high")
        ax.axvline(base, color="black", lw=0.8)
        ax.set_yticks(y, [_short(p) for p in d.parameter])
        ax.set_xlabel(f"{metric} [{units.get(metric, '')}]")
        ax.set_title(f"{metric} (base {base:.3g})", fontsize=9)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Tornado: one parameter at a time, strategy {strategy!r}")
    fig.tight_layout()
    return fig


def fan_chart(fan: pd.DataFrame, strategy: str, var_units: dict[str, str]) -> Figure:
    """Median with 25-75 % and 5-95 % bands of each fan variable over time."""
    df = fan[fan.strategy == strategy]
    variables = list(dict.fromkeys(df.variable))
    times = [c for c in df.columns if c not in ("strategy", "variable", "quantile", "runs")]
    t = np.array([float(c) for c in times])
    fig, axes = _grid(len(variables), width=4.6, height=3.3, cols=2)
    for ax, var in zip(axes, variables, strict=True):
        d = df[df.variable == var].set_index("quantile")[times]
        q = {round(k, 2): d.loc[k].to_numpy(dtype=float) for k in d.index}
        ax.fill_between(t, q[0.05], q[0.95], color="#4c72b0", alpha=0.2, label="5-95 %")
        ax.fill_between(t, q[0.25], q[0.75], color="#4c72b0", alpha=0.4, label="25-75 %")
        ax.plot(t, q[0.5], color="#1f3b73", lw=1.5, label="median")
        ax.set_xlabel("year")
        ax.set_ylabel(f"{var} [{var_units.get(var, '')}]")
        ax.set_title(var, fontsize=9)
    axes[0].legend(fontsize=8, loc="upper left")
    runs = int(df.runs.iloc[0]) if len(df) else 0
    fig.suptitle(f"Range of futures, strategy {strategy!r} ({runs} sampled runs)")
    fig.tight_layout()
    return fig


def outcome_distributions(result: SweepResult) -> Figure:
    """Per metric, each strategy's outcome distribution (box: quartiles, whiskers: 5-95 %)."""
    metrics = list(result.outcomes)
    fig, axes = _grid(len(metrics), width=5.2, height=3.8)
    for ax, metric in zip(axes, metrics, strict=True):
        by = result.outcomes[metric]
        names = list(by)
        data = [np.asarray(v)[~np.isnan(v)] for v in by.values()]
        ax.boxplot(data, whis=(5, 95), showfliers=False, vert=False)
        labels = names
        if metric in result.win_share.index:
            ws = result.win_share.loc[metric]
            labels = [f"{n} (best {ws.get(n, 0):.0%})" for n in names]
        ax.set_yticks(range(1, len(names) + 1), labels, fontsize=8)
        ax.set_xlabel(f"{metric} [{result.units.get(metric, '')}]")
        ax.set_title(metric, fontsize=9)
    fig.suptitle("Outcomes per strategy over all samples (share of samples where best)")
    fig.tight_layout()
    return fig


def win_share_table(win: pd.DataFrame) -> Figure:
    """The win-share table as a heat map: rows metrics, columns strategies."""
    fig, ax = plt.subplots(figsize=(1.3 * win.shape[1] + 3, 0.5 * win.shape[0] + 1.6))
    im = ax.imshow(win.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(win.shape[1]), win.columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(win.shape[0]), win.index, fontsize=8)
    for (i, j), v in np.ndenumerate(win.to_numpy(dtype=float)):
        ax.text(
            j,
            i,
            f"{v:.0%}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if v > 0.6 else "black",
        )
    fig.colorbar(im, ax=ax, label="share of samples where the strategy is best (Dmnl)")
    ax.set_title("Win share: in what share of plausible futures each strategy is best")
    fig.tight_layout()
    return fig


def save_figures(result: SweepResult) -> list[Path]:
    """Draw every figure the result supports and save it under out_dir/figures."""
    from regionsoft_sd.catalogue import catalogue

    d = Path(result.out_dir) / "figures"
    ref = result.spec.strategies[0].name
    figs: dict[str, Figure] = {}
    if not result.sobol.empty:
        figs["sobol"] = sobol_bars(result.sobol, ref, result.units)
    if not result.morris.empty:
        figs["morris"] = morris_plot(result.morris, ref, result.units)
    if not result.tornado.empty:
        figs["tornado"] = tornado_plot(result.tornado, ref, result.units)
    if not result.fan.empty:
        var_units = catalogue(result.spec.model).units()
        for s in result.spec.strategies:
            figs[f"fan_{s.name}"] = fan_chart(result.fan, s.name, var_units)
    if result.spec.method != "oat":
        figs["outcomes"] = outcome_distributions(result)
    if not result.win_share.empty and len(result.spec.strategies) > 1:
        figs["win_share"] = win_share_table(result.win_share)
    files = []
    for name, fig in figs.items():
        files.append(save_figure(fig, d / f"{name}.png"))
        plt.close(fig)
    return files
