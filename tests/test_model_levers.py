"""Policy levers: timing as documented, history the same in every scenario, nothing free.

X = Initial X + (Policy X - Initial X) * progress, progress = 0 before the start year,
linear over the ramp time, 1 after; a ramp time of 0 is a step at the start year. The
start year cannot precede the first projection year, so history never changes.
"""

import numpy as np
import pytest

from regionsoft_sd.model.metrics import REQUIRED_VARIABLES, compute_metrics
from tests.model_helpers import constants, levers, run_batch

OUTCOMES = [
    "dominant_soft_power_end",
    "gdp_end",
    "consumption_per_capita_end",
    "npv_consumption",
    "population_end",
    "human_quality_end",
]
PROGRAMME = {"Policy programme budget": 40}


def _tax_share(ramp: float) -> dict[float, float]:
    params = {"Policy tax share": 0.05, "Tax policy start year": 2030, "Tax policy ramp time": ramp}
    res = run_batch(params, ["Tax share"])
    return dict(zip(res.times, res.data["Tax share"][:, 0], strict=True))


def test_a_zero_ramp_is_a_step_at_the_start_year():
    share = _tax_share(0)
    assert share[2029] == pytest.approx(0.10)
    assert share[2030] == pytest.approx(0.05)
    assert share[2075] == pytest.approx(0.05)


def test_a_ramp_is_linear_from_the_start_year():
    share = _tax_share(4)
    assert share[2030] == pytest.approx(0.10)
    assert share[2031] == pytest.approx(0.0875)
    assert share[2032] == pytest.approx(0.075)
    assert share[2034] == pytest.approx(0.05)


def test_no_start_year_can_precede_the_projection():
    starts = [c for c in constants() if c.name.endswith("policy start year")]
    projection = next(c for c in constants() if c.name == "Projection start year")
    assert starts and all(c.low >= projection.value and c.value == projection.value for c in starts)


def test_history_is_the_same_in_every_scenario():
    every = {c.name: [c.high] for c in levers()}
    record = ["GDP", "Population", "Human Quality", "Dominant Soft Power", "Consumption"]
    base = run_batch({}, record).data
    moved = run_batch(every, record).data
    history = slice(0, 2024 - 2005 + 1)  # 2005..2024: the first effect shows after 2024
    for name in record:
        np.testing.assert_array_equal(base[name][history], moved[name][history])
        assert not np.allclose(base[name][-1], moved[name][-1])


def _metrics(samples: dict) -> dict[str, float]:
    res = run_batch(samples, list(REQUIRED_VARIABLES))
    values = compute_metrics(res.times, {k: res.data[k] for k in REQUIRED_VARIABLES})
    return {k: float(np.atleast_1d(v)[0]) for k, v in values.items()}


def _cases():
    for lever in levers():
        if lever.high == lever.low:
            continue
        for end, value in (("max", lever.high), ("min", lever.low)):
            yield pytest.param(lever.name, value, id=f"{lever.name}-{end}")


@pytest.mark.parametrize("lever, value", list(_cases()))
def test_no_lever_at_its_extreme_improves_every_outcome(lever, value):
    extra = PROGRAMME if "programme" in lever and "budget" not in lever else {}
    base = _metrics(extra)
    moved = _metrics({**extra, lever: value})
    changed = [k for k in OUTCOMES if not np.isclose(moved[k], base[k], rtol=1e-12)]
    if not changed:
        pytest.skip(f"{lever} = {value:g} is the status quo")
    assert any(moved[k] < base[k] for k in changed), {k: (base[k], moved[k]) for k in OUTCOMES}


@pytest.mark.parametrize(
    "lever",
    [
        "Policy tax share",
        "Policy soft power budget share",
        "Policy domestic investment rate",
        "Policy programme budget",
    ],
)
def test_more_tax_investment_or_soft_power_money_costs_consumption(lever):
    high = next(c for c in levers() if c.name == lever).high
    base, moved = _metrics({}), _metrics({lever: high})
    assert moved["npv_consumption"] < base["npv_consumption"]
