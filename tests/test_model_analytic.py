"""Analytic equilibria: where a stock's long-run level has a closed form, the model reaches it.

With growth off and R1 cut, spending is constant, so Regional Culture settles where
development + absorption = erosion:
    C* = (D + a*o) / (e * (1 + h*o^2)),  D = e*(1 + h*o0^2) - a*o0
and Public Service Capacity where building = depreciation:
    P* = (1 - s) / (1 - s0) * g(s) / g(s0),  g(s) = 1 + G*(1 - exp(-s/k)).
The closed forms also locate the interior optima that docs/model.md states.
"""

import math

import pytest

from tests.model_helpers import run_pysd

STILL = {
    "Exogenous productivity growth": 0.0,
    "R1 feedback switch": 0,
    "Openness policy start year": 2025,
    "Openness policy ramp time": 0,
    "Cadre training policy start year": 2025,
    "Cadre training policy ramp time": 0,
}
E, H, A, O0 = 0.03, 0.5, 0.02, 0.5  # .mdl defaults, cross-checked below
G, K, S0 = 0.5, 0.05, 0.02


def culture_star(o: float) -> float:
    d = E * (1 + H * O0**2) - A * O0
    return (d + A * o) / (E * (1 + H * o**2))


def services_star(s: float) -> float:
    g = lambda x: 1 + G * (1 - math.exp(-x / K))  # noqa: E731
    return (1 - s) / (1 - S0) * g(s) / g(S0)


def _long_run(params, column):
    return run_pysd({**STILL, **params}, return_columns=[column], final_time=2700)[column].iloc[-1]


def test_defaults_match_the_closed_forms():
    run = run_pysd(
        {},
        return_columns=[
            "Culture erosion rate",
            "Homogenisation sensitivity",
            "Absorption rate",
            "Initial cultural openness",
            "Maximum efficiency gain",
            "Training saturation share",
            "Initial cadre training share",
        ],
    ).iloc[0]
    assert tuple(run) == (E, H, A, O0, G, K, S0)


@pytest.mark.parametrize("openness", [0.0, 0.3, 0.66, 1.0])
def test_culture_reaches_its_analytic_equilibrium(openness):
    level = _long_run({"Policy cultural openness": openness}, "Regional Culture")
    assert level == pytest.approx(culture_star(openness), rel=1e-4)


def test_moderate_openness_beats_closed_and_fully_open():
    best = max(range(101), key=lambda i: culture_star(i / 100)) / 100
    assert 0.6 < best < 0.7
    assert culture_star(best) > culture_star(0) and culture_star(best) > culture_star(1)


@pytest.mark.parametrize("share", [0.0, 0.1, 0.2])
def test_public_services_reach_their_analytic_equilibrium(share):
    level = _long_run({"Policy cadre training share": share}, "Public Service Capacity")
    assert level == pytest.approx(services_star(share), rel=1e-4)


def test_cadre_training_has_an_interior_optimum_near_10_percent():
    best = max(range(301), key=lambda i: services_star(i / 1000)) / 1000
    assert 0.08 < best < 0.11
