"""Robustness scores: one number per strategy from its outcomes over a sample of futures.

Every function takes a table `y` of shape (strategies, futures): one metric's
outcome of each strategy in each future, all strategies on the *same* futures.
`better` is "higher" or "lower", the metric's direction. NaN outcomes (a
threshold never reached) count as the worst possible outcome.

- `mean`: the expected outcome.
- `percentile`: the outcome in the bad tail: for a metric where higher is
  better, the p-th percentile (p = 10: 90 % of futures do at least this well);
  where lower is better, the (100 - p)-th.
- `regret`: how far each strategy falls short of the best strategy *in each
  future* (`regret_table`), summarised by its maximum over futures (minimax
  regret, Savage's criterion). The best is taken over the rows of `y`, or
  given (`best`, per future) when the score must not change while a search
  adds strategies.
- `satisficing`: the share of futures in which the outcome meets a threshold.

`SCORERS` lists them with the direction of the score itself: regret is lower-
is-better whatever the metric; a satisficing share is higher-is-better.
"""

from __future__ import annotations

import numpy as np

from regionsoft_sd.futures.ties import decision_tolerance

SCORERS = ("mean", "percentile", "regret", "satisficing")
DEFAULT_PERCENTILE = 10.0


def _worst_filled(y: np.ndarray, better: str) -> np.ndarray:
    """`y` as float with NaN replaced by the worst value (+/- inf)."""
    y = np.asarray(y, dtype=float)
    return np.where(np.isnan(y), -np.inf if better == "higher" else np.inf, y)


def score_direction(scorer: str, better: str) -> str:
    """Which way the score of `scorer` is better, for a metric whose direction is `better`."""
    if scorer == "regret":
        return "lower"
    if scorer == "satisficing":
        return "higher"
    return better


def mean(y: np.ndarray, better: str) -> np.ndarray:
    """Mean outcome over futures (NaN if any future's outcome is NaN: it never happened)."""
    return np.asarray(y, dtype=float).mean(axis=-1)


def percentile(y: np.ndarray, better: str, p: float = DEFAULT_PERCENTILE) -> np.ndarray:
    """The bad-tail percentile: `p` % of futures are at least this bad."""
    q = p / 100.0 if better == "higher" else 1.0 - p / 100.0
    return np.quantile(_worst_filled(y, better), q, axis=-1, method="linear")


def best_per_future(y: np.ndarray, better: str) -> np.ndarray:
    """The best outcome in each future over the rows (strategies) of `y`."""
    yy = _worst_filled(y, better)
    return yy.max(axis=0) if better == "higher" else yy.min(axis=0)


def regret_table(y: np.ndarray, better: str, best: np.ndarray | None = None) -> np.ndarray:
    """Regret of each strategy in each future: its shortfall from the best there.

    `best` (futures,) defaults to the best row of `y` in each future, so every
    regret is >= 0 and the best strategy of a future has regret 0 there. A
    `best` given from elsewhere (strategies known before a search) keeps the
    score fixed while the search runs; a strategy better than it has a
    negative regret in that future. A shortfall (or lead) within the decision tie
    tolerance (`futures.ties.decision_tolerance`, 0.1 %) is 0: a difference the
    model cannot tell from noise is not regret.
    """
    yy = _worst_filled(y, better)
    if best is None:
        best = best_per_future(y, better)
    ref = _worst_filled(np.asarray(best, dtype=float), better)
    sign = 1.0 if better == "higher" else -1.0
    with np.errstate(invalid="ignore"):
        r = sign * (ref[None, :] - yy)
        r = np.where(np.abs(r) <= decision_tolerance(ref[None, :], yy), 0.0, r)  # a tie
    return np.where(np.isnan(r), 0.0, r)  # inf - inf: every strategy fails there alike


def max_regret(y: np.ndarray, better: str, best: np.ndarray | None = None) -> np.ndarray:
    """Minimax-regret score: each strategy's largest regret over the futures."""
    return regret_table(y, better, best).max(axis=-1)


def satisficing(y: np.ndarray, better: str, threshold: float) -> np.ndarray:
    """Share of futures in which the outcome meets `threshold` (>= if higher is better)."""
    yy = _worst_filled(y, better)
    ok = yy >= threshold if better == "higher" else yy <= threshold
    return ok.mean(axis=-1)


def score(
    y: np.ndarray,
    scorer: str,
    better: str,
    *,
    p: float = DEFAULT_PERCENTILE,
    threshold: float | None = None,
    best: np.ndarray | None = None,
) -> np.ndarray:
    """One robustness score per row of `y` (strategies x futures)."""
    if scorer == "mean":
        return mean(y, better)
    if scorer == "percentile":
        return percentile(y, better, p)
    if scorer == "regret":
        return max_regret(y, better, best)
    if scorer == "satisficing":
        if threshold is None:
            raise ValueError("satisficing needs a threshold")
        return satisficing(y, better, threshold)
    raise ValueError(f"unknown scorer {scorer!r}; use one of {SCORERS}")
