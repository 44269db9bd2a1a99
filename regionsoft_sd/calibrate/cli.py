"""`regionsoft calibrate`: the command-line face of `run_calibrate` (parse, call, print).

`add_calibrate_parser(subparsers)` adds the subcommand to the main parser and
`cmd_calibrate(args)` runs it; InputError propagates so that the main CLI prints
its one line and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from regionsoft_sd.calibrate.shipped import (  # noqa: F401 - DEFAULT_SPEC, shipped_specs: re-exported
    DEFAULT_SPEC,
    SPEC_FOLDER,
    default_spec,
    shipped_specs,
    spec_file,
)
from regionsoft_sd.cli_options import add_cluster_options

EXIT_OK = 0


def add_calibrate_parser(subparsers, parents: Sequence[argparse.ArgumentParser] = ()):
    """Add `calibrate` to an argparse subparsers object; return its parser."""
    p = subparsers.add_parser(
        "calibrate",
        parents=list(parents),
        help="fit the model to a region's history (intervals, fit, identifiability)",
        description="Set a region's 2005 constants from its data, fit the uncertain "
        "parameters to its observed series (multi-start least squares on the batch "
        "engine), and report intervals (Jacobian, profile likelihood, optionally emcee), "
        "R², MAPE and Theil statistics, identifiability and the out-of-sample error. "
        "Writes CSV tables, a region scenario file usable as based_on, figures and "
        "summary.md. Without SPEC, the shipped default spec is used.",
    )
    p.add_argument(
        "spec",
        nargs="?",
        default=None,
        metavar="SPEC.toml",
        help="calibration spec file, or the name of a shipped one (default: default)",
    )
    p.add_argument("--region", metavar="NAME", help="region to calibrate (e.g. zhejiang)")
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/calibrate-<region>)"
    )
    add_cluster_options(p)
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the progress bars (shown only when stderr is a terminal)",
    )
    return p


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run the calibration the arguments describe and print a short summary."""
    from regionsoft_sd.calibrate.pipeline import run_calibrate
    from regionsoft_sd.calibrate.spec import load_spec

    spec = load_spec(spec_file(args.spec))
    region = args.region or spec.region or ""
    out = args.out if args.out is not None else Path("out") / f"calibrate-{region or 'region'}"
    if args.workers is not None or args.scheduler is not None:
        from regionsoft_sd.cli_options import require_extra

        require_extra("distributed", "distributed", "--workers/--scheduler")
    result = run_calibrate(
        spec,
        out,
        region=args.region,
        workers=args.workers,
        scheduler=args.scheduler,
        # bars only on a terminal: in a log file they are lines of carriage-return chatter
        progress=not args.no_progress and sys.stderr.isatty(),
        figures=not args.no_figures,
    )
    print(summary(result))
    return EXIT_OK


def summary(result) -> str:
    """A few lines: fit per series, estimates with intervals, what is not identifiable."""
    spec = result.spec
    fit = result.fit
    pct = round(spec.level * 100)
    lines = [
        f"calibrate {result.region!r} ({spec.name}): {len(spec.names)} parameters, "
        f"{fit.problem.n_obs} observations {spec.start}-{spec.end}; {len(fit.starts)} starts, "
        f"{fit.agree} reached the best; {result.runs:,} model runs in {result.seconds:.0f} s",
        "fit per series:",
    ]
    st = result.fit_stats.set_index("series")
    lines.append(
        st[["r2", "mape", "um", "us", "uc", "flag"]].to_string(float_format=lambda v: f"{v:.3f}")
    )
    lines.append(
        f"parameters ({pct} % intervals: profile likelihood where profiled, else Jacobian):"
    )
    for r in result.parameters.itertuples():
        mark = " (at a bound)" if r.at_bound else ""
        lines.append(
            f"  {r.parameter}: {r.estimate:.4g} [{r.lower:.4g}, {r.upper:.4g}] "
            f"identifiable: {r.identifiable}{mark}"
        )
    if result.holdout is not None and len(result.holdout):
        h = result.holdout
        lines.append(
            f"out of sample (fit to {spec.holdout.cut}, {h['years'].iloc[0]}): MAPE "
            + ", ".join(f"{r.series} {100 * r.mape:.1f} %" for r in h.itertuples())
        )
    for note in result.notes:
        lines.append(f"note: {note}")
    lines.append(f"wrote {len(result.files)} files in {result.out_dir}/")
    return "\n".join(lines)
