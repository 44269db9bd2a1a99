"""Plain data shared by every experiment that runs the model many times.

`Strategy` (what a run is evaluated under), `Task` (what each chunk computes) and
`ChunkResult` (what it returns) sit here, below the modules that use them
(`chunks`, `dask`, `checkpoint`, `evaluate`, and the sweep), so that none of
those modules needs to import another just for a type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from regionsoft_sd.model.translate import MODEL_PATH

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from regionsoft_sd.scenarios.scenario import Scenario

CustomMetric = Callable[[np.ndarray, Mapping[str, np.ndarray]], np.ndarray]
"""fn(times (T,), data name -> (T, N) array) -> (N,) array: a per-run outcome of your own."""


@dataclass(frozen=True)
class Strategy:
    """A strategy to evaluate every parameter set under: a validated scenario and its file.

    `scenario` None means the model as it is (no overrides).
    """

    name: str
    scenario: Scenario | None = None
    path: Path | None = None


@dataclass(frozen=True)
class Task:
    """What every chunk computes: pure data, so any worker can run any chunk.

    - `metrics`: names from `regionsoft_sd.model.metrics.METRICS`, one column each.
    - `custom`: your own per-run outcomes, name -> fn(times, data); `data` holds
      the `record` variables (and the metrics' variables). The function must be
      importable by name on Dask workers (a module-level function).
    - `record`: variables whose trajectories come back, for the first
      `record_runs` rows of the input (None: every row).
    - `follow`: target constant -> value column. The target gets that column's
      values too, unless the strategy's scenario sets the target itself (a
      sampled `Initial X` carries the status quo `Policy X` along).
    - `check`: report runs with NaN/inf or a negative stock (`fault` column)
      and blank their metrics, so that no table can average them in.
    """

    mdl_path: Path = MODEL_PATH
    strategies: tuple[Strategy, ...] = (Strategy("model"),)
    metrics: tuple[str, ...] = ()
    record: tuple[str, ...] = ()
    record_runs: int | None = None
    follow: Mapping[str, str] = field(default_factory=dict)
    custom: Mapping[str, CustomMetric] = field(default_factory=dict)
    check: bool = True

    def digest(self) -> str:
        """Fingerprint of everything that decides a chunk's result (model file included).

        Custom metrics enter by qualified name: change one's code and you must
        use a new checkpoint folder yourself.
        """
        h = hashlib.sha256(Path(self.mdl_path).read_bytes())
        parts: list[Any] = [
            [
                (s.name, None if s.scenario is None else s.scenario.to_dict())
                for s in self.strategies
            ],
            list(self.metrics),
            list(self.record),
            self.record_runs,
            sorted(self.follow.items()),
            sorted(
                (k, f"{getattr(f, '__module__', '')}.{getattr(f, '__qualname__', f)}")
                for k, f in self.custom.items()
            ),
            self.check,
        ]
        h.update(repr(parts).encode())
        return h.hexdigest()[:16]


FAULT_COLUMNS = ("fault", "fault_time")
"""Columns every metrics frame ends with: what went wrong in a run ("" if nothing)
and the first saved time it showed (NaN if nothing)."""


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk returns.

    `metrics` has columns run, strategy, one per metric and custom metric, then
    `fault` and `fault_time`; rows are ordered by input row and then by strategy
    (in task order). A run with a fault has NaN metrics. `trajectories` (None
    unless the chunk holds recorded runs) has columns run, strategy, variable
    and one per saved time (as text).
    """

    chunk: int
    start: int
    stop: int
    metrics: pd.DataFrame
    trajectories: pd.DataFrame | None = None
