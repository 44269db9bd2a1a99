"""Fit statistics of one series: R², MAPE and Theil's inequality statistics.

For model values m and observations a over n years (Sterman 1984, "Appropriate
summary statistics for evaluating the historical fit of system dynamics models"):

    MSE = mean((m - a)^2) = (mean m - mean a)^2 + (s_m - s_a)^2 + 2 (1 - r) s_m s_a

with population standard deviations s (divided by n) and the correlation r. The
three terms over MSE are U^M (bias), U^S (unequal variation) and U^C (unequal
covariation); they sum to 1 exactly. An error that is mostly U^C is unsystematic
(the model follows the trend and the spread and misses the point-by-point
noise); one that is mostly U^M or U^S is systematic, and is flagged.

R² is the coefficient of determination 1 - SSE / SST (it can be negative for a
model worse than the data's mean); MAPE the mean of |m - a| / |a|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SYSTEMATIC = 0.5
"""A series is flagged when U^M or U^S exceeds this share of its mean squared error."""
COLUMNS = ("r2", "mape", "um", "us", "uc")


@dataclass(frozen=True)
class FitStats:
    """R², MAPE, Theil's U^M, U^S, U^C, the number of points and the flag."""

    r2: float
    mape: float
    um: float
    us: float
    uc: float
    n: int
    rmse: float

    @property
    def flag(self) -> str:
        """`bias` or `unequal variation` when that term is most of the error, else ""."""
        if self.um > SYSTEMATIC:
            return "bias"
        if self.us > SYSTEMATIC:
            return "unequal variation"
        return ""

    def row(self) -> dict[str, float | int | str]:
        return {
            "r2": self.r2,
            "mape": self.mape,
            "um": self.um,
            "us": self.us,
            "uc": self.uc,
            "n": self.n,
            "flag": self.flag,
        }


def theil(model: np.ndarray, actual: np.ndarray) -> tuple[float, float, float]:
    """(U^M, U^S, U^C) of `model` against `actual`; NaN for a perfect fit (MSE = 0)."""
    m = np.asarray(model, dtype=float)
    a = np.asarray(actual, dtype=float)
    mse = float(np.mean((m - a) ** 2))
    if mse == 0.0:
        return (np.nan, np.nan, np.nan)
    sm, sa = float(np.std(m)), float(np.std(a))  # population standard deviations (ddof=0)
    um = (float(np.mean(m)) - float(np.mean(a))) ** 2 / mse
    us = (sm - sa) ** 2 / mse
    if sm > 0 and sa > 0:
        r = float(np.mean((m - m.mean()) * (a - a.mean())) / (sm * sa))
        uc = 2 * (1 - r) * sm * sa / mse
    else:
        uc = 0.0
    return um, us, uc


def fit_stats(model: np.ndarray, actual: np.ndarray) -> FitStats:
    """All the statistics of one series (at least two points)."""
    m = np.asarray(model, dtype=float)
    a = np.asarray(actual, dtype=float)
    if m.shape != a.shape or m.ndim != 1 or len(m) < 2:
        raise ValueError("fit statistics need two 1-D arrays of equal length >= 2")
    err = m - a
    sst = float(np.sum((a - a.mean()) ** 2))
    r2 = 1 - float(np.sum(err**2)) / sst if sst > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        mape = float(np.mean(np.abs(err) / np.abs(a)))
    um, us, uc = theil(m, a)
    return FitStats(r2, mape, um, us, uc, len(m), float(np.sqrt(np.mean(err**2))))
