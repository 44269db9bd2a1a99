"""Access to the shipped Vensim model: path, PySD translation (cached) and abstract model.

The `.mdl` file is the single source of truth; `regionsoft_sd.common.resources` finds it
in the installed package or in a source tree. PySD translates it to Python; the
translation is cached under a folder keyed by the file's content hash, the PySD
version and this package's version, so an edited model (or a new PySD) is
re-translated automatically. The cache lives in the user's cache folder or
`$REGIONSOFT_CACHE` (`resources.cache_dir()`), never in the package or the
repository; when that folder cannot be written, a private temporary one is used.

PySD later imports the translation, that is, runs it as Python. So it is
verified before every use: beside it, a sidecar (`translation.json`, written
with it and moved into place with it, atomically) records the SHA-256 of each
file and the key (model content, PySD and package versions) it was built for.
A translation whose sidecar is missing, of another key, or whose digest
differs (a truncated file, a line appended) is translated again; and PySD
imports a private copy of the verified bytes, never the shared file itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from regionsoft_sd.common.errors import shorten_path
from regionsoft_sd.common.resources import SOURCE_ROOT, cache_dir, model_path, private_cache_dir

if TYPE_CHECKING:  # pragma: no cover - imported for annotations only
    import pysd.py_backend.model
    from pysd.translators.structures.abstract_model import AbstractModel

MODEL_PATH = model_path()
"""The shipped model file (installed package data, or `models/` of a source tree)."""
PACKAGE_ROOT = SOURCE_ROOT
"""The source tree's root (a clone); tests and benchmarks use it. Not valid when installed."""
SIDECAR = "translation.json"
"""The file beside a cached translation that records its key and digests."""
SIDECAR_FORMAT = 1

__all__ = ["MODEL_PATH", "abstract_model", "cache_dir", "load_model", "translated_path"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _key(mdl: Path) -> str:
    """What a translation is valid for: the model's content, PySD's and our version."""
    import pysd

    from regionsoft_sd import __version__

    parts = [_sha256(mdl.read_bytes()), f"pysd {pysd.__version__}", f"regionsoft-sd {__version__}"]
    return _sha256("\n".join(parts).encode())


def _folder_name(mdl: Path) -> str:
    import pysd

    from regionsoft_sd import __version__

    return f"{mdl.stem}-{_digest(mdl)}-pysd{pysd.__version__}-rs{__version__}"


def _read_verified(folder: Path, stem: str, key: str) -> bytes | None:
    """The translation's bytes if `folder` holds one built for `key` and unchanged since.

    None for anything else: no sidecar, a damaged or foreign one, a digest that
    differs, a symlink or a folder where a file should be. Never raises OSError.
    """
    try:
        if folder.is_symlink() or not folder.is_dir():
            return None
        side, target = folder / SIDECAR, folder / f"{stem}.py"
        if side.is_symlink() or target.is_symlink():
            return None
        meta = json.loads(side.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != SIDECAR_FORMAT:
            return None
        if meta.get("key") != key or not isinstance(meta.get("files"), dict):
            return None
        data = target.read_bytes()
        if meta["files"].get(target.name) != _sha256(data):
            return None
        return data
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _translate(mdl: Path, root: Path, key: str) -> Path:
    """Translate `mdl` in a new private folder under `root`, with its sidecar; return it."""
    import pysd

    tmp = Path(tempfile.mkdtemp(prefix=f".{mdl.stem}-", dir=root))
    try:
        shutil.copy2(mdl, tmp / mdl.name)
        pysd.read_vensim(str(tmp / mdl.name), initialize=False)
        target = tmp / f"{mdl.stem}.py"
        meta = {
            "format": SIDECAR_FORMAT,
            "key": key,
            "model": mdl.name,
            "files": {target.name: _sha256(target.read_bytes())},
        }
        (tmp / SIDECAR).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def _install(tmp: Path, target_dir: Path) -> None:
    """Move the finished folder `tmp` to `target_dir`, setting aside a damaged one there.

    Each step is a rename (atomic); a process that wins a race installs the same
    translation, and the loser's copy is removed.
    """
    if os.path.lexists(target_dir):
        aside = target_dir.with_name(f".stale-{target_dir.name}-{secrets.token_hex(4)}")
        with contextlib.suppress(OSError):
            target_dir.rename(aside)  # moves a symlink itself, never what it points to
            if aside.is_dir() and not aside.is_symlink():
                shutil.rmtree(aside, ignore_errors=True)
            else:
                aside.unlink()
    try:
        tmp.rename(target_dir)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def _verified(mdl_path: Path | str) -> tuple[Path, bytes]:
    """The cached translation of `mdl_path` and its verified bytes (translated when needed)."""
    mdl = Path(mdl_path).resolve()
    if not mdl.is_file():
        raise FileNotFoundError(f"{mdl}: model file not found")
    key, stem = _key(mdl), mdl.stem
    roots = [cache_dir()]
    for root in roots:
        target_dir = root / _folder_name(mdl)
        data = _read_verified(target_dir, stem, key)
        if data is not None:
            return target_dir / f"{stem}.py", data
        try:
            _install(_translate(mdl, root, key), target_dir)
        except OSError as exc:  # a cache folder that fails while writing: go private
            why = exc.strerror or type(exc).__name__
            fallback = private_cache_dir(f"{shorten_path(root)} cannot be written ({why})")
            if fallback not in roots:
                roots.append(fallback)
            continue
        data = _read_verified(target_dir, stem, key)
        if data is not None:
            return target_dir / f"{stem}.py", data
        fallback = private_cache_dir(f"{shorten_path(root)} does not keep a translation intact")
        if fallback not in roots:
            roots.append(fallback)
    raise RuntimeError(f"the PySD translation of {mdl.name} could not be built and verified")


def translated_path(mdl_path: Path | str = MODEL_PATH) -> Path:
    """Return the PySD translation of `mdl_path`, verified, translating it when needed.

    The translation is built in a private temporary directory and moved into
    place with an atomic rename, so concurrent processes never see half a file;
    a cached one that fails verification (see the module's docstring) is
    replaced. Load it with `load_model`, which imports only verified bytes.
    """
    return _verified(mdl_path)[0]


@lru_cache(maxsize=8)
def _private_copy(name: str, digest: str, data: bytes) -> Path:
    """A file of this process holding `data` (verified bytes), for PySD to import."""
    folder = Path(tempfile.mkdtemp(prefix="loaded-", dir=private_cache_dir()))
    path = folder / name
    path.write_bytes(data)
    return path


def load_model(mdl_path: Path | str = MODEL_PATH) -> pysd.py_backend.model.Model:
    """Load the model with PySD, the reference engine for single runs.

    PySD imports a private copy of the verified translation, so a cached file
    changed after the check is never run. Returns a fresh `pysd` Model each call
    (PySD models keep parameter changes between runs, so sharing one instance
    between callers would leak state).
    """
    import pysd

    path, data = _verified(mdl_path)
    return pysd.load(str(_private_copy(path.name, _sha256(data), data)))


@lru_cache(maxsize=8)
def _abstract_model_cached(path: str, digest: str) -> AbstractModel:
    from pysd.translators.vensim.vensim_file import VensimFile

    ven = VensimFile(path)
    ven.parse()
    return ven.get_abstract_model()


def abstract_model(mdl_path: Path | str = MODEL_PATH) -> AbstractModel:
    """Return PySD's abstract model of the `.mdl` (elements, ASTs, units, limits).

    This is the hand-off point between PySD's translator and our own code (the
    parameter catalogue and the batch engine); we never parse Vensim ourselves.
    The result is cached per content hash; treat it as read-only.
    """
    mdl = Path(mdl_path).resolve()
    if not mdl.is_file():
        raise FileNotFoundError(f"{mdl}: model file not found")
    return _abstract_model_cached(str(mdl), _digest(mdl))
