"""Sensitivity sweeps and strategy robustness: spec -> samples -> chunked runs -> analysis.

`run_sweep(spec_path, out_dir)` is the entry point: it validates the spec,
samples with SALib, runs the samples in chunks on the batch engine (in-process
or on Dask), checkpoints each chunk, and writes indices, per-run metrics and
figures. The modules underneath are usable alone (see their docstrings).
Exports load lazily (PEP 562), so `regionsoft_sd.sweep.cli` stays cheap to import.
"""

from __future__ import annotations

from regionsoft_sd.common.lazy_exports import lazy_exports

_EXPORTS = {
    "Parameter": "regionsoft_sd.futures.params",
    "Strategy": "regionsoft_sd.sweep.spec",
    "SweepSpec": "regionsoft_sd.sweep.spec",
    "load_spec": "regionsoft_sd.sweep.spec",
    "parse_spec": "regionsoft_sd.sweep.spec",
    "SweepResult": "regionsoft_sd.sweep.pipeline",
    "run_sweep": "regionsoft_sd.sweep.pipeline",
}
__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
