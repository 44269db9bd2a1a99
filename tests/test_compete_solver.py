"""Known answers of the compete solver on games solved by hand.

The solver takes any batch payoff function, so these analytic games run
through exactly the code that solves the regional model.
"""

from __future__ import annotations

import numpy as np
import pytest

from regionsoft_sd.compete.solver import (
    Search,
    Space,
    best_responses,
    cooperative,
    distinct,
    equilibrium,
)

SEARCH = Search(grid=11, step=0.1, min_step=1e-6, max_iter=200)


def box(players: int, low: float, high: float) -> Space:
    return Space(np.full((players, 1), low), np.full((players, 1), high))


# Cournot duopoly: price a - Q, unit cost c, q_i in [0, a].
# Profit_i = q_i (a - c - q_1 - q_2). First-order condition a - c - 2 q_i - q_j = 0,
# so the Nash equilibrium is q_i = (a - c) / 3, each earning ((a - c) / 3)^2.
# A planner maximising the sum of profits sets Q (a - c - Q) at Q = (a - c) / 2,
# total profit (a - c)^2 / 4, above the equilibrium's 2 (a - c)^2 / 9.
A, C = 10.0, 1.0


def cournot(profiles: np.ndarray) -> np.ndarray:
    q = profiles[:, :, 0]
    return q * (A - C - q.sum(axis=1, keepdims=True))


def test_cournot_nash_equilibrium_is_a_minus_c_over_3():
    sol = equilibrium(cournot, np.array([[0.0], [0.0]]), box(2, 0.0, A), SEARCH, max_rounds=60)
    assert sol.converged
    # converged: no gain above a millionth of the payoff (GAIN_RTOL); a lever off by d
    # loses about d^2 near the optimum, so the strategy is known to about sqrt(9e-6)
    np.testing.assert_allclose(sol.profile[:, 0], (A - C) / 3, atol=5e-3)
    np.testing.assert_allclose(sol.payoffs, ((A - C) / 3) ** 2, rtol=2e-3)
    assert np.all(sol.residual_gains <= 1e-6 * sol.payoffs)


def test_cournot_best_response_is_half_the_residual_demand():
    # against q_2 = 3, the first order condition gives q_1 = (a - c - 3) / 2 = 3
    br = best_responses(cournot, np.array([[0.5], [3.0]]), box(2, 0.0, A), [0], SEARCH)
    assert br.strategies[0, 0] == pytest.approx((A - C - 3.0) / 2, abs=1e-5)
    assert br.gains[0] > 0


def test_cournot_cooperative_optimum_halves_the_market():
    def welfare(profiles: np.ndarray) -> np.ndarray:
        return cournot(profiles).sum(axis=1)

    sol = cooperative(cournot, welfare, np.array([[0.0], [0.0]]), box(2, 0.0, A), SEARCH)
    assert sol.profile.sum() == pytest.approx((A - C) / 2, abs=1e-4)
    assert sol.payoffs.sum() == pytest.approx((A - C) ** 2 / 4, rel=1e-6)
    assert sol.payoffs.sum() > 2 * ((A - C) / 3) ** 2


# Public good with quadratic cost: u_i = b (x_1 + x_2) - x_i^2 / 2, x_i in [0, 5].
# Alone: b - x_i = 0, x_i = b. Planner (sum): 2 b - x_i = 0, x_i = 2 b.
# Welfare: equilibrium 2 (2 b^2 - b^2 / 2) = 3 b^2; optimum 2 (4 b^2 - 2 b^2) = 4 b^2:
# the price of anarchy is 4 / 3.
B = 1.5


def public_good(profiles: np.ndarray) -> np.ndarray:
    x = profiles[:, :, 0]
    return B * x.sum(axis=1, keepdims=True) - x**2 / 2


def test_public_good_equilibrium_optimum_and_price_of_anarchy():
    space = box(2, 0.0, 5.0)
    start = np.array([[0.3], [4.0]])
    eq = equilibrium(public_good, start, space, SEARCH)
    coop = cooperative(public_good, lambda p: public_good(p).sum(axis=1), start, space, SEARCH)
    np.testing.assert_allclose(eq.profile[:, 0], B, atol=1e-4)
    np.testing.assert_allclose(coop.profile[:, 0], 2 * B, atol=1e-4)
    assert eq.payoffs.sum() == pytest.approx(3 * B**2, rel=1e-6)
    assert coop.payoffs.sum() == pytest.approx(4 * B**2, rel=1e-6)
    assert coop.payoffs.sum() / eq.payoffs.sum() == pytest.approx(4 / 3, rel=1e-6)


# Dominated strategy: u_i = 2 x_j - x_i on [0, 1]. Contributing costs 1 per unit and
# brings the contributor nothing, whatever the other does: x_i = 0 strictly dominates.
# The planner (sum: x_1 + x_2) contributes fully.
def dilemma(profiles: np.ndarray) -> np.ndarray:
    x = profiles[:, :, 0]
    return 2 * x[:, ::-1] - x


@pytest.mark.parametrize("other", [0.0, 0.4, 1.0])
def test_dominated_strategy_is_never_a_best_response(other):
    br = best_responses(dilemma, np.array([[0.7], [other]]), box(2, 0.0, 1.0), [0], SEARCH)
    assert br.strategies[0, 0] == 0.0
    assert br.gains[0] == pytest.approx(0.7)


def test_dominant_strategy_equilibrium_and_cooperative_contribution():
    space = box(2, 0.0, 1.0)
    eq = equilibrium(dilemma, np.array([[0.5], [0.5]]), space, SEARCH)
    coop = cooperative(dilemma, lambda p: dilemma(p).sum(axis=1), np.array([[0.5], [0.5]]), space)
    np.testing.assert_array_equal(eq.profile, 0.0)
    np.testing.assert_allclose(coop.profile, 1.0)


# Stag hunt: u_i = x_i (x_j - 1/2) on [0, 1]. The best response is 1 when the other
# plays above 1/2, 0 below: (0, 0) and (1, 1) are both equilibria.
def stag_hunt(profiles: np.ndarray) -> np.ndarray:
    x = profiles[:, :, 0]
    return x * (x[:, ::-1] - 0.5)


def test_two_equilibria_found_from_two_starts():
    space = box(2, 0.0, 1.0)
    # no coarse grid: the search starts where the start is
    local = Search(grid=0, step=0.1, min_step=1e-6, max_iter=200)
    low = equilibrium(stag_hunt, np.array([[0.3], [0.2]]), space, local, warm_step=0.1)
    high = equilibrium(stag_hunt, np.array([[0.8], [0.7]]), space, local, warm_step=0.1)
    assert low.converged and high.converged
    np.testing.assert_allclose(low.profile, 0.0, atol=1e-9)
    np.testing.assert_allclose(high.profile, 1.0, atol=1e-9)
    assert distinct([low, high], space) == [0, 1]
    assert distinct([low, low], space) == [0]


def test_ties_keep_the_incumbent_strategy():
    # a flat payoff: every candidate ties, so nobody moves
    def flat(profiles: np.ndarray) -> np.ndarray:
        return np.ones(profiles.shape[:2]) + 1e-13 * profiles[:, :, 0]

    br = best_responses(flat, np.array([[0.3], [0.6]]), box(2, 0.0, 1.0), None, SEARCH)
    np.testing.assert_array_equal(br.strategies[:, 0], [0.3, 0.6])
    np.testing.assert_array_equal(br.gains, 0.0)


def test_cap_on_the_sum_of_levers_is_respected():
    # u = x_1 + x_2 (two levers), each in [0, 1], total at most 1.2
    space = Space(np.zeros((1, 2)), np.ones((1, 2)), max_total=1.2)

    def two(profiles: np.ndarray) -> np.ndarray:
        return profiles.sum(axis=2) + 0.1 * profiles[:, :, 0]

    br = best_responses(two, np.array([[0.1, 0.1]]), space, None, SEARCH)
    assert br.strategies.sum() == pytest.approx(1.2, abs=1e-5)
    assert br.strategies[0, 0] == pytest.approx(1.0, abs=1e-5)
