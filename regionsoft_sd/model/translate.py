"""Access to the shipped Vensim model: path, PySD translation (cached) and abstract model.

The `.mdl` file is the single source of truth; `regionsoft_sd.common.resources` finds it
in the installed package or in a source tree. PySD translates it to Python; the
translation is cached under a folder keyed by the file's content hash and the PySD
version, so an edited model (or a new PySD) is re-translated automatically. The
cache lives in the user's cache folder or `$REGIONSOFT_CACHE`
(`resources.cache_dir()`), never in the package or the repository.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from regionsoft_sd.common.resources import SOURCE_ROOT, cache_dir, model_path

if TYPE_CHECKING:  # pragma: no cover - imported for annotations only
    import pysd.py_backend.model
    from pysd.translators.structures.abstract_model import AbstractModel

MODEL_PATH = model_path()
"""The shipped model file (installed package data, or `models/` of a source tree)."""
PACKAGE_ROOT = SOURCE_ROOT
"""The source tree's root (a clone); tests and benchmarks use it. Not valid when installed."""

__all__ = ["MODEL_PATH", "abstract_model", "cache_dir", "load_model", "translated_path"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def translated_path(mdl_path: Path | str = MODEL_PATH) -> Path:
    """Return the PySD translation of `mdl_path`, translating it once per content hash.

    The translation is built in a private temporary directory and moved into
    place with an atomic rename, so concurrent processes never see half a file.
    """
    import pysd

    mdl = Path(mdl_path).resolve()
    if not mdl.is_file():
        raise FileNotFoundError(f"{mdl}: model file not found")
    target_dir = cache_dir() / f"{mdl.stem}-{_digest(mdl)}-pysd{pysd.__version__}"
    target = target_dir / f"{mdl.stem}.py"
    if target.is_file():
        return target
    cache_dir().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{mdl.stem}-", dir=cache_dir()))
    try:
        shutil.copy2(mdl, tmp / mdl.name)
        pysd.read_vensim(str(tmp / mdl.name), initialize=False)
        # another process may have won the race; its translation is identical
        with contextlib.suppress(OSError):
            tmp.rename(target_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_model(mdl_path: Path | str = MODEL_PATH) -> pysd.py_backend.model.Model:
    """Load the model with PySD, the reference engine for single runs.

    Returns a fresh `pysd` Model each call (PySD models keep parameter changes
    between runs, so sharing one instance between callers would leak state).
    """
    import pysd

    return pysd.load(str(translated_path(mdl_path)))


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
