"""When two outcomes are the same: the one tolerance discovery, win shares and regret use.

Two runs of the model that should give the same number (a found optimum equal to
a shipped strategy, the same scenario reached two ways) differ in the last bits
of a float, by a few 1e-16 relative. Such a difference is no evidence that one
strategy does better: it is a tie. `tolerance(a, b)` is the largest difference
that still counts as a tie:

    TIE_RTOL * max(|a|, |b|) + TIE_ATOL

A relative part, because the metrics have very different units (soft power near
1, GDP in billions), and an absolute part for outcomes near 0. 1e-9 relative is
ten million times rounding noise and far below any difference a decision could
rest on (the model's own inputs carry two to four significant digits).

A second, wider tolerance is for *decisions*: `decision_tolerance` adds
`DECISION_RTOL` (0.1 %) of the outcome. Two strategies whose outcomes differ by
less than that are not told apart by the model: its inputs carry two to four
significant digits, and a split that moves the outcome by 0.1 % is within what
a recalibration moves it. Win shares, regret and Pareto fronts use it, and so
does discovery's failure definition (a spec's `tie`, 0.1 % unless set).

Used by: discovery's failure definition (a strategy fails only where it does
worse by more than the margin plus the tolerance, or crosses a threshold by more
than it), the re-evaluation's win shares (strategies tied for best share the
future) and regret (a shortfall within the tolerance is 0).
"""

from __future__ import annotations

import numpy as np

TIE_RTOL = 1e-9
"""Relative part of the tie tolerance."""
TIE_ATOL = 1e-12
"""Absolute part of the tie tolerance (outcomes near 0)."""


def tolerance(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """The largest difference between outcomes `a` and `b` that is a tie (elementwise)."""
    aa = np.abs(np.asarray(a, dtype=float))
    bb = np.abs(np.asarray(b, dtype=float))
    with np.errstate(invalid="ignore"):
        scale = np.fmax(aa, bb)
    scale = np.where(np.isfinite(scale), scale, 0.0)
    return TIE_RTOL * scale + TIE_ATOL


DECISION_RTOL = 1e-3
"""Relative tolerance within which two outcomes are the same for a decision (0.1 %)."""


def decision_tolerance(
    a: np.ndarray | float, b: np.ndarray | float, rtol: float = DECISION_RTOL
) -> np.ndarray:
    """The largest difference between outcomes that is a tie for a decision (elementwise).

    The rounding tolerance plus `rtol` of the larger magnitude.
    """
    aa = np.abs(np.asarray(a, dtype=float))
    bb = np.abs(np.asarray(b, dtype=float))
    with np.errstate(invalid="ignore"):
        scale = np.fmax(aa, bb)
    scale = np.where(np.isfinite(scale), scale, 0.0)
    return tolerance(a, b) + rtol * scale


def tied(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """True where `a` and `b` differ by no more than the tolerance (NaN ties nothing)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= tolerance(a, b)
