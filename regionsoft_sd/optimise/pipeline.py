"""`run_optimise`: spec file in; optimum or Pareto set, robustness and failure analysis out.

Order of work: validate the spec and every option before anything is written;
sample the futures; score the base and shipped strategies on them; search
(differential evolution or NSGA-II/III, every population one batch through the
shared runner); re-evaluate the found and shipped strategies on a fresh sample
(win share, regret); find where the best one fails (PRIM, trees, Sobol of the
difference); then write everything (`outputs.write_outputs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.futures.designs import saltelli_design, sample, to_values
from regionsoft_sd.futures.discovery import Discovery, analyse, difference_sobol
from regionsoft_sd.futures.ensemble import history_values, load_ensemble
from regionsoft_sd.futures.evaluate import Evaluator
from regionsoft_sd.futures.failure import RUNNER_UP
from regionsoft_sd.futures.ties import decision_tolerance
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import METRIC_NAMES, metric_units
from regionsoft_sd.optimise.analysis import reevaluate, score_table, weight_path
from regionsoft_sd.optimise.decisions import Space
from regionsoft_sd.optimise.memo import FOLDER, EvaluationMemo
from regionsoft_sd.optimise.problem import Problem
from regionsoft_sd.optimise.result import OptimiseResult
from regionsoft_sd.optimise.robust import best_per_future
from regionsoft_sd.optimise.search import run_search, score_found
from regionsoft_sd.optimise.spec import OptimiseSpec, load_spec
from regionsoft_sd.runs.types import Strategy

FRESH_SEED_OFFSET = 1_000_003
"""Added to the spec's seed for the fresh sample, so that it shares no design with the search's."""
SOBOL_SEED_OFFSET = 2_000_003


def references(spec: OptimiseSpec) -> list[Strategy]:
    """The base strategy, then each compared one (each name once)."""
    out = [spec.base]
    for s in spec.compare:
        if all(s.name != r.name for r in out):
            out.append(s)
    return out


def lever_values(strategies: list[Strategy], space: Space) -> pd.DataFrame:
    """Each strategy's value of every decided constant (a series: its last value)."""
    cat = catalogue()
    rows = []
    for s in strategies:
        sc = s.scenario
        row = {}
        for name in space.columns:
            if sc is not None and name in sc.constants:
                row[name] = sc.constants[name]
            elif sc is not None and name in sc.series:
                row[name] = float(sc.series[name].iloc[-1])
            else:
                row[name] = float(cat[name].default or 0.0)
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index([s.name for s in strategies], name="strategy"))


def found_names(spec: OptimiseSpec, n: int) -> list[str]:
    """`<spec>` for one optimum, `<spec>_1` ... for a Pareto set."""
    return (
        [spec.name]
        if n == 1 and spec.algorithm == "de"
        else [f"{spec.name}_{i + 1}" for i in range(n)]
    )


def tie_notes(result: OptimiseResult) -> list[str]:
    """Notes for a single optimum whose scores tie a shipped strategy's on every objective.

    Ties are within `futures.ties.decision_tolerance` (0.1 %): the model does not
    tell such strategies apart, so the optimum is no win over them.
    """
    if len(result.names) != 1:
        return []
    labels = [o.label for o in result.spec.objectives]
    mine = result.found.scores.iloc[0][labels].to_numpy(dtype=float)
    out = []
    for name, row in result.references[labels].iterrows():
        theirs = row.to_numpy(dtype=float)
        if np.all(np.abs(mine - theirs) <= decision_tolerance(mine, theirs)):
            out.append(
                f"{result.names[0]} ties {name} within 0.1 % on "
                f"{', '.join(labels)}: the model does not tell them apart"
            )
    return out


def run_optimise(
    spec_path: str | Path,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    figures: bool = True,
    resume: bool = False,
    before_write: Callable[[OptimiseResult], None] | None = None,
) -> OptimiseResult:
    """Run the optimisation `spec_path` describes and write its outputs into `out_dir`.

    No flags: in-process. `workers`: one local Dask cluster of that many
    processes for the whole run. `scheduler`: an existing Dask cluster.
    `resume`: take the batches an interrupted run of the same spec already
    evaluated from `out_dir/evaluations/` (see `memo`); the result is the same.
    """
    from regionsoft_sd.common.outdir import OutputFolder, check_out
    from regionsoft_sd.optimise.outputs import write_outputs
    from regionsoft_sd.runs import check_options

    spec = load_spec(spec_path)
    check_options(workers, scheduler)
    check_out(out_dir)
    with OutputFolder(out_dir, kind="optimise") as folder:
        folder.make_subdir(f"{FOLDER}/{spec.digest}")  # refuses a symlink there (exit 2)
        memo = EvaluationMemo(folder.path, spec.digest, resume=resume)
        t0 = time.perf_counter()
        result = optimise(
            spec,
            Path(out_dir),
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            memo=memo,
        )
        result.seconds = time.perf_counter() - t0
        if memo.reused or memo.damaged:
            result.notes.append(
                f"resumed: {memo.reused} batches read back from {FOLDER}/"
                + (f", {memo.damaged} damaged ones recomputed" if memo.damaged else "")
            )
        if before_write is not None:
            before_write(result)
        write_outputs(result, folder, figures=figures, memo=memo.folder)
    return result


def optimise(
    spec: OptimiseSpec,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    memo: EvaluationMemo | None = None,
) -> OptimiseResult:
    """The computation of `run_optimise`, without writing anything but `memo`'s files."""
    unc = spec.uncertainty
    params = unc.parameters if unc is not None else ()
    futures = draw_futures(spec, unc.futures, spec.seed) if unc is not None else None
    refs = references(spec)
    ref_levers = lever_values(refs, spec.space)
    metrics = list(METRIC_NAMES)  # every metric: the cost of a choice shows on all of them
    with Evaluator(
        metrics,
        spec.base,
        futures,
        params,
        decided=spec.space.columns,
        chunk_size=spec.search.chunk_size,
        workers=workers,
        scheduler=scheduler,
    ) as ev:
        ref_cube = ev.strategies(refs)
        best = {
            o.metric: best_per_future(ref_cube[:, :, metrics.index(o.metric)], o.better)
            for o in spec.objectives
            if o.robustness == "regret"
        }
        cube = ev.candidates if memo is None else memo.wrap(ev.candidates, futures)
        problem = Problem(
            spec.space, spec.objectives, spec.constraints, metrics, cube, best or None
        )
        found = run_search(spec, problem, ref_levers[spec.space.decided], progress=progress)
        found_cube = ev.candidates(found.levers)
        found = score_found(found, found_cube, problem)
        found_cube = found_cube[found.order]
        names = found_names(spec, len(found.levers))
        result = OptimiseResult(
            spec,
            out,
            names,
            found,
            score_table(
                [s.name for s in refs],
                ref_cube,
                metrics,
                spec.objectives,
                spec.constraints,
                best or None,
            ),
            ref_levers,
            problem.candidates(),
            metric_units(catalogue().units()),
        )
        result.outcomes = pd.DataFrame(
            np.concatenate([found_cube, ref_cube]).mean(axis=1),
            columns=metrics,
            index=pd.Index(names + [s.name for s in refs], name="strategy"),
        )
        result.notes += tie_notes(result)
        if len(spec.objectives) > 1 and len(found.levers) > 1:
            result.weights = weight_path(found.levers, found.scores, spec.objectives)
        if best:
            result.notes.append(
                "regret during the search is measured against the best of the base and "
                "compared strategies in each future; the re-evaluation measures it against "
                "the best of the found and compared strategies"
            )
        fresh_cube = None
        if unc is not None and unc.fresh:
            fresh = draw_futures(spec, unc.fresh, spec.seed + FRESH_SEED_OFFSET)
            fresh_ev = ev.under(fresh)
            fresh_cube = np.concatenate(
                [fresh_ev.candidates(found.levers), fresh_ev.strategies(refs)], axis=0
            )
            result.reevaluation, result.regret = reevaluate(
                names + [s.name for s in refs],
                fresh_cube,
                metrics,
                spec.objectives,
                spec.constraints,
            )
        if spec.discover is not None:
            result.discovery = _discover(spec, result, ev, fresh_cube, futures, refs)
        result.runs = ev.total_runs
    return result


def draw_futures(spec: OptimiseSpec, n: int, seed: int) -> pd.DataFrame:
    """n futures of the spec's uncertainty, from its declared ranges or the ensemble.

    With `source = "history"` each future is one member of the verified
    history-conditioned ensemble (`futures.ensemble`), less what the base or a
    compared strategy sets itself, plus the spec's parameters the ensemble lacks.
    """
    unc = spec.uncertainty
    assert unc is not None
    if unc.source != "history":
        return sample(unc.parameters, n, unc.method, seed)
    scenarios = [s.scenario for s in (spec.base, *spec.compare) if s.scenario is not None]
    fixed = sorted({k for sc in scenarios for k in sc.constants})
    return history_values(load_ensemble(), unc.parameters, n, seed, unc.method, fixed=fixed)


def _discover(
    spec: OptimiseSpec,
    result: OptimiseResult,
    ev: Evaluator,
    fresh_cube: np.ndarray | None,
    futures: pd.DataFrame | None,
    refs: list[Strategy],
) -> Discovery:
    """Where the best found strategy fails (against the runner-up, a scenario or a threshold)."""
    failure = spec.discover
    assert failure is not None and spec.uncertainty is not None
    params = spec.uncertainty.parameters
    if fresh_cube is not None:
        x = draw_futures(spec, spec.uncertainty.fresh, spec.seed + FRESH_SEED_OFFSET)
        cube, run_ev = fresh_cube, ev.under(x)
    else:
        x = futures
        cube = np.concatenate([ev.candidates(result.found.levers.iloc[:1]), ev.strategies(refs)])
        run_ev = ev
    m = list(METRIC_NAMES).index(failure.metric)
    y = cube[0, :, m]
    n_found = len(result.names) if fresh_cube is not None else 1
    against_name: str | None = None
    y_against = None
    other: Strategy | None = None
    if failure.against == RUNNER_UP:
        table = result.reevaluation if result.reevaluation is not None else result.references
        ref_names = [s.name for s in refs]
        obj = spec.objectives[0]
        col = table.loc[ref_names, obj.label]
        against_name = str(col.idxmax() if obj.direction == "higher" else col.idxmin())
        other = refs[ref_names.index(against_name)]
        y_against = cube[n_found + ref_names.index(against_name), :, m]
    elif isinstance(failure.against, Strategy):
        other = failure.against
        against_name = other.name
        y_against = run_ev.strategies([other])[0, :, m]
    disc = analyse(x, failure, result.best, y, against_name, y_against, seed=spec.seed)
    if failure.sobol:
        unit = saltelli_design(params, failure.sobol, spec.seed + SOBOL_SEED_OFFSET)
        s_ev = ev.under(to_values(params, unit))
        ys = s_ev.candidates(result.found.levers.iloc[:1])[0, :, m]
        ya = s_ev.strategies([other])[0, :, m] if other is not None else None
        try:
            disc.sobol = difference_sobol(params, ys, ya, seed=spec.seed)
        except ValueError as exc:
            result.notes.append(f"no Sobol indices of the difference: {exc}")
    return disc
