"""Confidence from the Jacobian: covariance, correlations, intervals and singular values.

At the estimate x̂ with weighted residuals r (m,) and their Jacobian J (m x p),
the usual nonlinear-regression approximation is

    s² = |r|² / (m - p),     Cov(x̂) = s² (JᵀJ)⁻¹,
    interval = x̂ ± t(m - p, (1 + level) / 2) · se,   se = sqrt(diag Cov),

clipped to the bounds. s² rescales the spec's error scales by what the fit
actually left: only their ratios matter. When JᵀJ is singular (a direction the
data cannot see) the pseudo-inverse is used and the parameters in that direction
are named by the singular value decomposition of J in unit coordinates (each
parameter scaled by its range, so that the singular values compare directions
across parameters with different units).

These intervals assume independent errors. Residuals of a model fitted to yearly
series are usually autocorrelated, which makes the real uncertainty larger: read
the intervals as lower bounds, and the profiles as the better guide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from regionsoft_sd.calibrate.fit import Fit
from regionsoft_sd.calibrate.lockstep import STEP

NULL_RATIO = 1e-3
"""A singular value below this fraction of the largest marks a direction the data do not see."""
NULL_LOADING = 0.3
"""Parameters whose weight in such a direction exceeds this are named in it."""
WIDE = 0.9
"""An interval covering more than this fraction of the bounds says the data barely constrain it."""
STRONG_CORRELATION = 0.95


@dataclass
class Uncertainty:
    """Covariance-based uncertainty of a fit (model units, except `singular`/`directions`)."""

    names: list[str]
    estimate: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    cov: np.ndarray
    s2: float
    dof: int
    level: float
    singular: np.ndarray
    directions: np.ndarray
    at_bound: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @property
    def correlation(self) -> pd.DataFrame:
        """The correlation matrix of the estimates (NaN where a variance is 0)."""
        d = np.sqrt(np.diag(self.cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            c = self.cov / np.outer(d, d)
        np.fill_diagonal(c, 1.0)
        return pd.DataFrame(c, index=self.names, columns=self.names)

    @property
    def t(self) -> float:
        return float(stats.t.ppf((1 + self.level) / 2, self.dof))

    def table(self) -> pd.DataFrame:
        """parameter, estimate, lower, upper, se, low and high bounds, at_bound."""
        return pd.DataFrame(
            {
                "parameter": self.names,
                "estimate": self.estimate,
                "lower": self.lower,
                "upper": self.upper,
                "se": self.se,
                "bound_low": self.low,
                "bound_high": self.high,
                "at_bound": self.at_bound,
            }
        )

    def singular_table(self) -> pd.DataFrame:
        """Each singular value, its ratio to the largest, and the parameters that weigh most."""
        rows = []
        top = self.singular[0] if len(self.singular) and self.singular[0] > 0 else 1.0
        for k, sv in enumerate(self.singular):
            v = self.directions[k]
            order = np.argsort(-np.abs(v))
            main = [f"{self.names[i]} ({v[i]:+.2f})" for i in order if abs(v[i]) >= NULL_LOADING]
            rows.append(
                {
                    "index": k + 1,
                    "singular_value": sv,
                    "ratio": sv / top,
                    "unseen": bool(sv / top < NULL_RATIO),
                    "parameters": "; ".join(main[:4]),
                }
            )
        return pd.DataFrame(rows)

    def unseen(self) -> dict[str, float]:
        """Parameters that weigh in a direction the data do not see: name -> singular ratio."""
        out: dict[str, float] = {}
        top = self.singular[0] if len(self.singular) and self.singular[0] > 0 else 1.0
        for k, sv in enumerate(self.singular):
            ratio = sv / top
            if ratio >= NULL_RATIO:
                continue
            for i in np.flatnonzero(np.abs(self.directions[k]) >= NULL_LOADING):
                out[self.names[i]] = min(out.get(self.names[i], 1.0), float(ratio))
        return out

    def strong_pairs(self) -> list[tuple[str, str, float]]:
        """Pairs of estimates correlated beyond ±STRONG_CORRELATION."""
        c = self.correlation.to_numpy()
        out = []
        for i in range(len(self.names)):
            for j in range(i + 1, len(self.names)):
                if np.isfinite(c[i, j]) and abs(c[i, j]) >= STRONG_CORRELATION:
                    out.append((self.names[i], self.names[j], float(c[i, j])))
        return out


def covariance(fit: Fit, level: float = 0.95) -> Uncertainty:
    """The Jacobian-based uncertainty of `fit` (see the module docstring)."""
    prob = fit.problem
    m, p = fit.jac.shape
    dof = m - p
    if dof < 1:
        raise ValueError(f"{m} observations cannot estimate {p} parameters")
    width = prob.high - prob.low
    Jx = fit.jac / width[None, :]
    s2 = float(fit.fun @ fit.fun) / dof
    cov = s2 * np.linalg.pinv(Jx.T @ Jx, rcond=1e-12, hermitian=True)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    t = float(stats.t.ppf((1 + level) / 2, dof))
    lower = np.clip(fit.x - t * se, prob.low, prob.high)
    upper = np.clip(fit.x + t * se, prob.low, prob.high)
    _, sv, vt = np.linalg.svd(fit.jac, full_matrices=False)
    at_bound = (fit.u <= STEP) | (fit.u >= 1 - STEP)
    return Uncertainty(
        list(prob.names),
        fit.x.copy(),
        se,
        lower,
        upper,
        cov,
        s2,
        dof,
        level,
        sv,
        vt,
        at_bound,
        prob.low.copy(),
        prob.high.copy(),
    )
