"""Shares that sum to 1, each within bounds: the bounded simplex, two ways.

A budget split is a point of the *bounded simplex*
``{s : sum(s) = 1, low <= s <= high}``. Optimisers need it in one of two forms:

- `from_unit` maps the unit cube ``[0, 1]^(k-1)`` onto it by bounded stick
  breaking, so a box-bounded optimiser (differential evolution, SLSQP with
  bounds only) searches the split without any penalty on the sum. Share i takes
  the fraction ``u_i`` of the interval it can still take given what earlier
  shares took and what later shares need; the last share is the remainder.
  `to_unit` is its inverse.
- `project` is the Euclidean projection onto it: the repair step that puts the
  offspring of a genetic algorithm (which works on the shares directly) back on
  the simplex. It solves ``sum(clip(v - tau, low, high)) = 1`` for the shift
  ``tau`` by bisection (the sum falls monotonically in ``tau``).

Every function works row-wise on arrays of shape (n, k) (or (n, k - 1) in the
unit cube), so a whole population is mapped at once.
"""

from __future__ import annotations

import numpy as np

SUM_TOLERANCE = 1e-9
_BISECTIONS = 200


def feasible(low: np.ndarray, high: np.ndarray) -> bool:
    """True if some shares within [low, high] sum to 1 (and low <= high everywhere)."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    return bool(
        np.all(low <= high) and low.sum() <= 1 + SUM_TOLERANCE and high.sum() >= 1 - SUM_TOLERANCE
    )


def _limits(low: np.ndarray, high: np.ndarray, remaining: np.ndarray, i: int):
    """The interval share i may take when `remaining` is left for shares i..k-1."""
    lo = np.maximum(low[i], remaining - high[i + 1 :].sum())
    hi = np.minimum(high[i], remaining - low[i + 1 :].sum())
    return lo, np.maximum(hi, lo)


def from_unit(u: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Shares (n, k) on the bounded simplex from points (n, k - 1) of the unit cube.

    Continuous and onto: every feasible split is reached, and the cube's
    corners map to the polytope's vertices.
    """
    u = np.atleast_2d(np.asarray(u, float))
    low, high = np.asarray(low, float), np.asarray(high, float)
    k = len(low)
    if u.shape[1] != k - 1:
        raise ValueError(f"expected {k - 1} unit coordinates for {k} shares, got {u.shape[1]}")
    s = np.empty((len(u), k))
    remaining = np.ones(len(u))
    for i in range(k - 1):
        lo, hi = _limits(low, high, remaining, i)
        s[:, i] = lo + np.clip(u[:, i], 0.0, 1.0) * (hi - lo)
        remaining = remaining - s[:, i]
    s[:, k - 1] = remaining
    return s


def to_unit(s: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The unit-cube point (n, k - 1) of shares (n, k): the inverse of `from_unit`.

    Where share i has no freedom left (its interval is one point), its
    coordinate is 0.5.
    """
    s = np.atleast_2d(np.asarray(s, float))
    low, high = np.asarray(low, float), np.asarray(high, float)
    k = len(low)
    u = np.empty((len(s), k - 1))
    remaining = np.ones(len(s))
    for i in range(k - 1):
        lo, hi = _limits(low, high, remaining, i)
        width = hi - lo
        with np.errstate(divide="ignore", invalid="ignore"):
            u[:, i] = np.where(width > 1e-15, (s[:, i] - lo) / width, 0.5)
        remaining = remaining - s[:, i]
    return np.clip(u, 0.0, 1.0)


def project(v: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The nearest point (Euclidean) of the bounded simplex to each row of `v`.

    This is the unique `clip(v - tau, low, high)` whose sum is 1. Rows already
    on the simplex come back unchanged (to rounding).
    """
    v = np.atleast_2d(np.asarray(v, float))
    low, high = np.asarray(low, float), np.asarray(high, float)
    if not feasible(low, high):
        raise ValueError(f"no shares within {low} .. {high} sum to 1")
    # sum(clip(v - tau)) is sum(high) at tau_lo and sum(low) at tau_hi
    tau_lo = (v - high).min(axis=1) - 1.0
    tau_hi = (v - low).max(axis=1) + 1.0
    for _ in range(_BISECTIONS):
        mid = 0.5 * (tau_lo + tau_hi)
        total = np.clip(v - mid[:, None], low, high).sum(axis=1)
        above = total > 1.0
        tau_lo = np.where(above, mid, tau_lo)
        tau_hi = np.where(above, tau_hi, mid)
        if np.all(tau_hi - tau_lo < 1e-15):
            break
    s = np.clip(v - 0.5 * (tau_lo + tau_hi)[:, None], low, high)
    return _exact_sum(s, low, high)


def _exact_sum(s: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Put the rounding residual of each row on a share with room for it."""
    resid = 1.0 - s.sum(axis=1)
    room = np.where(resid[:, None] > 0, high - s, s - low)
    j = np.argmax(room, axis=1)
    rows = np.arange(len(s))
    s[rows, j] = np.clip(s[rows, j] + resid, low[j], high[j])
    return s
