"""Robustness scores on small tables worked out by hand."""

import numpy as np
import pytest

from regionsoft_sd.optimise import robust

# 3 strategies x 4 futures, higher is better
Y = np.array(
    [
        [3.0, 5.0, 1.0, 4.0],
        [4.0, 2.0, 2.0, 4.0],
        [1.0, 5.0, 3.0, 0.0],
    ]
)
# best per future: 4, 5, 3, 4; regret = best - own
REGRET = np.array(
    [
        [1.0, 0.0, 2.0, 0.0],
        [0.0, 3.0, 1.0, 0.0],
        [3.0, 0.0, 0.0, 4.0],
    ]
)


def test_regret_table_by_hand():
    np.testing.assert_array_equal(robust.regret_table(Y, "higher"), REGRET)
    np.testing.assert_array_equal(robust.max_regret(Y, "higher"), [2.0, 3.0, 4.0])
    np.testing.assert_allclose(robust.regret_table(Y, "higher").mean(axis=1), [0.75, 1.0, 1.75])


def test_regret_when_lower_is_better():
    # best (lowest) per future: 1, 2, 1, 0; regret = own - best
    expected = np.array([[2, 3, 0, 4], [3, 0, 1, 4], [0, 3, 2, 0]], float)
    np.testing.assert_array_equal(robust.regret_table(Y, "lower"), expected)
    np.testing.assert_array_equal(robust.max_regret(Y, "lower"), [4.0, 4.0, 3.0])


def test_regret_against_a_given_best_can_be_negative():
    best = np.array([3.5, 5.0, 2.0, 4.0])
    np.testing.assert_array_equal(
        robust.regret_table(Y[:1], "higher", best), [[0.5, 0.0, 1.0, 0.0]]
    )
    np.testing.assert_array_equal(
        robust.regret_table(Y[1:2], "higher", best), [[-0.5, 3.0, 0.0, 0.0]]
    )


def test_minimax_regret_differs_from_the_mean():
    """A safe strategy A and a gamble B: B has the better mean, A the smaller worst regret."""
    y = np.array([[5.0, 5.0, 5.0], [9.0, 9.0, 0.0]])
    np.testing.assert_allclose(robust.mean(y, "higher"), [5.0, 6.0])
    # best per future 9, 9, 5: A's regrets 4, 4, 0; B's 0, 0, 5
    np.testing.assert_array_equal(robust.max_regret(y, "higher"), [4.0, 5.0])


def test_percentile_is_the_bad_tail():
    y = np.arange(1.0, 11.0)[None, :]  # 1 .. 10
    # linear interpolation: the 10th percentile of 1..10 is 1 + 0.1 * 9 = 1.9
    assert robust.percentile(y, "higher", 10)[0] == pytest.approx(1.9)
    # lower is better: the bad tail is the 90th percentile, 1 + 0.9 * 9 = 9.1
    assert robust.percentile(y, "lower", 10)[0] == pytest.approx(9.1)


def test_satisficing_share():
    np.testing.assert_allclose(robust.satisficing(Y, "higher", 3.0), [0.75, 0.5, 0.5])
    np.testing.assert_allclose(robust.satisficing(Y, "lower", 1.0), [0.25, 0.0, 0.5])


def test_nan_counts_as_the_worst_outcome():
    y = np.array([[1.0, np.nan], [0.5, 0.5]])
    np.testing.assert_array_equal(robust.satisficing(y, "higher", 0.4), [0.5, 1.0])
    # strategy 0 never reaches the outcome in future 1: infinite regret there
    assert robust.max_regret(y, "higher")[0] == np.inf
    assert np.isnan(robust.mean(y, "higher")[0])


def test_score_directions():
    assert robust.score_direction("regret", "higher") == "lower"
    assert robust.score_direction("satisficing", "lower") == "higher"
    assert robust.score_direction("percentile", "lower") == "lower"
    with pytest.raises(ValueError):
        robust.score(Y, "satisficing", "higher")
