"""`regionsoft sweep`: the command-line face of `run_sweep` (parse, call, print).

`add_sweep_parser(subparsers)` adds the subcommand to the main `regionsoft`
parser and `cmd_sweep(args)` runs it; InputError propagates so the main CLI
prints its one line and exits 2. `python -m regionsoft_sd.sweep` runs the same
command through the main CLI (`sweep/__main__.py`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from regionsoft_sd.cli_options import add_cluster_options

EXIT_OK = 0


def add_sweep_parser(subparsers, parents: Sequence[argparse.ArgumentParser] = ()):
    """Add `sweep` to an argparse subparsers object; return its parser."""
    p = subparsers.add_parser(
        "sweep",
        parents=list(parents),
        help="sensitivity sweep and strategy robustness",
        description="Sample uncertain parameters (Sobol, Morris, LHS, Monte Carlo or "
        "one-at-a-time), run every strategy under every sample on the batch engine, "
        "and write samples, per-run metrics (Parquet), indices and win shares (CSV) "
        "and figures (PNG).",
    )
    p.add_argument("spec", type=Path, metavar="SPEC.toml", help="sweep spec file")
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/sweep-<spec name>)"
    )
    add_cluster_options(p)
    p.add_argument(
        "--resume", action="store_true", help="finish an interrupted sweep (missing chunks only)"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep the arguments describe and print a short summary."""
    from regionsoft_sd.sweep.pipeline import run_sweep

    out = args.out if args.out is not None else Path("out") / f"sweep-{Path(args.spec).stem}"
    result = run_sweep(
        args.spec,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        progress=not args.no_progress,
    )
    print(summary(result))
    return EXIT_OK


def summary(result) -> str:
    """A few lines: what ran, what matters most, who wins how often, where files are."""
    spec = result.spec
    lines = [
        f"sweep {spec.name!r}: {spec.method}, {spec.n_runs:,} parameter sets x "
        f"{len(spec.strategies)} strategies = {spec.n_runs * len(spec.strategies):,} runs"
    ]
    ref = spec.strategies[0].name
    for table, col in ((result.sobol, "ST"), (result.morris, "mu_star"), (result.tornado, "swing")):
        if table.empty:
            continue
        d = table[table.strategy == ref]
        for metric, g in d.groupby("metric", sort=False):
            top = g.nlargest(3, col)
            lines.append(
                f"  {metric} ({ref}), top by {col}: "
                + ", ".join(f"{p} {v:.3g}" for p, v in zip(top.parameter, top[col], strict=True))
            )
        break
    if not result.win_share.empty:
        lines.append("win share (fraction of samples where best):")
        lines.append(result.win_share.to_string(float_format=lambda v: f"{v:.1%}"))
    for note in result.notes:
        lines.append(f"note: {note}")
    lines.append(f"wrote {len(result.files)} files in {result.out_dir}/")
    return "\n".join(lines)
