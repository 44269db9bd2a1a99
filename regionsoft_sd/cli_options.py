"""Command-line options that several experiment commands share.

Every experiment (sweep, optimise, discover, calibrate) runs on the one chunked
runner, in-process or on Dask; these options choose where, with the same words
and help text in every command. `require_extra` checks an option's optional
dependency before any work starts (shared by `regionsoft` and its subcommands).
"""

from __future__ import annotations

import argparse

from regionsoft_sd.common.errors import InputError


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Add `--scheduler ADDRESS` or `--workers N` (one of them, or neither: in-process)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="existing Dask scheduler, tcp://…")
    where.add_argument("--workers", type=int, metavar="N", help="local Dask cluster of N workers")


def require_extra(module: str, extra: str, what: str) -> None:
    """Raise InputError naming the pip extra when an optional dependency is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise InputError(
            None,
            what,
            f"needs the optional dependency {module!r}, which is not installed",
            f"pip install 'regionsoft-sd[{extra}]'",
        )
