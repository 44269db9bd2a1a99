"""The bounded simplex: projection (the genetic algorithms' repair) and stick breaking (DE's map).

Known answers are worked by hand from the definition of the projection,
argmin |s - v| subject to sum(s) = 1 and low <= s <= high, whose solution is
clip(v - tau, low, high) with the tau that makes the sum 1.
"""

import numpy as np
import pytest

from regionsoft_sd.optimise import simplex

FREE3 = (np.zeros(3), np.ones(3))


@pytest.mark.parametrize(
    ("v", "low", "high", "expected"),
    [
        # equal excess is removed equally: tau = 1/6
        ([0.5, 0.5, 0.5], [0, 0, 0], [1, 1, 1], [1 / 3, 1 / 3, 1 / 3]),
        # tau = 0.1 zeroes the negative entry: 0.6 - 0.1 twice, -0.2 - 0.1 clipped to 0
        ([0.6, 0.6, -0.2], [0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.0]),
        # a vertex stays put
        ([1.0, 0.0, 0.0], [0, 0, 0], [1, 1, 1], [1.0, 0.0, 0.0]),
        # an upper bound binds: share 0 capped at 0.2, then 0.2 + 2 (0.5 - tau) = 1, tau = 0.1
        ([0.5, 0.5, 0.5], [0, 0, 0], [0.2, 1, 1], [0.2, 0.4, 0.4]),
        # a lower bound binds: 0.3 + 2 (0.9 - tau) = 1 gives tau = 0.55 (share 0 would be
        # 0 - 0.55 < 0.3), so the others get 0.35
        ([0.0, 0.9, 0.9], [0.3, 0, 0], [1, 1, 1], [0.3, 0.35, 0.35]),
    ],
)
def test_projection_known_answers(v, low, high, expected):
    s = simplex.project(np.array([v], float), np.array(low, float), np.array(high, float))
    np.testing.assert_allclose(s[0], expected, atol=1e-12)
    assert s[0].sum() == pytest.approx(1.0, abs=1e-12)


def test_projection_is_the_nearest_feasible_point():
    """Variational inequality of a projection onto a convex set: (v - p).(y - p) <= 0 for
    every feasible y. Checked against random feasible points, independent of the algorithm."""
    rng = np.random.default_rng(1)
    low, high = np.array([0.05, 0.0, 0.1, 0.0]), np.array([0.6, 0.5, 0.9, 0.3])
    v = rng.normal(0.25, 0.5, (200, 4))
    p = simplex.project(v, low, high)
    assert np.all(p >= low - 1e-12) and np.all(p <= high + 1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    y = simplex.from_unit(rng.random((300, 3)), low, high)  # feasible points
    worst = max(float(((v[i] - p[i]) @ (y - p[i]).T).max()) for i in range(len(v)))
    assert worst <= 1e-10


def test_projection_leaves_feasible_points_alone():
    rng = np.random.default_rng(2)
    s = rng.dirichlet(np.ones(4), 50)
    np.testing.assert_allclose(simplex.project(s, np.zeros(4), np.ones(4)), s, atol=1e-12)


def test_stick_breaking_known_values():
    low, high = FREE3
    # share 0 takes half of 1; share 1 half of the remaining 0.5; share 2 the rest
    np.testing.assert_allclose(
        simplex.from_unit([[0.5, 0.5]], low, high), [[0.5, 0.25, 0.25]], atol=1e-15
    )
    # corners of the cube are vertices of the simplex
    np.testing.assert_allclose(simplex.from_unit([[1.0, 0.3]], low, high), [[1, 0, 0]])
    np.testing.assert_allclose(simplex.from_unit([[0.0, 1.0]], low, high), [[0, 1, 0]])
    np.testing.assert_allclose(simplex.from_unit([[0.0, 0.0]], low, high), [[0, 0, 1]])


def test_stick_breaking_respects_bounds_and_round_trips():
    rng = np.random.default_rng(3)
    low, high = np.array([0.1, 0.0, 0.2, 0.0]), np.array([0.5, 0.6, 0.7, 0.15])
    u = rng.random((500, 3))
    s = simplex.from_unit(u, low, high)
    assert np.all(s >= low - 1e-12) and np.all(s <= high + 1e-12)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(simplex.to_unit(s, low, high), u, atol=1e-9)


def test_stick_breaking_reaches_every_feasible_split():
    """Onto: any feasible split maps back to itself through to_unit then from_unit."""
    rng = np.random.default_rng(4)
    low, high = np.array([0.0, 0.1, 0.0]), np.array([0.8, 1.0, 0.5])
    s = simplex.project(rng.random((100, 3)), low, high)
    back = simplex.from_unit(simplex.to_unit(s, low, high), low, high)
    np.testing.assert_allclose(back, s, atol=1e-9)


@pytest.mark.parametrize(
    ("low", "high", "ok"),
    [
        ([0, 0, 0], [1, 1, 1], True),
        ([0.4, 0.4, 0.3], [1, 1, 1], False),  # lows sum to 1.1
        ([0, 0, 0], [0.3, 0.3, 0.3], False),  # highs sum to 0.9
        ([0.2, 0.3, 0.5], [0.2, 0.3, 0.5], True),  # a single point
        ([0.5, 0, 0], [0.4, 1, 1], False),  # low above high
    ],
)
def test_feasible(low, high, ok):
    assert simplex.feasible(np.array(low, float), np.array(high, float)) is ok


def test_projection_refuses_an_empty_simplex():
    with pytest.raises(ValueError, match="sum to 1"):
        simplex.project(np.ones((1, 3)), np.zeros(3), np.full(3, 0.3))
