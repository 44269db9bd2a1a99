"""The Python API checks `params` as a scenario file is checked (run, compare, simulate_batch).

Expected values come from the policy as written: a programme that gives culture all
of its money must show a culture share of 1 once phased in (before the check, the
model normalised 1 against the other shares left at their status quo, about 0.51).
"""

from __future__ import annotations

import dataclasses

import pytest

import regionsoft_sd
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.simulate import with_params

CULTURE_ONLY = {
    "Policy programme budget": 40,
    "Policy programme culture share": 1,
    "Policy programme education share": 0,
    "Policy programme public service share": 0,
    "Policy programme image share": 0,
}


def test_shares_that_do_not_sum_to_one_are_refused():
    with pytest.raises(InputError, match="sum to 1.97, not 1"):
        regionsoft_sd.run(params={"Policy programme culture share": 1})


def test_an_unknown_name_is_refused_with_the_closest():
    with pytest.raises(InputError, match="did you mean 'Policy programme culture share'") as info:
        regionsoft_sd.run(params={"Policy programme culture shar": 1})
    assert info.value.key == "parameters.Policy programme culture shar"


def test_a_value_out_of_range_is_refused():
    with pytest.raises(InputError, match="outside the model's range") as info:
        regionsoft_sd.run(params={"Capital depreciation rate": 5})
    assert "Capital depreciation rate" in info.value.key


def test_a_valid_split_runs_the_policy_as_written():
    df = regionsoft_sd.run(params=CULTURE_ONLY, variables=["Programme culture share"])
    assert df["Programme culture share"].iloc[-1] == pytest.approx(1.0, abs=1e-9)
    assert df["Programme culture share"].loc[2005.0] != pytest.approx(1.0)  # history: status quo


def test_params_override_a_given_scenario_and_are_checked_with_it():
    balanced = regionsoft_sd.load_scenario("balanced")
    s = with_params(balanced, {"Capital depreciation rate": 0.09})
    assert s.constants["Capital depreciation rate"] == 0.09
    assert {k: v for k, v in s.constants.items() if k != "Capital depreciation rate"} == {
        k: v for k, v in balanced.constants.items() if k != "Capital depreciation rate"
    }
    with pytest.raises(InputError, match="sum to"):
        with_params(balanced, {"Policy programme culture share": 1})  # its other shares stay


def test_the_checked_scenario_feeds_compare_and_simulate_batch():
    s = with_params(None, CULTURE_ONLY)
    res = regionsoft_sd.simulate_batch(base=s, record=["Programme culture share"], backend="numpy")
    assert res.data["Programme culture share"][-1, 0] == pytest.approx(1.0, abs=1e-9)
    mine = dataclasses.replace(s, name="culture_only")
    cmp = regionsoft_sd.compare([regionsoft_sd.load_scenario("baseline"), mine])
    assert list(cmp.metrics.index) == ["baseline", "culture_only"]


def test_run_takes_a_shipped_name_like_the_commands():
    by_name = regionsoft_sd.run("balanced", variables=["GDP"])
    by_scenario = regionsoft_sd.run(regionsoft_sd.load_scenario("balanced"), variables=["GDP"])
    assert by_name.equals(by_scenario)
    with pytest.raises(InputError, match="did you mean 'balanced'"):
        regionsoft_sd.run("balanse")
