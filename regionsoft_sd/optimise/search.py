"""Run the spec's algorithm on a `Problem` and return the strategies it found.

One objective: differential evolution in the unit form (`single.minimise`),
then the SLSQP polish. Several: NSGA-II/III in the natural form with the
simplex repair (`pareto.front`), seeded with the shipped strategies and the
corners of the decision space (`Space.corners`: where a front's extremes
lie). Either way the result is a `Found`: the lever values of the optimum
(one row) or of the Pareto set (one row per point);
`score_found` adds their scores and constraint statistics and orders them by
the first objective.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.optimise import pareto, single
from regionsoft_sd.optimise.problem import Problem, constraint_columns
from regionsoft_sd.optimise.spec import OptimiseSpec


@dataclass
class Found:
    """The strategies a search found: lever values, scores and constraint statistics."""

    levers: pd.DataFrame
    scores: pd.DataFrame
    constraints: pd.DataFrame
    algorithm: str
    generations: int
    evaluations: int
    message: str = ""
    order: np.ndarray | None = None


def _bar(total: int, progress: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="gen", file=sys.stderr, disable=not progress)


def run_search(
    spec: OptimiseSpec, problem: Problem, seeds: pd.DataFrame | None, *, progress: bool
) -> Found:
    """Search with the spec's algorithm; raise InputError if no candidate meets the constraints."""
    space = spec.space
    s = spec.search
    with _bar(s.generations, progress, f"optimise {spec.name}") as bar:
        if spec.algorithm == "de":
            res = single.minimise(
                problem.unit,
                space.unit_dim,
                population=s.population,
                generations=s.generations,
                seed=spec.seed,
                polish=s.polish,
                tol=s.tol,
                seeds=None if seeds is None else space.to_unit(seeds),
                on_generation=lambda i, f: bar.update(1),
            )
            levers = space.from_unit(res.x[None, :])
            found = (levers, res.generations, res.evaluations, res.message, res.feasible)
        else:
            low, high = space.natural_bounds()
            start = space.corners(limit=s.population)
            if seeds is not None:
                start = np.concatenate([space.to_natural(seeds), start])
            fr = pareto.front(
                problem.natural,
                low,
                high,
                len(spec.objectives),
                algorithm=spec.algorithm,
                population=s.population,
                generations=s.generations,
                seed=spec.seed,
                repair=space.repair,
                seeds=start,
                on_generation=lambda i: bar.update(1),
            )
            X = np.unique(np.round(fr.X, 12), axis=0) if len(fr.X) else fr.X
            levers = space.from_natural(X)
            found = (levers, fr.generations, fr.evaluations, fr.algorithm, len(X) > 0)
    levers, gens, evals, message, feasible = found
    if not feasible:
        _infeasible(spec, problem)
    empty = pd.DataFrame(index=levers.index)
    return Found(levers, empty, empty.copy(), spec.algorithm, gens, evals, message)


def score_found(found: Found, cube: np.ndarray, problem: Problem) -> Found:
    """Fill in the scores and constraint statistics from the found strategies' cube,
    and order them by the first objective (best first)."""
    from regionsoft_sd.optimise.problem import constraint_values, objective_scores

    scores = objective_scores(cube, problem.metrics, problem.objectives, problem.regret_best)
    stats, _ = constraint_values(cube, problem.metrics, problem.constraints)
    score_df = pd.DataFrame(scores, columns=[o.label for o in problem.objectives])
    con_df = pd.DataFrame(stats, columns=constraint_columns(problem.constraints))
    order = np.argsort(problem.signs[0] * scores[:, 0], kind="stable")
    parts = (found.levers, score_df, con_df)
    levers, score_df, con_df = (d.iloc[order].reset_index(drop=True) for d in parts)
    found.levers, found.scores, found.constraints = levers, score_df, con_df
    found.order = order
    return found


def _infeasible(spec: OptimiseSpec, problem: Problem) -> None:
    """Raise the one-line error for constraints no evaluated candidate met.

    Names the bound met by the fewest candidates, with the best value reached.
    """
    cands = problem.candidates()
    cols = constraint_columns(spec.constraints)
    if not cols or cands.empty:
        raise InputError(spec.source, "constraints", "infeasible", "relax the constraints")
    met, best = {}, {}
    for col in cols:
        v = cands[col].to_numpy(dtype=float)
        bound = float(col.rsplit(" ", 1)[1])
        ok = v >= bound if " >= " in col else v <= bound
        met[col] = ok.mean()
        best[col] = np.nanmax(v) if " >= " in col else np.nanmin(v)
    worst = min(cols, key=lambda c: met[c])
    raise InputError(
        spec.source,
        "constraints",
        f"infeasible: none of {len(cands):,} candidates met every constraint; "
        f"{worst} held for {met[worst]:.0%} of them (best reached: {best[worst]:.4g})",
        "relax the constraint or widen the decisions' bounds",
    )
