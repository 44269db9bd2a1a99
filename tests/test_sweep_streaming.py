"""Samples made block by block and analyses fed chunk by chunk: same answers, bounded memory.

The references are independent: SALib's own samplers and estimators, NumPy's
quantile, the defining properties of a Latin hypercube and of Morris
trajectories, and the Ishigami function's analytic indices.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.futures.designs import morris_delta, permute, unit_problem
from regionsoft_sd.futures.params import Parameter
from regionsoft_sd.sweep.samples import SampleRows, spec_design, spec_sample, spec_unit_design
from regionsoft_sd.sweep.spec import SweepSpec
from regionsoft_sd.sweep.streaming import MorrisStream, SobolStream, exact_quantiles

ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def _spec(method: str, n: int, k: int = 3, tornado: bool = False, **kw) -> SweepSpec:
    params = tuple(Parameter(f"x{i + 1}", "uniform", -math.pi, math.pi, 0.0) for i in range(k))
    return SweepSpec("t", "", method, n, 12345, params, ("m",), (), tornado=tornado, **kw)


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


BLOCKS = [(0, 1), (0, 7), (3, 40), (39, 41), (77, 100)]


@pytest.mark.parametrize("method", ["sobol", "morris", "lhs", "montecarlo", "oat"])
def test_any_block_of_the_design_equals_the_same_rows_of_the_whole(method):
    spec = _spec(method, 16 if method == "sobol" else 25, tornado=True)
    design = spec_design(spec)
    whole = design.unit(0, spec.n_runs)
    assert whole.shape == (spec.n_runs, 3)
    for a, b in BLOCKS:
        a, b = min(a, spec.n_runs - 1), min(b, spec.n_runs)
        np.testing.assert_array_equal(design.unit(a, b), whole[a:b])


@pytest.mark.parametrize("second_order", [True, False])
def test_sobol_design_is_salibs_row_for_row(second_order):
    from SALib.sample import sobol

    spec = _spec("sobol", 32, k=4, second_order=second_order)
    ref = sobol.sample(unit_problem(spec.names), 32, calc_second_order=second_order, seed=spec.seed)
    np.testing.assert_array_equal(spec_unit_design(spec), ref)


@pytest.mark.parametrize("k, levels", [(3, 4), (6, 6)])
def test_morris_design_is_salibs_row_for_row(k, levels):
    from SALib.sample import morris

    spec = _spec("morris", 30, k=k, levels=levels)
    ref = morris.sample(unit_problem(spec.names), 30, num_levels=levels, seed=spec.seed)
    np.testing.assert_array_equal(spec_unit_design(spec), ref)
    design = spec_design(spec)  # blocks out of order: the cursor restarts, same numbers
    np.testing.assert_array_equal(design.unit(50, 90), ref[50:90])
    np.testing.assert_array_equal(design.unit(3, 9), ref[3:9])


def test_montecarlo_design_is_one_numpy_draw():
    spec = _spec("montecarlo", 50)
    expected = np.random.default_rng(spec.seed).random((50, 3))
    np.testing.assert_array_equal(spec_unit_design(spec), expected)


def test_latin_hypercube_hits_every_stratum_once_in_every_column():
    n = 1000
    x = spec_unit_design(_spec("lhs", n, k=5))
    for j in range(5):
        assert sorted(np.floor(x[:, j] * n).astype(int)) == list(range(n))
    assert abs(np.corrcoef(x.T)[np.triu_indices(5, 1)]).max() < 0.1  # columns independent


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1024, 1025])
def test_permutation_is_a_bijection(n):
    keys = np.arange(1, 7, dtype=np.uint64)
    assert sorted(permute(np.arange(n, dtype=np.uint64), n, keys)) == list(range(n))


def test_morris_trajectories_move_one_parameter_a_step_at_a_time():
    spec = _spec("morris", 40, k=4, levels=6)
    x = spec_unit_design(spec).reshape(40, 5, 4)
    step = np.diff(x, axis=1)
    moved = np.abs(step) > 1e-12
    assert (moved.sum(axis=2) == 1).all()  # one parameter per step
    assert (moved.sum(axis=1) == 1).all()  # each parameter once per trajectory
    np.testing.assert_allclose(np.abs(step[moved]), morris_delta(6))
    levels = np.round(x * 5) / 5  # a 6-level grid: 0, 0.2, ..., 1
    np.testing.assert_allclose(x, levels, atol=1e-12)


def _feed_in_pieces(stream, y, sizes, x=None):
    a = 0
    i = 0
    while a < len(y):
        b = min(len(y), a + sizes[i % len(sizes)])
        if x is None:
            stream.feed(y[a:b])
        else:
            stream.feed(y[a:b], x[a:b])
        a, i = b, i + 1


def test_streamed_sobol_equals_salib_and_recovers_ishigami():
    from SALib.analyze import sobol

    spec = _spec("sobol", 1024)
    y = ishigami(spec_sample(spec).to_numpy())
    ref = sobol.analyze(unit_problem(spec.names), y, calc_second_order=True, seed=1)
    st = SobolStream(spec.names, second_order=True, seed=1)
    _feed_in_pieces(st, y, [777, 5, 1300])
    first, second = st.result()
    np.testing.assert_allclose(first.S1, ref["S1"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(first.ST, ref["ST"], rtol=1e-9, atol=1e-12)
    iu = np.triu_indices(3, 1)
    np.testing.assert_allclose(second.S2, ref["S2"][iu], rtol=1e-9, atol=1e-12)
    # the Poisson bootstrap estimates the same spread as SALib's resampling
    for col in ("S1_conf", "ST_conf"):
        ratio = first[col].to_numpy() / ref[col]
        assert ((ratio > 0.6) & (ratio < 1.6)).all(), (col, ratio)
    for i in range(3):
        assert abs(first.S1.iloc[i] - ISHIGAMI_S1[i]) <= first.S1_conf.iloc[i]
        assert abs(first.ST.iloc[i] - ISHIGAMI_ST[i]) <= first.ST_conf.iloc[i]


def test_streamed_sobol_does_not_depend_on_how_it_is_fed():
    spec = _spec("sobol", 64)
    y = ishigami(spec_sample(spec).to_numpy())
    a, b = (
        SobolStream(spec.names, second_order=True, seed=3),
        SobolStream(spec.names, second_order=True, seed=3),
    )
    _feed_in_pieces(a, y, [len(y)])
    _feed_in_pieces(b, y, [3, 11])
    pd.testing.assert_frame_equal(a.result()[0], b.result()[0], rtol=1e-12)


def test_streamed_morris_equals_salib():
    from SALib.analyze import morris

    spec = _spec("morris", 300, levels=4)
    x = spec_unit_design(spec)
    y = ishigami(spec_sample(spec).to_numpy())
    ref = morris.analyze(unit_problem(spec.names), x, y, num_levels=4, seed=1)
    ms = MorrisStream(spec.names, levels=4, seed=1)
    _feed_in_pieces(ms, y, [101, 7], x)
    got = ms.result()
    for col in ("mu", "mu_star", "sigma"):
        np.testing.assert_allclose(got[col], np.asarray(ref[col]), rtol=1e-9)
    ratio = got.mu_star_conf.to_numpy()[[0, 2]] / np.asarray(ref["mu_star_conf"])[[0, 2]]
    assert ((ratio > 0.6) & (ratio < 1.6)).all(), ratio


def test_exact_quantiles_by_passes_equal_numpy():
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.normal(size=50_000), np.full(20_000, 0.25), rng.pareto(1, 3_000)])
    rng.shuffle(y)
    y[::13] = np.nan
    qs = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]

    def read():
        for a in range(0, len(y), 6_000):
            yield y[a : a + 6_000]

    q, mean, n, nan = exact_quantiles(read, qs, keep=500)  # forces the narrowing passes
    np.testing.assert_array_equal(q, np.nanquantile(y, qs))
    assert n + nan == len(y) and nan == np.isnan(y).sum()
    assert mean == pytest.approx(np.nanmean(y), rel=1e-12)


def test_sample_rows_are_made_per_chunk():
    spec = _spec("sobol", 16, tornado=True)
    rows = SampleRows(spec)
    whole = spec_sample(spec)
    pd.testing.assert_frame_equal(rows.rows(10, 30), whole.iloc[10:30])
    assert list(rows.rows(10, 30).index) == list(range(10, 30))
