"""The sweep's parameter sets: its spec's design, drawn by the shared samplers.

`futures.designs` makes every design from plain arguments; this module only
reads them off a `SweepSpec` (method, n, seed, levels, tornado ...), so a sweep
and a discovery with the same method and seed draw the same futures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionsoft_sd.futures.designs import Design, to_values
from regionsoft_sd.futures.ensemble import history_values, load_ensemble
from regionsoft_sd.sweep.spec import SweepSpec


def spec_design(spec: SweepSpec) -> Design:
    """The spec's unit design: the method's rows, then the tornado's one-at-a-time block."""
    return Design(
        len(spec.parameters),
        spec.method,
        spec.n,
        spec.seed,
        second_order=spec.second_order,
        levels=spec.levels,
        oat_quantiles=spec.oat_quantiles,
        tornado=spec.tornado,
    )


class SampleRows:
    """The sweep's parameter sets as a `runs.RowSource`: rows made per chunk, never all at once.

    With `futures = "history"` the rows are members of the verified history-
    conditioned ensemble (plus the spec's parameters it lacks), made once: one
    row per run, its columns every ensemble parameter no strategy sets.
    """

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec
        self.design = spec_design(spec)
        self.columns = spec.names
        self._history: pd.DataFrame | None = None
        if spec.futures == "history":
            scenarios = [s.scenario for s in spec.strategies if s.scenario is not None]
            fixed = sorted({k for sc in scenarios for k in sc.constants})
            self._history = history_values(
                load_ensemble(), spec.parameters, spec.n_runs, spec.seed, spec.method, fixed=fixed
            )
            self.columns = list(self._history.columns)

    def __len__(self) -> int:
        return self.spec.n_runs

    def rows(self, start: int, stop: int) -> pd.DataFrame:
        if self._history is not None:
            return self._history.iloc[start:stop]
        return to_values(self.spec.parameters, self.design.unit(start, stop), start)


def spec_unit_design(spec: SweepSpec) -> np.ndarray:
    """All of the spec's runs in [0, 1]^k, shape (spec.n_runs, k); NaN = base value."""
    return spec_design(spec).unit(0, spec.n_runs)


def spec_sample(spec: SweepSpec) -> pd.DataFrame:
    """All of the sweep's parameter sets (small sweeps and tests; a sweep streams them)."""
    return SampleRows(spec).rows(0, spec.n_runs)
