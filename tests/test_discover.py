"""Discovery analysis: failure cases, trees on a planted box, Sobol of a difference."""

import re

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.futures.designs import saltelli_design, to_values
from regionsoft_sd.futures.discovery import analyse, difference_sobol, failures
from regionsoft_sd.futures.failure import Failure
from regionsoft_sd.futures.params import Parameter
from regionsoft_sd.futures.trees import cart, feature_scores


def planted(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 5)), columns=[f"x{i}" for i in range(5)])
    y = ((x.x0 >= 0.2) & (x.x0 <= 0.6) & (x.x1 >= 0.7)).to_numpy()
    return x, y


def test_feature_scores_rank_the_planted_inputs_first():
    x, y = planted()
    s = feature_scores(x, y, seed=1)
    assert list(s.index[:2]) in (["x0", "x1"], ["x1", "x0"])
    assert s.sum() == pytest.approx(1.0)
    assert s.iloc[2] < 0.1


def test_cart_leaf_of_the_planted_box():
    x, y = planted()
    t = cart(x, y, depth=3)
    top = t.leaves.iloc[0]
    assert top.density == pytest.approx(1.0) and top.coverage == pytest.approx(1.0)
    cut = {
        "x1 >": float(re.search(r"x1 > ([\d.]+)", top.rule)[1]),
        "< x0": float(re.search(r"([\d.]+) < x0", top.rule)[1]),
        "x0 <=": float(re.search(r"x0 <= ([\d.]+)", top.rule)[1]),
    }
    assert cut == pytest.approx({"x1 >": 0.7, "< x0": 0.2, "x0 <=": 0.6}, abs=0.01)
    assert t.leaves.mass.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("failure", "y", "other", "expected"),
    [
        (Failure("m", "higher", below=1.0), [0.5, 1.0, np.nan], None, [True, False, True]),
        (Failure("m", "lower", above=1.0), [0.5, 1.5, 1.0], None, [False, True, False]),
        # loses to the other (higher is better) by more than the margin
        (
            Failure("m", "higher", "x", margin=0.1),
            [1.0, 1.0, 1.0],
            [1.05, 1.2, 0.5],
            [False, True, False],
        ),
        (Failure("m", "lower", "x"), [1.0, 2.0, np.nan], [1.5, 1.5, 1.0], [False, True, True]),
    ],
)
def test_failures(failure, y, other, expected):
    got = failures(failure, np.array(y), None if other is None else np.array(other))
    np.testing.assert_array_equal(got, expected)


def test_analyse_tables():
    x, y = planted(n=1500)
    f = Failure("m", "higher", below=0.5)
    d = analyse(x, f, "s", y.astype(float), seed=2)
    assert d.share == pytest.approx(1 - y.mean())
    assert list(d.cases.columns[-2:]) == ["m (s)", "failed"]
    assert "below 0.5" in d.text


def test_sobol_of_a_linear_difference():
    """y_a - y_b = 3 u0 + u1 with u uniform: S1 = 9/10 and 1/10, a third input 0."""
    params = [Parameter(f"p{i}", "uniform", 0.0, 1.0, 0.5) for i in range(3)]
    unit = saltelli_design(params, 1024, seed=3)
    v = to_values(params, unit)
    ya = 3 * v.p0.to_numpy() + v.p1.to_numpy() + 5.0
    yb = np.full(len(v), 5.0)
    s = difference_sobol(params, ya, yb, seed=4)
    assert s.loc["p0", "S1"] == pytest.approx(0.9, abs=0.05)
    assert s.loc["p1", "S1"] == pytest.approx(0.1, abs=0.05)
    assert abs(s.loc["p2", "ST"]) < 0.02
    assert list(s.index[:1]) == ["p0"]


def test_missing_extra_is_one_line_with_the_fix():
    from regionsoft_sd.common.errors import InputError
    from regionsoft_sd.common.extras import require

    with pytest.raises(InputError, match=r'pip install "regionsoft-sd\[optimise\]"') as err:
        require("no_such_package_for_regionsoft.sub", "a thing")
    assert "\n" not in str(err.value) and "no_such_package_for_regionsoft" in str(err.value)
