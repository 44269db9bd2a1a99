"""Returns in absolute terms: a unit of money buys what the elements' absolute levels say,
not what the region's own status-quo share of the budget says.

Version 1 of the model measured every element against its own 2025 level, so the return
to a yuan scaled with 1 / (the line's 2025 budget share): doubling a line's status-quo
share halved its return. Here elements are measured per person against the rest of
China, and culture is also built by private money and absorption, so doubling the
status-quo culture share must change culture's return far less than twofold.
"""

import numpy as np
import pytest

from regionsoft_sd.returns import LINES, marginal_returns


@pytest.fixture(scope="module")
def base():
    return marginal_returns()


def test_every_line_buys_some_soft_power(base):
    assert (base["dominant_soft_power_end"] > 0).all()
    assert list(base.index) == list(LINES)


def test_no_line_is_free_for_consumers_in_the_first_decades(base):
    early = marginal_returns(horizon=2040)
    # households pay for the programme; no line pays them back within 15 years
    assert (early["npv_consumption"] < 0).all(), early["npv_consumption"].to_dict()


def test_the_return_does_not_scale_with_the_lines_own_status_quo_share(base):
    doubled = marginal_returns(
        base={
            "Initial culture share": 0.06,
            "Policy culture share": 0.06,
            "Initial public service share": 0.671,
            "Policy public service share": 0.671,
        }
    )
    ratio = (
        base.at["culture", "dominant_soft_power_end"]
        / doubled.at["culture", "dominant_soft_power_end"]
    )
    assert 1.0 < ratio < 1.3, ratio  # diminishing returns, but nowhere near the factor 2


def test_returns_are_linear_in_small_amounts_except_communication(base):
    half = marginal_returns(money=0.5)
    linear = ["education", "public services", "culture"]
    np.testing.assert_allclose(half.loc[linear].to_numpy(), base.loc[linear].to_numpy(), rtol=0.03)
    # communication saturates at tens of yuan a person: the first half-billion buys more
    assert half.at["image", "dominant_soft_power_end"] > base.at["image", "dominant_soft_power_end"]
