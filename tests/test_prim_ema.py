"""PRIM follows the EMA Workbench's rules: quantiles, objective, ties, repeated values, limits.

Expected values are hand computations from the rules as EMA's source states them
(ema_workbench/analysis/prim.py: get_quantile, _lenient1_obj_func, _peel's sort).
"""

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.futures.prim import peel_score, prim, sd_quantile


def test_sd_quantile_by_hand():
    # position (5 - 1) * 0.25 = 1 falls on a run of 2s: move up to the next distinct value
    assert sd_quantile(np.array([1, 2, 2, 2, 3.0]), 0.25) == 2.5
    assert sd_quantile(np.array([1, 2, 2, 2, 3.0]), 0.75) == 1.5  # and down from the top
    assert sd_quantile(np.array([4, 1, 3, 2.0]), 0.5) == 2.5  # position 1.5: halfway
    assert sd_quantile(np.array([7.0, 7.0]), 0.05) == 7.0  # nothing distinct: the value


def test_lenient1_is_the_density_gain_per_case_removed():
    y_old = np.array([1, 1, 0, 0, 0.0])  # density 0.4
    y_new = np.array([1, 1, 0.0])  # density 2/3, two cases fewer
    assert peel_score("lenient1", y_old, y_new) == pytest.approx((2 / 3 - 0.4) / 2)
    assert peel_score("lenient2", y_old, y_new) == pytest.approx(3 * (2 / 3 - 0.4) / 2)
    assert peel_score("original", y_old, y_new) == pytest.approx(2 / 3)


def _discrete_against_continuous(n=4000, seed=0):
    """d in {0, 1, 2, 3}: a lower peel on d removes a quarter of the cases at once; x < 0.05
    holds no case of interest. P(case) = 0.3 where d = 0, 0.5 elsewhere (x >= 0.05).

    Peeling d = 0: density 0.45 -> 0.5, gain 0.05 over n/4 cases (2e-4 n/1000 per case).
    Peeling x < 0.05: density 0.45 -> 0.45/0.95 = 0.474, gain 0.024 over n/20 cases
    (4.7e-4 per case at n = 1000). The density rule takes d; lenient1 takes x."""
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 4, n).astype(float)
    x = rng.random(n)
    y = (rng.random(n) < np.where(d == 0, 0.3, 0.5)) & (x >= 0.05)
    return pd.DataFrame({"d": d, "x": x}), y


def test_lenient1_and_the_old_density_rule_peel_differently():
    x, y = _discrete_against_continuous()
    first = prim(x, y, objective="lenient1").trajectory[1]
    assert first.restricted == ("x",) and first.lower["x"] == pytest.approx(0.05, abs=0.01)
    old = prim(x, y, objective="original").trajectory[1]
    assert old.restricted == ("d",) and old.lower["d"] == 0.5  # halfway between 0 and 1


def test_repeated_values_are_never_split():
    x, y = _discrete_against_continuous(seed=1)
    res = prim(x, y, objective="original", mass_min=0.01)
    # a limit on d is the data's extreme or halfway between two of its values, so every
    # case with one value of d is on the same side of it
    allowed = {0.0, 0.5, 1.5, 2.5, 3.0}
    assert any(b.lower["d"] > 0 or b.upper["d"] < 3 for b in res.trajectory)
    for b in res.trajectory:
        assert {b.lower["d"], b.upper["d"]} <= allowed, (b.lower["d"], b.upper["d"])


def test_limits_lie_between_data_values_not_on_them():
    rng = np.random.default_rng(2)
    x = pd.DataFrame({"a": rng.random(2000), "b": rng.random(2000)})
    y = (x.a.to_numpy() > 0.6) & (rng.random(2000) < 0.9)
    b = prim(x, y, threshold=0.85).box
    lo = b.lower["a"]
    a = np.sort(x.a.to_numpy())
    below, above = a[a < lo].max(), a[a >= lo].min()
    assert below < lo < above and lo == pytest.approx((below + above) / 2)
    assert b.upper["a"] == a.max()  # an unrestricted side keeps the data's extreme


def test_exact_ties_go_to_the_first_input():
    rng = np.random.default_rng(3)
    a = rng.random(1000)
    x = pd.DataFrame({"first": a, "second": a})  # every peel of one ties with the other
    y = a > 0.5
    assert prim(x, y).trajectory[1].restricted == ("first",)


def test_each_side_gets_its_own_quasi_p_value():
    """Cases where 0.2 <= a <= 0.8 at 60 %, 20 % elsewhere: both sides matter."""
    rng = np.random.default_rng(4)
    x = pd.DataFrame({"a": rng.random(3000), "b": rng.random(3000)})
    inside = (x.a > 0.2) & (x.a < 0.8)
    y = (rng.random(3000) < np.where(inside, 0.6, 0.2)).astype(bool)
    b = prim(x, y, threshold=0.55).box
    qp_lower, qp_upper = b.qp["a"]
    assert b.restricted == ("a",) and qp_lower < 1e-3 and qp_upper < 1e-3
    assert 0.15 <= b.lower["a"] <= 0.3 and 0.7 <= b.upper["a"] <= 0.85


def test_unknown_objective_is_refused():
    x, y = _discrete_against_continuous(n=100)
    with pytest.raises(ValueError, match="objective"):
        prim(x, y, objective="density")
