"""Optional dependencies of optimisation and discovery, with a one-line fix when missing.

pymoo (the genetic algorithms) and scikit-learn (the trees) come with the
`optimise` extra: `pip install "regionsoft-sd[optimise]"`. Differential
evolution and PRIM need neither.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from regionsoft_sd.common.errors import InputError

EXTRA = "optimise"


def require(module: str, purpose: str) -> ModuleType:
    """Import `module`, or raise InputError saying which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise InputError(
            None,
            None,
            f"{purpose} needs the Python package {module.split('.')[0]!r}, which is not installed",
            f'pip install "regionsoft-sd[{EXTRA}]"',
        ) from exc
