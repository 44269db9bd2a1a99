"""Figures of a calibration, each a `matplotlib.figure.Figure` built from the result.

- `history_figure`: every fitted series, data against the fit with its band, the
  fit made with data up to the cut year (dashed) and the held-out years shaded;
- `profile_figure`: the likelihood profile of each main parameter against the
  threshold, with the Jacobian's quadratic approximation for comparison;
- `correlation_figure`: the correlation matrix of the estimates and the
  Jacobian's singular values (directions the data do not see in red);
- `posterior_figure` (with MCMC): each parameter's posterior histogram.

Never pyplot, never the global backend (`Figure` objects only). Labels use the
readable units of `regionsoft_sd.model.style`; the fit is drawn in the baseline's
near-black, the data in one fixed colour throughout.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from regionsoft_sd.model.style import BASELINE_COLOUR, PALETTE, thousands, variable_units, wrap

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.calibrate.result import CalibrationResult

DATA = PALETTE[1]  # vermillion dots
HELD = PALETTE[0]  # blue dashes
BAND = "#9a9a9a"
UNSEEN = "#C0392B"
PROFILE_TOP = 5
"""Profiles are drawn up to this many times the threshold (steeper parts leave the axes)."""
SERIES_TITLES = {
    "gdp": "GDP",
    "capital": "Fixed capital stock",
    "population": "Population",
    "mean_schooling": "Mean schooling of adults",
    "expected_schooling": "Expected schooling of children",
    "budget_total": "Government budget",
    "budget_education": "Education spending",
}


def _grid(n: int, w: float, h: float, cols: int) -> tuple[Figure, list]:
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(w * cols, h * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _title(region: str) -> str:
    return region.replace("_", " ").title()


def history_figure(result: CalibrationResult) -> Figure:
    """Data against the fit, per series, with the band and the out-of-sample fit."""
    spec = result.spec
    h = result.history
    names = list(dict.fromkeys(h["series"]))
    fig, axes = _grid(len(names), 4.2, 3.2, 3 if len(names) > 4 else len(names))
    pct = round(spec.level * 100)
    for ax, name in zip(axes, names, strict=True):
        d = h[h["series"] == name]
        var = d["variable"].iloc[0]
        if d["lower"].notna().any():
            ax.fill_between(
                d["year"],
                d["lower"],
                d["upper"],
                color=BAND,
                alpha=0.35,
                lw=0,
                label=f"{pct} % band (parameters)",
            )
        ax.plot(d["year"], d["fitted"], color=BASELINE_COLOUR, lw=2.2, label="fit", zorder=4)
        if spec.holdout is not None and d["held_out_fit"].notna().any():
            ax.plot(
                d["year"],
                d["held_out_fit"],
                color=HELD,
                lw=1.6,
                ls="--",
                label=f"fit to {spec.holdout.cut}",
                zorder=3,
            )
            ax.axvspan(spec.holdout.cut + 0.5, spec.holdout.end + 0.5, color=HELD, alpha=0.08, lw=0)
        obs = d[d["observed"].notna()]
        inside = obs["in_window"].to_numpy(dtype=bool)
        ax.plot(
            obs["year"][inside],
            obs["observed"][inside],
            "o",
            ms=4.5,
            color=DATA,
            label="data (fitted)",
            zorder=5,
        )
        if (~inside).any():
            ax.plot(
                obs["year"][~inside],
                obs["observed"][~inside],
                "o",
                ms=4.5,
                mfc="white",
                color=DATA,
                label="data (not fitted)",
                zorder=5,
            )
        ax.set_title(wrap(SERIES_TITLES.get(name, name), 30), fontsize=11)
        ax.set_ylabel(wrap(variable_units(var), 30), fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.set_xlim(d["year"].min() - 0.5, d["year"].max() + 0.5)
        ax.grid(alpha=0.25)
    axes[0].legend(frameon=False, fontsize=8, loc="upper left")
    where = (
        f"; shaded: {spec.holdout.cut + 1}-{spec.holdout.end}, out of sample"
        if spec.holdout is not None
        else ""
    )
    fig.suptitle(
        f"{_title(result.region)}: data and calibrated model, fitted {spec.start}-{spec.end}"
        + where,
        fontsize=12,
    )
    return fig


def profile_figure(result: CalibrationResult) -> Figure:
    """Profile statistic against each main parameter's value, with the threshold."""
    profs = result.profiles
    unc = result.uncertainty
    fig, axes = _grid(len(profs), 3.6, 2.9, 3)
    pct = round(unc.level * 100)
    for ax, (name, p) in zip(axes, profs.items(), strict=True):
        i = unc.names.index(name)
        ok = np.isfinite(p.delta)
        ax.plot(
            p.values[ok], p.delta[ok], "o-", color=BASELINE_COLOUR, ms=3.5, lw=1.6, label="profile"
        )
        if unc.se[i] > 0 and np.isfinite(unc.se[i]):
            xs = np.linspace(p.values.min(), p.values.max(), 200)
            ax.plot(
                xs,
                ((xs - p.estimate) / unc.se[i]) ** 2,
                ls="--",
                color=HELD,
                lw=1.2,
                label="Jacobian (quadratic)",
            )
        ax.axhline(p.threshold, color=UNSEEN, lw=1, label=f"{pct} % threshold")
        ax.axvline(p.estimate, color=DATA, lw=1, ls=":")
        top = PROFILE_TOP * p.threshold
        low = min(-0.05 * top, float(np.nanmin(p.delta[ok])) if ok.any() else 0.0)
        ax.set_ylim(low, top)
        ax.set_title(wrap(f"{name} ({p.verdict})", 34), fontsize=10)
        ax.set_xlabel(wrap(variable_units(name) or "value", 34), fontsize=9)
        ax.set_ylabel("worse fit (Δ chi-squared)", fontsize=9)
        ax.grid(alpha=0.25)
    if axes:
        axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle(
        f"{_title(result.region)}: likelihood profiles (the other parameters refitted at each "
        "point, within their bounds)",
        fontsize=12,
    )
    return fig


def correlation_figure(result: CalibrationResult) -> Figure:
    """Correlation matrix of the estimates, and the Jacobian's singular values."""
    unc = result.uncertainty
    c = unc.correlation.to_numpy()
    n = len(unc.names)
    fig = Figure(figsize=(7.5 + 0.35 * n, 0.45 * n + 2.6), layout="constrained")
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.6, 1])
    im = ax.imshow(c, vmin=-1, vmax=1, cmap="RdBu_r")
    labels = [wrap(s, 26) for s in unc.names]
    ax.set_xticks(range(n), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(n), labels, fontsize=7)
    for i in range(n):
        for j in range(n):
            if np.isfinite(c[i, j]):
                ax.text(
                    j,
                    i,
                    f"{c[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if abs(c[i, j]) > 0.6 else "black",
                )
    fig.colorbar(im, ax=ax, shrink=0.7, label="correlation")
    ax.set_title("Correlation of the estimates", fontsize=11)
    sv = unc.singular / (unc.singular[0] if len(unc.singular) and unc.singular[0] > 0 else 1)
    from regionsoft_sd.calibrate.uncertainty import NULL_RATIO

    colours = [UNSEEN if v < NULL_RATIO else BASELINE_COLOUR for v in sv]
    ax2.bar(range(1, len(sv) + 1), np.maximum(sv, 1e-16), color=colours)
    ax2.set_yscale("log")
    ax2.axhline(NULL_RATIO, color=UNSEEN, lw=1, ls="--")
    ax2.set_xlabel("direction (largest first)")
    ax2.set_ylabel("singular value / largest")
    ax2.set_title(wrap("Jacobian singular values (red: the data do not see it)", 34), fontsize=11)
    ax2.grid(alpha=0.25, axis="y")
    fig.suptitle(f"{_title(result.region)}: what the data pin down", fontsize=12)
    return fig


def posterior_figure(result: CalibrationResult) -> Figure:
    """Posterior histogram of each parameter, with the least-squares estimate."""
    post = result.posterior
    assert post is not None
    unc = result.uncertainty
    fig, axes = _grid(len(unc.names), 3.2, 2.4, 4)
    for i, (ax, name) in enumerate(zip(axes, unc.names, strict=True)):
        lo = min(float(post.samples[:, i].min()), unc.estimate[i])
        hi = max(float(post.samples[:, i].max()), unc.estimate[i])
        pad = 0.05 * (hi - lo) or 1e-3 * (unc.high[i] - unc.low[i])
        ax.hist(post.samples[:, i], bins=40, color=BAND, range=(lo - pad, hi + pad))
        ax.axvline(unc.estimate[i], color=BASELINE_COLOUR, lw=1.5)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.set_title(wrap(name, 30), fontsize=9)
        ax.set_yticks([])
    fig.suptitle(
        f"{_title(result.region)}: posterior (emcee, {post.walkers} walkers x "
        f"{post.steps - post.burn} kept steps; line: least squares)",
        fontsize=11,
    )
    return fig


def figures(result: CalibrationResult) -> dict[str, Figure]:
    """Every figure of the result, by file name relative to the output folder."""
    out = {
        "figures/history.png": history_figure(result),
        "figures/correlation.png": correlation_figure(result),
    }
    if result.profiles:
        out["figures/profiles.png"] = profile_figure(result)
    if result.posterior is not None:
        out["figures/posterior.png"] = posterior_figure(result)
    return out
