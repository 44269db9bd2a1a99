"""The pieces that make a front from a search: corner seeds, the tie-aware merge, thinning."""

import numpy as np

from regionsoft_sd.optimise.decisions import Scalar, Simplex, Space
from regionsoft_sd.optimise.pareto import merge, thin


def test_corners_are_the_vertices_and_edge_midpoints_times_the_scalar_bounds():
    four = Simplex("g", ("a", "b", "c", "d"), (0.0,) * 4, (1.0,) * 4)
    space = Space((four,), (Scalar("budget", 0.0, 120.0),))
    C = space.corners()
    assert C.shape == (20, 5)  # (4 vertices + 6 edge midpoints) x 2 budgets
    np.testing.assert_allclose(C[:, :4].sum(axis=1), 1.0)
    rows = {tuple(np.round(r, 12)) for r in C}
    assert (0.0, 0.0, 1.0, 0.0, 120.0) in rows and (0.5, 0.0, 0.0, 0.5, 0.0) in rows
    # bounds are respected: a share capped at 0.6 gives its vertex's rest to the others
    capped = Simplex("g", ("a", "b"), (0.0, 0.0), (0.6, 1.0))
    np.testing.assert_allclose(Space((capped,)).corners()[0], [0.6, 0.4])


def test_merge_drops_dominated_infeasible_and_tied_points():
    F = np.array([[0.5, 0.5], [0.0, 1.0], [0.5, 0.5 + 1e-6], [0.6, 0.6], [1.0, 0.0], [0.2, 0.2]])
    G = np.array([[0.0], [0.0], [0.0], [0.0], [0.0], [1.0]])  # the last one is infeasible
    idx = merge(F, F, G)
    # (0.5, 0.5 + 1e-6) ties (0.5, 0.5) within 0.1 %; (0.6, 0.6) is dominated
    assert list(idx) == [1, 0, 4]


def test_thin_keeps_the_extremes_then_the_largest_hypervolume_gain():
    t = np.linspace(0.0, 1.0, 11)
    F = np.column_stack([t, 1 - t])  # a straight front; with both ends kept, the point
    # (t, 1 - t) adds the area t (1 - t) below the reference (1, 1): largest at t = 0.5
    assert list(thin(F, 3)) == [0, 5, 10]
    assert list(thin(F, 20)) == list(range(11))


def test_thin_on_a_front_larger_than_its_pool_keeps_the_extremes():
    t = np.linspace(0.0, np.pi / 2, 2500)  # more points than pareto.THIN_POOL
    F = np.column_stack([np.cos(t), np.sin(t)])
    idx = thin(F, 10)
    assert len(idx) == 10 and {0, 2499} <= set(idx.tolist())
