"""Lazy exports for subpackages (PEP 562): names load on first use.

`regionsoft_sd.sweep`, `.optimise`, `.discover` and `.calibrate` export their main
functions from modules that import NumPy, pandas, SciPy and SALib. Loading them
lazily keeps `regionsoft --help` and each command's parser cheap to import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: Mapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, serving `exports` (name -> module)."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted([*namespace, *exports])

    return __getattr__, __dir__
