"""Loop knock-out: cutting R1 (soft-hard mutual promotion) behaves as docs/model.md says.

With `R1 feedback switch` = 0 the soft-power budget is frozen at its 2025 tax base, so
output growth no longer finances soft power. docs/model.md ("Loop knock-out") states
the consequences tested here.
"""

import numpy as np
import pytest

from tests.model_helpers import run_pysd

KEY = [
    "Dominant Soft Power",
    "Hard Power Index",
    "Public Service Capacity",
    "Regional Culture",
    "Soft power budget",
]
CUT = {"R1 feedback switch": 0}


@pytest.fixture(scope="module")
def runs():
    return run_pysd({}, return_columns=KEY), run_pysd(CUT, return_columns=KEY)


def test_cut_r1_freezes_spending_so_services_and_culture_stay_at_2025_levels(runs):
    """Their inflows depend only on spending, which no longer grows: exactly 1."""
    base, cut = runs
    for stock in ("Public Service Capacity", "Regional Culture"):
        np.testing.assert_allclose(cut[stock], 1.0, rtol=1e-12)
        assert base[stock].iloc[-1] > 1.1  # with R1 the growth dividend builds them up
    np.testing.assert_allclose(cut["Soft power budget"], cut["Soft power budget"].iloc[0])


def test_cut_r1_lowers_dominant_soft_power_and_hard_power_with_a_widening_gap(runs):
    base, cut = runs
    for name in ("Dominant Soft Power", "Hard Power Index"):
        gap = (base[name] - cut[name]).loc[2030:]
        assert (gap > 0).all(), name
        assert (np.diff(gap.to_numpy()) > 0).all(), f"{name}: gap does not widen"


def test_cut_r1_is_invisible_without_growth():
    """R1 only amplifies change; at the 2025 equilibrium there is nothing to amplify."""
    still = {"Exogenous productivity growth": 0.0}
    a = run_pysd(still, return_columns=KEY)
    b = run_pysd({**still, **CUT}, return_columns=KEY)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
