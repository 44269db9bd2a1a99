"""`regionsoft optimise`: the command-line face of `run_optimise` (parse, call, print).

`add_optimise_parser(subparsers)` adds the subcommand to the main parser and
`cmd_optimise(args)` runs it; InputError propagates so that the main CLI prints
its one line and exits 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from regionsoft_sd.cli_options import add_cluster_options

if TYPE_CHECKING:
    import pandas as pd

EXIT_OK = 0


def add_optimise_parser(subparsers, parents: Sequence[argparse.ArgumentParser] = ()):
    """Add `optimise` to an argparse subparsers object; return its parser."""
    p = subparsers.add_parser(
        "optimise",
        parents=list(parents),
        help="optimal and robust strategies, and when they fail",
        description="Find the best lever settings (one objective: differential evolution "
        "and a local polish; several: the Pareto front with NSGA-II/III), scored over a "
        "sample of futures if the spec has uncertain parameters; re-evaluate on fresh "
        "futures (win share, regret) and find where the best strategy fails (PRIM, trees, "
        "Sobol of the difference). Writes CSV tables, scenario files that `regionsoft "
        "compare` accepts, figures (PNG) and summary.md.",
    )
    p.add_argument(
        "spec",
        type=Path,
        metavar="SPEC",
        help="optimisation spec file, or the name of a shipped one (best_split)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/optimise-<spec name>)"
    )
    add_cluster_options(p)
    p.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted run: batches already evaluated are read back",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def cmd_optimise(args: argparse.Namespace) -> int:
    """Run the optimisation the arguments describe and print a short summary."""
    from regionsoft_sd.common.resources import optimise_spec_file
    from regionsoft_sd.optimise.pipeline import run_optimise

    args.spec = optimise_spec_file(args.spec)
    out = args.out if args.out is not None else Path("out") / f"optimise-{Path(args.spec).stem}"
    result = run_optimise(
        args.spec,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress,
        resume=args.resume,
    )
    print(summary(result))
    return EXIT_OK


ZERO = 1e-9
"""Lever values smaller than this in magnitude are shown as 0 (floating-point dust)."""


def display_levers(levers: pd.DataFrame) -> pd.DataFrame:
    """Lever values for printing: |x| < ZERO as 0, so a zero share reads 0, not 4.441e-16.

    Shares come out of the search as 1 - (sum of the others), whose rounding leaves
    such dust; the CSV files keep the exact values.
    """
    numeric = levers.select_dtypes("number")
    shown = levers.copy()
    shown[numeric.columns] = numeric.mask(numeric.abs() < ZERO, 0.0)
    return shown


def summary(result) -> str:
    """A few lines: what was found, how robust, when it fails, where the files are."""
    spec = result.spec
    found = result.found
    lines = [
        f"optimise {spec.name!r}: {found.algorithm}, {found.evaluations:,} candidates, "
        f"{result.runs:,} model runs in {result.seconds:.0f} s"
    ]
    show = display_levers(found.levers).rename(columns=lambda c: str(c).removeprefix("Policy "))
    table = show.join(found.scores)
    table.index = result.names
    lines.append(table.head(10).to_string(float_format=lambda v: f"{v:.4g}"))
    if len(table) > 10:
        lines.append(f"... {len(table) - 10} more in the CSV file")
    if result.reevaluation is not None:
        cols = [c for c in result.reevaluation.columns if c.startswith(("win_share", "max_regret"))]
        lines.append("on fresh futures:")
        lines.append(result.reevaluation[cols].to_string(float_format=lambda v: f"{v:.3g}"))
    d = result.discovery
    if d is not None:
        lines.append(f"fails in {d.share:.1%} of futures: {d.text}")
        box = d.prim.box
        if d.prim.status == "box":
            for name, row in box.limits().iterrows():
                lines.append(f"  {name} in [{row.lower:.4g}, {row.upper:.4g}]")
            lines.append(f"  (PRIM box: coverage {box.coverage:.0%}, density {box.density:.0%})")
        else:
            from regionsoft_sd.futures.discovery_report import box_sentence

            lines.append(f"  no PRIM box: {box_sentence(d)}")
    for note in result.notes:
        lines.append(f"note: {note}")
    lines.append(f"wrote {len(result.files)} files in {result.out_dir}/")
    return "\n".join(lines)
