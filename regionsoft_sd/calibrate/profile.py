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
Each point is refitted twice (from the estimate, and from its neighbour's solution
nearer the estimate), and each crossing of the threshold is then root-found with
refits at a tight tolerance, so that an independent exact refit at an interval's
end gives the threshold itself (see `profiles`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from regionsoft_sd.calibrate.fit import Fit, _rounds, take
from regionsoft_sd.calibrate.lockstep import Job, Solution, solve_all
from regionsoft_sd.calibrate.uncertainty import Uncertainty

TOL = 1e-10
"""ftol, xtol and gtol of every profile refit: the others must be at their best, not near it."""
MIN_NFEV = 100
"""At least this many least-squares evaluations per profile point."""
ROOT_TOL = 0.01
"""A crossing is found when its refitted Δ is this close to the threshold."""
ROOT_ITER = 8
"""At most this many root-finding steps per crossing (each one lockstep solve)."""
ROOT_WIDTH = 1e-7
"""A bracket narrower than this (unit coordinates) stops the root-finding."""
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


def _job(prob, name: str, g: float, start: np.ndarray, max_nfev: int, tag: object = None) -> Job:
    j = prob.names.index(name)
    u0 = start.copy()
    u0[j] = g
    free = np.ones(prob.n_params, dtype=bool)
    free[j] = False
    return Job(u0, free, prob.residuals_of, max_nfev, tag=(name, float(g)) if tag is None else tag)


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


def _solve(prob, jobs: list[Job], progress: bool, desc: str) -> list[Solution]:
    """One lockstep solve of `jobs` at the profiles' tight tolerance."""
    with _rounds(progress, desc) as on_round:
        return solve_all(jobs, prob.simulate, take, prob.to_x, tol=TOL, on_round=on_round)


def _best_of(sols: list[Solution]) -> list[Solution]:
    """Per profile point (name, u), the solution of least cost among its starts."""
    best: dict[tuple[str, float], Solution] = {}
    for s in sols:
        key = (s.tag[0], s.tag[1])
        if key not in best or s.cost < best[key].cost:
            best[key] = s
    return list(best.values())


def _warm(prob, sols: list[Solution], fit: Fit, max_nfev: int) -> list[Job]:
    """Each grid point again, started from its neighbour nearer the estimate (continuation)."""
    jobs = []
    for name in dict.fromkeys(s.tag[0] for s in sols):
        u_hat = float(fit.u[prob.names.index(name)])
        mine = [s for s in sols if s.tag[0] == name]
        for side in (-1, 1):
            pts = sorted(
                (s for s in mine if side * (s.tag[1] - u_hat) > 0),
                key=lambda s: abs(s.tag[1] - u_hat),
            )
            prev = fit.u
            for s in pts:
                jobs.append(_job(prob, name, s.tag[1], prev, max_nfev))
                prev = s.u
    return jobs


def _crossings(
    prob,
    fit: Fit,
    sols: list[Solution],
    names: tuple[str, ...] | list[str],
    s2: float,
    threshold: float,
    max_nfev: int,
    progress: bool,
) -> list[Solution]:
    """Root-find where each profile crosses the threshold, every crossing in lockstep.

    Each bracket (the last point inside the threshold, the first outside) is
    narrowed by regula falsi on Δ (Illinois rule, bisection where it stalls); each
    new point is refitted from both ends' solutions and the better kept, until
    |Δ - threshold| < ROOT_TOL or ROOT_ITER steps. Returns every point refitted.
    """
    Bracket = list  # [name, u_in, d_in, sol_in, u_out, d_out, sol_out, side_kept]
    brackets: list[Bracket] = []
    for name in names:
        j = prob.names.index(name)
        mine = [s for s in sols if s.tag[0] == name]
        for inner, u_in, u_out in _brackets(mine, float(fit.u[j]), fit.cost, s2, threshold):
            outer = next(s for s in mine if s.tag[1] == u_out)
            d_in = 0.0 if inner is None else 2 * (inner.cost - fit.cost) / s2
            d_out = 2 * (outer.cost - fit.cost) / s2
            sol_in = inner.u if inner is not None else fit.u
            brackets.append([name, u_in, d_in, sol_in, u_out, d_out, outer.u, 0])
    added: list[Solution] = []
    for _ in range(ROOT_ITER):
        live = [b for b in brackets if b is not None]
        if not live:
            break
        jobs, proposals = [], []
        for k, b in enumerate(brackets):
            if b is None:
                continue
            name, u_in, d_in, s_in, u_out, d_out, s_out, _kept = b
            f = (threshold - d_in) / (d_out - d_in) if d_out > d_in else 0.5
            f = min(max(f, 0.05), 0.95)
            g = u_in + f * (u_out - u_in)
            proposals.append((k, g))
            for origin in (s_in, s_out):
                jobs.append(_job(prob, name, g, origin, max_nfev, tag=(name, float(g), k)))
        new = _best_of(_solve(prob, jobs, progress, "profiles (crossing)"))
        added += new
        by_k = {s.tag[2]: s for s in new} if new and len(new[0].tag) > 2 else {}
        for k, g in proposals:
            b = brackets[k]
            sol = by_k.get(k)
            if sol is None or not np.isfinite(sol.cost):
                brackets[k] = None
                continue
            d = 2 * (sol.cost - fit.cost) / s2
            if abs(d - threshold) < ROOT_TOL or abs(b[4] - b[1]) < ROOT_WIDTH:
                brackets[k] = None
            elif d <= threshold:
                b[1], b[2], b[3] = g, d, sol.u
                if b[7] == -1:  # Illinois: the same end kept twice, halve the other's excess
                    b[5] = threshold + (b[5] - threshold) / 2
                b[7] = -1
            else:
                b[4], b[5], b[6] = g, d, sol.u
                if b[7] == 1:
                    b[2] = threshold - (threshold - b[2]) / 2
                b[7] = 1
    return [Solution(**{**s.__dict__, "tag": s.tag[:2]}) for s in added]


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

    Three stages, each lockstep solves at a tight tolerance (TOL): the grid, each
    point refitted from the estimate; the grid again, each point started from its
    neighbour's solution nearer the estimate (continuation; the better of the two
    is kept); then the crossings of the threshold, root-found to |Δ - 3.84| <
    ROOT_TOL, each new point refitted from both ends of its bracket. The others are
    thus refitted at their best at every point, and the interval's ends are where
    the refitted profile crosses the threshold, not an interpolation between grid
    points (which, on a convex profile, ends short of it).
    """
    prob = fit.problem
    width = prob.high - prob.low
    level = unc.level
    threshold = float(stats.chi2.ppf(level, 1))
    nfev = max(max_nfev, MIN_NFEV)
    jobs = [
        _job(prob, name, g, fit.u, nfev)
        for name in names
        for g in grid(
            float(fit.u[prob.names.index(name)]),
            float(unc.se[prob.names.index(name)] / width[prob.names.index(name)]),
            points,
        )
    ]
    sols = _solve(prob, jobs, progress, "profiles")
    sols = _best_of(sols + _solve(prob, _warm(prob, sols, fit, nfev), progress, "profiles (warm)"))
    sols += _crossings(prob, fit, sols, names, unc.s2, threshold, nfev, progress)
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
