"""Stock-flow consistency: output is used exactly once, and people are conserved.

Checked on the batch engine's values at every TIME STEP (so the Euler identities are
exact up to rounding), for the base run, a programme, austerity, and random parameter
sets. Nothing here is copied from the model's output: each identity is national
accounting or conservation of people.
"""

import numpy as np
import pytest

from tests.model_helpers import random_parameter_sets, run_batch, time_step

MONEY = [
    "GDP",
    "Transfers",
    "Tax revenue",
    "Household consumption",
    "Domestic investment",
    "Soft power spending",
    "Other government spending",
    "Programme spending",
    "Consumption",
    "Consumption per capita",
    "Population",
]
PEOPLE = ["Population", "Entrants", "Leavers", "In migration", "Out migration"]
CASES = {
    "base": {},
    "programme": {"Policy programme budget": 120, "Policy programme culture share": 1.0},
    "austerity": {"Policy tax share": 0.05, "Policy soft power budget share": 0.4},
    "high tax and investment": {"Policy tax share": 0.3, "Policy domestic investment rate": 0.7},
}


def _samples(case):
    if case == "random":
        sets = random_parameter_sets(200, seed=7)
        return {k: [s[k] for s in sets] for k in sets[0]}
    return {k: [v] for k, v in CASES[case].items()}


@pytest.mark.parametrize("case", [*CASES, "random"])
def test_output_plus_transfers_is_used_exactly_once(case):
    res = run_batch(_samples(case), MONEY)
    d = res.data
    uses = (
        d["Household consumption"]
        + d["Domestic investment"]
        + d["Soft power spending"]
        + d["Other government spending"]
    )
    np.testing.assert_allclose(uses, d["GDP"] + d["Transfers"], rtol=1e-12)
    # households pay the taxes and the programme: nothing is spent twice or for free
    np.testing.assert_allclose(
        d["Household consumption"],
        d["GDP"] - d["Tax revenue"] - d["Domestic investment"] - d["Programme spending"],
        rtol=1e-12,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        d["Consumption per capita"] * d["Population"], d["Consumption"], rtol=1e-12
    )
    assert (d["Household consumption"] > 0).all()


@pytest.mark.parametrize("case", [*CASES, "random"])
def test_people_are_conserved_step_by_step(case):
    dt = time_step()
    times = np.arange(2005, 2075 + dt / 2, dt)
    d = run_batch(_samples(case), PEOPLE, times=times).data
    change = d["Population"][1:] - d["Population"][:-1]
    flows = d["Entrants"] + d["In migration"] - d["Leavers"] - d["Out migration"]
    np.testing.assert_allclose(change, dt * flows[:-1], rtol=1e-9, atol=1e-9)


def test_a_programme_is_paid_for_by_households_money_for_money():
    base = run_batch({}, ["Household consumption", "Domestic investment", "GDP"]).data
    prog = run_batch(
        {"Policy programme budget": [40]},
        ["Household consumption", "Programme spending", "Tax revenue", "GDP"],
    ).data
    i = 20  # 2025, the first year of the programme's ramp, before it changes GDP much
    assert prog["Programme spending"][i] > 0
    # the programme's money is missing from household consumption (GDP moves a little)
    assert prog["Household consumption"][i] < base["Household consumption"][i]
