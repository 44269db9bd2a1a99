"""Command-line options that several experiment commands share.

Every experiment (sweep, optimise, discover, calibrate) runs on the one chunked
runner, in-process or on Dask; these options choose where, with the same words
and help text in every command.
"""

from __future__ import annotations

import argparse


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Add `--scheduler ADDRESS` or `--workers N` (one of them, or neither: in-process)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="existing Dask scheduler, tcp://…")
    where.add_argument("--workers", type=int, metavar="N", help="local Dask cluster of N workers")
