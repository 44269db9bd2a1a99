"""The one chunked runner every experiment shares: sweep, optimise, calibrate, discover.

>>> import pandas as pd
>>> from regionsoft_sd.runs import evaluate
>>> values = pd.DataFrame({"Capital depreciation rate": [0.04, 0.06]})
>>> df = evaluate(values, metrics=["gdp_end"], progress=False)
>>> list(df.columns)
['run', 'strategy', 'gdp_end', 'fault', 'fault_time']

`evaluate` returns per-run metrics; `stream` yields `ChunkResult`s as chunks
finish (trajectories included); `Checkpoints` keeps verified checkpoints for
resuming. Modules: `types` (shared records), `chunks` (one pure chunk),
`dask` (chunks on a Dask cluster), `checkpoint`, `evaluate`.
"""

from regionsoft_sd.runs.checkpoint import CHUNK_DIR, Checkpoints
from regionsoft_sd.runs.chunks import plan, run_chunk
from regionsoft_sd.runs.evaluate import (
    DEFAULT_CHUNK_SIZE,
    FrameRows,
    RowSource,
    check_options,
    evaluate,
    max_workers,
    stream,
)
from regionsoft_sd.runs.types import ChunkResult, Strategy, Task

__all__ = [
    "CHUNK_DIR",
    "DEFAULT_CHUNK_SIZE",
    "ChunkResult",
    "Checkpoints",
    "FrameRows",
    "RowSource",
    "Strategy",
    "Task",
    "check_options",
    "evaluate",
    "max_workers",
    "plan",
    "run_chunk",
    "stream",
]
