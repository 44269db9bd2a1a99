"""Samples of the uncertain parameters: one code path for every method.

Each method draws points in the unit hypercube [0, 1]^k with SALib (Sobol,
Morris, Latin hypercube) or NumPy (Monte Carlo), seeded, so one spec always
gives the same samples. Then each column goes through the inverse CDF of its
parameter's distribution (`scipy.stats`): uniform, triangular, normal truncated
to [low, high], log-uniform. Working in the unit cube keeps SALib's analysis
independent of the distributions (Morris effects are per unit of probability).

One-at-a-time (the tornado) is a design too: a base row at the model's values,
then each parameter alone at its low and high quantile (`oat_quantiles`).
In the unit design, NaN marks "the parameter's base value".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from regionsoft_sd.sweep.spec import Parameter, SweepSpec


def unit_problem(spec: SweepSpec) -> dict[str, Any]:
    """SALib's `problem` dict over the unit hypercube, one dimension per parameter."""
    k = len(spec.parameters)
    return {"num_vars": k, "names": spec.names, "bounds": [[0.0, 1.0]] * k}


def unit_design(spec: SweepSpec) -> np.ndarray:
    """All runs in [0, 1]^k, shape (spec.n_runs, k); NaN = base value.

    The method's design (spec.n_main rows) comes first, then the tornado's
    one-at-a-time block (spec.n_oat rows).
    """
    x = method_design(spec)
    if spec.n_oat:
        x = np.vstack([x, oat_design(len(spec.parameters), spec.oat_quantiles)])
    assert x.shape == (spec.n_runs, len(spec.parameters)), (x.shape, spec.n_runs)
    return x


def method_design(spec: SweepSpec) -> np.ndarray:
    """The method's own design in [0, 1]^k, shape (spec.n_main, k)."""
    problem = unit_problem(spec)
    k = problem["num_vars"]
    if spec.method == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, spec.n, calc_second_order=spec.second_order, seed=spec.seed)
    elif spec.method == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, spec.n, num_levels=spec.levels, seed=spec.seed)
    elif spec.method == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, spec.n, seed=spec.seed)
    elif spec.method == "montecarlo":
        x = np.random.default_rng(spec.seed).random((spec.n, k))
    elif spec.method == "oat":
        x = oat_design(k, spec.oat_quantiles)
    else:  # pragma: no cover - the spec validated the method
        raise ValueError(spec.method)
    return np.asarray(x, dtype=float)


def oat_design(k: int, quantiles: tuple[float, float]) -> np.ndarray:
    """Base row (all NaN), then parameter i at the low quantile, then at the high one."""
    x = np.full((1 + 2 * k, k), np.nan)
    for i in range(k):
        x[1 + 2 * i, i] = quantiles[0]
        x[2 + 2 * i, i] = quantiles[1]
    return x


def ppf(p: Parameter, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of the parameter's distribution at probabilities `u` (NaN -> default)."""
    from scipy import stats  # imported here: keeps `import regionsoft_sd` light

    u = np.asarray(u, dtype=float)
    q = np.clip(np.nan_to_num(u, nan=0.5), 0.0, 1.0)
    width = p.high - p.low
    if p.distribution == "uniform":
        v = p.low + q * width
    elif p.distribution == "triangular":
        assert p.mode is not None
        v = stats.triang.ppf(q, (p.mode - p.low) / width, loc=p.low, scale=width)
    elif p.distribution == "normal":
        assert p.mean is not None and p.sd is not None
        a, b = (p.low - p.mean) / p.sd, (p.high - p.mean) / p.sd
        v = stats.truncnorm.ppf(q, a, b, loc=p.mean, scale=p.sd)
    elif p.distribution == "loguniform":
        v = np.exp(np.log(p.low) + q * (np.log(p.high) - np.log(p.low)))
    else:  # pragma: no cover - the spec validated the distribution
        raise ValueError(p.distribution)
    v = np.clip(np.asarray(v, dtype=float), p.low, p.high)
    return np.where(np.isnan(u), p.default, v)


def to_values(spec: SweepSpec, unit: np.ndarray) -> pd.DataFrame:
    """Map a unit design to parameter values: one column per parameter, index `run`."""
    cols = {p.name: ppf(p, unit[:, i]) for i, p in enumerate(spec.parameters)}
    df = pd.DataFrame(cols, index=pd.RangeIndex(len(unit), name="run"))
    return df


def sample(spec: SweepSpec) -> pd.DataFrame:
    """The sweep's parameter sets (values), deterministic for a given spec."""
    return to_values(spec, unit_design(spec))


def overrides(spec: SweepSpec, values: pd.DataFrame) -> dict[str, np.ndarray]:
    """Constant overrides for the engine: sampled parameters plus their linked levers.

    Sampling `Initial X` alone would make every strategy that leaves `Policy X`
    at the model's value *change* policy from the sample to that value; so the
    lever follows the sample (the status quo carried forward). Strategies that
    set `Policy X` keep their own value: see `runner.strategy_overrides`.
    """
    out = {c: values[c].to_numpy() for c in values.columns}
    for p in spec.parameters:
        if p.linked:
            out[p.linked] = out[p.name]
    return out
