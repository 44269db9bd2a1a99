"""Policy timing: a lever moves from its initial to its policy value as documented.

X = Initial X + (Policy X - Initial X) * progress
progress = 0 before the start year, linear over the ramp time, 1 after;
           a ramp time of 0 is a step at the start year.
"""

import pytest

from tests.model_helpers import run_pysd


def _tax_share(ramp: float) -> dict[float, float]:
    params = {
        "Initial tax share": 0.2,
        "Policy tax share": 0.1,
        "Tax policy start year": 2030,
        "Tax policy ramp time": ramp,
    }
    return run_pysd(params, return_columns=["Tax share"])["Tax share"].to_dict()


def test_a_zero_ramp_is_a_step_at_the_start_year():
    share = _tax_share(0)
    assert share[2029] == pytest.approx(0.2)
    assert share[2030] == pytest.approx(0.1)
    assert share[2075] == pytest.approx(0.1)


def test_a_ramp_is_linear_from_the_start_year():
    share = _tax_share(4)
    assert share[2030] == pytest.approx(0.2)
    assert share[2031] == pytest.approx(0.175)
    assert share[2032] == pytest.approx(0.15)
    assert share[2034] == pytest.approx(0.1)
    assert share[2050] == pytest.approx(0.1)
