"""Model version 3: stock-flow consistency per province and for the nation.

Each check is an identity of national accounting or a conservation law (people,
schooling-years, pool shares), so no expected number comes from the model's output.
Cases: the base run, and a strong programme in Sichuan with rivals imitating it.
"""

import numpy as np
import pytest

from tests.test_model_v3_support import matrix, programme, run, series

CASES = {
    "base": {},
    "programme with imitation": {
        **programme(
            {"culture share": 3, "image share": 5, "education share": 1.3},
            shift={"local tax share": 0.03},
        ),
        "Policy openness[sichuan]": 0.5,
        "Rival response mode": 1,
        "Imitation lag": 3,
    },
}


@pytest.fixture(scope="module", params=list(CASES))
def res(request):
    return run(CASES[request.param])


@pytest.fixture(scope="module")
def yearly():
    """Base run with TIME STEP 1, so that Euler steps are the saved years."""
    return run(dt=1.0)


def test_accounting_identity_holds_in_every_province_at_every_step(res):
    gdp = matrix(res, "GDP")
    resources = (
        gdp
        - matrix(res, "Central tax")
        + matrix(res, "Transfer received")
        - matrix(res, "Returns paid out")
        + matrix(res, "Returns received")
        + matrix(res, "Tourism received")
        - matrix(res, "Trip spending")
    )
    uses = (
        matrix(res, "Household consumption")
        + matrix(res, "Government consumption")
        + matrix(res, "Soft power spending")
        + matrix(res, "Private culture investment")
        + matrix(res, "Private saving")
    )
    assert np.max(np.abs(resources - uses) / gdp) < 1e-12


def test_nationally_the_pools_cancel(res):
    gdp = series(res, "National GDP")
    for name, total in [
        ("Transfer received", matrix(res, "Central tax").sum(1)),
        ("Returns received", matrix(res, "Returns paid out").sum(1)),
        ("Domestic tourism received", matrix(res, "Trip spending").sum(1)),
        ("Mobile investment received", matrix(res, "Saving to pool").sum(1)),
    ]:
        assert np.max(np.abs(matrix(res, name).sum(1) - total) / gdp) < 1e-12, name
    uses = (
        matrix(res, "Household consumption")
        + matrix(res, "Government consumption")
        + matrix(res, "Soft power spending")
        + matrix(res, "Private culture investment")
        + matrix(res, "Private saving")
    ).sum(1)
    foreign = series(res, "Foreign tourism ratio") * gdp
    assert np.max(np.abs(uses - gdp - foreign) / gdp) < 1e-12
    saving = matrix(res, "Private saving").sum(1)
    assert np.max(np.abs(matrix(res, "Productive investment").sum(1) - saving) / gdp) < 1e-12


def test_the_nation_is_the_sum_of_its_provinces(res):
    assert np.allclose(matrix(res, "GDP").sum(1), series(res, "National GDP"), rtol=1e-12)
    assert np.allclose(
        matrix(res, "Population").sum(1), series(res, "National population"), rtol=1e-12
    )


def test_migration_sums_to_zero_at_every_step(res):
    movers = series(res, "Total movers")
    assert np.max(np.abs(matrix(res, "Net migration").sum(1)) / movers) < 1e-12
    left = matrix(res, "Schooling leaving").sum(1)
    arrived = matrix(res, "Schooling arriving").sum(1)
    assert np.max(np.abs(arrived - left) / left) < 1e-12


def test_every_pool_is_shared_out_completely(res):
    for name in [
        "Migration share",
        "Investment share",
        "Domestic tourism share",
        "Foreign tourism share",
    ]:
        shares = matrix(res, name)
        assert shares.min() >= 0, name
        assert np.max(np.abs(shares.sum(1) - 1)) < 1e-12, name


def test_people_are_conserved_step_by_step(yearly):
    pop = matrix(yearly, "Population")
    flow = matrix(yearly, "Natural change") + matrix(yearly, "Net migration")
    assert np.max(np.abs(np.diff(pop, axis=0) - flow[:-1]) / pop[1:]) < 1e-12
    national = series(yearly, "National population")
    natural = matrix(yearly, "Natural change").sum(1)
    assert np.max(np.abs(np.diff(national) - natural[:-1]) / national[1:]) < 1e-12


def test_dominant_soft_power_never_exceeds_potential(res):
    dsp, psp = matrix(res, "Dominant Soft Power"), matrix(res, "Potential Soft Power")
    assert (dsp <= psp).all()
    awareness, credibility = matrix(res, "Awareness"), matrix(res, "Credibility")
    assert (awareness > 0).all() and (awareness < 1).all()
    assert (credibility > 0).all() and (credibility <= 1).all()


def test_outside_owned_capital_never_exceeds_the_capital_in_place(res):
    assert (matrix(res, "Outside owned capital") <= matrix(res, "Productive Capital")).all()
