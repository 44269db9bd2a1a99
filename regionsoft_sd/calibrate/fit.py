"""Multi-start least squares: Latin-hypercube candidates screened in one batch, the best refined.

1. `candidates` points of a Latin hypercube over the bounds (scipy.stats.qmc) are
   run as one batch; their costs rank them.
2. The best `starts` of them, plus the `.mdl`'s own values, start
   `scipy.optimize.least_squares` (trust-region reflective, bounds), all of them in
   lockstep (`lockstep.solve_all`): each round is one batch.
3. The best end point is the estimate; the number of starts that reached the same
   cost says how sure the search is that it found the global minimum.

Several problems (the full window and the held-out window) share the screening
batch and the rounds.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from regionsoft_sd.calibrate.lockstep import Job, Solution, solve_all
from regionsoft_sd.calibrate.problem import Problem, Simulation
from regionsoft_sd.calibrate.spec import Search

AGREE_RTOL = 1e-3
"""Starts whose final cost is within this fraction of the best count as reaching it."""
DEFAULT_ORIGIN = "model values"
SNAP = 1e-9
"""An estimate this close to a bound (as a share of the range) is reported on it."""


@dataclass
class Fit:
    """The best end point of a multi-start fit, with every start's outcome.

    `u` and `x`: the estimate in unit coordinates and model units; `fun`: its
    weighted residuals (m,); `jac`: their Jacobian in unit coordinates (m x p);
    `starts`: one row per start (origin, first and final cost, evaluations,
    status, end point); `agree`: how many starts ended within AGREE_RTOL of the
    best cost.
    """

    problem: Problem
    u: np.ndarray
    x: np.ndarray
    cost: float
    fun: np.ndarray
    jac: np.ndarray
    starts: pd.DataFrame
    agree: int

    @property
    def values(self) -> dict[str, float]:
        """The estimate by parameter name."""
        return dict(zip(self.problem.names, map(float, self.x), strict=True))


def take(sim: Simulation, sl: slice) -> Simulation:
    """Rows `sl` of a simulation."""
    return Simulation(sim.times, {k: v[sl] for k, v in sim.data.items()}, sim.fault[sl])


def latin_hypercube(p: int, n: int, seed: int) -> np.ndarray:
    """n points of a Latin hypercube in [0, 1]^p (scipy.stats.qmc, reproducible by seed)."""
    return qmc.LatinHypercube(d=p, seed=np.random.default_rng(seed)).random(n)


def screen(problems: list[Problem], search: Search) -> list[list[tuple[str, np.ndarray, float]]]:
    """Run the candidates once; for each problem, its starts (origin, u0, cost) best first."""
    main = problems[0]
    U = latin_hypercube(main.n_params, search.candidates, search.seed)
    origins = [f"hypercube {i}" for i in range(len(U))]
    if search.include_default:
        U = np.vstack([U, main.default_u()])
        origins.append(DEFAULT_ORIGIN)
    sim = main.simulate(main.to_x(U))
    out = []
    for prob in problems:
        cost = Problem.cost(prob.residuals_of(sim))
        order = [i for i in np.argsort(cost, kind="stable") if np.isfinite(cost[i])]
        chosen = [i for i in order if origins[i] != DEFAULT_ORIGIN][: search.starts]
        if search.include_default and np.isfinite(cost[-1]):
            chosen.append(len(U) - 1)
        out.append([(origins[i], U[i].copy(), float(cost[i])) for i in chosen])
    return out


def multistart(
    problems: list[Problem], search: Search, *, progress: bool = True, desc: str = "fit"
) -> list[Fit]:
    """Fit each problem from its own best candidates; all starts of all problems in lockstep."""
    main = problems[0]
    starts = screen(problems, search)
    jobs: list[Job] = []
    for k, (prob, chosen) in enumerate(zip(problems, starts, strict=True)):
        for origin, u0, cost0 in chosen:
            jobs.append(
                Job(
                    u0,
                    np.ones(main.n_params, dtype=bool),
                    prob.residuals_of,
                    search.max_evaluations,
                    tag=(k, origin, cost0),
                )
            )
    with _rounds(progress, desc) as on_round:
        sols = solve_all(jobs, main.simulate, take, main.to_x, on_round=on_round)
    fits = []
    for k, prob in enumerate(problems):
        mine = [s for s in sols if s.tag[0] == k]
        fits.append(_best(prob, mine))
    return fits


def _best(prob: Problem, sols: list[Solution]) -> Fit:
    if not sols or all(not np.isfinite(s.cost) for s in sols):
        reasons = "; ".join(sorted({s.error or s.message for s in sols})) or "no start ran"
        raise RuntimeError(f"every start failed ({reasons})")
    rows = []
    for s in sols:
        row = {
            "start": s.tag[1],
            "initial_cost": s.tag[2],
            "final_cost": s.cost,
            "evaluations": s.nfev,
            "status": s.status,
            "message": s.error or s.message,
        }
        row.update(dict(zip(prob.names, map(float, prob.to_x(s.u)), strict=True)))
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("final_cost", kind="stable").reset_index(drop=True)
    best = min((s for s in sols if np.isfinite(s.cost)), key=lambda s: s.cost)
    agree = int(np.sum(table["final_cost"] <= best.cost * (1 + AGREE_RTOL) + 1e-12))
    u = snap(best.u)
    return Fit(prob, u, prob.to_x(u), best.cost, best.fun, best.jac, table, agree)


def snap(u: np.ndarray) -> np.ndarray:
    """Unit coordinates within SNAP of a bound put on it (least squares stops just inside)."""
    return np.where(u < SNAP, 0.0, np.where(u > 1 - SNAP, 1.0, u))


class _rounds:
    """A tqdm bar of lockstep rounds (problems still running, runs per round)."""

    def __init__(self, enabled: bool, desc: str) -> None:
        self.enabled = enabled
        self.desc = desc
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from tqdm.auto import tqdm

        self.bar = tqdm(desc=self.desc, unit="round", file=sys.stderr, leave=False)

        def on_round(problems: int, runs: int) -> None:
            self.bar.set_postfix_str(f"{problems} running, {runs} runs/round", refresh=False)
            self.bar.update(1)

        return on_round

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
