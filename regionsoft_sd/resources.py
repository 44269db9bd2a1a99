"""Where the shipped model, scenarios, sweep specs and data live, installed or not.

The repository keeps them at its top level (`models/`, `scenarios/`, `data/`), the
single source of truth. Building a wheel copies them into the package as
`regionsoft_sd/shipped/` (see `setup.py`), so an installed package reads them with
`importlib.resources`. This module is the one place that knows both layouts:
every other module asks it for paths.

Search order: the installed package data first; otherwise the source tree this
module sits in (a clone, or an editable install, whose package data is the
repository itself). The translation cache is neither: it lives in the user's cache
folder (`platformdirs`) or in `$REGIONSOFT_CACHE`, never inside the package.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from functools import cache
from importlib import resources
from pathlib import Path

from regionsoft_sd.errors import InputError, unknown_name

PACKAGE = "regionsoft_sd"
SHIPPED = "shipped"
"""Folder inside the installed package that holds the copies of FOLDERS."""
FOLDERS = ("models", "scenarios", "data")
"""Top-level folders of the repository that are shipped as package data."""
MODEL_FILE = "regional_soft_power.mdl"
SOURCE_ROOT = Path(__file__).resolve().parent.parent
"""The repository root when running from a source tree (unused when installed)."""

_files = contextlib.ExitStack()
atexit.register(_files.close)


@cache
def _installed_root() -> Path | None:
    """The package-data folder of an installed wheel, as a real folder, or None."""
    shipped = resources.files(PACKAGE) / SHIPPED
    if not (shipped / "models" / MODEL_FILE).is_file():
        return None
    # A wheel unpacks to real files; a zipped install is extracted once per process.
    return Path(_files.enter_context(resources.as_file(shipped)))


def root() -> Path:
    """The folder that holds `models/`, `scenarios/` and (when shipped) `data/`."""
    installed = _installed_root()
    if installed is not None:
        return installed
    if (SOURCE_ROOT / "models" / MODEL_FILE).is_file():
        return SOURCE_ROOT
    raise FileNotFoundError(
        f"regionsoft-sd: the shipped model is missing: neither the package data "
        f"({PACKAGE}/{SHIPPED}/models/{MODEL_FILE}) nor a source tree at {SOURCE_ROOT} "
        "has it. Reinstall the package (pip install regionsoft-sd, or pip install . "
        "in a clone)."
    )


def model_path() -> Path:
    """The shipped Vensim model (`models/regional_soft_power.mdl`)."""
    return root() / "models" / MODEL_FILE


def scenarios_dir() -> Path:
    """The folder of the shipped scenario files (`scenarios/`)."""
    return root() / "scenarios"


def sweeps_dir() -> Path:
    """The folder of the shipped sweep specs (`scenarios/sweeps/`)."""
    return scenarios_dir() / "sweeps"


def regions_dir() -> Path:
    """The folder of the shipped calibrated regions (`scenarios/regions/`)."""
    return scenarios_dir() / "regions"


def shipped_regions() -> dict[str, Path]:
    """Shipped region files by name (file stem): scenarios a strategy can be based on."""
    return {p.stem: p for p in sorted(regions_dir().glob("*.toml"))}


def data_dir() -> Path:
    """The folder of the shipped data with its provenance (`data/`); may not exist yet."""
    return root() / "data"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario files by name (file stem), in file-name order."""
    return {p.stem: p for p in sorted(scenarios_dir().glob("*.toml"))}


def shipped_specs() -> dict[str, Path]:
    """Shipped sweep spec files by name (file stem), in file-name order."""
    return {p.stem: p for p in sorted(sweeps_dir().glob("*.toml"))}


def is_bare_name(arg: str | Path) -> bool:
    """True for `baseline`, False for `baseline.toml`, `./baseline` or `dir/baseline`."""
    text = str(arg)
    return bool(text) and os.sep not in text and "/" not in text and not text.endswith(".toml")


def named_file(name_or_path: str | Path, shipped: dict[str, Path], what: str) -> Path:
    """An existing path as given, else the shipped file of that bare name.

    A bare name (no folder, no `.toml`) that is not a file in the current folder
    must be a key of `shipped`, or InputError names the closest ones; anything else
    is returned unchanged, so the usual file-not-found message names the user's own
    path. `what` says what was looked for ("sweep spec").
    """
    path = Path(name_or_path)
    if path.exists() or not is_bare_name(name_or_path):
        return path
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    raise unknown_name(
        path,
        None,
        str(name_or_path),
        shipped,
        f"{what} file or shipped {what.split()[-1]}",
        "give a .toml path, or one of " + ", ".join(shipped),
    )


def scenario_file(name_or_path: str | Path) -> Path:
    """A scenario file: an existing path, a shipped scenario or a shipped region by name."""
    return named_file(name_or_path, {**shipped_regions(), **shipped_scenarios()}, "scenario")


def spec_file(name_or_path: str | Path) -> Path:
    """A sweep spec file: an existing path as given, else the shipped spec of that name."""
    return named_file(name_or_path, shipped_specs(), "sweep spec")


def load_scenario(name_or_path: str | Path):
    """Read and validate a scenario: a shipped one by name (`"balanced"`) or your own file."""
    from regionsoft_sd.scenario import Scenario

    return Scenario.from_file(scenario_file(name_or_path))


def cache_dir() -> Path:
    """Folder of cached PySD translations: `$REGIONSOFT_CACHE`, else the user cache folder.

    The user cache folder is platform-specific (`~/.cache/regionsoft-sd` on Linux,
    `~/Library/Caches/regionsoft-sd` on macOS, `%LOCALAPPDATA%\\regionsoft-sd\\Cache`
    on Windows), so nothing is ever written into the installed package.
    """
    env = os.environ.get("REGIONSOFT_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("regionsoft-sd", appauthor=False))


def copy_shipped(dest: str | Path) -> list[Path]:
    """Copy the shipped scenarios and sweep specs into `dest` (to edit them); return the files.

    Refuses (InputError) before copying anything if any copy would land on
    something that exists (a file, a symlink, a special file: `io.check_named_file`)
    or a folder on the way inside `dest` is a symlink or a file, so nothing is
    replaced or written through a link. The relative layout is kept (`sweeps/`
    beside the scenarios), so the specs' strategy paths still resolve. Each file is
    written atomically and only where nothing is (`io.write_named_text`).
    """
    from regionsoft_sd.io import check_named_file, write_named_text
    from regionsoft_sd.outdir import check_out

    src = scenarios_dir()
    out = Path(dest)
    check_out(out, key="--copy-to")
    files = sorted(p for p in src.rglob("*.toml"))
    targets = [out / p.relative_to(src) for p in files]
    folders = {a for t in targets for a in t.parents if out in a.parents}  # below `out`
    for q in sorted(folders):
        if q.is_symlink() or (os.path.lexists(q) and not q.is_dir()):
            raise InputError(
                q, None, "is a symlink or a file, not a folder", "choose an empty or new folder"
            )
    clash = []
    for t in targets:
        try:
            check_named_file(t)
        except InputError:
            clash.append(t)
    if clash:
        raise InputError(
            clash[0],
            None,
            f"exists ({len(clash)} of the {len(targets)} files would be overwritten)",
            "choose an empty or new folder",
        )
    for p, t in zip(files, targets, strict=True):
        write_named_text(t, p.read_text(encoding="utf-8"), key="--copy-to")
    return targets
