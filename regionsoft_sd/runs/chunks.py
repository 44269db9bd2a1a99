"""One chunk of runs: a pure function from input rows to per-run metrics.

`run_chunk(task, chunk, start, values)` runs `values` (rows of the input,
index = run id) under every strategy of `task` on the batch engine and returns
a `ChunkResult`. Its output depends only on its arguments, so any worker may
run it, any number of times: that is what makes retries after a lost Dask
worker and resumes after a crash safe. Bit-identity across schedulers holds for
a given chunk size (NumPy may round the last bit differently for other array
lengths), so the chunk size is part of what a checkpoint records.

Numerical guard: every stock is recorded too; a run whose recorded values
turn NaN or infinite, or whose stock goes negative (unless the model declares
a negative lower bound for it), gets a `fault` text and the first saved time it
showed, and NaN metrics, so that no table can average it in.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.runs.types import ChunkResult, Strategy, Task

MAX_CHUNK_SIZE = 100_000
"""A chunk's trajectories are in memory at once; larger chunks gain no speed, only memory."""


def plan(n_runs: int, chunk_size: int) -> list[tuple[int, int]]:
    """(start, stop) row positions of each chunk, in order."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    return [(s, min(n_runs, s + chunk_size)) for s in range(0, n_runs, chunk_size)]


def strategy_overrides(
    task: Task, strategy: Strategy, values: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Per-run constants for one strategy: the value columns plus their followers.

    A follower (`task.follow`: target -> column) is dropped for a strategy whose
    scenario sets the target itself: the strategy's decision stands.
    """
    out = {c: values[c].to_numpy(dtype=float) for c in values.columns}
    sc = strategy.scenario
    for target, column in task.follow.items():
        if sc is not None and (target in sc.constants or target in sc.series):
            continue
        out[target] = out[column]
    return out


@lru_cache(maxsize=8)
def _checked_stocks(mdl_path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every stock, the stocks that must not go negative) of a model."""
    from regionsoft_sd.batch import compile_model
    from regionsoft_sd.model.catalogue import catalogue

    stocks = tuple(compile_model(mdl_path).stocks)
    cat = catalogue(mdl_path)
    nonneg = tuple(s for s in stocks if s not in cat or cat[s].low is None or cat[s].low >= 0)
    return stocks, nonneg


def find_faults(
    times: np.ndarray, data: dict[str, np.ndarray], nonnegative: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Per run: a fault text ("" if none) and the first saved time it showed (NaN if none).

    Looks for NaN, infinite values and negative values of `nonnegative` variables,
    in every array of `data` (each (T, N)); the earliest problem wins, ties go
    to the first variable in `data` order.
    """
    n = next(iter(data.values())).shape[1] if data else 0
    first = np.full(n, np.iinfo(np.int64).max)
    text = np.full(n, "", dtype=object)
    for name, arr in data.items():
        checks = [("NaN", np.isnan(arr)), ("infinite", np.isinf(arr))]
        if name in nonnegative:
            with np.errstate(invalid="ignore"):
                checks.append(("negative", arr < 0))
        for what, bad in checks:
            hit = bad.any(axis=0)
            if not hit.any():
                continue
            when = np.where(hit, np.argmax(bad, axis=0), np.iinfo(np.int64).max)
            better = when < first
            first = np.where(better, when, first)
            text[better] = f"{what} {name!r}" if what == "negative" else f"{what} in {name!r}"
    t = np.full(n, np.nan)
    ok = first < np.iinfo(np.int64).max
    t[ok] = np.asarray(times, dtype=float)[first[ok]]
    return text, t


def run_chunk(task: Task, chunk: int, start: int, values: pd.DataFrame) -> ChunkResult:
    """Run `values` (input rows start .. start + len - 1, index = run id) under every strategy.

    Pure: the output depends only on the arguments.
    """
    from regionsoft_sd.batch import simulate
    from regionsoft_sd.model.metrics import compute_metrics, required_variables

    stop = start + len(values)
    # only what the task's metrics read: a small model need not define the others
    needed = list(required_variables(task.metrics)) if task.metrics else []
    stocks, nonneg = _checked_stocks(str(Path(task.mdl_path).resolve())) if task.check else ((), ())
    record = list(dict.fromkeys([*needed, *task.record, *stocks]))
    runs = values.index.to_numpy(dtype=np.int64)
    limit = stop if task.record_runs is None else task.record_runs
    keep = np.arange(start, stop) < limit
    frames, trajs = [], []
    for strategy in task.strategies:
        res = simulate(
            strategy_overrides(task, strategy, values),
            base=strategy.scenario,
            record=record,
            mdl_path=task.mdl_path,
            chunk_size=len(values),
        )
        df = pd.DataFrame({"run": runs, "strategy": strategy.name})
        if task.metrics:
            m = compute_metrics(res.times, {v: res.data[v] for v in needed}, names=task.metrics)
            for name in task.metrics:
                df[name] = np.asarray(m[name], dtype=float).reshape(-1)
        for name, fn in task.custom.items():
            df[name] = np.asarray(fn(res.times, res.data), dtype=float).reshape(-1)
        fault, when = (
            find_faults(res.times, res.data, nonneg)
            if task.check
            else (
                np.full(len(runs), "", dtype=object),
                np.full(len(runs), np.nan),
            )
        )
        bad = fault != ""
        if bad.any():
            outcome_cols = [*task.metrics, *task.custom]
            df.loc[bad, outcome_cols] = np.nan
        df["fault"] = fault.astype(str)
        df["fault_time"] = when
        frames.append(df)
        if task.record and keep.any():
            cols = [f"{t:g}" for t in res.times]
            for var in task.record:
                t = pd.DataFrame(res.data[var][:, keep].T, columns=cols)
                t.insert(0, "variable", var)
                t.insert(0, "strategy", strategy.name)
                t.insert(0, "run", runs[keep])
                trajs.append(t)
    traj = pd.concat(trajs, ignore_index=True) if trajs else None
    # row-major (row, then strategy in task order): the order does not depend on the chunk size
    order = np.argsort(np.tile(np.arange(len(runs)), len(task.strategies)), kind="stable")
    metrics = pd.concat(frames, ignore_index=True).iloc[order].reset_index(drop=True)
    return ChunkResult(chunk, start, stop, metrics, traj)
