"""`regionsoft explore`: parse, load regions, strategies and futures, serve the page."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from regionsoft_sd.explore import DEFAULT_FUTURES, DEFAULT_SPEC
from regionsoft_sd.explore.server import DEFAULT_PORT

EXIT_OK = 0


def add_explore_parser(subparsers, parents: Sequence[argparse.ArgumentParser] = ()):
    """Add `explore` to an argparse subparsers object; return its parser."""
    p = subparsers.add_parser(
        "explore",
        parents=list(parents),
        help="explore the levers in a local web page, with a live fan of futures",
        description="Serve a local web page (http://127.0.0.1:PORT/) with a slider for "
        "every policy lever, each group's start year and ramp, a region picker and a "
        "strategy picker. Each change reruns the settings in a fixed sample of futures "
        "of the uncertain parameters on the batch engine and redraws the 5-95 % and "
        "25-75 % bands against the baseline; the page also ranks the strategies, "
        "analyses the feedback loops on demand, shows the stock-and-flow diagram, and "
        "saves or loads the settings as scenario files. It answers only requests "
        "addressed to this machine as 127.0.0.1 or localhost (any other name gets 403). "
        "Needs the `explore` extra. Stop it with Ctrl-C.",
    )
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default: {DEFAULT_PORT}; 0: any free)",
    )
    p.add_argument(
        "--region",
        default=None,
        metavar="NAME",
        help="region to start with: 'default' (the model's own values), the name of a "
        "shipped region file, or a region scenario file (.toml)",
    )
    p.add_argument(
        "--strategies",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also offer the scenario files in DIR (e.g. an optimise output folder); repeatable",
    )
    p.add_argument(
        "--futures",
        type=int,
        default=DEFAULT_FUTURES,
        metavar="N",
        help=f"futures in the fan (default: {DEFAULT_FUTURES})",
    )
    p.add_argument(
        "--uncertainty",
        default=DEFAULT_SPEC,
        metavar="SPEC",
        help=f"sweep spec whose uncertain parameters the futures sample (default: {DEFAULT_SPEC})",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return p


def cmd_explore(args: argparse.Namespace) -> int:
    """Load everything (bad input: exit 2 before serving), then serve until Ctrl-C."""
    import importlib.util

    from regionsoft_sd.common.errors import InputError

    if importlib.util.find_spec("panel") is None:  # Panel is the optional `explore` extra
        raise InputError(
            None,
            "explore",
            "needs Panel (the optional `explore` extra), which is not installed",
            'in the clone, pip install ".[explore]"',
        )
    from regionsoft_sd.explore.app import load_config
    from regionsoft_sd.explore.server import check_port, serve

    check_port(args.port)
    config = load_config(args.region, args.strategies, args.futures, args.uncertainty)
    for note in config.notes:
        print(f"note: {note}", file=sys.stderr)

    def ready(url: str) -> None:
        print(f"regionsoft explore: open {url} (Ctrl-C stops it)", flush=True)

    serve(config, port=args.port, show=not args.no_browser, ready=ready)
    return EXIT_OK
