"""`run_sweep`: spec file in, samples, per-run metrics, indices and figures out.

Order of work: validate everything (spec, strategies, options, output folder,
resume compatibility) before the first byte is written; sample; run the
missing chunks (checkpointed); read the checkpoints back in chunk order,
streaming per-run metrics into `runs.parquet`; analyse; write tables and
figures, each atomically.

Output folder layout::

    samples.parquet       run, design ("main" or "oat"), one column per parameter
    runs.parquet          run, strategy, one column per metric
    sobol.csv, sobol_s2.csv   (Sobol)   morris.csv (Morris)   tornado.csv
    win_share.csv         fraction of samples in which each strategy is best
    outcomes.csv          mean and quantiles of each metric per strategy
    fan.csv               5/25/50/75/95 % bands of the fan-chart variables
    figures/*.png         sobol, morris, tornado, fan_<strategy>, outcomes, win_share
    chunks/               checkpoints (kept, so --resume and audits work)

A folder reused for another sweep holds only this sweep's outputs once it is
done: after every new output is written, the tables and figures above that
this run did not write (e.g. sobol.csv after a Morris run) are deleted. A run
that fails never gets that far, so it never destroys an earlier good result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.catalogue import catalogue
from regionsoft_sd.errors import InputError
from regionsoft_sd.io import write_csv, write_parquet
from regionsoft_sd.metrics import METRICS, metric_units
from regionsoft_sd.sweep import analysis
from regionsoft_sd.sweep.runner import execute, iter_chunks, manifest, prepare_dir, read_manifest
from regionsoft_sd.sweep.sampling import sample, unit_design, unit_problem
from regionsoft_sd.sweep.spec import SweepSpec, load_spec

FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# every table a sweep may write (figures: every figures/*.png)
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
)
FIGURES_DIR = "figures"


@dataclass
class SweepResult:
    """Everything a sweep produced, as data (the files hold the same).

    `outcomes[metric][strategy]` is the per-sample outcome over the method's
    design (spec.n_main values). Index tables are long: one row per strategy,
    metric and parameter. Empty tables mean the method does not produce them.
    `notes` lists what was skipped and why (e.g. a metric with NaN outcomes
    has no Sobol indices).
    """

    spec: SweepSpec
    out_dir: Path
    samples: pd.DataFrame
    outcomes: dict[str, dict[str, np.ndarray]]
    sobol: pd.DataFrame
    sobol_s2: pd.DataFrame
    morris: pd.DataFrame
    tornado: pd.DataFrame
    win_share: pd.DataFrame
    summary: pd.DataFrame
    fan: pd.DataFrame
    units: dict[str, str]
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def validate_options(
    spec_path: str | Path | SweepSpec,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
) -> SweepSpec:
    """Check the spec and every option; raise InputError before anything is written.

    `spec_path` is a spec file or an already validated `SweepSpec` (`parse_spec`).
    """
    spec = spec_path if isinstance(spec_path, SweepSpec) else load_spec(spec_path)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(None, "--out", f"{str(out)!r} is a file", "give a folder path")
    if workers is not None and scheduler is not None:
        raise InputError(None, "--workers", "give --workers or --scheduler, not both", "drop one")
    if workers is not None and workers < 1:
        raise InputError(None, "--workers", f"{workers} is not a worker count", "use 1 or more")
    if scheduler is not None and "://" not in scheduler:
        raise InputError(
            None, "--scheduler", f"{scheduler!r} is not an address", "write tcp://HOST:PORT"
        )
    if resume:
        old = read_manifest(out)
        if old is not None and old != manifest(spec):
            raise InputError(
                out,
                "--resume",
                f"its checkpoints belong to another sweep (spec {old.get('spec')!r}, "
                f"digest {old.get('digest')}, now {spec.digest}): the spec or a strategy changed",
                "run without --resume to start over, or choose another --out",
            )
    return spec


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
    (`tcp://host:port`). `resume`: keep the checkpoints of an interrupted run
    of the same spec and run only the missing chunks; the result is
    bit-identical to an uninterrupted run. `on_chunk` is called after each
    checkpoint (a test hook).
    """
    spec = validate_options(spec_path, out_dir, workers=workers, scheduler=scheduler, resume=resume)
    out = Path(out_dir)
    unit = unit_design(spec)
    values = sample(spec)
    todo = prepare_dir(spec, out, resume)
    remove_temp_outputs(out)
    execute(
        spec,
        values,
        out,
        todo,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        on_chunk=on_chunk,
    )
    result = assemble(spec, out, unit, values)
    if figures:
        from regionsoft_sd.sweep.plots import save_figures

        result.files += save_figures(result)
    stale = remove_stale_outputs(out, result.files)
    if stale:
        result.notes.append(
            "removed outputs of an earlier sweep that this one does not produce: "
            + ", ".join(p.relative_to(out).as_posix() for p in stale)
        )
    return result


def remove_temp_outputs(out: Path) -> None:
    """Delete temporary files of known outputs that a killed run left (`.NAME.*.tmp`)."""
    temps = [t for name in OUTPUT_TABLES for t in out.glob(f".{name}.*.tmp")]
    temps += (out / FIGURES_DIR).glob(".*.png.*.tmp")
    for t in temps:
        t.unlink(missing_ok=True)


def remove_stale_outputs(out: Path, written: list[Path]) -> list[Path]:
    """Delete the sweep outputs in `out` that are not in `written`; return them.

    Call only after every output of the run is written: an earlier sweep's
    tables and figures go only once the new ones exist. Only known output
    names are touched (`OUTPUT_TABLES`, `figures/*.png`).
    """
    keep = {Path(p).resolve() for p in written}
    found = [out / name for name in OUTPUT_TABLES] + sorted((out / FIGURES_DIR).glob("*.png"))
    stale = [p for p in found if p.is_file() and p.resolve() not in keep]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def assemble(spec: SweepSpec, out: Path, unit: np.ndarray, values: pd.DataFrame) -> SweepResult:
    """Read the checkpoints, write samples and runs, analyse, write the tables."""
    files: list[Path] = []
    notes: list[str] = []
    design = np.where(np.arange(spec.n_runs) < spec.n_main, "main", "oat")
    samples = values.copy()
    samples.insert(0, "design", design)
    files.append(write_parquet(samples, out / "samples.parquet"))
    y_all = _stream_runs(spec, out, files)
    outcomes = {m: {s: y[: spec.n_main] for s, y in ys.items()} for m, ys in y_all.items()}
    units = metric_units(catalogue(spec.model).units())
    better = {m.name: m.better for m in METRICS}

    sobol, s2, morris, torn = [], [], [], []
    problem = unit_problem(spec)
    for metric, by_strategy in y_all.items():
        for strat, y in by_strategy.items():
            main = y[: spec.n_main]
            tag = {"strategy": strat, "metric": metric}
            if spec.method in ("sobol", "morris") and np.isnan(main).any():
                notes.append(f"{strat}/{metric}: NaN outcomes, no {spec.method} indices")
            elif spec.method == "sobol":
                a, b = analysis.sobol_indices(
                    problem, main, second_order=spec.second_order, seed=spec.seed
                )
                sobol.append(a.reset_index().assign(**tag))
                s2.append(b.assign(**tag))
            elif spec.method == "morris":
                m = analysis.morris_indices(
                    problem, unit[: spec.n_main], main, levels=spec.levels, seed=spec.seed
                )
                morris.append(m.reset_index().assign(**tag))
            oat = slice(spec.n_main, None) if spec.n_oat else slice(0, spec.n_main)
            if spec.n_oat or spec.method == "oat":
                t = analysis.tornado(spec.names, values.to_numpy()[oat], y[oat])
                torn.append(t.reset_index().assign(**tag))
    tables = {
        "sobol": _long(sobol),
        "sobol_s2": _long(s2),
        "morris": _long(morris),
        "tornado": _long(torn),
    }
    ranked = {m: outcomes[m] for m in spec.ranked_metrics}
    contest = ranked and spec.method != "oat" and len(spec.strategies) > 1
    win = analysis.win_share(ranked, better) if contest else pd.DataFrame()
    summary = pd.concat(
        {m: analysis.outcome_summary(o) for m, o in outcomes.items()}, names=["metric"]
    ).reset_index()
    fan = _fan(spec, out)
    for name, df in {**tables, "win_share": win, "outcomes": summary, "fan": fan}.items():
        if not df.empty:
            files.append(write_csv(df, out / f"{name}.csv", index=name == "win_share"))
    return SweepResult(
        spec,
        out,
        samples,
        outcomes,
        tables["sobol"],
        tables["sobol_s2"],
        tables["morris"],
        tables["tornado"],
        win,
        summary,
        fan,
        units,
        files,
        notes,
    )


def _long(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-(strategy, metric) tables with strategy and metric first."""
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    first = ["strategy", "metric"]
    return df[first + [c for c in df.columns if c not in first]]


def _stream_runs(spec: SweepSpec, out: Path, files: list[Path]) -> dict:
    """Copy chunk checkpoints into runs.parquet, one chunk at a time; return the outcomes.

    Returns y[metric][strategy] as float arrays over all runs (a few floats per
    run and strategy: the only thing held for every run).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from regionsoft_sd.io import atomic_path

    y = {m: {s.name: np.empty(spec.n_runs) for s in spec.strategies} for m in spec.metrics}
    with atomic_path(out / "runs.parquet") as tmp:
        writer = None
        try:
            for df in iter_chunks(spec, out):
                table = pa.Table.from_pandas(df, preserve_index=False)
                writer = writer or pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
                runs = df["run"].to_numpy()
                for strat, part in df.groupby("strategy", sort=False):
                    idx = runs[part.index.to_numpy()]
                    for m in spec.metrics:
                        y[m][str(strat)][idx] = part[m].to_numpy()
        finally:
            if writer is not None:
                writer.close()
    files.append(out / "runs.parquet")
    return y


def _fan(spec: SweepSpec, out: Path) -> pd.DataFrame:
    """Quantile bands over the fan-chart runs: strategy, variable, quantile, one column a year."""
    parts = list(iter_chunks(spec, out, "traj"))
    if not parts:
        return pd.DataFrame()
    traj = pd.concat(parts, ignore_index=True)
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
