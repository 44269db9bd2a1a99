"""Vectorised batch engine: one NumPy computation over N parameter sets.

PySD's Vensim translator gives the abstract model; `compiler` turns its ASTs into
Python expressions, `codegen` into one generated function per choice of inputs
and records, `engine` integrates chunks of runs, `api` is the public face.

>>> from regionsoft_sd.batch import simulate
>>> res = simulate({"Policy culture share": [0.05, 0.1]}, record=["Dominant Soft Power"])
>>> res.data["Dominant Soft Power"].shape
(51, 2)
"""

from regionsoft_sd.batch.api import simulate, simulate_chunks
from regionsoft_sd.batch.builtins import ModelValueError
from regionsoft_sd.batch.compiler import InvalidModelError, UnsupportedConstructError
from regionsoft_sd.batch.engine import CompiledModel, compile_model
from regionsoft_sd.batch.result import BatchResult

__all__ = [
    "BatchResult",
    "CompiledModel",
    "InvalidModelError",
    "ModelValueError",
    "UnsupportedConstructError",
    "compile_model",
    "simulate",
    "simulate_chunks",
]
