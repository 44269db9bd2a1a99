"""`evaluate` and `stream`: many parameter sets through the batch engine, chunk by chunk.

Every experiment (sweep, optimisation, calibration, discovery) runs its
parameter sets through here, so they share one way to cut the work into
chunks, to run them in-process or on Dask, to checkpoint and to resume.

The cheap path is the default: no `out_dir` means nothing touches the disk,
and no `workers`/`scheduler` means no Dask start-up; chunks then run
in-process, one after another, and memory stays bounded by the chunk size.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.translate import MODEL_PATH
from regionsoft_sd.runs.checkpoint import CHUNK_DIR, Checkpoints, frame_hash
from regionsoft_sd.runs.chunks import plan, run_chunk
from regionsoft_sd.runs.types import ChunkResult, CustomMetric, Strategy, Task

DEFAULT_CHUNK_SIZE = 1024


def max_workers() -> int:
    """The most local Dask workers worth starting: one per usable core (at least 2)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(2, cores)


def check_options(workers: int | None, scheduler: str | None, key: str = "--workers") -> None:
    """Reject a worker count or scheduler address that cannot work (InputError)."""
    if workers is not None and scheduler is not None:
        raise InputError(None, key, "give --workers or --scheduler, not both", "drop one")
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InputError(None, key, f"{workers!r} is not a worker count", "use 1 or more")
        cap = max_workers()
        if workers > cap:
            raise InputError(
                None,
                key,
                f"{workers} workers is more than this machine's {cap} cores can run",
                f"use at most {cap}, or --scheduler for a larger Dask cluster",
            )
    if scheduler is not None and (not isinstance(scheduler, str) or "://" not in scheduler):
        raise InputError(
            None, "--scheduler", f"{scheduler!r} is not an address", "write tcp://HOST:PORT"
        )


@runtime_checkable
class RowSource(Protocol):
    """Input rows made on demand (e.g. a sampler), so that no full table need exist.

    `rows(start, stop)` returns rows start .. stop - 1: a DataFrame indexed by
    run id with one float column per model constant, the same every time.
    """

    columns: Sequence[str]

    def __len__(self) -> int: ...

    def rows(self, start: int, stop: int) -> pd.DataFrame: ...


class FrameRows:
    """A DataFrame as a `RowSource` (index = run id, columns = model constant names)."""

    def __init__(self, df: pd.DataFrame) -> None:
        if not pd.api.types.is_integer_dtype(df.index.dtype):
            raise ValueError("values need an integer index (the run ids)")
        if df.index.has_duplicates:
            raise ValueError("values have repeated run ids in the index")
        self.df = df
        self.columns = [str(c) for c in df.columns]

    def __len__(self) -> int:
        return len(self.df)

    def rows(self, start: int, stop: int) -> pd.DataFrame:
        return self.df.iloc[start:stop]


def as_rows(values: pd.DataFrame | RowSource) -> RowSource:
    """`values` as a RowSource (a DataFrame is wrapped)."""
    return FrameRows(values) if isinstance(values, pd.DataFrame) else values


def stream(
    values: pd.DataFrame | RowSource,
    task: Task,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int | None = None,
    scheduler: str | None = None,
    checkpoints: Checkpoints | None = None,
    resume: bool = False,
    notes: list[str] | None = None,
    progress: bool = True,
    desc: str = "runs",
) -> Iterator[ChunkResult]:
    """Run the chunks of `values` under `task`; yield each `ChunkResult` as it finishes.

    In-process (chunk order) unless `workers` (a local Dask cluster) or
    `scheduler` (an existing one, tcp://host:port) is given (completion order;
    `result.chunk` says which). With `checkpoints`, each result is saved before
    it is yielded, and `resume` skips the chunks whose checkpoints verify; the
    notes on the others are appended to `notes`. Chunks skipped that way are
    not yielded: read them with `checkpoints.read(chunk)`.
    """
    check_options(workers, scheduler)
    rows = as_rows(values)
    chunks = plan(len(rows), chunk_size)
    if checkpoints is not None:
        if (checkpoints.n_runs, checkpoints.chunk_size) != (len(rows), chunk_size):
            raise ValueError("checkpoints were set up for another run plan")

        def input_hash(i: int) -> str:
            return frame_hash(rows.rows(*chunks[i]))

        todo, why = checkpoints.start(resume, input_hash)
        if notes is not None:
            notes.extend(why)
    else:
        todo = list(range(len(chunks)))
    n_strat = len(task.strategies)
    done_runs = (len(rows) - sum(chunks[i][1] - chunks[i][0] for i in todo)) * n_strat
    work = [(i, *chunks[i]) for i in todo]
    if workers is None and scheduler is None:
        results: Iterator[ChunkResult] = (
            run_chunk(task, i, a, rows.rows(a, b)) for i, a, b in work
        )
    else:
        from regionsoft_sd.runs.dask import run_on_dask

        results = run_on_dask(task, work, rows.rows, workers=workers, scheduler=scheduler)
    with (
        _bar(len(rows) * n_strat, done_runs, progress, desc) as bar,
        contextlib.closing(
            results  # type: ignore[arg-type]
        ),
    ):
        for res in results:
            if checkpoints is not None:
                checkpoints.save(res, frame_hash(rows.rows(res.start, res.stop)))
            bar.update((res.stop - res.start) * n_strat)
            yield res


def evaluate(
    values: pd.DataFrame | RowSource,
    strategies: Sequence[Strategy] = (Strategy("model"),),
    metrics: Sequence[str] = (),
    *,
    mdl_path: Path | str = MODEL_PATH,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int | None = None,
    scheduler: str | None = None,
    out_dir: Path | str | None = None,
    resume: bool = False,
    record: Sequence[str] = (),
    follow: Mapping[str, str] | None = None,
    custom: Mapping[str, CustomMetric] | None = None,
    check: bool = True,
    progress: bool = True,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """Run every row of `values` under every strategy and return the per-run metrics.

    values: DataFrame, index = run id, one column per model constant (or a
        `RowSource`). Each row is one parameter set.
    strategies: scenarios to run every row under (default: the model as it is).
    metrics: names from `regionsoft_sd.model.metrics.METRICS`; `custom` adds your own
        (name -> fn(times, data), `data` holding the `record` variables).
    out_dir: None (default) keeps everything in memory. A folder keeps verified
        checkpoints in `out_dir/chunks/<fingerprint>/`, so that `resume=True`
        reruns only what is missing or damaged.
    follow: target constant -> value column (see `Task`).
    check: report NaN/inf/negative-stock runs in the `fault` column (their
        metrics are NaN).

    Returns a DataFrame with columns run, strategy, one per metric, fault and
    fault_time; rows ordered by input row, then strategy. For trajectories,
    use `stream` with a `Task` whose `record` names them.
    """
    task = Task(
        mdl_path=Path(mdl_path),
        strategies=tuple(strategies),
        metrics=tuple(metrics),
        record=tuple(record),
        record_runs=0,  # recorded for custom metrics; trajectories come back from stream()
        follow=dict(follow or {}),
        custom=dict(custom or {}),
        check=check,
    )
    rows = as_rows(values)
    if out_dir is None:
        parts = {
            r.chunk: r.metrics
            for r in stream(
                rows,
                task,
                chunk_size=chunk_size,
                workers=workers,
                scheduler=scheduler,
                progress=progress,
            )
        }
        frames = [parts[i] for i in sorted(parts)]
        return _concat(frames, task)
    from regionsoft_sd.common.outdir import OutputFolder

    with OutputFolder(out_dir, kind="runs") as folder:
        digest = task.digest()
        folder.check_subdir(f"{CHUNK_DIR}/{digest}")
        cp = Checkpoints(folder.path / CHUNK_DIR, digest, len(rows), chunk_size)
        for _ in stream(
            rows,
            task,
            chunk_size=chunk_size,
            workers=workers,
            scheduler=scheduler,
            checkpoints=cp,
            resume=resume,
            notes=notes,
            progress=progress,
        ):
            pass
        frames = list(cp.iter())
        folder.commit(checkpoints=[cp.folder])
    return _concat(frames, task)


def _concat(frames: list[pd.DataFrame], task: Task) -> pd.DataFrame:
    if frames:
        return pd.concat(frames, ignore_index=True)
    cols = ["run", "strategy", *task.metrics, *task.custom, "fault", "fault_time"]
    return pd.DataFrame(columns=cols)


@contextlib.contextmanager
def _bar(total: int, initial: int, enabled: bool, desc: str) -> Iterator:
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total,
        initial=initial,
        unit="run",
        unit_scale=True,
        desc=desc,
        file=sys.stderr,
        disable=not enabled,
        smoothing=0.1,
    )
    try:
        yield bar
    finally:
        bar.close()
