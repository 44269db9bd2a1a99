"""Stability: with exogenous growth off, the model has an equilibrium, and it is stable.

Leaving an equilibrium alone proves nothing (an unstable one also stays put), so the
equilibrium is found (a long run, then Newton's method on the step map) and tested two
ways: the eigenvalues of a finite-difference Jacobian of the dynamics all have negative
real parts, and a +/-10 % perturbation of every stock decays over 300 years.
"""

import numpy as np
import pytest

from tests.model_helpers import STOCKS, Equilibrium


@pytest.fixture(scope="module")
def eq():
    return Equilibrium()


def test_the_equilibrium_is_one(eq):
    f = eq.derivative(eq.x)
    assert np.max(np.abs(f) / np.abs(eq.x)) < 1e-9
    assert (eq.x > 0).all()


def test_every_eigenvalue_of_the_jacobian_has_a_negative_real_part(eq):
    eigenvalues = np.linalg.eigvals(eq.jacobian(eq.x))
    assert eigenvalues.real.max() < 0, sorted(eigenvalues.real)[-3:]


@pytest.mark.slow  # 300 years from every stock, twice: about a minute each
@pytest.mark.parametrize("sign", [1, -1], ids=["plus10", "minus10"])
def test_a_ten_percent_perturbation_of_any_stock_decays_within_300_years(eq, sign):
    not_decayed = {}
    for j, stock in enumerate(STOCKS):
        x = eq.x.copy()
        x[j] *= 1 + sign * 0.10
        run = eq.run_from(x, 300, every=50)
        dev = np.abs(run[STOCKS].to_numpy() / eq.x - 1).max(axis=1)
        # the largest relative deviation of any stock shrinks, and keeps shrinking
        if not (dev[-1] < 0.5 * dev[0] and dev[-1] <= dev[-2]):
            not_decayed[stock] = np.round(dev, 4).tolist()
    assert not_decayed == {}
