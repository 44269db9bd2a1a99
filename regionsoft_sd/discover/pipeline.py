"""`run_discover`: spec file in; where a strategy fails (PRIM, trees, Sobol) out.

Order of work: validate the spec and options before anything is written;
sample the futures with the sweep's distributions; run the strategy (and the
one it must not lose to) under each, through the shared runner; mark the
failures; run PRIM, the extra-trees scores and a CART tree; with `sobol`, the
Sobol indices of the difference on a Saltelli design; write the tables,
figures and summary into an owned output folder (kind "discover").

Output folder: the tables and figures of `futures.discovery_report`, and summary.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from regionsoft_sd.discover.spec import DiscoverSpec, load_spec
from regionsoft_sd.futures.designs import saltelli_design, sample, to_values
from regionsoft_sd.futures.discovery import Discovery, analyse, difference_sobol
from regionsoft_sd.futures.evaluate import Evaluator
from regionsoft_sd.runs.types import Strategy

SOBOL_SEED_OFFSET = 2_000_003


@dataclass
class DiscoverResult:
    """A discovery's spec, its analysis and where its files went."""

    spec: DiscoverSpec
    out_dir: Path
    discovery: Discovery
    runs: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def discover(
    spec: DiscoverSpec,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> tuple[Discovery, int, list[str]]:
    """The computation of `run_discover`: (the analysis, model runs made, notes).

    `progress`: the runner's progress bar over the futures (and the Sobol design)."""
    f = spec.failure
    params = spec.parameters
    x = sample(params, spec.futures, spec.method, spec.seed)
    other = f.against if isinstance(f.against, Strategy) else None
    strategies = [spec.strategy] + ([other] if other is not None else [])
    notes: list[str] = []
    with Evaluator(
        [f.metric],
        spec.strategy,
        x,
        params,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    ) as ev:
        cube = ev.strategies(strategies)
        y_other = cube[1, :, 0] if other is not None else None
        d = analyse(
            x,
            f,
            spec.strategy.name,
            cube[0, :, 0],
            other.name if other else None,
            y_other,
            seed=spec.seed,
        )
        if f.sobol:
            unit = saltelli_design(params, f.sobol, spec.seed + SOBOL_SEED_OFFSET)
            s = ev.under(to_values(params, unit)).strategies(strategies)
            try:
                d.sobol = difference_sobol(
                    params, s[0, :, 0], s[1, :, 0] if other is not None else None, seed=spec.seed
                )
            except ValueError as exc:
                notes.append(f"no Sobol indices: {exc}")
        runs = ev.total_runs
    return d, runs, notes


def run_discover(
    spec_path: str | Path,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    figures: bool = True,
    progress: bool = True,
) -> DiscoverResult:
    """Run the discovery `spec_path` describes and write its outputs into `out_dir`
    (`progress`: show the runner's progress bar on stderr)."""
    from regionsoft_sd.common.io import save_figure, write_csv, write_text
    from regionsoft_sd.common.outdir import OutputFolder, check_out
    from regionsoft_sd.futures.discovery_report import (
        discovery_figures,
        discovery_markdown,
        discovery_tables,
    )
    from regionsoft_sd.runs import check_options

    spec = load_spec(spec_path)
    check_options(workers, scheduler)
    check_out(out_dir)
    with OutputFolder(out_dir, kind="discover") as folder:
        t0 = time.perf_counter()
        d, runs, notes = discover(spec, workers=workers, scheduler=scheduler, progress=progress)
        result = DiscoverResult(spec, Path(out_dir), d, runs, time.perf_counter() - t0, notes=notes)
        for rel, df in discovery_tables(d).items():
            write_csv(df, folder.stage(rel), index=False)
        write_text(folder.stage("cart.txt"), d.tree.rules)
        if figures:
            for rel, fig in discovery_figures(d).items():
                save_figure(fig, folder.stage(rel))
        head = [
            f"# Discovery `{spec.name}`",
            "",
            spec.description,
            "",
            f"{spec.futures} futures ({spec.method}) of {len(spec.parameters)} uncertain "
            f"parameters; {runs:,} model runs in {result.seconds:.0f} s.",
            "",
        ]
        body = discovery_markdown(d, "## Where it fails")
        tail = ["## Notes", "", *[f"- {n}" for n in notes], ""] if notes else []
        write_text(folder.stage("summary.md"), "\n".join(head + body + tail).rstrip() + "\n")
        result.files, _ = folder.commit(remove_stale=True)
    return result
