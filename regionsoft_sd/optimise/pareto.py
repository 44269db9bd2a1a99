"""Several objectives: the Pareto front with pymoo's NSGA-II (or NSGA-III for three or more).

`front(fun, low, high, n_obj)` searches the box [low, high]. `fun(X)` takes a
population X (n, dim) and returns (F, G): objectives (n, n_obj), all to be
minimised, and constraints (n, c), feasible where every G <= 0. Each
population is one call, so the toolkit evaluates it as one batch of model runs.

`repair(X)` maps any point of the box onto the feasible decisions (the budget
shares back onto the simplex, see `simplex.project`); pymoo applies it to the
first population and to every offspring before evaluation. Constraints are
handled by pymoo's constraint domination (a feasible point beats an infeasible
one; two infeasible ones compare by total violation), not by a penalty.

The front returned is not only the last population's: every feasible point
evaluated during the search is merged (`merge`), because a genetic algorithm
drops good points on its way and the last population alone covers the front
loosely. Points whose objectives differ by no more than the decision tie
tolerance (`futures.ties.decision_tolerance`) on every objective are one point:
only the first is kept.
When more than `population` points remain, `thin` keeps each objective's best
point, then greedily the points that add the most hypervolume, so the front
keeps its extremes and as much of the trade-off as `population` points can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from regionsoft_sd.common.fields import seed32
from regionsoft_sd.optimise.single import BatchFunction, latin_start


@dataclass
class FrontResult:
    """The non-dominated feasible points found (X, F, G), and how they were found.

    Empty X when no feasible point was found; `best_violation` then says how
    close the search came (the smallest total constraint violation).
    """

    X: np.ndarray
    F: np.ndarray
    G: np.ndarray
    generations: int
    evaluations: int
    algorithm: str
    best_violation: float = 0.0
    history: list[int] = field(default_factory=list)


def tie_duplicates(F: np.ndarray) -> np.ndarray:
    """True for each row of F tied on every objective with an earlier row that is kept.

    Ties are within `futures.ties.decision_tolerance`. Rows are taken in order; a
    row is dropped when it ties a row already kept, so a run of near-equal points
    becomes one point (the first), not none.
    """
    from regionsoft_sd.futures.ties import decision_tolerance

    F = np.asarray(F, dtype=float)
    out = np.zeros(len(F), dtype=bool)
    kept: list[int] = []
    for a in range(len(F)):
        if kept:
            K = F[kept]
            if np.any(np.all(np.abs(K - F[a]) <= decision_tolerance(K, F[a][None, :]), axis=1)):
                out[a] = True
                continue
        kept.append(a)
    return out


def _archive(archive: list[np.ndarray], X: np.ndarray, F: np.ndarray, G: np.ndarray) -> None:
    """Add a batch to the archive of evaluated points and keep its feasible non-dominated ones.

    Kept as it grows, so its size stays near the front's instead of every evaluation's.
    """
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    X = np.concatenate([archive[0], X])
    F = np.concatenate([archive[1], F])
    G = np.concatenate([archive[2], G.reshape(len(G), -1)])
    ok = np.flatnonzero(np.all(G <= 0, axis=1) & np.all(np.isfinite(F), axis=1))
    if len(ok):
        ok = ok[NonDominatedSorting().do(F[ok], only_non_dominated_front=True)]
    archive[:] = [X[ok], F[ok], G[ok]]


def merge(X: np.ndarray, F: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Indices of the feasible non-dominated points of (X, F, G), ties dropped (`tie_duplicates`).

    Sorted by the objectives in turn, so of tied points the one best on the first
    objective is kept.
    """
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    ok = np.flatnonzero(np.all(np.asarray(G).reshape(len(X), -1) <= 0, axis=1))
    ok = ok[np.all(np.isfinite(F[ok]), axis=1)]
    if not len(ok):
        return ok
    nd = ok[NonDominatedSorting().do(F[ok], only_non_dominated_front=True)]
    nd = nd[np.lexsort(F[nd].T[::-1])]
    return nd[~tie_duplicates(F[nd])]


HV_SAMPLES = 16_384
"""Halton points that measure hypervolume contributions in `thin`."""
THIN_POOL = 2_000
"""At most this many points enter `thin`'s hypervolume step (a bool matrix of
THIN_POOL x HV_SAMPLES); a larger front is first cut to it by farthest-point picks."""


def thin(F: np.ndarray, n: int) -> np.ndarray:
    """Indices of at most n rows of F (minimised) that keep most of the front's hypervolume.

    Objectives are rescaled to 0-1 over the rows. Each objective's best row comes
    first; then, one by one, the row that adds the most hypervolume (measured on
    `HV_SAMPLES` fixed Halton points of the unit box, reference point (1, ..., 1)),
    which is the greedy choice for a monotone submodular measure; once no row adds
    any, the row farthest from those kept. Deterministic.
    """
    from scipy.stats import qmc

    F = np.asarray(F, dtype=float)
    if len(F) <= n:
        return np.arange(len(F))
    span = F.max(axis=0) - F.min(axis=0)
    Z = (F - F.min(axis=0)) / np.where(span > 0, span, 1.0)
    if len(F) > THIN_POOL:  # bound the sample matrix: farthest-point picks first
        pool = _farthest(Z, list(dict.fromkeys(int(i) for i in np.argmin(F, axis=0))), THIN_POOL)
        return pool[thin(F[pool], n)]
    S = qmc.Halton(d=F.shape[1], scramble=False).random(HV_SAMPLES + 1)[1:]
    D = np.all(Z[:, None, :] <= S[None, :, :], axis=2)  # row i dominates sample s
    keep = list(dict.fromkeys(int(i) for i in np.argmin(F, axis=0)))[:n]
    covered = D[keep].any(axis=0)
    while len(keep) < n:
        gain = (D & ~covered).sum(axis=1)
        gain[keep] = -1
        i = int(np.argmax(gain))
        if gain[i] <= 0:
            break
        keep.append(i)
        covered |= D[i]
    return _farthest(Z, keep, n)


def _farthest(Z: np.ndarray, keep: list[int], n: int) -> np.ndarray:
    """`keep`, then rows of Z farthest from those kept, one by one, up to n (sorted indices)."""
    keep = list(keep)
    dist = np.full(len(Z), np.inf)
    for i in keep:
        dist = np.minimum(dist, np.linalg.norm(Z - Z[i], axis=1))
    while len(keep) < min(n, len(Z)):
        i = int(np.argmax(dist))
        keep.append(i)
        dist = np.minimum(dist, np.linalg.norm(Z - Z[i], axis=1))
    return np.sort(np.array(keep))


def reference_directions(n_obj: int, population: int) -> np.ndarray:
    """Das-Dennis reference directions for NSGA-III: as many as fit in `population`."""
    from math import comb

    from pymoo.util.ref_dirs import get_reference_directions

    p = 1
    while comb(p + 1 + n_obj - 1, n_obj - 1) <= population:
        p += 1
    return get_reference_directions("das-dennis", n_obj, n_partitions=p)


def front(
    fun: BatchFunction,
    low: np.ndarray,
    high: np.ndarray,
    n_obj: int,
    *,
    algorithm: str = "auto",
    population: int = 40,
    generations: int = 50,
    seed: int = 0,
    repair: Callable[[np.ndarray], np.ndarray] | None = None,
    seeds: np.ndarray | None = None,
    on_generation: Callable[[int], None] | None = None,
) -> FrontResult:
    """Approximate the Pareto front of `fun` over the box [low, high] (module docstring).

    `algorithm`: "nsga2", "nsga3" or "auto" (NSGA-II for two objectives,
    NSGA-III for three or more). `seeds` are starting members (e.g. the shipped
    strategies), repaired like every other.
    """
    from regionsoft_sd.common.extras import require

    require("pymoo", "a search with several objectives")
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.core.callback import Callback
    from pymoo.core.problem import Problem
    from pymoo.core.repair import Repair
    from pymoo.optimize import minimize

    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    dim = len(low)
    probe = ((low + high) / 2)[None, :]
    probe = repair(probe) if repair is not None else probe
    n_con = np.asarray(fun(probe)[1]).reshape(1, -1).shape[1]
    counter = {"evaluations": 1}
    archive: list[np.ndarray] = [np.empty((0, dim)), np.empty((0, n_obj)), np.empty((0, n_con))]

    class _Problem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=dim, n_obj=n_obj, n_ieq_constr=n_con, xl=low, xu=high)

        def _evaluate(self, X, out, *args, **kwargs):
            F, G = fun(np.asarray(X, dtype=float))
            counter["evaluations"] += len(X)
            out["F"] = np.asarray(F, dtype=float).reshape(len(X), n_obj)
            g = np.asarray(G, dtype=float).reshape(len(X), n_con)
            if n_con:
                out["G"] = g
            _archive(archive, np.array(X, dtype=float), out["F"].copy(), g)

    class _Repair(Repair):
        def _do(self, problem, X, **kwargs):
            return repair(np.asarray(X, dtype=float)) if repair is not None else X

    class _Progress(Callback):
        def notify(self, algo):
            if on_generation is not None:
                on_generation(algo.n_gen)

    if algorithm == "auto":
        algorithm = "nsga2" if n_obj <= 2 else "nsga3"
    unit = latin_start(population, dim, seed, None)
    start = low + unit * (high - low)
    if seeds is not None and len(seeds):
        s = np.clip(np.atleast_2d(seeds), low, high)[:population]
        start[: len(s)] = s
    if repair is not None:
        start = repair(start)
    if algorithm == "nsga3":
        algo = NSGA3(
            ref_dirs=reference_directions(n_obj, population),
            pop_size=population,
            sampling=start,
            repair=_Repair(),
            eliminate_duplicates=True,
        )
    elif algorithm == "nsga2":
        algo = NSGA2(
            pop_size=population, sampling=start, repair=_Repair(), eliminate_duplicates=True
        )
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    res = minimize(
        _Problem(),
        algo,
        ("n_gen", generations),
        seed=seed32(seed),
        verbose=False,
        callback=_Progress(),
    )
    pop = res.pop
    cv = np.asarray(pop.get("CV"), dtype=float).reshape(-1)
    if res.X is None:
        empty = np.empty((0, dim))
        return FrontResult(
            empty,
            np.empty((0, n_obj)),
            np.empty((0, n_con)),
            int(res.algorithm.n_gen),
            counter["evaluations"],
            algorithm,
            best_violation=float(cv.min()) if cv.size else np.inf,
        )
    X, F, G = archive
    idx = merge(X, F, G)
    idx = idx[thin(F[idx], population)]
    idx = idx[np.lexsort(F[idx].T[::-1])]
    return FrontResult(
        X[idx], F[idx], G[idx], int(res.algorithm.n_gen), counter["evaluations"], algorithm
    )
