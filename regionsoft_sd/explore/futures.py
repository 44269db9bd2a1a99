"""The explorer's numbers: a fixed sample of futures, and one batch run per change.

`Futures` is a fixed, seeded sample of the uncertain parameters of a sweep spec
(by default the shipped `strategy_robustness` spec's 16 parameters, 200 futures),
drawn with the sweep's own samplers (`futures.designs.sample`, a Latin hypercube).
By default (`source="history"`) each future is instead one member of the
history-conditioned ensemble (`futures.ensemble`): a parameter set that agrees
with the shipped region's 2005-2022 data, all of its parameters together; the
spec's parameters the ensemble lacks are sampled as before. `source="declared"`
samples the declared ranges alone. The sample never changes while the explorer
runs, so the same settings always give the same picture.

`picture(scenario, futures)` runs the scenario once with the model's own values
of those parameters (the central run) and once in every future, all in one call
of the batch engine, and returns what the page draws: the central trajectories,
the 5, 25, 50, 75 and 95 % quantiles of each variable per year across the
futures, and the outcome metrics of every run. A parameter the region sets
itself (a calibrated value) is not sampled: the region's value stands in every
future.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.explore import DEFAULT_FUTURES, DEFAULT_SPEC
from regionsoft_sd.futures.designs import sample
from regionsoft_sd.futures.ensemble import check_source, history_values, load_ensemble
from regionsoft_sd.futures.evaluate import follow
from regionsoft_sd.futures.params import Parameter
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import REQUIRED_VARIABLES, compute_metrics
from regionsoft_sd.scenarios.scenario import Scenario

MAX_FUTURES = 20_000
"""Larger samples would no longer redraw in well under a second."""
QUANTILES = (5, 25, 50, 75, 95)
"""Percentiles of the fan: the 5-95 % and 25-75 % bands and the median."""
METHOD = "lhs"
"""A Latin hypercube covers each parameter's range evenly even with few futures."""


@dataclass(frozen=True)
class Futures:
    """A fixed sample of the uncertain parameters: one row per future."""

    parameters: tuple[Parameter, ...]
    values: pd.DataFrame
    spec_name: str
    seed: int
    variables: tuple[str, ...]
    source: str = "declared"
    """"history" (members of the history-conditioned ensemble) or "declared" (the ranges)."""

    @property
    def n(self) -> int:
        """Number of futures."""
        return len(self.values)


def load_futures(
    spec: str | Path = DEFAULT_SPEC,
    n: int = DEFAULT_FUTURES,
    seed: int | None = None,
    source: str = "history",
) -> Futures:
    """`n` futures of a sweep spec's uncertain parameters (its seed unless `seed` is given).

    `spec` is a spec file or the name of a shipped one. The variables the fan draws
    are the spec's fan variables. `source` is "history" (the default: members of
    the verified history-conditioned ensemble, plus the spec's parameters it lacks)
    or "declared" (the spec's ranges alone).
    """
    from regionsoft_sd.common.errors import InputError
    from regionsoft_sd.common.resources import spec_file
    from regionsoft_sd.sweep.spec import load_spec

    if isinstance(n, bool) or not 1 <= int(n) <= MAX_FUTURES:
        raise InputError(
            None, "--futures", f"{n!r} futures", f"use a whole number from 1 to {MAX_FUTURES:,}"
        )
    sp = load_spec(spec_file(spec))
    if not sp.parameters:
        raise InputError(sp.source, "parameters", "no uncertain parameters", "name at least one")
    s = sp.seed if seed is None else int(seed)
    check_source(source, None, "source")
    if source == "declared":
        values = sample(sp.parameters, int(n), METHOD, s)
        return Futures(sp.parameters, values, sp.name, s, tuple(sp.fan_variables), source)
    ens = load_ensemble()
    values = history_values(ens, sp.parameters, int(n), s, METHOD)
    cat = catalogue()
    own = {p.name for p in sp.parameters}
    extra = tuple(
        Parameter(name, dist, low, high, float(cat[name].default or (low + high) / 2))
        for name, (low, high, dist) in ens.meta["bounds"].items()
        if name not in own
    )
    return Futures((*sp.parameters, *extra), values, sp.name, s, tuple(sp.fan_variables), source)


@dataclass
class Picture:
    """What the page draws for one scenario.

    `central[var]` is the run with the model's (or region's) own parameter values,
    shape (T,); `bands[var]` has one row per percentile of QUANTILES, shape (Q, T);
    `metrics` holds each outcome metric's value in the central run (float) and
    `fan_metrics` its value in each future, shape (N,). `failed` counts futures whose
    run produced NaN or infinite values (left out of the quantiles); `seconds` is the
    time the runs and the statistics took.
    """

    name: str
    times: np.ndarray
    central: dict[str, np.ndarray]
    bands: dict[str, np.ndarray]
    metrics: dict[str, float]
    fan_metrics: dict[str, np.ndarray]
    failed: int
    seconds: float


def sampled(futures: Futures, s: Scenario) -> list[Parameter]:
    """The futures' parameters that the scenario does not fix itself."""
    fixed = set(s.constants) | set(s.series)
    return [p for p in futures.parameters if p.name not in fixed]


def run_values(futures: Futures, s: Scenario, decided: Sequence[str] = ()) -> pd.DataFrame:
    """Rows of parameter values: row 0 the central run, then one row per future.

    The central row holds each parameter's value in the scenario, else the model's.
    A parameter the scenario fixes is not varied. A sampled `Initial X` carries its
    lever along unless the lever is decided (`futures.evaluate.follow`).
    """
    cat = catalogue()
    params = sampled(futures, s)
    cols = {}
    for p in params:
        centre = s.constants.get(p.name, cat[p.name].default)
        cols[p.name] = np.concatenate([[float(centre)], futures.values[p.name].to_numpy(float)])
    values = pd.DataFrame(cols, index=pd.RangeIndex(futures.n + 1, name="run"))
    for target, column in follow(params, decided).items():
        values[target] = values[column]
    return values


def record_variables(futures: Futures, extra: Sequence[str] = ()) -> list[str]:
    """What one explorer run records: the fan variables, what the metrics need, `extra`."""
    return list(dict.fromkeys([*futures.variables, *extra, *REQUIRED_VARIABLES]))


def picture(
    s: Scenario,
    futures: Futures | None,
    *,
    decided: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> Picture:
    """Run the scenario centrally and in every future (one batch); summarise for the page.

    With `futures` None only the central run is made (N = 1). `decided` names the
    levers the user set (they do not follow a sampled `Initial X`).
    """
    from regionsoft_sd.batch import simulate

    t0 = time.perf_counter()
    cat = catalogue()
    values = run_values(futures, s, decided) if futures is not None else None
    if values is not None and values.shape[1] == 0:
        values = None  # the scenario fixes every uncertain parameter
    record = (
        record_variables(futures, extra) if futures else list(dict.fromkeys(REQUIRED_VARIABLES))
    )
    res = simulate(values, base=s, record=record)
    data = res.data
    central = {v: data[v][:, 0].copy() for v in record}
    metrics = _metrics(res.times, {v: data[v][:, :1] for v in REQUIRED_VARIABLES}, cat)
    one = {k: float(v[0]) for k, v in metrics.items()}
    if res.n_runs > 1:
        fan = {v: data[v][:, 1:] for v in record}
        ok = np.all([np.isfinite(a).all(axis=0) for a in fan.values()], axis=0)
        bands = {v: np.percentile(a[:, ok], QUANTILES, axis=1) for v, a in fan.items()}
        fan_metrics = _metrics(res.times, {v: fan[v] for v in REQUIRED_VARIABLES}, cat)
        failed = int((~ok).sum())
    else:
        bands = {v: np.repeat(central[v][None, :], len(QUANTILES), axis=0) for v in record}
        fan_metrics = {k: np.asarray([v]) for k, v in one.items()}
        failed = 0
    return Picture(
        s.name,
        res.times,
        central,
        bands,
        one,
        fan_metrics,
        failed,
        time.perf_counter() - t0,
    )


def _metrics(times: np.ndarray, series: dict[str, np.ndarray], cat) -> dict[str, np.ndarray]:
    with np.errstate(all="ignore"):
        out = compute_metrics(times, series, start=cat.policy_start)
    return {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in out.items()}


def with_n(futures: Futures, n: int) -> Futures:
    """The first `n` futures (benchmarks compare N = 1 with N = 200 of one sample)."""
    return dataclasses.replace(futures, values=futures.values.iloc[:n])
