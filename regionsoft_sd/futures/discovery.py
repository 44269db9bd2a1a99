"""From outcomes over futures to *when* a strategy fails: cases, PRIM, trees, Sobol.

`failures(failure, y, y_against)` marks each future where the strategy fails
(a difference within the failure's tie tolerance is a tie, never a failure);
`analyse(x, ...)` runs PRIM, the extra-trees scores and a CART tree on those
cases; `difference_sobol` gives the Sobol indices of the difference between
the two strategies (decision-relevant sensitivity: which uncertainties decide
the choice, not which move the level), with the sweep's Sobol analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionsoft_sd.common.fields import seed32
from regionsoft_sd.futures.designs import unit_problem
from regionsoft_sd.futures.failure import Failure
from regionsoft_sd.futures.params import Parameter
from regionsoft_sd.futures.prim import PrimResult, prim
from regionsoft_sd.futures.ties import decision_tolerance
from regionsoft_sd.futures.trees import CartResult, cart, feature_scores


@dataclass
class Discovery:
    """Where a strategy fails, as data: the cases and what PRIM and the trees make of them.

    `cases`: one row per future, the uncertain values, the outcome of the
    strategy (and of the other strategy), the difference, and `failed`.
    `sobol`: first-order and total indices of the difference (or of the
    outcome, for a threshold failure); None when not asked for.
    """

    strategy: str
    against: str | None
    text: str
    cases: pd.DataFrame
    prim: PrimResult
    scores: pd.Series
    tree: CartResult
    sobol: pd.DataFrame | None = None

    @property
    def share(self) -> float:
        """Share of the futures in which the strategy fails."""
        return float(self.cases["failed"].mean())


def failures(failure: Failure, y: np.ndarray, y_against: np.ndarray | None = None) -> np.ndarray:
    """True where the strategy fails (a NaN outcome of the strategy counts as a failure).

    A difference within the tie tolerance (`ties.decision_tolerance` with the
    failure's `tie`) is never a failure: the strategy must be worse than the other
    by more than `margin` plus the tolerance, or beyond the threshold by more than
    the tolerance.
    """
    y = np.asarray(y, dtype=float)
    bad = np.isnan(y)
    with np.errstate(invalid="ignore"):
        if failure.below is not None:
            return bad | (y < failure.below - decision_tolerance(y, failure.below, failure.tie))
        if failure.above is not None:
            return bad | (y > failure.above + decision_tolerance(y, failure.above, failure.tie))
        if y_against is None:
            raise ValueError("a failure against another strategy needs its outcomes")
        other = np.asarray(y_against, dtype=float)
        diff = y - other
        slack = failure.margin + decision_tolerance(y, other, failure.tie)
        worse = diff < -slack if failure.better == "higher" else diff > slack
    return bad | (worse & ~np.isnan(diff))


def analyse(
    x: pd.DataFrame,
    failure: Failure,
    strategy: str,
    y: np.ndarray,
    against: str | None = None,
    y_against: np.ndarray | None = None,
    *,
    seed: int = 0,
) -> Discovery:
    """Mark the failures among the futures `x` and describe where they are."""
    failed = failures(failure, y, y_against)
    cases = x.reset_index(drop=True).copy()
    cases[f"{failure.metric} ({strategy})"] = y
    if y_against is not None:
        cases[f"{failure.metric} ({against})"] = y_against
        cases["difference"] = np.asarray(y, dtype=float) - np.asarray(y_against, dtype=float)
    cases["failed"] = failed
    p = failure.prim
    found = prim(
        x.reset_index(drop=True),
        failed,
        peel_alpha=p.peel_alpha,
        paste_alpha=p.paste_alpha,
        mass_min=p.mass_min,
        threshold=p.threshold,
        objective=p.objective,
    )
    return Discovery(
        strategy,
        against,
        failure.describe(strategy, against),
        cases,
        found,
        feature_scores(x, failed, seed=seed),
        cart(x, failed, seed=seed),
    )


def difference_sobol(
    parameters: Sequence[Parameter], y: np.ndarray, y_against: np.ndarray | None, *, seed: int
) -> pd.DataFrame:
    """S1 and ST of y - y_against (or of y alone) over a Saltelli design (first order only)."""
    from regionsoft_sd.futures.analysis import sobol_indices

    d = np.asarray(y, dtype=float)
    if y_against is not None:
        d = d - np.asarray(y_against, dtype=float)
    if np.isnan(d).any():
        raise ValueError("NaN outcomes: the Sobol indices of the difference are undefined")
    first, _ = sobol_indices(
        unit_problem([p.name for p in parameters]), d, second_order=False, seed=seed32(seed)
    )
    return first.sort_values("ST", ascending=False, kind="stable")
