"""Profile likelihood: fix one parameter on a grid, refit the others, see how the fit worsens.

For parameter j and each grid value g, the others are refitted by least squares
(every grid point of every profiled parameter in lockstep: one batch per round).
With s² from the full fit, the profile statistic

    Δ(g) = 2 (cost(g) - cost_min) / s²

is compared with the chi-squared quantile of one degree of freedom at the
confidence level (3.84 at 95 %): the profile interval is where Δ stays below it.
A profile that never rises above it on a side within the bounds means the data
cannot bound the parameter there (practically non-identifiable); the Jacobian
interval, a quadratic approximation, may hide that.

The grid mixes points across the whole range with points within three standard
errors of the estimate, so a narrow minimum is resolved and a flat one is seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from regionsoft_sd.calibrate.fit import Fit, _rounds, take
from regionsoft_sd.calibrate.lockstep import Job, Solution, solve_all
from regionsoft_sd.calibrate.uncertainty import Uncertainty

REFINE = 3
"""Points added inside each interval where a profile crosses the threshold."""
IMPROVED_RTOL = 1e-4
"""A profile point below the best cost by more than this fraction means a better minimum exists."""


@dataclass
class Profile:
    """The profile of one parameter (model units) and what it says."""

    parameter: str
    values: np.ndarray
    cost: np.ndarray
    delta: np.ndarray
    threshold: float
    estimate: float
    lower: float
    upper: float
    verdict: str
    others: pd.DataFrame

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(
            {
                "parameter": self.parameter,
                "value": self.values,
                "cost": self.cost,
                "delta": self.delta,
            }
        )
        return pd.concat([df, self.others.reset_index(drop=True)], axis=1)


def grid(u_hat: float, se_u: float, points: int) -> np.ndarray:
    """Unit-coordinate grid: the range evenly, plus points within 3 se of the estimate."""
    wide = np.linspace(0.0, 1.0, max(3, points // 2 + 1))
    k = max(2, points - len(wide))
    near = u_hat + np.linspace(-3, 3, k) * (se_u if np.isfinite(se_u) and se_u > 0 else 0.05)
    g = np.unique(np.round(np.clip(np.concatenate([wide, near, [u_hat]]), 0.0, 1.0), 12))
    return g


def _job(prob, name: str, g: float, start: np.ndarray, max_nfev: int) -> Job:
    j = prob.names.index(name)
    u0 = start.copy()
    u0[j] = g
    free = np.ones(prob.n_params, dtype=bool)
    free[j] = False
    return Job(u0, free, prob.residuals_of, max_nfev, tag=(name, float(g)))


def _brackets(
    sols: list[Solution], u_hat: float, cost0: float, s2: float, threshold: float
) -> list[tuple[Solution | None, float, float]]:
    """On each side of the estimate, the last point inside the threshold and the first outside."""
    out = []
    for side in (-1, 1):
        pts = sorted(
            (s for s in sols if side * (s.tag[1] - u_hat) > 0),
            key=lambda s: abs(s.tag[1] - u_hat),
        )
        inner_u, inner = u_hat, None
        for s in pts:
            d = 2 * (s.cost - cost0) / s2
            if np.isfinite(d) and d > threshold:
                out.append((inner, inner_u, s.tag[1]))
                break
            inner_u, inner = s.tag[1], s
    return out


def profiles(
    fit: Fit,
    unc: Uncertainty,
    names: tuple[str, ...] | list[str],
    points: int,
    *,
    max_nfev: int = 60,
    progress: bool = True,
) -> tuple[dict[str, Profile], list[str]]:
    """Profiles of `names` around `fit`; also notes (a better minimum found).

    Two passes, each one lockstep solve: the grid, then REFINE points inside each
    interval where a profile crosses the threshold, started from the solution at
    the inner end, so the interval's ends are resolved, not guessed.
    """
    prob = fit.problem
    width = prob.high - prob.low
    level = unc.level
    threshold = float(stats.chi2.ppf(level, 1))
    jobs = [
        _job(prob, name, g, fit.u, max_nfev)
        for name in names
        for g in grid(
            float(fit.u[prob.names.index(name)]),
            float(unc.se[prob.names.index(name)] / width[prob.names.index(name)]),
            points,
        )
    ]
    with _rounds(progress, "profiles") as on_round:
        sols = solve_all(jobs, prob.simulate, take, prob.to_x, on_round=on_round)
    refine = []
    for name in names:
        j = prob.names.index(name)
        mine = [s for s in sols if s.tag[0] == name]
        for inner, u_in, u_out in _brackets(mine, float(fit.u[j]), fit.cost, unc.s2, threshold):
            start = fit.u if inner is None else inner.u
            for g in np.linspace(u_in, u_out, REFINE + 2)[1:-1]:
                refine.append(_job(prob, name, float(g), start, max_nfev))
    if refine:
        with _rounds(progress, "profiles (refine)") as on_round:
            sols += solve_all(refine, prob.simulate, take, prob.to_x, on_round=on_round)
    best_cost = min([fit.cost, *[s.cost for s in sols if np.isfinite(s.cost)]])
    notes = []
    if best_cost < fit.cost * (1 - IMPROVED_RTOL):
        notes.append(
            f"a profile found a lower cost ({best_cost:.6g}) than the multi-start fit "
            f"({fit.cost:.6g}): the search missed the global minimum; add starts"
        )
    out: dict[str, Profile] = {}
    for name in names:
        j = prob.names.index(name)
        mine = sorted((s for s in sols if s.tag[0] == name), key=lambda s: s.tag[1])
        u = np.array([s.tag[1] for s in mine])
        x = prob.low[j] + u * width[j]
        cost = np.array([s.cost for s in mine])
        delta = 2 * (cost - fit.cost) / unc.s2
        others = pd.DataFrame([prob.to_x(s.u) for s in mine], columns=prob.names).drop(
            columns=[name]
        )
        lo, hi, verdict = interval(x, delta, float(fit.x[j]), threshold)
        out[name] = Profile(
            name, x, cost, delta, threshold, float(fit.x[j]), lo, hi, verdict, others
        )
    return out, notes


def interval(
    x: np.ndarray, delta: np.ndarray, estimate: float, threshold: float
) -> tuple[float, float, str]:
    """Where the profile crosses `threshold` on each side of the estimate, and a verdict.

    Returns (lower, upper, verdict): a side that never crosses within the grid
    gives the grid's end (the bound) and makes the verdict `one-sided` (one side)
    or `flat` (both). An estimate at a bound needs only the other side to cross.
    """
    ok = np.isfinite(delta)
    x, d = x[ok], delta[ok]
    lo_side = x <= estimate
    hi_side = x >= estimate

    def crossing(xs: np.ndarray, ds: np.ndarray) -> float | None:
        # xs ordered away from the estimate; first point above the threshold
        for k in range(1, len(xs)):
            if ds[k] > threshold >= ds[k - 1]:
                f = (threshold - ds[k - 1]) / (ds[k] - ds[k - 1])
                return float(xs[k - 1] + f * (xs[k] - xs[k - 1]))
            if ds[k] > threshold:
                return float(xs[k])
        return None

    xl, dl = x[lo_side][::-1], d[lo_side][::-1]
    xh, dh = x[hi_side], d[hi_side]
    lo = crossing(np.r_[estimate, xl], np.r_[0.0, dl]) if len(xl) else None
    hi = crossing(np.r_[estimate, xh], np.r_[0.0, dh]) if len(xh) else None
    at_low = len(xl) == 0 or np.isclose(estimate, x.min())
    at_high = len(xh) == 0 or np.isclose(estimate, x.max())
    open_lo = lo is None and not at_low
    open_hi = hi is None and not at_high
    verdict = (
        "flat"
        if (open_lo and open_hi) or (lo is None and hi is None)
        else ("one-sided" if open_lo or open_hi else "bounded")
    )
    return (
        lo if lo is not None else float(x.min()),
        hi if hi is not None else float(x.max()),
        verdict,
    )
