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


MODEL_HELP = (
    "model to run: v2 (the default: one region against the rest of China), v3 (the 31 "
    "provinces compete), a shipped model's file name, or the path of a .mdl file"
)
RIVALS_CHOICES = ("status-quo", "imitate")


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """Add `--model MODEL` (resolved by `regionsoft_sd.scenarios.models.resolve_model`)."""
    parser.add_argument("--model", default=None, metavar="MODEL", help=MODEL_HELP)


def add_region_options(parser: argparse.ArgumentParser, *, both: bool = False) -> None:
    """Add `--region KEY` and `--rivals MODE` (version 3 only).

    `both`: without `--rivals` the command reports both modes side by side (`compare`);
    otherwise the default is status-quo.
    """
    parser.add_argument(
        "--region",
        default=None,
        metavar="KEY",
        help="with --model v3: the province whose levers [policy] sets and whose outcomes "
        "are reported, a pinyin key or name, any case (default: sichuan)",
    )
    default = "both side by side" if both else "status-quo"
    parser.add_argument(
        "--rivals",
        choices=RIVALS_CHOICES,
        default=None,
        help="with --model v3: what the other provinces do, keep their levers (status-quo) "
        "or copy the region's lever changes after the imitation lag (imitate); "
        f"default: {default}",
    )


def model_of(args: argparse.Namespace, *, any_model: bool = False):
    """The `ModelChoice` of `args.model`, checked for the command `args.command`.

    InputError (exit 2) for a model without the regional model's names (the line
    names what is missing; `any_model` lets a command that only lists a model's
    contents take it), for a modified copy of version 2 (the version-2 commands read
    the shipped file), and for --region/--rivals on a model whose provinces do not
    compete.
    """
    from regionsoft_sd.scenarios.models import resolve_model

    choice = resolve_model(getattr(args, "model", None))
    what = f"`{getattr(args, 'command', 'this command')}`"
    if choice.version == "other" and not any_model:
        choice.require("v3", what)
    if choice.version == "v2" and choice.label != "v2":
        raise InputError(
            choice.path,
            "--model",
            f"{what} runs the shipped version-2 model, not a modified copy",
            "use --model v2, or a model with the 31-province structure of v3",
        )
    if choice.version != "v3":
        for flag in ("region", "rivals"):
            if getattr(args, flag, None) is not None:
                raise InputError(
                    None,
                    f"--{flag}",
                    f"model {choice.label} has no provinces that compete",
                    "add --model v3",
                )
    return choice
