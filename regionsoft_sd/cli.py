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
from regionsoft_sd.cli_options import add_model_option, add_region_options, model_of
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
    add_model_option(r)
    add_region_options(r)

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
        metavar="METRIC",
        help=f"metric that orders the ranking (default: {RANK_BY}); one of "
        + ", ".join(rankable())
        + "; with --model v3 one of the metrics of metrics.csv (default: relative_soft_power)",
    )
    _add_engine_flag(c, ENGINES, ENGINE)
    _add_html_flag(c)
    add_model_option(c)
    add_region_options(c, both=True)

    pa = sub.add_parser(
        "params",
        parents=[debug],
        help="list levers and parameters",
        description="List the policy levers and parameters of the model "
        "with units, range, default and documentation (read from the .mdl).",
    )
    pa.add_argument("--search", metavar="WORD", help="only entries whose name or text has WORD")
    pa.add_argument("--all", action="store_true", help="include variables the model computes")
    add_model_option(pa)

    ch = sub.add_parser(
        "check",
        parents=[debug],
        help="validate scenario files without running",
        description="Validate scenario files; print one line per file, and warn when a "
        "scenario changes history (2005-2023), naming the values.",
    )
    ch.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO.toml")
    add_model_option(ch)
    add_region_options(ch)
    ch.add_argument(
        "--strict",
        action="store_true",
        help="exit 2 when a scenario changes history (2005-2023), not only warn",
    )
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
    _warn_history(scenarios)
    return scenarios


def _warn_history(scenarios: Sequence) -> None:
    """The history guard for `run` and `compare`: one warning line per scenario that
    changes 2005-2023 (the run goes on; `check --strict` refuses)."""
    from regionsoft_sd.simulate import history_check

    for s in scenarios:
        warning = history_check(s, measure=False)
        if warning:
            print(f"regionsoft: warning: {warning}", file=sys.stderr)


def _cmd_run(args: argparse.Namespace) -> int:
    from regionsoft_sd.common.io import save_figure, write_csv, write_table
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.model.metrics import metric_units
    from regionsoft_sd.reports import report
    from regionsoft_sd.reports.plots import plot_stocks
    from regionsoft_sd.simulate import run, run_metrics

    if model_of(args).version == "v3":
        return _cmd_run_v3(args)
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
    from regionsoft_sd.simulate import check_rank_by, compare

    _check_template(args)
    if model_of(args).version == "v3":
        return _cmd_compare_v3(args)
    check_rank_by(args.rank_by)
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
            template=args.template,
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

    choice = model_of(args, any_model=True)
    if choice.version != "v2":
        return _cmd_params_v3(args)
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
    """One line per file, in the order given: `ok ...` on stdout, the problem on stderr.

    A valid scenario that changes history gets a warning line after its `ok`
    (`--strict`: it counts as bad, exit 2).
    """
    from regionsoft_sd.scenarios.scenario import Scenario
    from regionsoft_sd.simulate import history_check

    if model_of(args).version == "v3":
        return _cmd_check_v3(args)
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
        warning = history_check(s)
        if warning:
            bad += args.strict
            print(f"regionsoft: {'' if args.strict else 'warning: '}{warning}", file=sys.stderr)
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
    c.add_argument(
        "--template",
        type=Path,
        metavar="FILE",
        help="with --html: render report.html from this Jinja2 template instead of the "
        "shipped one (copy regionsoft_sd/reports/templates/report.html.j2 to start; "
        "values are HTML-escaped)",
    )


def _check_template(args: argparse.Namespace) -> None:
    """`--template` needs `--html` and a file that exists (checked before any run)."""
    if args.template is None:
        return
    if not args.html:
        raise InputError(None, "--template", "a template only shapes report.html", "add --html")
    if not args.template.is_file():
        raise InputError(
            args.template, "--template", "no such file", "give the path of a Jinja2 template"
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

    if args.command in ("run", "compare", "check") and model_of(args).version == "v3":
        _resolve_v3_names(args)
        return
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
        ("Model v3 scenarios (--model v3)", _files_in(root / "v3")),
        ("Competition specs (regionsoft compete)", _files_in(root / "compete")),
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


# ---------------------------------------------------------------------------
# Model version 3 (--model v3): 31 provinces, a chosen region, rivals that may respond.


def _resolve_v3_names(args: argparse.Namespace) -> None:
    """Bare names name the shipped version-3 scenarios (`scenarios/v3/`); `compare`
    without files compares all of them."""
    from regionsoft_sd.common.resources import named_file
    from regionsoft_sd.simulate import shipped_v3_scenarios

    shipped = shipped_v3_scenarios()
    if args.command == "run":
        args.scenario = named_file(args.scenario, shipped, "version-3 scenario")
    elif args.command == "compare" and not args.scenarios:
        args.scenarios = list(shipped.values())
    else:
        args.scenarios = [named_file(p, shipped, "version-3 scenario") for p in args.scenarios]


def _v3_setup(args: argparse.Namespace):
    """(model choice, province model, region key), checked before any work."""
    from regionsoft_sd.scenarios.models import DEFAULT_REGION, province_model, region_key

    choice = model_of(args)
    if getattr(args, "engine", "batch") != "batch":
        raise InputError(
            None,
            "--engine",
            "PySD takes minutes for one run of the 31-province model",
            "leave out --engine (the batch engine runs it)",
        )
    pm = province_model(choice.path)
    return choice, pm, region_key(args.region or DEFAULT_REGION, pm.provinces)


def _load_v3_all(paths: Sequence[Path], pm, region: str) -> list:
    """Validate every version-3 file for `region`; report each bad one; raise if any is."""
    from regionsoft_sd.scenarios.provinces import ProvinceScenario

    scenarios, errors = [], []
    for path in paths:
        try:
            s = ProvinceScenario.from_file(path, pm)
            s.overrides(region)
            scenarios.append(s)
        except InputError as exc:
            errors.append(exc)
    for exc in errors[:-1]:
        print(f"regionsoft: {exc}", file=sys.stderr)
    if errors:
        raise errors[-1]
    return scenarios


def _v3_table(frame) -> str:
    """A small DataFrame as aligned text (the CLI's own printing, not a report)."""
    return frame.to_string(float_format=lambda x: f"{x:,.3f}")


def _cmd_run_v3(args: argparse.Namespace) -> int:
    import pandas as pd

    from regionsoft_sd.common.io import write_csv, write_table
    from regionsoft_sd.model.metrics_v3 import V3_BY_NAME
    from regionsoft_sd.simulate import run_v3, run_v3_metrics

    choice, pm, region = _v3_setup(args)
    (scenario,) = _load_v3_all([args.scenario], pm, region)
    rivals = args.rivals or "status-quo"
    names = [f"{scenario.name}_trajectories.{args.format}", f"{scenario.name}_metrics.csv"]
    with OutputFolder(args.out, kind=SIMULATION) as folder:
        folder.check_replaceable(names)
        df = run_v3(scenario, model=choice, region=region, rivals=rivals)
        values = run_v3_metrics(df, region)
        table = pd.DataFrame(
            {
                "value": values,
                "units": {k: V3_BY_NAME[k].units for k in values},
                "description": {k: V3_BY_NAME[k].description for k in values},
            }
        ).rename_axis("metric")
        write_table(df, folder.stage(names[0]))
        write_csv(table, folder.stage(names[1]))
        folder.commit()
    print(f"{scenario.name} for {region} (rivals: {rivals}), model {choice.label}")
    width = max(len(V3_BY_NAME[k].label) for k in values)
    for k, v in values.items():
        print(f"  {V3_BY_NAME[k].label.ljust(width)}  {v:,.4g}  {V3_BY_NAME[k].units}")
    print(f"\nwrote {', '.join(names)} in {args.out}/")
    return EXIT_OK


V3_COMPARE_FILES = ("metrics.csv", "gains.csv", "ranking.csv")
V3_SUMMARY = (
    "relative_soft_power",
    "gdp",
    "hh_consumption_pp",
    "gov_consumption_pp",
    "pv_hh_pp_1p5_2100",
    "national_gdp",
    "national_hh_consumption_pp",
)
"""Metrics `compare --model v3` prints (every metric is in metrics.csv and gains.csv)."""


def _cmd_compare_v3(args: argparse.Namespace) -> int:
    from regionsoft_sd.common.io import write_csv, write_table
    from regionsoft_sd.model.metrics_v3 import V3_BY_NAME, V3_RANK_BY
    from regionsoft_sd.simulate import RANK_BY, compare_v3

    if args.html:
        raise InputError(
            None, "--html", "the HTML report covers model v2 only for now", "leave out --html"
        )
    choice, pm, region = _v3_setup(args)
    rank_by = V3_RANK_BY if args.rank_by == RANK_BY else args.rank_by
    if rank_by not in V3_BY_NAME or not V3_BY_NAME[rank_by].better:
        ok = [k for k, m in V3_BY_NAME.items() if m.better]
        raise InputError(
            None, "--rank-by", f"{rank_by!r} is not a v3 metric", f"use one of {', '.join(ok[:6])}"
        )
    scenarios = _load_v3_all(args.scenarios, pm, region)
    files = [*V3_COMPARE_FILES, f"trajectories.{args.format}"]
    with OutputFolder(args.out, kind=SIMULATION) as folder:
        folder.check_replaceable(files)
        result = compare_v3(
            scenarios,
            model=choice,
            region=region,
            rivals=[args.rivals] if args.rivals else None,
            rank_by=rank_by,
        )
        write_csv(result.metrics, folder.stage(files[0]))
        write_csv(result.gains, folder.stage(files[1]))
        write_csv(result.side_by_side(), folder.stage(files[2]))
        write_table(result.trajectories, folder.stage(files[3]), index=False)
        folder.commit()
    modes = " and ".join(result.rivals)
    print(f"Strategies for {region}, model {choice.label}, rivals: {modes}")
    print(f"\nRanking by {rank_by} (gain in % over the status quo):")
    print(_v3_table(result.side_by_side()))
    summary = result.gains[[m for m in V3_SUMMARY if m in result.gains]]
    summary = summary.drop(index="status quo", level="scenario")
    summary.columns = [V3_BY_NAME[c].label for c in summary.columns]
    print("\nGain in % over the status quo:")
    print(_v3_table(summary))
    print(f"\nwrote {', '.join(files)} in {args.out}/")
    return EXIT_OK


def _cmd_check_v3(args: argparse.Namespace) -> int:
    """One line per file, as `check` on version 2, the values checked for `--region`."""
    from regionsoft_sd.scenarios.provinces import ProvinceScenario

    _, pm, region = _v3_setup(args)
    bad = 0
    for path in args.scenarios:
        try:
            s = ProvinceScenario.from_file(path, pm)
            n = len(s.overrides(region))
        except InputError as exc:
            bad += 1
            if args.debug:
                traceback.print_exc()
            print(f"regionsoft: {exc}", file=sys.stderr)
            continue
        print(f"ok  {s.source}  ({s.name}: {n} constants for {region})")
    return EXIT_INPUT if bad else EXIT_OK


def _cmd_params_v3(args: argparse.Namespace) -> int:
    import dataclasses

    from regionsoft_sd.common.errors import normalise
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.reports import report
    from regionsoft_sd.scenarios.models import province_model

    choice = model_of(args, any_model=True)
    pm = province_model(choice.path) if choice.version == "v3" else None
    entries = []
    for e in catalogue(choice.path):
        const = pm.constants.get(normalise(e.name)) if pm is not None else None
        if const is not None:
            doc = e.documentation
            if const.by_province is not None:
                lo, hi = min(const.by_province.values()), max(const.by_province.values())
                doc += f" One value per province ({lo:g} to {hi:g}): write Name[key]."
            e = dataclasses.replace(e, kind="constant", default=const.value, documentation=doc)
        entries.append(e)
    if args.search:
        w = normalise(args.search)
        entries = [e for e in entries if w in normalise(f"{e.name} {e.units} {e.documentation}")]
    if not args.all:
        entries = [e for e in entries if e.kind == "constant"]
    if not entries:
        raise InputError(
            choice.path if not args.search else None,
            "--search" if args.search else "--model",
            f"nothing matches {args.search!r}" if args.search else "the model has no constants",
            "try a shorter word, or add --all to list computed variables too",
        )
    print(report.params_text(entries))
    return EXIT_OK


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
