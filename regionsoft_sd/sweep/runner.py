"""Chunked execution of a sweep: in-process or on Dask, checkpointed, resumable.

The runs (parameter sets, in run order) are cut into chunks of
`spec.chunk_size`. `run_chunk` is a pure function of the spec and the chunk's
rows: it runs those rows under every strategy on the batch engine and returns
the per-run metrics (and, for the first `spec.fan_limit` runs, the trajectories
of the fan-chart variables). Only the caller writes files: each finished chunk
becomes `chunks/chunk-NNNNNN.parquet`, written atomically, so

- a crash or Ctrl-C loses at most the chunks in flight, and `resume` reruns
  only the chunks whose file is missing;
- a Dask task retried after a lost worker cannot duplicate runs: a chunk is
  one file, named by its id, written once by the client;
- results are read back in chunk order, so they are bit-identical whatever
  the scheduling (same code, same inputs, elementwise NumPy).

Memory is bounded by the chunk size: at most a few chunks are in flight, and
no trajectory outlives its chunk except the fan-chart subsample.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.io import write_parquet, write_text
from regionsoft_sd.metrics import REQUIRED_VARIABLES, compute_metrics
from regionsoft_sd.sweep.sampling import overrides
from regionsoft_sd.sweep.spec import Strategy, SweepSpec

CHUNK_DIR = "chunks"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ChunkOutput:
    """What one chunk returns: metrics (one row per run and strategy) and trajectories.

    `metrics` has columns run, strategy and one per spec metric, ordered by run
    and then by strategy (in spec order).
    `trajectories` (None unless the chunk holds fan-chart runs) has columns run,
    strategy, variable and one per saved time (as text).
    """

    chunk: int
    metrics: pd.DataFrame
    trajectories: pd.DataFrame | None


def plan(n_runs: int, chunk_size: int) -> list[tuple[int, int]]:
    """(start, stop) of each chunk, in order."""
    return [(s, min(n_runs, s + chunk_size)) for s in range(0, n_runs, chunk_size)]


def strategy_overrides(
    spec: SweepSpec, strategy: Strategy, values: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Per-run constants for one strategy: the samples, without levers it sets itself."""
    out = overrides(spec, values)
    sc = strategy.scenario
    if sc is not None:
        for p in spec.parameters:
            if p.linked and (p.linked in sc.constants or p.linked in sc.series):
                out.pop(p.linked)
    return out


def run_chunk(spec: SweepSpec, chunk: int, values: pd.DataFrame) -> ChunkOutput:
    """Run `values` (rows of the sample, index = run id) under every strategy.

    Pure: the output depends only on the arguments, so any worker may run it,
    any number of times.
    """
    from regionsoft_sd.batch import simulate

    record = list(dict.fromkeys([*REQUIRED_VARIABLES, *spec.fan_variables]))
    runs = values.index.to_numpy(dtype=np.int64)
    fan = runs < spec.fan_limit
    frames, trajs = [], []
    for strategy in spec.strategies:
        res = simulate(
            strategy_overrides(spec, strategy, values),
            base=strategy.scenario,
            record=record,
            mdl_path=spec.model,
            chunk_size=len(values),
        )
        m = compute_metrics(res.times, {v: res.data[v] for v in REQUIRED_VARIABLES})
        df = pd.DataFrame({"run": runs, "strategy": strategy.name})
        for name in spec.metrics:
            df[name] = np.asarray(m[name], dtype=float).reshape(-1)
        frames.append(df)
        if fan.any():
            cols = [f"{t:g}" for t in res.times]
            for var in spec.fan_variables:
                t = pd.DataFrame(res.data[var][:, fan].T, columns=cols)
                t.insert(0, "variable", var)
                t.insert(0, "strategy", strategy.name)
                t.insert(0, "run", runs[fan])
                trajs.append(t)
    traj = pd.concat(trajs, ignore_index=True) if trajs else None
    # run-major (run, then strategy in spec order): the file order of runs.parquet
    # then does not depend on the chunk size
    metrics = pd.concat(frames, ignore_index=True).sort_values("run", kind="stable")
    return ChunkOutput(chunk, metrics.reset_index(drop=True), traj)


def chunk_path(out_dir: Path, chunk: int, kind: str = "chunk") -> Path:
    """Checkpoint file of one chunk (`kind` "chunk" for metrics, "traj" for trajectories)."""
    return Path(out_dir) / CHUNK_DIR / f"{kind}-{chunk:06d}.parquet"


def manifest(spec: SweepSpec) -> dict:
    """What identifies a sweep's chunks: a resume must find the same."""
    return {
        "spec": spec.name,
        "digest": spec.digest,
        "runs": spec.n_runs,
        "chunk_size": spec.chunk_size,
        "strategies": [s.name for s in spec.strategies],
    }


def read_manifest(out_dir: Path) -> dict | None:
    """The manifest of an earlier sweep in `out_dir`, or None."""
    p = Path(out_dir) / CHUNK_DIR / MANIFEST
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def prepare_dir(spec: SweepSpec, out_dir: Path, resume: bool) -> list[int]:
    """Set up `out_dir/chunks` and return the ids of the chunks still to run.

    Without `resume`, earlier checkpoints are removed. With it, the manifest
    must match (the caller checks that first, see `pipeline.validate_options`).
    Either way, temporary files that a killed run left in `chunks/` (the
    atomic writers' `.chunk-NNNNNN.parquet.*.tmp` and the like) are removed:
    nothing else writes there, and one folder holds one sweep at a time.
    """
    d = Path(out_dir) / CHUNK_DIR
    chunks = plan(spec.n_runs, spec.chunk_size)
    if d.is_dir():
        for f in d.glob(".*.tmp"):
            f.unlink(missing_ok=True)
    if not resume and d.exists():
        for f in d.glob("*.parquet"):
            f.unlink()
    write_text(d / MANIFEST, json.dumps(manifest(spec), indent=2) + "\n")
    return [i for i in range(len(chunks)) if not is_done(spec, out_dir, i)]


def is_done(spec: SweepSpec, out_dir: Path, chunk: int) -> bool:
    """True if the chunk's checkpoint (and trajectories, when it has fan runs) exist."""
    if not chunk_path(out_dir, chunk).is_file():
        return False
    start = chunk * spec.chunk_size
    keeps_trajectories = bool(spec.fan_variables) and start < spec.fan_limit
    return not keeps_trajectories or chunk_path(out_dir, chunk, "traj").is_file()


def save_chunk(out_dir: Path, out: ChunkOutput) -> None:
    """Checkpoint one chunk: trajectories first, metrics last (the metrics file marks it done)."""
    if out.trajectories is not None:
        write_parquet(out.trajectories, chunk_path(out_dir, out.chunk, "traj"), index=False)
    write_parquet(out.metrics, chunk_path(out_dir, out.chunk), index=False)


def execute(
    spec: SweepSpec,
    values: pd.DataFrame,
    out_dir: Path,
    todo: list[int],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    on_chunk: Callable[[int], None] | None = None,
) -> None:
    """Run the chunks in `todo` and checkpoint each; in-process unless a Dask option is given.

    `on_chunk(chunk_id)` is called after each checkpoint (tests use it to
    simulate a crash mid-sweep). Ctrl-C keeps every finished checkpoint.
    """
    chunks = plan(spec.n_runs, spec.chunk_size)
    n_strat = len(spec.strategies)
    pending = set(todo)
    done_runs = sum(b - a for i, (a, b) in enumerate(chunks) if i not in pending) * n_strat
    with _bar(spec.n_runs * n_strat, done_runs, progress) as bar:

        def finished(out: ChunkOutput) -> None:
            save_chunk(out_dir, out)
            a, b = chunks[out.chunk]
            bar.update((b - a) * n_strat)
            if on_chunk is not None:
                on_chunk(out.chunk)

        def rows(i: int) -> pd.DataFrame:
            a, b = chunks[i]
            return values.iloc[a:b]

        if workers is None and scheduler is None:
            for i in todo:
                finished(run_chunk(spec, i, rows(i)))
        else:
            from regionsoft_sd.sweep.distributed import run_on_dask

            run_on_dask(spec, todo, rows, finished, workers=workers, scheduler=scheduler)


@contextlib.contextmanager
def _bar(total: int, initial: int, enabled: bool) -> Iterator:
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total,
        initial=initial,
        unit="run",
        unit_scale=True,
        desc="sweep",
        file=sys.stderr,
        disable=not enabled,
        smoothing=0.1,
    )
    try:
        yield bar
    finally:
        bar.close()


def iter_chunks(spec: SweepSpec, out_dir: Path, kind: str = "chunk") -> Iterator[pd.DataFrame]:
    """Read the checkpoints back in chunk order (one chunk in memory at a time)."""
    for i in range(len(plan(spec.n_runs, spec.chunk_size))):
        p = chunk_path(out_dir, i, kind)
        if kind == "traj" and not p.is_file():
            continue
        yield pd.read_parquet(p)
