"""Where the shipped model, scenarios, sweep specs and data live, installed or not.

The repository keeps them at its top level (`models/`, `scenarios/`, `data/`), the
single source of truth. Building a wheel copies them into the package as
`regionsoft_sd/shipped/` (see `setup.py`), so an installed package reads them with
`importlib.resources`. This module is the one place that knows both layouts:
every other module asks it for paths.

Search order: the installed package data first; otherwise the source tree this
module sits in (a clone, or an editable install, whose package data is the
repository itself). The cache is neither: it lives in the user's cache folder
(`platformdirs`) or in `$REGIONSOFT_SD_CACHE` (`cache_root`), never inside the
package; a folder that cannot be written gives way to a private temporary one
(`cache_dir`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
from functools import cache
from importlib import resources
from pathlib import Path

from regionsoft_sd.common.errors import InputError, shorten_path, suggest

PACKAGE = "regionsoft_sd"
SHIPPED = "shipped"
"""Folder inside the installed package that holds the copies of FOLDERS."""
FOLDERS = ("models", "scenarios", "data")
"""Top-level folders of the repository that are shipped as package data."""
MODEL_FILE = "regional_soft_power.mdl"
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # regionsoft_sd/common/resources.py
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


def optimise_dir() -> Path:
    """The folder of the shipped optimisation and discovery specs (`scenarios/optimise/`)."""
    return scenarios_dir() / "optimise"


def shipped_optimise_specs() -> dict[str, Path]:
    """Shipped optimisation and discovery specs by name (file stem), in file-name order."""
    return {p.stem: p for p in sorted(optimise_dir().glob("*.toml"))}


def optimise_spec_file(name_or_path: str | Path, what: str = "optimisation spec") -> Path:
    """An optimisation or discovery spec: an existing path as given, else the shipped spec
    of that bare name (`best_split`, `culture_vs_education`), from any folder."""
    return named_file(name_or_path, shipped_optimise_specs(), what)


def shipped_specs() -> dict[str, Path]:
    """Shipped sweep spec files by name (file stem), in file-name order."""
    return {p.stem: p for p in sorted(sweeps_dir().glob("*.toml"))}


def is_bare_name(arg: str | Path) -> bool:
    """True for `baseline`, False for `baseline.toml`, `./baseline` or `dir/baseline`."""
    text = str(arg)
    return (
        bool(text)
        and text not in (".", "..")
        and os.sep not in text
        and "/" not in text
        and "\\" not in text
        and not text.endswith(".toml")
    )


def resolve_file(
    raw: object,
    shipped: dict[str, Path],
    what: str,
    *,
    file: str | Path | None = None,
    key: str | None = None,
    folder: str | Path | None = None,
    paths: bool = True,
) -> Path:
    """The one rule by which a command or a spec field names a scenario or spec file.

    `raw` is a shipped name (`baseline`, `best_split`), a file path, or a path
    relative to `folder` (the folder of the spec that names it; the current folder
    for a command's argument). In order: an existing file at `folder / raw`; for a
    bare name, `folder / (raw + ".toml")`, then the shipped file of that name (so a
    copy beside the spec wins over the shipped one). `paths=False` (a scenario's
    `based_on`) accepts names only. Anything else is an InputError naming `file`
    and `key`, with the closest shipped names: a name nobody ships, a path that
    is missing, a folder, or a symlink to a missing file. A command's argument
    that is a path (no `file`, no `folder`) is returned as given, so the loader's
    message ("file not found", "symlink loop") names it. A symlink to a file is
    read like the file (only writes refuse symlinks).
    """
    where = "the spec" if file else "this folder"
    fix = f"give a .toml path (relative to {where}) or a name `regionsoft scenarios` lists"
    if isinstance(raw, Path):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(file, key, f"expected a {what} name or file path, got {raw!r}", fix)
    bare = is_bare_name(raw)
    local = bare or (is_bare_name(raw.removesuffix(".toml")) and not Path(raw).is_absolute())
    name = raw.removesuffix(".toml") if local else raw  # `baseline.toml` beside: a name too
    if not paths and not local:
        raise InputError(
            file,
            key,
            f"{shorten_path(raw, 40)!r} is a path; {key or 'this field'} names a file in the "
            "same folder",
            f'copy the {what} into this folder and give its name, e.g. "baseline"',
        )
    if not bare and file is None and folder is None:
        return Path(raw)  # a command's own path: the loader's message names it best
    base = Path.cwd() if folder is None else Path(folder)
    tries = [base / raw] + ([base / f"{raw}.toml"] if bare else [])
    for path in tries:
        try:
            is_file, is_dir = path.is_file(), path.is_dir()
        except (OSError, ValueError) as exc:  # a name too long, a symlink loop, a NUL byte
            why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise InputError(file, key, f"cannot read {shorten_path(path)!r} ({why})", fix) from exc
        if is_file:
            return path
        if is_dir and not bare:
            problem = f"{shorten_path(path)!r} is a folder, not a {what} file"
            raise InputError(file, key, problem, fix)
    if local and name in shipped and (bare or file is not None):
        return shipped[name]
    if bare or (local and file is not None):
        close = suggest(name, shipped)
        if close:
            fix = "did you mean " + " or ".join(repr(c) for c in close) + "? Or " + fix
        kind = what.split()[-1]
        raise InputError(file, key, f"no {what} file or shipped {kind} {name!r}", fix)
    stem = Path(raw).stem
    if tries[0].is_symlink():
        problem = f"{shorten_path(tries[0])!r} is a symlink to a missing file"
    else:
        problem = f"no {what} file {shorten_path(tries[0])!r}"
    if stem in shipped:
        fix = f'write the shipped name "{stem}" instead of a path'
    raise InputError(file, key, problem, fix)


def named_file(name_or_path: str | Path, shipped: dict[str, Path], what: str) -> Path:
    """A command's argument: `resolve_file` from the current folder, `what` naming the kind.

    Kept for the callers that name the kind in a few words ("sweep spec"); the
    messages say "unknown sweep spec file or shipped spec".
    """
    return resolve_file(name_or_path, shipped, what)


def shipped_bases() -> dict[str, Path]:
    """Every shipped file a scenario name can mean: the scenarios and the calibrated regions."""
    return {**shipped_regions(), **shipped_scenarios()}


def scenario_file(name_or_path: str | Path) -> Path:
    """A scenario file: an existing path, a shipped scenario or a shipped region by name."""
    return named_file(name_or_path, shipped_bases(), "scenario")


def spec_file(name_or_path: str | Path) -> Path:
    """A sweep spec file: an existing path as given, else the shipped spec of that name."""
    return named_file(name_or_path, shipped_specs(), "sweep spec")


CACHE_ENV = ("REGIONSOFT_SD_CACHE", "REGIONSOFT_CACHE")
"""Variables that move the cache folder: the first that is set wins (the second is an alias,
kept because earlier versions documented it)."""
_log = logging.getLogger("regionsoft_sd")
_private: list[Path] = []  # this process's fallback cache folder, once made
_warned: list[str] = []  # why the shared cache folder was left, once said


def cache_root() -> Path:
    """The cache folder as configured: `$REGIONSOFT_SD_CACHE` (or its alias), else the user's.

    The user cache folder is platform-specific (`~/.cache/regionsoft-sd` on Linux,
    `~/Library/Caches/regionsoft-sd` on macOS, `%LOCALAPPDATA%\\regionsoft-sd\\Cache`
    on Windows), so nothing is ever written into the installed package. This is
    the one place that reads the variables; it does not check the folder
    (`cache_dir` does). Translations sit at its top level, compiled batch
    kernels in its `kernels` subfolder (`batch.cbackend.cache_dir`).
    """
    for name in CACHE_ENV:
        env = os.environ.get(name)
        if env:
            return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("regionsoft-sd", appauthor=False))


def cache_dir() -> Path:
    """A cache folder this process can write: `cache_root()`, else a private temporary one.

    The configured folder is created if needed. When it cannot be used (a file
    stands there, it or HOME is read-only, permission is denied), the cache
    moves to a temporary folder of this process, removed at exit, with one
    warning line on the `regionsoft_sd` logger; nothing fails because of it.
    """
    root = cache_root()
    problem = _unusable(root)
    if problem is None:
        return root
    return private_cache_dir(f"{shorten_path(root)} {problem}")


def private_cache_dir(reason: str | None = None) -> Path:
    """This process's own temporary cache folder (made once, removed at exit).

    `reason` says why the shared one is not used; the first reason given is
    logged as one warning line (once per process).
    """
    if not _private:
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="regionsoft-sd-cache-"))
        _private.append(folder)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    if reason and not _warned:
        _warned.append(reason)
        _log.warning(
            "regionsoft: the cache folder %s; using a temporary one for this run "
            "(set REGIONSOFT_SD_CACHE to a folder you can write)",
            reason,
        )
    return _private[0]


def _unusable(folder: Path) -> str | None:
    """Why `folder` cannot serve as a cache (creating it if absent), or None if it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return "is not a folder"
    except OSError as exc:
        return f"cannot be created ({exc.strerror or type(exc).__name__})"
    if not folder.is_dir():
        return "is not a folder"
    import tempfile

    try:  # a real write: permissions, read-only mounts and immutable folders alike
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot be written ({exc.strerror or type(exc).__name__})"
    return None


def copy_shipped(dest: str | Path) -> list[Path]:
    """Copy the shipped scenarios and sweep specs into `dest` (to edit them); return the files.

    Refuses (InputError) before copying anything if any copy would land on
    something that exists (a file, a symlink, a special file: `io.check_named_file`)
    or a folder on the way inside `dest` is a symlink or a file, so nothing is
    replaced or written through a link. The relative layout is kept (`sweeps/`
    beside the scenarios), so the specs' strategy paths still resolve. Each file is
    written atomically and only where nothing is (`io.write_named_text`).
    """
    from regionsoft_sd.common.io import check_named_file, write_named_text
    from regionsoft_sd.common.outdir import check_out

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
