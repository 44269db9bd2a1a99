"""The optimisers on toy problems with analytic optima, through the same seams the model uses.

- Cobb-Douglas on the simplex: maximise sum_i a_i log s_i subject to sum s_i = 1.
  The Lagrange conditions a_i / s_i = lambda give s_i = a_i / sum(a). With an upper
  bound on one share that binds, the rest is shared in proportion to the other a_i.
- A quadratic with a linear constraint: minimise |x - (0.8, 0.8)|^2 with x0 + x1 <= 1;
  the projection of (0.8, 0.8) onto the half-plane is (0.5, 0.5).
- Two quadratics on the simplex with minima A and B (both feasible): the Pareto set
  is the segment from A to B.
"""

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.optimise import pareto, simplex, single
from regionsoft_sd.optimise.decisions import Scalar, Simplex, Space
from regionsoft_sd.optimise.problem import Problem
from regionsoft_sd.optimise.spec import Constraint, Objective

A4 = np.array([0.4, 0.3, 0.2, 0.1])


def cobb_douglas(U, low, high, a=A4):
    s = simplex.from_unit(U, low, high)
    return -(a * np.log(np.maximum(s, 1e-300))).sum(axis=1), np.empty((len(U), 0))


def test_de_finds_the_cobb_douglas_optimum():
    low, high = np.zeros(4), np.ones(4)
    res = single.minimise(lambda U: cobb_douglas(U, low, high), 3, population=30, seed=1)
    s = simplex.from_unit(res.x[None, :], low, high)[0]
    np.testing.assert_allclose(s, A4, atol=1e-4)
    assert res.f == pytest.approx(-(A4 * np.log(A4)).sum(), abs=1e-8)
    assert res.polished


def test_de_with_a_binding_bound():
    low, high = np.zeros(4), np.array([0.3, 1.0, 1.0, 1.0])
    res = single.minimise(lambda U: cobb_douglas(U, low, high), 3, population=30, seed=2)
    s = simplex.from_unit(res.x[None, :], low, high)[0]
    rest = A4[1:] / A4[1:].sum() * 0.7  # 0.35, 0.2333, 0.1167
    np.testing.assert_allclose(s, [0.3, *rest], atol=1e-4)


def test_de_respects_a_constraint_without_a_penalty():
    def fun(X):
        return ((X - 0.8) ** 2).sum(axis=1), (X.sum(axis=1) - 1.0)[:, None]

    res = single.minimise(fun, 2, population=20, seed=3)
    np.testing.assert_allclose(res.x, [0.5, 0.5], atol=1e-6)
    assert res.feasible and res.f == pytest.approx(0.18, abs=1e-9)


def test_de_evaluates_each_generation_as_one_batch():
    calls = []

    def fun(U):
        calls.append(len(U))
        return cobb_douglas(U, np.zeros(4), np.ones(4))

    single.minimise(fun, 3, population=12, generations=5, seed=4, polish=False, tol=0)
    # the probe point, the initial population, then one call per generation
    assert calls[:2] == [1, 12]
    assert calls[2:] == [12] * (len(calls) - 2) and len(calls) - 2 == 5


def test_polish_gradient_is_one_batch_of_2d_plus_1_points():
    sizes = []

    def fun(U):
        sizes.append(len(U))
        return cobb_douglas(U, np.zeros(4), np.ones(4))

    single.minimise(fun, 3, population=12, generations=3, seed=5, polish=True)
    # 2 * 3 + 1 points, or 2 * 3 when the centre was evaluated before (memo)
    assert {6, 7} & set(sizes[2 + 3 :])


def test_nsga2_front_is_the_segment_between_the_two_minima():
    A, B = np.array([0.6, 0.3, 0.1]), np.array([0.1, 0.2, 0.7])

    def fun(X):
        F = np.column_stack([((X - A) ** 2).sum(1), ((X - B) ** 2).sum(1)])
        return F, np.empty((len(X), 0))

    low, high = np.zeros(3), np.ones(3)
    res = pareto.front(
        fun,
        low,
        high,
        2,
        population=40,
        generations=80,
        seed=6,
        repair=lambda X: simplex.project(X, low, high),
    )
    assert len(res.X) >= 10
    np.testing.assert_allclose(res.X.sum(axis=1), 1.0, atol=1e-12)
    d = B - A
    t = np.clip((res.X - A) @ d / (d @ d), 0, 1)
    on_segment = A + t[:, None] * d
    # each found point is nearly as good as its foot on the segment (which dominates it);
    # a genetic algorithm converges slowly across the front, so the worst point lags
    gap = (res.F - fun(on_segment)[0]).max(axis=1)
    scale = (A - B) @ (A - B)
    assert np.median(gap) < 0.001 * scale and gap.max() < 0.03 * scale
    assert t.min() < 0.05 and t.max() > 0.95  # both ends reached


def test_nsga3_for_three_objectives_on_the_simplex():
    P = np.eye(3)

    def fun(X):
        return np.column_stack([((X - p) ** 2).sum(1) for p in P]), np.empty((len(X), 0))

    low, high = np.zeros(3), np.ones(3)
    res = pareto.front(
        fun,
        low,
        high,
        3,
        algorithm="auto",
        population=30,
        generations=30,
        seed=7,
        repair=lambda X: simplex.project(X, low, high),
    )
    assert res.algorithm == "nsga3"
    # every point of the simplex is Pareto-optimal here: the front spreads over it
    assert len(res.X) >= 10 and res.X.min(axis=0).max() < 0.2 and res.X.max(axis=0).min() > 0.6


def test_front_reports_infeasible_constraints():
    def fun(X):
        return np.column_stack([X[:, 0], -X[:, 0]]), (0.5 - X.sum(axis=1) * 0 + 1)[:, None]

    res = pareto.front(fun, np.zeros(2), np.ones(2), 2, population=10, generations=3, seed=8)
    assert len(res.X) == 0 and res.best_violation == pytest.approx(1.5)


# --- the toolkit's Space and Problem on a toy "model" -------------------------------------

SPLIT = Simplex("Split", ("a", "b", "c"), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
WEIGHTS = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.2, 0.6, 0.2]])  # one row per future


def toy_cube(levers: pd.DataFrame) -> np.ndarray:
    """Metric 'm' of each candidate in each future: sum_i w_fi log s_i (futures = rows of W)."""
    s = levers[["a", "b", "c"]].to_numpy()
    m = np.log(np.maximum(s, 1e-300)) @ WEIGHTS.T  # (n, futures)
    return m[:, :, None]


def test_problem_mean_over_futures_has_the_averaged_optimum():
    """The mean of sum_i w_fi log s_i over futures is sum_i mean(w_i) log s_i: optimum mean(w)."""
    space = Space((SPLIT,))
    problem = Problem(space, (Objective("m", "higher"),), (), ["m"], toy_cube)
    res = single.minimise(problem.unit, space.unit_dim, population=20, seed=9)
    levers = space.from_unit(res.x[None, :])
    np.testing.assert_allclose(levers.iloc[0].to_numpy(), WEIGHTS.mean(axis=0), atol=1e-4)
    assert len(problem.candidates()) == res.evaluations


def test_problem_constraint_on_a_scalar_decision():
    """Maximise x subject to mean(m) >= -1.2 where m = -(x - 0)^2 ... i.e. x <= sqrt(1.2)."""
    space = Space((), (Scalar("x", 0.0, 3.0),))

    def cube(levers):
        x = levers["x"].to_numpy()
        return np.stack([x, -(x**2)], axis=1)[:, None, :]

    problem = Problem(
        space,
        (Objective("x", "higher"),),
        (Constraint("m", -1.2, None),),
        ["x", "m"],
        cube,
    )
    res = single.minimise(problem.unit, 1, population=10, seed=10)
    assert space.from_unit(res.x[None, :])["x"].iloc[0] == pytest.approx(np.sqrt(1.2), abs=1e-6)
    assert res.feasible


def test_de_reports_when_no_point_is_feasible():
    def fun(X):
        return X.sum(axis=1), np.ones((len(X), 1))

    res = single.minimise(fun, 2, population=6, generations=3, seed=11)
    assert not res.feasible


def test_problem_regret_is_measured_against_a_fixed_best_per_future():
    """regret score = max over futures of (best_f - m_f), best given before the search."""
    space = Space((SPLIT,))
    best = np.array([-0.9, -1.0, -0.95])
    problem = Problem(
        space, (Objective("m", "higher", "regret"),), (), ["m"], toy_cube, {"m": best}
    )
    levers = space.from_unit(np.array([[0.5, 0.5], [0.2, 0.9]]))
    scores, _, _ = problem.evaluate(levers)
    m = toy_cube(levers)[:, :, 0]
    np.testing.assert_allclose(scores[:, 0], (best[None, :] - m).max(axis=1))


def test_problem_satisficing_share():
    space = Space((SPLIT,))
    obj = Objective("m", "higher", "satisficing", threshold=-1.1)
    problem = Problem(space, (obj,), (), ["m"], toy_cube)
    levers = space.from_unit(np.array([[0.5, 0.5]]))
    scores, _, _ = problem.evaluate(levers)
    m = toy_cube(levers)[0, :, 0]
    assert scores[0, 0] == pytest.approx((m >= -1.1).mean())
    assert problem.signs[0] == -1.0  # a share is maximised
