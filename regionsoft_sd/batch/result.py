"""Results of a batch: one (times, N) array per recorded variable."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class BatchResult:
    """Recorded trajectories of N runs.

    `data[name][i, j]` is the value of `name` at `times[i]` in run `run_offset + j`.
    `units` gives each recorded variable's Vensim units.
    """

    times: np.ndarray
    data: dict[str, np.ndarray]
    units: dict[str, str] = field(default_factory=dict)
    run_offset: int = 0

    @property
    def n_runs(self) -> int:
        """Number of runs held."""
        return next(iter(self.data.values())).shape[1] if self.data else 0

    def to_frame(self) -> pd.DataFrame:
        """Long table with columns run, time, variable, value (one row per value)."""
        n_t, n = len(self.times), self.n_runs
        runs = np.arange(self.run_offset, self.run_offset + n)
        frames = [
            pd.DataFrame(
                {
                    "run": np.tile(runs, n_t),
                    "time": np.repeat(self.times, n),
                    "variable": pd.Categorical([name] * (n_t * n), categories=list(self.data)),
                    "value": values.reshape(-1),
                }
            )
            for name, values in self.data.items()
        ]
        if not frames:
            return pd.DataFrame(columns=["run", "time", "variable", "value"])
        return pd.concat(frames, ignore_index=True)
