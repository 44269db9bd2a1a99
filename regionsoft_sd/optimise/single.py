"""One objective: differential evolution, a whole generation per batch, then a local polish.

`minimise(fun, dim)` searches the unit cube [0, 1]^dim. `fun(X)` takes a
population X of shape (n, dim) and returns (f, g): the objective (n,), to be
minimised, and the constraint values (n, c), feasible where every g <= 0. It is
the seam to the model: the toolkit's `fun` decodes X into lever values and runs
them as one batch; a test's `fun` is a formula.

- **Search:** `scipy.optimize.differential_evolution` with `vectorized=True`,
  so each generation is one call of `fun`; constraints go to SciPy as a
  `NonlinearConstraint` (Lampinen's feasibility rules, not a penalty). One
  batch serves both: `fun` runs once per population (`_Memo`).
- **Polish:** SLSQP from the best point, with bounds and the constraints, and
  a gradient by central differences evaluated as one batch of 2 * dim + 1
  points. The polished point is kept only if it is feasible and better.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from regionsoft_sd.common.fields import seed32

BatchFunction = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
FD_STEP = 1e-4
"""Finite-difference step of the polish, in unit-cube coordinates."""
FEASIBLE_TOL = 1e-9
"""A constraint value up to this counts as met (SLSQP ends on the boundary to rounding)."""


@dataclass
class SearchResult:
    """The best point found, its objective and constraints, and how it was found."""

    x: np.ndarray
    f: float
    g: np.ndarray
    feasible: bool
    generations: int
    evaluations: int
    history: list[float] = field(default_factory=list)
    polished: bool = False
    message: str = ""


class _Memo:
    """Evaluate each distinct point once: rows already seen come from the memo.

    SciPy asks for constraints (all members) and objective (feasible members)
    separately; both are served by one batch.
    """

    def __init__(self, fun: BatchFunction) -> None:
        self.fun = fun
        self.seen: dict[bytes, tuple[float, np.ndarray]] = {}
        self.evaluations = 0
        self.n_con = 0

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.size == 0:  # SciPy asks for the energies of no member when none is feasible
            return np.empty(0), np.empty((0, self.n_con))
        keys = [x.tobytes() for x in X]
        todo = [i for i, k in enumerate(keys) if k not in self.seen]
        todo = list({keys[i]: i for i in todo}.values())  # distinct rows only
        if todo:
            f, g = self.fun(X[todo])
            f = np.asarray(f, dtype=float).reshape(len(todo))
            g = np.asarray(g, dtype=float).reshape(len(todo), -1)
            self.evaluations += len(todo)
            self.n_con = g.shape[1]
            for j, i in enumerate(todo):
                self.seen[keys[i]] = (float(f[j]), g[j])
        f = np.array([self.seen[k][0] for k in keys])
        g = np.array([self.seen[k][1] for k in keys]).reshape(len(keys), -1)
        return f, g


def latin_start(n: int, dim: int, seed: int, seeds: np.ndarray | None = None) -> np.ndarray:
    """A Latin-hypercube population in [0, 1]^dim whose first rows are `seeds`."""
    rng = np.random.default_rng(seed)
    cut = (np.arange(n)[:, None] + rng.random((n, dim))) / n
    pop = np.take_along_axis(cut, rng.random((n, dim)).argsort(axis=0), axis=0)
    if seeds is not None and len(seeds):
        s = np.clip(np.atleast_2d(seeds), 0.0, 1.0)[:n]
        pop[: len(s)] = s
    return pop


def minimise(
    fun: BatchFunction,
    dim: int,
    *,
    population: int = 15,
    generations: int = 200,
    seed: int = 0,
    polish: bool = True,
    seeds: np.ndarray | None = None,
    tol: float = 1e-6,
    on_generation: Callable[[int, float], None] | None = None,
) -> SearchResult:
    """Minimise `fun` over [0, 1]^dim (see the module docstring).

    `population` is the number of members (SciPy's `popsize` times dim is not
    used: the size is given directly); `seeds` are starting members (e.g. the
    shipped strategies); `tol` is SciPy's relative convergence tolerance on
    the spread of the population's objective. `on_generation(i, best_f)` is
    called after each generation.
    """
    from scipy.optimize import NonlinearConstraint, differential_evolution

    memo = _Memo(fun)
    n_con = memo(np.full((1, dim), 0.5))[1].shape[1]
    init = latin_start(max(population, 5), dim, seed, seeds)
    history: list[float] = []

    def objective(xT: np.ndarray) -> np.ndarray:
        return memo(np.asarray(xT).T)[0]

    def callback(intermediate_result) -> None:
        history.append(float(intermediate_result.fun))
        if on_generation is not None:
            on_generation(len(history), float(intermediate_result.fun))

    constraints = ()
    if n_con:
        constraints = (NonlinearConstraint(lambda xT: memo(np.asarray(xT).T)[1].T, -np.inf, 0.0),)
    res = differential_evolution(
        objective,
        [(0.0, 1.0)] * dim,
        maxiter=generations,
        init=init,
        seed=seed32(seed),
        tol=tol,
        polish=False,
        vectorized=True,
        updating="deferred",
        constraints=constraints,
        callback=callback,
    )
    x = np.asarray(res.x, dtype=float)
    f, g = memo(x[None, :])
    best = SearchResult(
        x,
        float(f[0]),
        g[0],
        bool(np.all(g[0] <= FEASIBLE_TOL)),
        int(res.nit),
        memo.evaluations,
        history,
        False,
        str(res.message),
    )
    if polish:
        best = _polish(memo, best)
    best.evaluations = memo.evaluations
    return best


def _polish(memo: _Memo, start: SearchResult) -> SearchResult:
    """SLSQP from `start` with batched central-difference gradients; keep it only if better."""
    from scipy.optimize import minimize

    dim = len(start.x)

    def stencil(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo = np.clip(x - FD_STEP, 0.0, 1.0)
        hi = np.clip(x + FD_STEP, 0.0, 1.0)
        pts = np.repeat(x[None, :], 2 * dim + 1, axis=0)
        idx = np.arange(dim)
        pts[1 + idx, idx] = lo
        pts[1 + dim + idx, idx] = hi
        f, g = memo(pts)
        width = (hi - lo)[:, None]
        df = (f[1 + dim :] - f[1 : 1 + dim]) / width[:, 0]
        dg = (g[1 + dim :] - g[1 : 1 + dim]) / width
        return f, g, np.column_stack([df, dg]) if g.size else df[:, None]

    def fval(x):
        return memo(np.clip(x, 0.0, 1.0)[None, :])[0][0]

    def fjac(x):
        # a fresh contiguous array: SciPy 1.17's SLSQP misreads a strided view
        return np.ascontiguousarray(stencil(np.clip(x, 0.0, 1.0))[2][:, 0])

    cons = []
    n_con = start.g.size
    if n_con:
        cons.append(
            {
                "type": "ineq",
                "fun": lambda x: -memo(np.clip(x, 0.0, 1.0)[None, :])[1][0],
                "jac": lambda x: np.ascontiguousarray(-stencil(np.clip(x, 0.0, 1.0))[2][:, 1:].T),
            }
        )
    try:
        res = minimize(
            fval,
            start.x,
            jac=fjac,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * dim,
            constraints=cons,
            options={"maxiter": 50, "ftol": 1e-10},
        )
    except (ValueError, ArithmeticError):
        return start
    x = np.clip(np.asarray(res.x, dtype=float), 0.0, 1.0)
    f, g = memo(x[None, :])
    ok = bool(np.all(g[0] <= FEASIBLE_TOL))
    if np.isfinite(f[0]) and (ok or not start.feasible) and f[0] < start.f:
        return SearchResult(
            x,
            float(f[0]),
            g[0],
            ok,
            start.generations,
            memo.evaluations,
            start.history,
            True,
            f"{start.message}; polished by SLSQP ({res.message})",
        )
    start.message += "; SLSQP polish kept the search's point (no feasible improvement)"
    return start
