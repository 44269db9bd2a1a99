"""The `regionsoft` command: a thin layer over the library.

It parses arguments, calls the library, prints, and sets the exit status:
0 on success, 2 on bad input (one line naming the file, the key and the fix;
nothing is written), 1 on an internal error, 130 after Ctrl-C and 143 after
SIGTERM (both unwind in order: the lock released, staged outputs removed).
`--debug` shows tracebacks.
Every input is validated before any output is written.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from regionsoft_sd.calibrate.cli import add_calibrate_parser, cmd_calibrate
from regionsoft_sd.cli_options import require_extra as _require_extra
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.common.outdir import OutputFolder
from regionsoft_sd.common.terminate import EXIT_TERMINATED, Terminated, sigterm_raises
from regionsoft_sd.compete.cli import add_compete_parser, cmd_compete
from regionsoft_sd.discover.cli import add_discover_parser, cmd_discover
from regionsoft_sd.explore.cli import add_explore_parser, cmd_explore
from regionsoft_sd.optimise.cli import add_optimise_parser, cmd_optimise
from regionsoft_sd.sweep.cli import add_sweep_parser, cmd_sweep

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
SIMULATION = "simulation"
"""Kind of output folder `run` and `compare` share (one folder may hold both)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: {message}. Fix: see `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `regionsoft` and its four commands."""
    from regionsoft_sd.simulate import ENGINE, ENGINES, RANK_BY, rankable

    p = _Parser(
        prog="regionsoft",
        description="Simulate a region's soft and hard power and compare policy scenarios.",
        epilog="Exit status: 0 success, 2 bad input, 1 internal error, "
        "130 interrupted (Ctrl-C), 143 terminated (SIGTERM).",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    _add_version(p)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    debug = _Parser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors"
    )

    r = sub.add_parser(
        "run",
        parents=[debug],
        help="simulate one scenario",
        description="Simulate one scenario; write its trajectories, metrics "
        "and a PNG panel of the stocks; print a summary.",
    )
    r.add_argument("scenario", type=Path, metavar="SCENARIO.toml")
    r.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    r.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="trajectory file format (default: csv)",
    )
    _add_engine_flag(r, ENGINES, ENGINE)

    c = sub.add_parser(
        "compare",
        parents=[debug],
        help="compare scenarios on outcome metrics",
        description="Run several scenarios; write metrics.csv, metrics.md, "
        "ranking.csv, trajectories and overlay PNGs; print the metrics table.",
    )
    c.add_argument(
        "scenarios",
        type=Path,
        nargs="*",
        metavar="SCENARIO",
        help="scenario files, or names of shipped scenarios (default: every shipped scenario)",
    )
    c.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    c.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="trajectory file format (default: csv)",
    )
    c.add_argument(
        "--rank-by",
        default=RANK_BY,
        choices=rankable(),
        metavar="METRIC",
        help=f"metric that orders the ranking (default: {RANK_BY}); one of "
        + ", ".join(rankable()),
    )
    _add_engine_flag(c, ENGINES, ENGINE)
    _add_html_flag(c)

    pa = sub.add_parser(
        "params",
        parents=[debug],
        help="list levers and parameters",
        description="List the policy levers and parameters of the model "
        "with units, range, default and documentation (read from the .mdl).",
    )
    pa.add_argument("--search", metavar="WORD", help="only entries whose name or text has WORD")
    pa.add_argument("--all", action="store_true", help="include variables the model computes")

    ch = sub.add_parser(
        "check",
        parents=[debug],
        help="validate scenario files without running",
        description="Validate scenario files; print one line per file.",
    )
    ch.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO.toml")
    add_sweep_parser(sub, parents=[debug])
    add_optimise_parser(sub, parents=[debug])
    add_discover_parser(sub, parents=[debug])
    add_calibrate_parser(sub, parents=[debug])
    add_compete_parser(sub, parents=[debug])
    add_explore_parser(sub, parents=[debug])
    _add_scenarios_parser(sub, debug)
    _add_export_parser(sub, debug)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    SIGTERM unwinds like Ctrl-C (the output folder's lock released, its staging
    folder removed) and gives EXIT_TERMINATED (143); Ctrl-C gives 130.
    """
    args = build_parser().parse_args(argv)
    try:
        with sigterm_raises():
            _resolve_shipped(args)
            return _COMMANDS[args.command](args)
    except InputError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"regionsoft: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt as exc:
        kept = "; finished chunks are kept, rerun with --resume" if args.command == "sweep" else ""
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"regionsoft: {what}{kept}", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if args.debug:
            traceback.print_exc()
        print(
            f"regionsoft: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _load_all(paths: Sequence[Path]) -> list:
    """Validate every file; report each bad one on its own line; raise if any is bad."""
    from regionsoft_sd.scenarios.scenario import Scenario

    scenarios, errors = [], []
    for path in paths:
        try:
            scenarios.append(Scenario.from_file(path))
        except InputError as exc:
            errors.append(exc)
    for exc in errors[:-1]:
        print(f"regionsoft: {exc}", file=sys.stderr)
    if errors:
        raise errors[-1]
    return scenarios


def _cmd_run(args: argparse.Namespace) -> int:
    from regionsoft_sd.common.io import save_figure, write_csv, write_table
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.model.metrics import metric_units
    from regionsoft_sd.reports import report
    from regionsoft_sd.reports.plots import plot_stocks
    from regionsoft_sd.simulate import run, run_metrics

    (scenario,) = _load_all([args.scenario])
    names = [
        f"{scenario.name}_trajectories.{args.format}",
        f"{scenario.name}_metrics.csv",
        f"{scenario.name}_stocks.png",
    ]
    with OutputFolder(args.out, kind=SIMULATION) as folder:
        folder.check_replaceable(names)
        df = run(scenario, engine=args.engine)
        values = run_metrics(df)
        units = metric_units(catalogue().units())
        write_table(df, folder.stage(names[0]))
        write_csv(report.metrics_frame(values, units), folder.stage(names[1]))
        save_figure(plot_stocks(df, title=f"Stocks: {scenario.name}"), folder.stage(names[2]))
        folder.commit()
    print(report.run_summary(scenario.name, values, units))
    print(
        f"\nwrote {scenario.name}_trajectories.{args.format}, {scenario.name}_metrics.csv, "
        f"{scenario.name}_stocks.png in {args.out}/"
    )
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from regionsoft_sd.reports import report
    from regionsoft_sd.simulate import compare

    scenarios = _load_all(args.scenarios)
    with OutputFolder(args.out, kind=SIMULATION) as folder:
        folder.check_replaceable(_compare_files(args.format, args.html))
        result = compare(scenarios, rank_by=args.rank_by, progress=True, engine=args.engine)
        descriptions = {s.name: s.description for s in scenarios}
        paths = report.write_comparison(
            result,
            folder.stage("."),
            descriptions,
            args.format,
            html=args.html,
            scenarios=scenarios,
        )
        paths, _ = folder.commit(remove_stale=True)
    print(report.metrics_table(result))
    print(f"\nranked by {args.rank_by}; wrote {', '.join(p.name for p in paths)} in {args.out}/")
    return EXIT_OK


def _compare_files(fmt: str, html: bool = False) -> list[str]:
    """What `compare` writes (checked before running; `commit` checks what it really wrote)."""
    names = ["metrics.csv", "ranking.csv", "metrics.md", "outcomes.png", "stocks.png"]
    return [*names, f"trajectories.{fmt}", *(["report.html"] if html else [])]


def _add_engine_flag(c: argparse.ArgumentParser, engines: Sequence[str], default: str) -> None:
    """`--engine`: the batch engine (fast, the default) or PySD (the reference, to cross-check)."""
    c.add_argument(
        "--engine",
        choices=engines,
        default=default,
        help=f"simulation engine (default: {default}): batch runs each scenario in "
        "milliseconds; pysd runs PySD, the reference engine, in seconds a scenario, "
        "to cross-check (both give the same tables to 1e-9)",
    )


def _cmd_params(args: argparse.Namespace) -> int:
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.reports import report

    cat = catalogue()
    entries = cat.search(args.search) if args.search else list(cat)
    if not args.all:
        entries = [e for e in entries if e.kind == "constant"]
    if not entries:
        raise InputError(
            None,
            "--search",
            f"nothing matches {args.search!r}",
            "try a shorter word, or add --all to search computed variables too",
        )
    print(report.params_text(entries))
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    """One line per file, in the order given: `ok ...` on stdout, the problem on stderr."""
    from regionsoft_sd.scenarios.scenario import Scenario

    bad = 0
    for path in args.scenarios:
        try:
            s = Scenario.from_file(path)
        except InputError as exc:
            bad += 1
            if args.debug:
                traceback.print_exc()
            print(f"regionsoft: {exc}", file=sys.stderr)
            continue
        print(f"ok  {s.source}  ({s.name}: {len(s.constants)} constants, {len(s.series)} series)")
    return EXIT_INPUT if bad else EXIT_OK


# ---------------------------------------------------------------------------
# Installed use: --version, shipped scenarios by name, `scenarios`, `export`,
# `compare --html`, and a console entry point that survives a closed pipe.


def _add_version(p: argparse.ArgumentParser) -> None:
    from regionsoft_sd import __version__

    p.add_argument("--version", action="version", version=f"regionsoft-sd {__version__}")


def _add_html_flag(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "--html",
        action="store_true",
        help="also write report.html: one self-contained file with the tables, "
        "the figures and the metric definitions, for readers without Python",
    )


def _add_scenarios_parser(sub, debug: argparse.ArgumentParser) -> None:
    sc = sub.add_parser(
        "scenarios",
        parents=[debug],
        help="list the shipped scenarios, regions and specs, or copy them to edit",
        description="List the scenarios, calibrated regions and sweep, optimisation and "
        "calibration specs that come with the package (usable by name, e.g. "
        '`regionsoft compare baseline balanced`, `based_on = "henan"`), or copy '
        "them into a folder as a starting point for your own.",
    )
    sc.add_argument(
        "--copy-to", type=Path, metavar="DIR", help="copy the files into DIR (never overwrites)"
    )


def _add_export_parser(sub, debug: argparse.ArgumentParser) -> None:
    ex = sub.add_parser(
        "export",
        parents=[debug],
        help="export the model for other tools (XMILE for Stella)",
        description="Convert the shipped Vensim model with Simlin (needs the `simlin` "
        "extra) and check the result: the export is read back and simulated, and "
        "must match the original run.",
    )
    ex.add_argument(
        "--xmile",
        type=Path,
        required=True,
        metavar="FILE.stmx",
        help="write the model as XMILE (opens in Stella and Simlin); the file must not "
        "exist, unless --force",
    )
    ex.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it is a regular file (never a symlink, a folder or a device)",
    )


def _resolve_shipped(args: argparse.Namespace) -> None:
    """Let shipped scenarios and specs be named instead of given as paths.

    `compare` without files compares every shipped scenario; a bare name such as
    `baseline` that is not a file here names the shipped file of that name.
    """
    from regionsoft_sd.common import resources

    if args.command in ("run", "compare", "check"):
        if args.command == "compare" and not args.scenarios:
            args.scenarios = list(resources.shipped_scenarios().values())
        elif args.command == "run":
            args.scenario = resources.scenario_file(args.scenario)
        else:
            args.scenarios = [resources.scenario_file(p) for p in args.scenarios]
    elif args.command == "sweep":
        args.spec = resources.spec_file(args.spec)
        if args.workers is not None or args.scheduler is not None:
            _require_extra("distributed", "distributed", "--workers/--scheduler")


def _files_in(folder: Path) -> dict[str, Path]:
    """TOML files of a shipped folder by stem, in name order (empty if it is missing)."""
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from regionsoft_sd.common import resources
    from regionsoft_sd.common.errors import load_toml

    if args.copy_to is not None:
        files = resources.copy_shipped(args.copy_to)
        print(
            f"copied {len(files)} files into {args.copy_to}/ (edit them, then `regionsoft check`)"
        )
        return EXIT_OK
    root = resources.scenarios_dir()
    for title, found in (
        ("Scenarios", resources.shipped_scenarios()),
        ("Calibrated regions (based_on = NAME)", resources.shipped_regions()),
        ("Sweep specs", resources.shipped_specs()),
        ("Optimisation and discovery specs", _files_in(root / "optimise")),
        ("Calibration specs", _files_in(root / "calibrate")),
    ):
        if not found:
            continue
        print(title)
        width = max(map(len, found), default=0)
        for name, path in found.items():
            description = " ".join(str(load_toml(path).get("description", "")).split())
            print(f"  {name.ljust(width)}  {description}")
        print()
    print(f"files: {resources.scenarios_dir()}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from regionsoft_sd.common.io import check_named_file
    from regionsoft_sd.common.outdir import check_out
    from regionsoft_sd.model.export import export_xmile

    _require_extra("simlin", "simlin", "--xmile")
    check_named_file(args.xmile, force=args.force, key="--xmile")
    check_out(args.xmile.parent, key="--xmile")
    check = export_xmile(args.xmile, force=args.force)
    print(check.summary())
    return EXIT_OK if check.ok else EXIT_INTERNAL


def console_main() -> int:
    """Entry point of the `regionsoft` console script: `main` with Unix pipe manners.

    When the reader of stdout goes away (`regionsoft params | head`), the process
    ends quietly as Unix tools do (SIGPIPE, status 141) instead of raising
    BrokenPipeError. Output files are all written before anything is printed.
    """
    import signal

    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return main()


_COMMANDS = {
    "run": _cmd_run,
    "compare": _cmd_compare,
    "params": _cmd_params,
    "check": _cmd_check,
    "sweep": cmd_sweep,
    "optimise": cmd_optimise,
    "discover": cmd_discover,
    "calibrate": cmd_calibrate,
    "compete": cmd_compete,
    "explore": cmd_explore,
    "scenarios": _cmd_scenarios,
    "export": _cmd_export,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console_main())
