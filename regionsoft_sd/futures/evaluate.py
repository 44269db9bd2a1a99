"""Runs of strategies and candidates under a fixed set of futures.

A future is one set of values of the uncertain parameters, drawn by
`futures.designs` (`sample`: a Latin hypercube or plain Monte Carlo for
robustness scores and discovery; `saltelli_design` for the Sobol indices of a
difference between strategies), each column through its parameter's inverse
CDF (`designs.ppf`), so a parameter written as in a sweep spec means the same
distribution everywhere.

`Evaluator` runs under a fixed set of futures, always through the shared
chunked runner (`regionsoft_sd.runs.evaluate`, as the sweeps do: in-process,
a local Dask cluster, or a scheduler). It only shapes the work:

- `candidates(levers)`: each candidate (a row of lever values) under each
  future, on top of the base scenario, as one batch: the input rows are the
  futures' uncertain values next to the candidate's levers, so a whole
  population is one call of the runner. Returns (candidates, futures, metrics).
- `strategies(strategies)`: scenarios under each future, (strategies, futures,
  metrics).

With `workers`, one local Dask cluster serves every batch of an optimisation
(not one per generation). A sampled `Initial X` carries `Policy X` along
(`follow`), except where the lever is a decision: the candidate's value stands.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from regionsoft_sd.futures.params import Parameter
from regionsoft_sd.runs.types import Strategy


def follow(parameters: Sequence[Parameter], decided: Sequence[str] = ()) -> dict[str, str]:
    """Levers that follow a sampled `Initial X` (the status quo carried forward).

    A lever that is itself decided (`decided`) does not follow: the decision stands.
    """
    return {p.linked: p.name for p in parameters if p.linked and p.linked not in decided}


class Evaluator:
    """Runs lever tables and strategies under a fixed set of futures (a context manager)."""

    def __init__(
        self,
        metrics: Sequence[str],
        base: Strategy,
        futures: pd.DataFrame | None,
        parameters: Sequence[Parameter] = (),
        *,
        decided: Sequence[str] = (),
        chunk_size: int = 4096,
        workers: int | None = None,
        scheduler: str | None = None,
        progress: bool = False,
    ) -> None:
        self.progress = progress
        self.metrics = list(metrics)
        self.base = base
        self.futures = futures if futures is not None else pd.DataFrame(index=range(1))
        self.parameters = tuple(parameters)
        self.decided = tuple(decided)
        self.chunk_size = chunk_size
        self.workers = workers
        self.scheduler = scheduler
        self._runs = [0]  # shared with the evaluators `under` makes
        self._stack = contextlib.ExitStack()

    @property
    def n_futures(self) -> int:
        return len(self.futures)

    @property
    def total_runs(self) -> int:
        """Model runs made by this evaluator and every one made by `under`."""
        return self._runs[0]

    def under(self, futures: pd.DataFrame) -> Evaluator:
        """The same evaluator (metrics, base, Dask cluster) under other futures."""
        ev = Evaluator(
            self.metrics,
            self.base,
            futures,
            self.parameters,
            decided=self.decided,
            chunk_size=self.chunk_size,
            scheduler=self.scheduler,
            progress=self.progress,
        )
        ev._runs = self._runs
        return ev

    def __enter__(self) -> Evaluator:
        if self.workers is not None:
            from regionsoft_sd.runs.dask import connect

            client, cluster = connect(self.workers, None)
            self._stack.callback(client.close)
            if cluster is not None:
                self._stack.callback(cluster.close)
            self.scheduler, self.workers = client.scheduler.address, None
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _run(
        self, values: pd.DataFrame, strategies: Sequence[Strategy], follows: dict[str, str]
    ) -> np.ndarray:
        """Metrics (rows of `values`, strategies, metrics) from the shared runner."""
        from regionsoft_sd.runs import evaluate

        df = evaluate(
            values,
            strategies,
            self.metrics,
            chunk_size=self.chunk_size,
            scheduler=self.scheduler,
            follow=follows,
            progress=self.progress,
        )
        self._runs[0] += len(df)
        # rows come ordered by input row, then strategy (the runner's contract)
        out = df[self.metrics].to_numpy(dtype=float)
        return out.reshape(len(values), len(strategies), len(self.metrics))

    def candidates(self, levers: pd.DataFrame) -> np.ndarray:
        """Metric cube (candidates, futures, metrics) of lever tables on the base scenario."""
        n_c, n_f = len(levers), self.n_futures
        fut = self.futures.reset_index(drop=True)
        values = pd.DataFrame({c: np.tile(fut[c].to_numpy(dtype=float), n_c) for c in fut.columns})
        for c in levers.columns:
            values[c] = np.repeat(levers[c].to_numpy(dtype=float), n_f)
        values.index = pd.RangeIndex(n_c * n_f, name="run")
        out = self._run(values, [self.base], follow(self.parameters, self.decided))
        return out[:, 0, :].reshape(n_c, n_f, len(self.metrics))

    def strategies(self, strategies: Sequence[Strategy]) -> np.ndarray:
        """Metric cube (strategies, futures, metrics) of whole scenarios."""
        values = self.futures.reset_index(drop=True).astype(float)
        values.index = pd.RangeIndex(len(values), name="run")
        out = self._run(values, strategies, follow(self.parameters))
        return out.transpose(1, 0, 2)
