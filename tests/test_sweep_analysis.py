"""Sampling and analysis on functions with known answers (no model runs)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from regionsoft_sd.futures.analysis import (
    NO_WINNER,
    best_strategy,
    morris_indices,
    outcome_summary,
    sobol_indices,
    tornado,
    win_share,
)
from regionsoft_sd.futures.designs import unit_problem
from regionsoft_sd.futures.params import ppf
from regionsoft_sd.sweep.samples import spec_sample, spec_unit_design
from regionsoft_sd.sweep.spec import Parameter, SweepSpec

A, B = 7.0, 0.1
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def _spec(method: str, n: int, k: int = 3, low: float = -math.pi, high: float = math.pi):
    params = tuple(Parameter(f"x{i + 1}", "uniform", low, high, 0.0) for i in range(k))
    return SweepSpec("t", "", method, n, 12345, params, ("m",), (), tornado=False)


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_matches_ishigami_within_ci():
    spec = _spec("sobol", 2048)
    values = spec_sample(spec).to_numpy()
    first, second = sobol_indices(unit_problem(spec.names), ishigami(values), seed=spec.seed)
    for i, name in enumerate(spec.names):
        row = first.loc[name]
        assert abs(row.S1 - ISHIGAMI_S1[i]) <= row.S1_conf, (name, row.S1, row.S1_conf)
        assert abs(row.ST - ISHIGAMI_ST[i]) <= row.ST_conf, (name, row.ST, row.ST_conf)
    # the only interaction is x1 * x3: S2 = ST1 - S1_1 = 0.2437
    s13 = second.set_index(["parameter_1", "parameter_2"]).loc[("x1", "x3")]
    assert abs(s13.S2 - 0.2437) <= 2 * s13.S2_conf


def test_sampling_is_deterministic_and_in_range():
    spec = _spec("lhs", 50)
    a, b = spec_sample(spec), spec_sample(spec)
    assert a.equals(b)
    assert ((a >= -math.pi) & (a <= math.pi)).all().all()
    assert len(spec_unit_design(_spec("sobol", 8))) == 8 * (2 * 3 + 2)
    assert len(spec_unit_design(_spec("morris", 5))) == 5 * 4
    assert len(spec_unit_design(_spec("oat", 1))) == 7


@pytest.mark.parametrize(
    "p, mean",
    [
        (Parameter("u", "uniform", 1.0, 3.0, 2.0), 2.0),
        (Parameter("t", "triangular", 0.0, 3.0, 1.0, mode=0.0), 1.0),
        (Parameter("n", "normal", 0.0, 10.0, 5.0, mean=5.0, sd=1.0), 5.0),
        (Parameter("l", "loguniform", 1.0, math.e, 1.0), math.e - 1.0),
    ],
)
def test_inverse_cdfs(p, mean):
    u = (np.arange(20000) + 0.5) / 20000
    v = ppf(p, u)
    assert v.min() >= p.low and v.max() <= p.high
    assert np.all(np.diff(v) >= 0)
    assert v.mean() == pytest.approx(mean, rel=1e-3)
    assert ppf(p, np.array([np.nan]))[0] == p.default


def test_truncated_normal_stays_in_range():
    p = Parameter("n", "normal", 0.0, 1.0, 0.9, mean=0.9, sd=0.5)
    v = ppf(p, np.array([0.0, 0.5, 1.0]))
    assert v[0] == 0.0 and v[2] == 1.0 and 0.0 < v[1] < 1.0


def test_known_answer_outcome_depends_on_one_parameter():
    spec = _spec("sobol", 512, k=4, low=0.0, high=1.0)
    x = spec_sample(spec).to_numpy()
    first, _ = sobol_indices(unit_problem(spec.names), 3.0 * x[:, 2] ** 2, seed=1)
    assert first.ST.idxmax() == "x3"
    assert first.loc["x3", "S1"] == pytest.approx(1.0, abs=first.loc["x3", "S1_conf"] + 0.02)
    assert (first.drop("x3").ST.abs() < 0.02).all()

    mspec = _spec("morris", 20, k=4, low=0.0, high=1.0)
    unit = spec_unit_design(mspec)
    xm = spec_sample(mspec).to_numpy()
    mi = morris_indices(unit_problem(mspec.names), unit, 3.0 * xm[:, 2] ** 2, seed=1)
    assert mi.mu_star.idxmax() == "x3"
    assert (mi.drop("x3").mu_star == 0).all()


def test_tornado_and_win_share():
    spec = _spec("oat", 1, k=2, low=0.0, high=1.0)
    x = spec_sample(spec).to_numpy()
    y = 1.0 + 5.0 * x[:, 1] + 0.1 * x[:, 0]
    t = tornado(spec.names, x, y)
    assert list(t.index) == ["x2", "x1"]
    assert t.loc["x2", "swing"] == pytest.approx(5.0 * 0.9)

    outcomes = {"a": np.array([1.0, 3.0, np.nan]), "b": np.array([2.0, 3.0, np.nan])}
    assert list(best_strategy(outcomes, "higher")) == ["b", "a", NO_WINNER]
    assert list(best_strategy(outcomes, "lower")) == ["a", "a", NO_WINNER]
    ws = win_share({"m": outcomes}, {"m": "higher"})
    assert ws.loc["m"].to_dict() == pytest.approx({"a": 1 / 3, "b": 1 / 3, NO_WINNER: 1 / 3})
    summary = outcome_summary(outcomes)
    assert summary.loc["a", "nan_share"] == pytest.approx(1 / 3)
