"""Sensitivity sweeps and strategy robustness: spec -> samples -> chunked runs -> analysis.

`run_sweep(spec_path, out_dir)` is the entry point: it validates the spec,
samples with SALib, runs the samples in chunks on the batch engine (in-process
or on Dask), checkpoints each chunk, and writes indices, per-run metrics and
figures. The modules underneath are usable alone (see their docstrings).
Exports load lazily (PEP 562), so `regionsoft_sd.sweep.cli` stays cheap to import.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Parameter": "regionsoft_sd.sweep.params",
    "Strategy": "regionsoft_sd.sweep.spec",
    "SweepSpec": "regionsoft_sd.sweep.spec",
    "load_spec": "regionsoft_sd.sweep.spec",
    "parse_spec": "regionsoft_sd.sweep.spec",
    "SweepResult": "regionsoft_sd.sweep.pipeline",
    "run_sweep": "regionsoft_sd.sweep.pipeline",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
