"""Parameter sets in, weighted residuals out: every population is one batch of the runner.

`Problem` holds what a fit compares: the observations of each fitted series in the
fit window, their error scales and transforms, and the region as a scenario (its
data constants and the spec's fixed ones). `residuals(X)` runs the N parameter
sets of X (N x p) through the shared runner (`regionsoft_sd.runs.stream`, with the
fitted series recorded) and returns an N x m matrix of weighted residuals

    r = (T(model) - T(observed)) / sigma,   T = log or identity,

NaN in the rows of runs that failed (the runner's fault check) or gave a
non-positive value to a log. Least squares minimises half the sum of squares.
Parameters travel in unit coordinates u in [0, 1]^p (x = low + u (high - low)) so
that every step and finite difference has the same meaning for every parameter.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionsoft_sd.calibrate.spec import CalibrationSpec, Target
from regionsoft_sd.runs import Strategy, Task, stream
from regionsoft_sd.scenarios.scenario import Scenario

MAX_CHUNK = 2048
"""Most runs per chunk in-process: large arrays amortise NumPy's per-call cost."""
MIN_CHUNK = 16


@dataclass(frozen=True)
class Block:
    """The observations of one fitted series: years, values, and where they sit in r."""

    target: Target
    years: np.ndarray
    observed: np.ndarray
    start: int
    stop: int


@dataclass
class Simulation:
    """Recorded trajectories of a batch: times (T,), data var -> (N, T), fault text (N,)."""

    times: np.ndarray
    data: dict[str, np.ndarray]
    fault: np.ndarray

    def at(self, variable: str, years: np.ndarray) -> np.ndarray:
        """Values of `variable` at `years` (N x len(years))."""
        idx = np.searchsorted(self.times, np.asarray(years, dtype=float))
        return self.data[variable][:, idx]


def blocks_for(
    spec: CalibrationSpec, wide: pd.DataFrame, start: int, end: int
) -> tuple[Block, ...]:
    """The observations each target fits within [start, end] (years that have a value)."""
    out: list[Block] = []
    k = 0
    for t in spec.targets:
        col = wide[t.data].loc[start:end].dropna() if t.data in wide.columns else pd.Series()
        years = col.index.to_numpy(dtype=int)
        out.append(Block(t, years, col.to_numpy(dtype=float), k, k + len(years)))
        k += len(years)
    return tuple(out)


def transform(values: np.ndarray, how: str) -> np.ndarray:
    """log (non-positive values become NaN) or identity."""
    if how == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)
    return values


class Problem:
    """The residuals of one calibration, batch by batch (a context manager for Dask)."""

    def __init__(
        self,
        spec: CalibrationSpec,
        wide: pd.DataFrame,
        base: Scenario,
        *,
        start: int | None = None,
        end: int | None = None,
        workers: int | None = None,
        scheduler: str | None = None,
    ) -> None:
        self.spec = spec
        self.names = spec.names
        self.low = np.array([p.low for p in spec.parameters])
        self.high = np.array([p.high for p in spec.parameters])
        self.start = spec.start if start is None else start
        self.end = spec.end if end is None else end
        self.blocks = blocks_for(spec, wide, self.start, self.end)
        self.wide = wide
        self.base = base
        self.variables = tuple(dict.fromkeys(t.variable for t in spec.targets))
        self.workers = workers
        self.scheduler = scheduler
        self.runs = 0
        self.batches = 0
        self._stack = contextlib.ExitStack()
        self._y = np.concatenate(
            [transform(b.observed, b.target.transform) / b.target.sigma for b in self.blocks]
        )

    # -- context: one local Dask cluster for every batch ----------------------------------
    def __enter__(self) -> Problem:
        if self.workers is not None:
            from regionsoft_sd.runs.dask import connect

            client, cluster = connect(self.workers, None)
            self._stack.callback(client.close)
            if cluster is not None:
                self._stack.callback(cluster.close)
            self.n_workers = self.workers
            self.scheduler, self.workers = client.scheduler.address, None
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def sub(self, start: int, end: int, base: Scenario | None = None) -> Problem:
        """The same problem over another window, optionally from another region scenario.

        It shares the runner's cluster. The data after `end` are dropped, so nothing
        it runs or compares can read them.
        """
        wide = self.wide.loc[self.wide.index <= end]
        p = Problem(
            self.spec,
            wide,
            self.base if base is None else base,
            start=start,
            end=end,
            scheduler=self.scheduler,
        )
        p.n_workers = getattr(self, "n_workers", None)
        return p

    # -- coordinates ------------------------------------------------------------------------
    @property
    def n_params(self) -> int:
        return len(self.names)

    @property
    def n_obs(self) -> int:
        """m: the number of fitted observations."""
        return len(self._y)

    def to_x(self, u: np.ndarray) -> np.ndarray:
        """Unit coordinates -> parameter values (any leading shape)."""
        return self.low + np.asarray(u, dtype=float) * (self.high - self.low)

    def to_u(self, x: np.ndarray) -> np.ndarray:
        """Parameter values -> unit coordinates."""
        return (np.asarray(x, dtype=float) - self.low) / (self.high - self.low)

    def default_u(self) -> np.ndarray:
        """The `.mdl`'s own values, in unit coordinates (clipped into the bounds)."""
        return np.clip(self.to_u([p.default for p in self.spec.parameters]), 0.0, 1.0)

    # -- runs ---------------------------------------------------------------------------------
    def _chunk_size(self, n: int) -> int:
        workers = getattr(self, "n_workers", None)
        if self.scheduler is not None and workers:
            return max(MIN_CHUNK, math.ceil(n / workers))
        return max(1, min(MAX_CHUNK, n))

    def simulate(self, X: np.ndarray, variables: tuple[str, ...] | None = None) -> Simulation:
        """Run the parameter sets X (N x p, model units) as one batch; record `variables`."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        record = tuple(variables) if variables is not None else self.variables
        values = pd.DataFrame(X, columns=self.names, index=pd.RangeIndex(len(X)))
        task = Task(
            strategies=(Strategy(self.base.name, self.base),),
            record=record,
            record_runs=None,
            follow=self.spec.follow,
            check=True,
        )
        n = len(X)
        data: dict[str, np.ndarray] = {}
        fault = np.full(n, "", dtype=object)
        times: np.ndarray | None = None
        for res in stream(
            values,
            task,
            chunk_size=self._chunk_size(n),
            scheduler=self.scheduler,
            progress=False,
        ):
            m = res.metrics
            fault[m["run"].to_numpy(dtype=int)] = m["fault"].to_numpy()
            traj = res.trajectories
            if traj is None:
                continue
            cols = [c for c in traj.columns if c not in ("run", "strategy", "variable")]
            if times is None:
                times = np.array([float(c) for c in cols])
            for var in record:
                sub = traj[traj["variable"] == var]
                arr = data.setdefault(var, np.full((n, len(cols)), np.nan))
                arr[sub["run"].to_numpy(dtype=int)] = sub[cols].to_numpy(dtype=float)
        self.runs += n
        self.batches += 1
        assert times is not None
        return Simulation(times, data, fault)

    def residuals_of(self, sim: Simulation) -> np.ndarray:
        """Weighted residuals (N x m) of a simulation; NaN rows for failed runs."""
        parts = []
        for b in self.blocks:
            model = transform(sim.at(b.target.variable, b.years), b.target.transform)
            parts.append(model / b.target.sigma)
        r = np.concatenate(parts, axis=1) - self._y[None, :]
        bad = (sim.fault != "") | ~np.isfinite(r).all(axis=1)
        r[bad] = np.nan
        return r

    def residuals(self, X: np.ndarray) -> np.ndarray:
        """Weighted residuals of the parameter sets X (N x p, model units); N x m."""
        return self.residuals_of(self.simulate(X))

    def residuals_u(self, U: np.ndarray) -> np.ndarray:
        """`residuals` of unit coordinates."""
        return self.residuals(self.to_x(U))

    @staticmethod
    def cost(r: np.ndarray) -> np.ndarray:
        """Half the sum of squares per row (inf for failed runs), as least_squares reports it."""
        c = 0.5 * np.sum(r * r, axis=-1)
        return np.where(np.isfinite(c), c, np.inf)
