"""The fitted history with its band, the out-of-sample error, and the fit statistics.

- `likelihood_band`: parameter sets inside the likelihood-ratio region (the
  rule of the profiles), whose trajectories' envelope is the band; with MCMC,
  `posterior_band` takes posterior sets and the band is their central interval.
  Either way the band is parameter uncertainty only, not observation noise.
- `history_table`: per series and year the observation, the fitted value, the
  band and the held-out fit.
- `fit_table`: R², MAPE and Theil's statistics of each series over the window.
- `holdout_table`: the forecast error of the fit made with data up to the cut
  year, over the held-out years, beside a naive forecast (the series' average
  growth over its last five fitted years, carried on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from regionsoft_sd.calibrate.fit import Fit, take
from regionsoft_sd.calibrate.problem import Block, Problem, Simulation
from regionsoft_sd.calibrate.spec import CalibrationSpec
from regionsoft_sd.calibrate.stats import fit_stats
from regionsoft_sd.calibrate.uncertainty import Uncertainty

NAIVE_YEARS = 5
MAX_TRIES = 50
SCALES = (1.0, 0.3, 0.1)
"""Widths (x the Jacobian covariance) of the normals the band's candidates come from."""


def normal_draws(unc: Uncertainty, n: int, rng: np.random.Generator, scale: float = 1.0):
    """n draws of N(estimate, scale² Cov) kept inside the bounds (a truncated normal).

    Draws outside the bounds are drawn again (up to MAX_TRIES times), then clipped.
    """
    cov = scale**2 * (unc.cov + unc.cov.T) / 2
    X = rng.multivariate_normal(unc.estimate, cov, size=n, method="eigh")
    for _ in range(MAX_TRIES):
        bad = ((unc.low > X) | (unc.high < X)).any(axis=1)
        if not bad.any():
            break
        X[bad] = rng.multivariate_normal(unc.estimate, cov, size=int(bad.sum()), method="eigh")
    return np.clip(X, unc.low, unc.high)


def stack(sims: list[Simulation]) -> Simulation:
    """Simulations of the same variables and times, one after the other."""
    keys = sims[0].data.keys()
    return Simulation(
        sims[0].times,
        {k: np.concatenate([s.data[k] for s in sims]) for k in keys},
        np.concatenate([s.fault for s in sims]),
    )


@dataclass
class Band:
    """The parameter sets behind the band, their simulation, and how they were found."""

    sim: Simulation
    kind: str  # "likelihood" (envelope) or "posterior" (quantiles)
    tried: int
    kept: int


def likelihood_band(
    prob: Problem, fit: Fit, unc: Uncertainty, n: int, seed: int, level: float
) -> Band:
    """Parameter sets inside the likelihood-ratio region Δ <= chi2(1, level), and their runs.

    The envelope of their trajectories approximates, year by year, the profile-
    likelihood interval of each fitted variable (the same rule as the parameter
    profiles): Δ = 2 (cost - cost at the estimate) / s². Candidates are drawn from
    the Jacobian normal, then from narrower ones (x 0.3, x 0.1) until half of `n`
    are inside; each step is one batch. Being a sample, the envelope can only
    under-reach the region's extremes.
    """
    rng = np.random.default_rng(seed)
    threshold = float(stats.chi2.ppf(level, 1))
    kept: list[Simulation] = []
    tried = n_kept = 0
    for scale in SCALES:
        X = normal_draws(unc, n, rng, scale)
        sim = prob.simulate(X)
        delta = 2 * (Problem.cost(prob.residuals_of(sim)) - fit.cost) / unc.s2
        ok = np.flatnonzero(delta <= threshold)
        tried += len(X)
        n_kept += len(ok)
        kept.append(take(sim, ok))
        if n_kept >= n // 2:
            break
    return Band(stack(kept), "likelihood", tried, n_kept)


def posterior_band(prob: Problem, samples: np.ndarray, n: int, seed: int) -> Band:
    """n sets of the posterior sample and their runs (the band: their quantiles)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(samples), size=n, replace=len(samples) < n)
    sim = prob.simulate(samples[idx])
    return Band(sim, "posterior", n, n)


def history_table(
    spec: CalibrationSpec,
    wide: pd.DataFrame,
    fitted: Simulation,
    held: Simulation | None,
    band: Band | None,
    *,
    level: float,
    years: tuple[int, int],
) -> pd.DataFrame:
    """series, variable, year, observed, fitted, lower, upper, held_out_fit, in_window.

    `fitted` and `held` hold one run each (the estimate, the fit to the cut year).
    The band is the envelope of a likelihood band's runs, or the central `level`
    interval of a posterior band's.
    """
    t = np.arange(years[0], years[1] + 1)
    q = ((1 - level) / 2, (1 + level) / 2)
    frames = []
    for target in spec.targets:
        est = fitted.at(target.variable, t)[0]
        lower = upper = np.full(len(t), np.nan)
        if band is not None:
            ok = band.sim.fault == ""
            vals = band.sim.at(target.variable, t)[ok]
            if band.kind == "likelihood":
                vals = np.vstack([vals, est[None, :]])
                lower, upper = vals.min(axis=0), vals.max(axis=0)
            elif len(vals):
                lower, upper = np.quantile(vals, q[0], axis=0), np.quantile(vals, q[1], axis=0)
        obs = (
            wide[target.data].reindex(t).to_numpy(dtype=float)
            if target.data in wide.columns
            else np.full(len(t), np.nan)
        )
        frames.append(
            pd.DataFrame(
                {
                    "series": target.data,
                    "variable": target.variable,
                    "year": t,
                    "observed": obs,
                    "fitted": est,
                    "lower": lower,
                    "upper": upper,
                    "held_out_fit": held.at(target.variable, t)[0] if held is not None else np.nan,
                    "in_window": (t >= spec.start) & (t <= spec.end),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def fit_table(problem: Problem, sim_row: Simulation) -> pd.DataFrame:
    """series, r2, mape, um, us, uc, n, flag: each fitted series over the window (levels)."""
    rows = []
    for b in problem.blocks:
        model = sim_row.at(b.target.variable, b.years)[0]
        s = fit_stats(model, b.observed)
        rows.append({"series": b.target.data, **s.row()})
    return pd.DataFrame(rows)


def naive_forecast(block: Block, years: np.ndarray) -> np.ndarray:
    """The series' average log growth over its last NAIVE_YEARS fitted years, carried on."""
    yrs, obs = block.years[-(NAIVE_YEARS + 1) :], block.observed[-(NAIVE_YEARS + 1) :]
    if len(yrs) < 2 or (obs <= 0).any():
        return np.full(len(years), np.nan)
    g = (np.log(obs[-1]) - np.log(obs[0])) / (yrs[-1] - yrs[0])
    return obs[-1] * np.exp(g * (years - yrs[-1]))


def holdout_table(
    held_problem: Problem, wide: pd.DataFrame, sim_row: Simulation, cut: int, end: int
) -> pd.DataFrame:
    """Out-of-sample error of the fit to `cut`, over cut + 1 .. end, per series.

    Columns: series, years, n, mape, bias (mean signed relative error), naive_mape,
    fit_mape (the same fit's in-sample MAPE, for comparison).
    """
    rows = []
    for b in held_problem.blocks:
        col = wide[b.target.data].loc[cut + 1 : end].dropna() if b.target.data in wide else None
        if col is None or col.empty or len(b.years) < 2:
            continue
        years = col.index.to_numpy(dtype=int)
        obs = col.to_numpy(dtype=float)
        model = sim_row.at(b.target.variable, years)[0]
        fitted = sim_row.at(b.target.variable, b.years)[0]
        naive = naive_forecast(b, years)
        rel = (model - obs) / np.abs(obs)
        rows.append(
            {
                "series": b.target.data,
                "years": f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0]),
                "n": len(years),
                "mape": float(np.mean(np.abs(rel))),
                "bias": float(np.mean(rel)),
                "naive_mape": float(np.mean(np.abs(naive - obs) / np.abs(obs))),
                "fit_mape": float(np.mean(np.abs(fitted - b.observed) / np.abs(b.observed))),
            }
        )
    return pd.DataFrame(
        rows, columns=["series", "years", "n", "mape", "bias", "naive_mape", "fit_mape"]
    )
