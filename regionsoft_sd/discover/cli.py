"""`regionsoft discover`: the command-line face of `run_discover` (parse, call, print)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from regionsoft_sd.cli_options import add_cluster_options

EXIT_OK = 0


def add_discover_parser(subparsers, parents: Sequence[argparse.ArgumentParser] = ()):
    """Add `discover` to an argparse subparsers object; return its parser."""
    p = subparsers.add_parser(
        "discover",
        parents=list(parents),
        help="in which futures a strategy fails (scenario discovery)",
        description="Sample the uncertain parameters, run a strategy (and the one it must "
        "not lose to) in every future, and describe the futures where it fails: a PRIM "
        "box with its coverage-density trade-off, extra-trees feature scores, a CART tree "
        "and the Sobol indices of the difference. Writes CSV tables, figures and summary.md.",
    )
    p.add_argument(
        "spec",
        type=Path,
        metavar="SPEC",
        help="discovery spec file, or the name of a shipped one (culture_vs_education)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/discover-<spec name>)"
    )
    add_cluster_options(p)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def cmd_discover(args: argparse.Namespace) -> int:
    """Run the discovery the arguments describe and print a short summary."""
    from regionsoft_sd.common.resources import optimise_spec_file
    from regionsoft_sd.discover.pipeline import run_discover
    from regionsoft_sd.futures.discovery_report import box_sentence

    args.spec = optimise_spec_file(args.spec, "discovery spec")
    out = args.out if args.out is not None else Path("out") / f"discover-{Path(args.spec).stem}"
    result = run_discover(
        args.spec,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress,
    )
    d = result.discovery
    box = d.prim.box
    if d.prim.status == "box":
        found = [
            f"PRIM box (coverage {box.coverage:.0%}, density {box.density:.0%}, "
            f"{box.mass:.0%} of futures):",
            *[f"  {n} in [{r.lower:.4g}, {r.upper:.4g}]" for n, r in box.limits().iterrows()],
        ]
    else:
        found = [f"no PRIM box: {box_sentence(d)}"]
    lines = [
        f"discover {result.spec.name!r}: {len(d.cases):,} futures, {result.runs:,} model runs "
        f"in {result.seconds:.0f} s",
        f"fails in {d.share:.1%} of futures: {d.text}",
        *found,
        "top features: " + ", ".join(f"{n} {v:.2f}" for n, v in d.scores.head(3).items()),
        *[f"note: {n}" for n in result.notes],
        f"wrote {len(result.files)} files in {result.out_dir}/",
    ]
    print("\n".join(lines))
    return EXIT_OK
