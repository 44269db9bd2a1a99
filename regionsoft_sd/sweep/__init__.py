"""Sensitivity sweeps and strategy robustness: spec -> samples -> chunked runs -> analysis.

`run_sweep(spec_path, out_dir)` is the entry point: it validates the spec,
samples with SALib, runs the samples in chunks on the batch engine (in-process
or on Dask), checkpoints each chunk, and writes indices, per-run metrics and
figures. The modules underneath are usable alone (see their docstrings).
"""

from regionsoft_sd.sweep.pipeline import SweepResult, run_sweep
from regionsoft_sd.sweep.spec import Parameter, Strategy, SweepSpec, load_spec, parse_spec

__all__ = [
    "Parameter",
    "Strategy",
    "SweepResult",
    "SweepSpec",
    "load_spec",
    "parse_spec",
    "run_sweep",
]
