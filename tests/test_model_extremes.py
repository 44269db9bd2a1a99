"""Extreme conditions: every lever at its minimum and maximum, and tax at zero.

Stocks stay non-negative, fractions stay in [0, 1], and each lever moves the stock
it acts on in the direction the article and the formulation imply.
"""

import numpy as np
import pytest

from tests.model_helpers import STOCKS, levers, run_pysd, time_step

FRACTIONS = [
    "Value Identity",
    "Identity balance point",
    "Tax share",
    "Soft power budget share",
    "Education share",
    "Public service share",
    "Culture share",
    "Image share",
    "Vocational share",
    "Cadre training share",
    "Cultural openness",
    "Domestic investment rate",
]
# Every policy change in these runs starts in 2025 as a step, so the horizon sees it all.
IMMEDIATE = {
    f"{group} policy {what}": value
    for group in (
        "Tax",
        "Soft power budget",
        "Budget split",
        "Vocational",
        "Cadre training",
        "Openness",
        "Investment",
    )
    for what, value in (("start year", 2025), ("ramp time", 0))
}
# lever -> (variable it acts on, which end of the lever gives the larger value in 2075)
DIRECTION = {
    "Policy tax share": ("Public Service Capacity", "max"),
    "Policy soft power budget share": ("Regional Culture", "max"),
    "Policy education share": ("Human Quality", "max"),
    "Policy public service share": ("Public Service Capacity", "max"),
    "Policy culture share": ("Regional Culture", "max"),
    "Policy image share": ("Value Identity", "max"),
    "Policy vocational share": ("Human Quality", "max"),  # vocational productivity ratio > 1
    "Policy cadre training share": ("Government efficiency", "max"),
    "Policy cultural openness": ("Culture absorption", "max"),
    "Policy domestic investment rate": ("Productive Capital", "max"),
}


def _run(params):
    return run_pysd({**IMMEDIATE, **params}, return_columns=STOCKS + FRACTIONS + _targets())


def _targets():
    return sorted({v for v, _ in DIRECTION.values()} - set(STOCKS))


def _check_bounds(run):
    values = run.to_numpy()
    assert np.isfinite(values).all()
    assert (run[STOCKS] >= 0).all().all(), run[STOCKS].min()
    assert ((run[FRACTIONS] >= 0) & (run[FRACTIONS] <= 1)).all().all()


def test_every_lever_has_a_direction_check():
    assert {lever.name for lever in levers()} == set(DIRECTION)


@pytest.mark.parametrize("lever", sorted(DIRECTION))
def test_lever_extremes_stay_in_bounds_and_move_the_right_way(lever):
    spec = next(c for c in levers() if c.name == lever)
    low, high = _run({lever: spec.low}), _run({lever: spec.high})
    _check_bounds(low)
    _check_bounds(high)
    target, larger = DIRECTION[lever]
    at_min, at_max = low[target].iloc[-1], high[target].iloc[-1]
    assert (at_max > at_min) if larger == "max" else (at_min > at_max), (at_min, at_max)


def test_zero_tax_starves_every_element():
    run = _run({"Policy tax share": 0.0})
    _check_bounds(run)
    for stock in ("Regional Culture", "Public Service Capacity", "Human Quality", "Regional Image"):
        assert run[stock].iloc[-1] < 0.8 * run[stock].iloc[0], stock
    assert run["Dominant Soft Power"].iloc[-1] < run["Dominant Soft Power"].iloc[0]


def test_no_education_spending_decays_human_quality_at_its_obsolescence_rate():
    """With no education and no migration, dHQ/dt = -obsolescence rate * HQ once the
    schooling pipeline (a third-order delay of about 3.6 years) has emptied."""
    params = {**IMMEDIATE, "Policy education share": 0.0, "Talent mobility rate": 0.0}
    model_run = run_pysd(params, return_columns=["Human Quality", "Obsolescence rate"])
    rate = model_run["Obsolescence rate"].iloc[0]
    dt = time_step()  # Euler gives HQ(t+dt) = HQ(t) * (1 - rate * dt)
    hq = model_run["Human Quality"]
    observed = hq.loc[2075] / hq.loc[2055]
    expected = (1 - rate * dt) ** (20 / dt)
    assert observed == pytest.approx(expected, rel=1e-6)
    assert observed == pytest.approx(np.exp(-rate * 20), rel=1e-3)
