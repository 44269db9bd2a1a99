"""Equilibrium: with exogenous growth off and policies at their base values, nothing moves.

The model is initialised in equilibrium (every inflow is calibrated to replace its
outflow in 2025), so any net flow in this run is a formulation error.
"""

import numpy as np
import pytest

from tests.model_helpers import STOCKS, random_parameter_sets, run_pysd, run_simlin

FLOWS = [
    "Investment",
    "Capital depreciation",
    "Education inflow",
    "Obsolescence",
    "Talent inflow",
    "Brain drain",
    "Service capacity building",
    "Service capacity depreciation",
    "Culture development",
    "Culture absorption",
    "Culture erosion",
    "Image change",
    "Identity adoption",
    "Identity forgetting",
    "Soft power conversion",
]
NO_GROWTH = {"Exogenous productivity growth": 0.0}


def test_every_stock_stays_at_its_initial_value():
    run = run_pysd(NO_GROWTH, return_columns=STOCKS + ["Hard Power Index"])
    drift = (run / run.iloc[0] - 1).abs().max()
    assert drift.max() < 1e-12, drift


def test_net_flows_are_zero():
    run = run_pysd(NO_GROWTH, return_columns=FLOWS)
    net = {
        "Productive Capital": run["Investment"] - run["Capital depreciation"],
        "Human Quality": run["Education inflow"]
        + run["Talent inflow"]
        - run["Obsolescence"]
        - run["Brain drain"],
        "Public Service Capacity": run["Service capacity building"]
        - run["Service capacity depreciation"],
        "Regional Culture": run["Culture development"]
        + run["Culture absorption"]
        - run["Culture erosion"],
        "Regional Image": run["Image change"],
        "Value Identity": run["Identity adoption"] - run["Identity forgetting"],
        "Dominant Soft Power": run["Soft power conversion"],
    }
    for stock, series in net.items():
        scale = max(run[FLOWS].abs().max().max(), 1.0) if stock == "Productive Capital" else 1.0
        assert np.max(np.abs(series)) / scale < 1e-12, stock
    # and the flows themselves are not trivially zero
    assert run["Capital depreciation"].iloc[0] > 0
    assert run["Obsolescence"].iloc[0] > 0
    assert run["Identity forgetting"].iloc[0] > 0


@pytest.mark.parametrize("index", range(20))
def test_equilibrium_holds_for_any_calibration_in_range(index):
    """The calibration is structural: any 2025 parameter set in range is an equilibrium."""
    params = random_parameter_sets(20, seed=11)[index]
    for name in list(params):
        if name.startswith("Policy "):  # policies at base values
            params[name] = params["Initial " + name.removeprefix("Policy ")]
    params.update(NO_GROWTH)
    run = run_simlin(params)[STOCKS]
    drift = (run / run.iloc[0] - 1).abs().max()
    assert drift.max() < 1e-9, drift
