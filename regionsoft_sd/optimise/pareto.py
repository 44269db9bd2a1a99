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

    class _Problem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=dim, n_obj=n_obj, n_ieq_constr=n_con, xl=low, xu=high)

        def _evaluate(self, X, out, *args, **kwargs):
            F, G = fun(np.asarray(X, dtype=float))
            counter["evaluations"] += len(X)
            out["F"] = np.asarray(F, dtype=float).reshape(len(X), n_obj)
            if n_con:
                out["G"] = np.asarray(G, dtype=float).reshape(len(X), n_con)

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
    X = np.atleast_2d(res.X)
    F = np.atleast_2d(res.F)
    G = np.atleast_2d(res.G) if n_con else np.empty((len(X), 0))
    order = np.lexsort(F.T[::-1])
    return FrontResult(
        X[order], F[order], G[order], int(res.algorithm.n_gen), counter["evaluations"], algorithm
    )
