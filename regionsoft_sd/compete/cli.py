"""`regionsoft compete`: the command-line face of `run_compete` (parse, call, print)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

EXIT_OK = 0


def add_compete_parser(subparsers, parents: Sequence[argparse.ArgumentParser] = ()):
    """Add `compete` to an argparse subparsers object; return its parser."""
    p = subparsers.add_parser(
        "compete",
        parents=list(parents),
        help="best responses, equilibria and the planner's optimum between provinces",
        description="On model version 3, find a province's best budget split against the "
        "others' (alone, or with rivals imitating it), the equilibrium of iterated best "
        "responses from several starts, the split a planner maximising national welfare "
        "would choose, and the price of anarchy. Writes CSV tables.",
    )
    p.add_argument(
        "spec",
        type=Path,
        metavar="SPEC",
        help="competition spec file, or the name of a shipped one (sichuan_chongqing)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/compete-<spec name>)"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def shipped_compete_specs() -> dict[str, Path]:
    """Shipped competition specs by name (scenarios/compete/*.toml)."""
    from regionsoft_sd.common.resources import scenarios_dir

    return {p.stem: p for p in sorted((scenarios_dir() / "compete").glob("*.toml"))}


def cmd_compete(args: argparse.Namespace) -> int:
    """Run the competition the arguments describe and print a short summary."""
    from regionsoft_sd.common.resources import named_file
    from regionsoft_sd.compete.pipeline import run_compete

    spec = named_file(args.spec, shipped_compete_specs(), "competition spec")
    out = args.out if args.out is not None else Path("out") / f"compete-{Path(spec).stem}"
    result = run_compete(spec, out, progress=not args.no_progress)
    w = result.tables["welfare"]
    lines = [
        f"compete {result.spec.name!r}: {len(result.spec.players)} players, "
        f"{result.runs:,} model runs in {result.seconds:.0f} s",
        *[
            f"  {r.solution}: national welfare {r.welfare:.6g}"
            + ("" if r.converged else " (not converged)")
            for r in w.itertuples()
        ],
    ]
    if result.spec.concepts and "equilibrium" in result.spec.concepts:
        lines.append(f"distinct equilibria: {result.distinct_equilibria}")
    if result.price_of_anarchy == result.price_of_anarchy:
        lines.append(f"price of anarchy: {result.price_of_anarchy:.6g}")
    lines += [f"note: {n}" for n in result.notes]
    lines.append(f"wrote {len(result.files)} files in {result.out_dir}/")
    print("\n".join(lines))
    return EXIT_OK
