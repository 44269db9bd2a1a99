"""`run_sweep`: spec file in, samples, per-run metrics, indices and figures out.

Order of work: validate everything (spec, strategies, options, output folder)
before the first byte is written; lock and claim the output folder; run the
chunks (samples are made per chunk; each chunk is checkpointed and verified
before reuse); read the checkpoints back in chunk order, streaming per-run
metrics into `runs.parquet` and feeding the analyses, which keep running sums
only; write tables and figures into a staging folder; move them into place
only once everything succeeded.

Output folder layout::

    samples.parquet       run, design ("main" or "oat"), one column per parameter
    runs.parquet          run, strategy, one column per metric, fault, fault_time
    sobol.csv, sobol_s2.csv   (Sobol)   morris.csv (Morris)   tornado.csv
    win_share.csv         fraction of samples in which each strategy is best
    outcomes.csv          mean and quantiles of each metric per strategy
    fan.csv               5/25/50/75/95 % bands of the fan-chart variables: strategy,
                          time, quantile, variable, value, runs (one row per value)
    faults.csv            runs with NaN/inf or a negative stock, and their parameters
    figures/*.png         sobol, morris, tornado, fan_<strategy>, outcomes, win_share
    chunks/<digest>/      verified checkpoints (kept, so --resume and audits work)
    regionsoft-manifest.json   every file above with its SHA-256 (what the tool owns)

The folder must be new, empty or hold an earlier sweep (`outdir.OutputFolder`).
A folder reused for another sweep holds only this sweep's outputs once it is
done: the earlier sweep's files that this run did not write (e.g. sobol.csv
after a Morris run, its checkpoints) are deleted after the new outputs are in
place, and only where they still have the content the manifest lists. A run
that fails changes none of the earlier outputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.common.errors import InputError, OutputError
from regionsoft_sd.common.outdir import OutputFolder, check_out
from regionsoft_sd.futures import analysis
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import METRICS, metric_units
from regionsoft_sd.runs import CHUNK_DIR, Checkpoints, Task, check_options, stream
from regionsoft_sd.runs.checkpoint import remove_checkpoints
from regionsoft_sd.sweep.result import SweepResult
from regionsoft_sd.sweep.samples import SampleRows
from regionsoft_sd.sweep.spec import SweepSpec, load_spec
from regionsoft_sd.sweep.streaming import MorrisStream, SobolStream, exact_quantiles

__all__ = ["SweepResult", "run_sweep", "task_for", "validate_options"]

FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
SUMMARY_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
KEEP_RUNS = 200_000
"""Outcomes (per metric and strategy) and samples a SweepResult holds in memory at most.

Larger sweeps keep the first KEEP_RUNS (for figures); every run is in the
files, and the tables are computed from all of them."""
# every table a sweep may write
OUTPUT_TABLES = (
    "samples.parquet",
    "runs.parquet",
    "sobol.csv",
    "sobol_s2.csv",
    "morris.csv",
    "tornado.csv",
    "win_share.csv",
    "outcomes.csv",
    "fan.csv",
    "faults.csv",
)
FIGURES_DIR = "figures"
FIGURES = ("sobol", "morris", "tornado", "outcomes", "win_share")


def validate_options(
    spec_path: str | Path | SweepSpec,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
) -> SweepSpec:
    """Check the spec, every option and the output path; raise InputError, write nothing.

    `spec_path` is a spec file or an already validated `SweepSpec` (`parse_spec`).
    """
    spec = spec_path if isinstance(spec_path, SweepSpec) else load_spec(spec_path)
    check_out(out_dir)
    check_options(workers, scheduler)
    return spec


def task_for(spec: SweepSpec) -> Task:
    """What each chunk of the sweep computes: every strategy, the metrics, fan trajectories."""
    return Task(
        mdl_path=spec.model,
        strategies=spec.strategies,
        metrics=spec.metrics,
        record=spec.fan_variables,
        record_runs=spec.fan_limit,
        follow={p.linked: p.name for p in spec.parameters if p.linked},
    )


def expected_outputs(spec: SweepSpec) -> list[str]:
    """Every file name (relative to the folder) this sweep may write.

    Checked before the run starts, so that a folder holding a file of one of
    these names that regionsoft did not write is refused before any work.
    """
    skip = {
        "sobol": ("morris.csv", "morris"),
        "morris": ("sobol.csv", "sobol_s2.csv", "sobol"),
    }.get(spec.method, ("sobol.csv", "sobol_s2.csv", "morris.csv", "sobol", "morris"))
    figs = [f for f in FIGURES if f not in skip] + [f"fan_{s.name}" for s in spec.strategies]
    tables = [t for t in OUTPUT_TABLES if t not in skip]
    return [*tables, *(f"{FIGURES_DIR}/{f}.png" for f in figs)]


def run_sweep(
    spec_path: str | Path | SweepSpec,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    figures: bool = True,
    on_chunk: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run the sweep described by `spec_path` and write its outputs into `out_dir`.

    `spec_path` is a spec file or a `SweepSpec` (e.g. from `parse_spec(dict)`).

    No flags: in-process. `workers`: a local Dask cluster of that many
    single-threaded processes. `scheduler`: an existing Dask cluster
    (`tcp://host:port`). `resume`: reuse the verified checkpoints of an
    interrupted run of the same spec and run only the rest; the result is
    bit-identical to an uninterrupted run. `on_chunk` is called after each
    checkpoint (a test hook).
    """
    spec = validate_options(spec_path, out_dir, workers=workers, scheduler=scheduler, resume=resume)
    try:
        return _run(spec, out_dir, workers, scheduler, resume, progress, figures, on_chunk)
    except OSError as exc:  # disk full, read-only: the earlier outputs are untouched
        raise OutputError(exc.filename or out_dir, exc) from exc


def _run(spec, out_dir, workers, scheduler, resume, progress, figures, on_chunk) -> SweepResult:
    with OutputFolder(out_dir, kind="sweep") as folder:
        out = folder.path
        folder.check_replaceable(expected_outputs(spec))
        folder.check_subdir(f"{CHUNK_DIR}/{spec.digest}")
        notes = _resume_notes(spec, folder) if resume else []
        rows = SampleRows(spec)
        cp = Checkpoints(out / CHUNK_DIR, spec.digest, spec.n_runs, spec.chunk_size)
        for res in stream(
            rows,
            task_for(spec),
            chunk_size=spec.chunk_size,
            workers=workers,
            scheduler=scheduler,
            checkpoints=cp,
            resume=resume,
            notes=notes,
            progress=progress,
            desc="sweep",
        ):
            if on_chunk is not None:
                on_chunk(res.chunk)
        result = assemble(spec, folder, cp, rows)
        result.notes[:0] = notes
        if figures:
            from regionsoft_sd.sweep.plots import save_figures

            result.out_dir = folder.stage(FIGURES_DIR).parent
            save_figures(result)
        result.files, removed = folder.commit(
            checkpoints=[cp.folder], remove_stale=True, remove_checkpoints=remove_checkpoints
        )
        result.out_dir = out
        for t in cp.stale_temp_files():
            t.unlink(missing_ok=True)
    stale = sorted(
        {p.relative_to(out).parts[0] if p.is_relative_to(out / CHUNK_DIR) else "" for p in removed}
        - {""}
    )
    shown = [
        p.relative_to(out).as_posix() for p in removed if not p.is_relative_to(out / CHUNK_DIR)
    ]
    if removed:
        what = ", ".join(shown[:8]) + (f" and {len(shown) - 8} more" if len(shown) > 8 else "")
        if stale:
            what = (what + ", " if what else "") + "its checkpoints"
        result.notes.append(
            f"removed outputs of an earlier sweep that this one does not produce: {what}"
        )
    return result


def _resume_notes(spec: SweepSpec, folder: OutputFolder) -> list[str]:
    """Refuse to resume from another sweep's checkpoints; note when there is nothing to resume."""
    ours = f"{CHUNK_DIR}/{spec.digest}"
    others = [c for c in folder.checkpoints if c != ours]
    if ours in folder.checkpoints or (folder.path / ours).is_dir():
        return []
    if others:
        raise InputError(
            folder.requested,
            "--resume",
            f"its checkpoints belong to another sweep ({', '.join(others[:2])}; this spec "
            f"is {spec.digest}): the spec, a strategy or the model changed",
            "run without --resume to start over, or choose another --out",
        )
    return ["nothing to resume in this folder: every chunk ran"]


class _Outcomes:
    """Everything the tables need from one (metric, strategy) outcome stream."""

    def __init__(self, spec: SweepSpec, metric: str, strategy: str) -> None:
        self.metric, self.strategy = metric, strategy
        self.sobol = (
            SobolStream(spec.names, second_order=spec.second_order, seed=spec.seed)
            if spec.method == "sobol"
            else None
        )
        self.morris = (
            MorrisStream(spec.names, levels=spec.levels, seed=spec.seed)
            if spec.method == "morris"
            else None
        )
        self.kept: list[np.ndarray] = []
        self.n_kept = 0
        self.oat: list[np.ndarray] = []
        self.nan = 0
        self.faulted = 0

    def feed_main(self, y: np.ndarray, x: np.ndarray | None, faulted: int) -> None:
        self.nan += int(np.isnan(y).sum())
        self.faulted += faulted
        if self.sobol is not None:
            self.sobol.feed(y)
        if self.morris is not None:
            assert x is not None
            self.morris.feed(y, x)
        if self.n_kept < KEEP_RUNS:
            part = y[: KEEP_RUNS - self.n_kept]
            self.kept.append(part)
            self.n_kept += len(part)

    def kept_array(self) -> np.ndarray:
        return np.concatenate(self.kept) if self.kept else np.empty(0)


def assemble(
    spec: SweepSpec, folder: OutputFolder, cp: Checkpoints, rows: SampleRows
) -> SweepResult:
    """Read the checkpoints once, in order: write samples, runs and faults; analyse; write tables.

    Memory: one chunk at a time, the analyses' running sums, and at most
    KEEP_RUNS outcomes per metric and strategy.
    """
    notes: list[str] = []
    strategies = [s.name for s in spec.strategies]
    acc = {(m, s): _Outcomes(spec, m, s) for m in spec.metrics for s in strategies}
    ranked = spec.ranked_metrics
    contest = bool(ranked) and spec.method != "oat" and len(strategies) > 1
    better = {m.name: m.better for m in METRICS}
    wins: dict[str, dict[str, int]] = {m: {} for m in ranked}
    oat_start = spec.n_main if spec.n_oat else 0
    oat_values: list[pd.DataFrame] = []
    fault_count: dict[str, int] = {}
    first_fault = np.inf
    with contextlib.ExitStack() as stack:
        runs_w = stack.enter_context(_ParquetStream(folder.stage("runs.parquet")))
        samples_w = stack.enter_context(_ParquetStream(folder.stage("samples.parquet")))
        faults_w = stack.enter_context(_CsvStream(folder.stage("faults.csv")))
        for i, df in enumerate(cp.iter()):
            a, b = cp.plan[i]
            values = rows.rows(a, b)
            samples = values.copy()
            samples.insert(0, "design", np.where(np.arange(a, b) < spec.n_main, "main", "oat"))
            samples_w.write(samples, index=True)
            runs_w.write(df, index=False)
            _check_chunk(df, a, b, strategies, i)
            bad = df[df.fault != ""]
            if len(bad):
                faults_w.write(bad.join(values, on="run"))
                for s, g in bad.groupby("strategy", sort=False):
                    fault_count[str(s)] = fault_count.get(str(s), 0) + len(g)
                first_fault = min(first_fault, float(bad.fault_time.min()))
            main_stop = min(b, spec.n_main)
            x = (
                rows.design.unit(a, main_stop)
                if spec.method == "morris" and a < main_stop
                else None
            )
            by_strategy = {s: g for s, g in df.groupby("strategy", sort=False)}
            for s in strategies:
                g = by_strategy[s]
                nfault = (g.fault.to_numpy()[: max(main_stop - a, 0)] != "").sum()
                for m in spec.metrics:
                    y = g[m].to_numpy(dtype=float)
                    o = acc[(m, s)]
                    if a < main_stop:
                        o.feed_main(y[: main_stop - a], x, int(nfault))
                    if b > oat_start and (spec.n_oat or spec.method == "oat"):
                        o.oat.append(y[max(oat_start - a, 0) :])
            if b > oat_start and (spec.n_oat or spec.method == "oat"):
                oat_values.append(values.iloc[max(oat_start - a, 0) :])
            if contest and a < main_stop:
                for m in ranked:
                    ys = {
                        s: by_strategy[s][m].to_numpy(dtype=float)[: main_stop - a]
                        for s in strategies
                    }
                    for w, c in analysis.win_counts(analysis.best_strategy(ys, better[m])).items():
                        wins[m][w] = wins[m].get(w, 0) + c
    if not fault_count:
        folder.unstage("faults.csv")
    else:
        total = sum(fault_count.values())
        per = ", ".join(f"{s} {n:,}" for s, n in fault_count.items())
        notes.append(
            f"{total:,} of {spec.n_runs * len(strategies):,} runs produced NaN/inf or a negative "
            f"stock (first in {first_fault:g}; {per}); they are left out of every table, "
            "see faults.csv for which runs and parameters"
        )

    sobol, s2, morris, torn = [], [], [], []
    oat_x = pd.concat(oat_values).to_numpy() if oat_values else np.empty((0, len(spec.names)))
    for (metric, strat), o in acc.items():
        tag = {"strategy": strat, "metric": metric}
        if o.nan and spec.method in ("sobol", "morris"):
            cause = f", {o.faulted:,} from faulty runs" if o.faulted else ""
            notes.append(
                f"{strat}/{metric}: {o.nan:,} NaN outcomes{cause}, no {spec.method} indices"
            )
        elif o.sobol is not None:
            a_, b_ = o.sobol.result()
            sobol.append(a_.reset_index().assign(**tag))
            s2.append(b_.assign(**tag))
        elif o.morris is not None:
            morris.append(o.morris.result().reset_index().assign(**tag))
        if o.oat:
            t = analysis.tornado(spec.names, oat_x, np.concatenate(o.oat))
            torn.append(t.reset_index().assign(**tag))
    tables = {
        "sobol": _long(sobol),
        "sobol_s2": _long(s2),
        "morris": _long(morris),
        "tornado": _long(torn),
    }
    win = (
        analysis.win_share_from_counts(wins, spec.n_main, strategies) if contest else pd.DataFrame()
    )
    outcomes = {m: {s: acc[(m, s)].kept_array() for s in strategies} for m in spec.metrics}
    summary = _summary(spec, cp, outcomes, strategies)
    fan = _fan(cp)
    files = {**tables, "win_share": win, "outcomes": summary, "fan": fan_long(fan)}
    for name, df in files.items():
        if not df.empty:
            df.to_csv(folder.stage(f"{name}.csv"), index=name == "win_share")
    head = rows.rows(0, min(spec.n_runs, KEEP_RUNS))
    head.insert(0, "design", np.where(head.index < spec.n_main, "main", "oat"))
    faults = _read_faults(folder)
    units = metric_units(catalogue(spec.model).units(), spec.metrics)
    return SweepResult(
        spec,
        folder.path,
        head,
        outcomes,
        tables["sobol"],
        tables["sobol_s2"],
        tables["morris"],
        tables["tornado"],
        win,
        summary,
        fan,
        units,
        [],
        notes,
        faults,
    )


def _check_chunk(df: pd.DataFrame, a: int, b: int, strategies: list[str], chunk: int) -> None:
    """A verified checkpoint must still hold exactly runs a .. b - 1 under every strategy."""
    want = np.repeat(np.arange(a, b), len(strategies))
    if (
        len(df) != len(want)
        or not np.array_equal(df.run.to_numpy(), want)
        or df.strategy.tolist() != strategies * (b - a)
    ):
        raise RuntimeError(f"checkpoint of chunk {chunk} does not hold runs {a}..{b - 1}")


def _summary(spec: SweepSpec, cp: Checkpoints, kept: dict, strategies: list[str]) -> pd.DataFrame:
    """Mean and quantiles per metric and strategy, over the method's design (NaN left out)."""
    frames = {}
    for m in spec.metrics:
        if spec.n_main <= KEEP_RUNS:
            frames[m] = analysis.outcome_summary(kept[m], SUMMARY_QUANTILES)
            continue
        rows = {}
        for s in strategies:
            q, mean, n, nan = exact_quantiles(_passes(spec, cp, m, s), SUMMARY_QUANTILES)
            row = {"mean": mean}
            row.update(
                {f"q{round(x * 100):02d}": v for x, v in zip(SUMMARY_QUANTILES, q, strict=True)}
            )
            row["nan_share"] = nan / max(n + nan, 1)
            rows[s] = row
        df = pd.DataFrame.from_dict(rows, orient="index")
        df.index.name = "strategy"
        frames[m] = df
    return pd.concat(frames, names=["metric"]).reset_index()


def _passes(spec: SweepSpec, cp: Checkpoints, metric: str, strategy: str):
    """A function that streams one outcome over the method's design, once per call."""

    def read() -> Iterator[np.ndarray]:
        for i, df in enumerate(cp.iter()):
            a, b = cp.plan[i]
            if a >= spec.n_main:
                break
            g = df[df.strategy == strategy]
            yield g[metric].to_numpy(dtype=float)[: min(b, spec.n_main) - a]

    return read


def _long(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-(strategy, metric) tables with strategy and metric first."""
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    first = ["strategy", "metric"]
    return df[first + [c for c in df.columns if c not in first]]


def _fan(cp: Checkpoints) -> pd.DataFrame:
    """Quantile bands over the fan-chart runs: strategy, variable, quantile, one column a year.

    Runs with a fault (NaN/inf or a negative stock) are left out of the bands.
    """
    parts = list(cp.iter("traj"))
    if not parts:
        return pd.DataFrame()
    traj = pd.concat(parts, ignore_index=True)
    faulty = set()
    for df in cp.iter():
        bad = df[(df.fault != "") & df.run.isin(traj.run)]
        faulty |= set(zip(bad.run, bad.strategy, strict=True))
    if faulty:
        keys = list(zip(traj.run, traj.strategy, strict=True))
        traj = traj[[k not in faulty for k in keys]]
    times = [c for c in traj.columns if c not in ("run", "strategy", "variable")]
    rows = []
    for (strat, var), g in traj.groupby(["strategy", "variable"], sort=False):
        q = np.quantile(g[times].to_numpy(), FAN_QUANTILES, axis=0)
        for qi, row in zip(FAN_QUANTILES, q, strict=True):
            rows.append(
                {
                    "strategy": strat,
                    "variable": var,
                    "quantile": qi,
                    "runs": len(g),
                    **dict(zip(times, row, strict=True)),
                }
            )
    return pd.DataFrame(rows)


def fan_long(fan: pd.DataFrame) -> pd.DataFrame:
    """The bands as fan.csv holds them: one row per strategy, time, quantile and variable.

    Long like the other tables (one value per row, no column per year), so the file
    filters and plots without reshaping; `fan` (one column a year) is what the fan
    charts draw from.
    """
    keys = ["strategy", "variable", "quantile", "runs"]
    if fan.empty:
        return fan
    long = fan.melt(id_vars=keys, var_name="time", value_name="value")
    long["time"] = long["time"].astype(float)
    long = long.sort_values(["strategy", "time", "quantile", "variable"], kind="stable")
    return long[["strategy", "time", "quantile", "variable", "value", "runs"]].reset_index(
        drop=True
    )


def _read_faults(folder: OutputFolder) -> pd.DataFrame:
    """The first KEEP_RUNS rows of the staged faults.csv (empty if there is none)."""
    p = folder.staged("faults.csv")
    if p is None:
        return pd.DataFrame(columns=["run", "strategy", "fault", "fault_time"])
    return pd.read_csv(p, nrows=KEEP_RUNS)


class _ParquetStream:
    """Append DataFrames to one Parquet file, chunk by chunk (the schema of the first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer = None

    def __enter__(self) -> _ParquetStream:
        return self

    def write(self, df: pd.DataFrame, *, index: bool) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=index)
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table)

    def __exit__(self, *exc) -> None:
        if self.writer is not None:
            self.writer.close()


class _CsvStream:
    """Append DataFrames to one CSV file (header once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = False

    def __enter__(self) -> _CsvStream:
        return self

    def write(self, df: pd.DataFrame) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(
            self.path, mode="a" if self.started else "w", header=not self.started, index=False
        )
        self.started = True

    def __exit__(self, *exc) -> None:
        pass
