"""Differences within the decision tie tolerance (0.1 %) are ties: no failure, no win, no regret;
and a discovery says when there is no box to report."""

import numpy as np
import pandas as pd

from regionsoft_sd.futures.discovery import analyse, failures
from regionsoft_sd.futures.discovery_report import box_sentence
from regionsoft_sd.futures.failure import Failure, PrimSettings
from regionsoft_sd.optimise import robust
from regionsoft_sd.optimise.analysis import win_shares

RNG = np.random.default_rng(23)
OTHER = RNG.uniform(0.3, 0.4, 400)  # soft power of the runner-up in 400 futures


def test_a_shortfall_of_0_04_percent_is_a_tie_not_a_failure():
    f = Failure("m", "higher", "x", tie=1e-3)
    close = OTHER * (1 - 4e-4)  # robust_split against culture_first: at most 0.04 % apart
    assert not failures(f, close, OTHER).any()
    assert failures(f, OTHER * (1 - 2e-3), OTHER).all()  # 0.2 %: a real shortfall
    # the same for a threshold: 0.05 % below it is on it
    g = Failure("m", "higher", below=0.5, tie=1e-3)
    assert not failures(g, np.array([0.49975]), None).any()
    assert failures(g, np.array([0.499]), None).all()


def test_strategies_within_0_1_percent_share_wins_and_have_no_regret():
    y = np.vstack([OTHER * (1 - 4e-4), OTHER])
    np.testing.assert_allclose(win_shares(y, "higher"), [0.5, 0.5])
    np.testing.assert_array_equal(robust.regret_table(y, "higher"), 0.0)
    y = np.vstack([OTHER * (1 - 2e-3), OTHER])
    np.testing.assert_allclose(win_shares(y, "higher"), [0.0, 1.0])
    assert robust.max_regret(y, "higher")[0] > 0


def _discovery(failed_share: float, threshold: float):
    x = pd.DataFrame({"a": RNG.uniform(0, 1, 400), "b": RNG.uniform(0, 1, 400)})
    y = OTHER.copy()
    mine = np.where(x.a.to_numpy() < failed_share, y * 0.9, y)  # fails where a is small
    f = Failure("m", "higher", "x", tie=1e-3, prim=PrimSettings(threshold=threshold))
    return analyse(x, f, "mine", mine, "other", y)


def test_no_failures_means_no_box():
    d = _discovery(0.0, 0.8)
    assert d.share == 0 and d.prim.status == "no cases"
    assert "never fails" in box_sentence(d)


def test_a_base_rate_above_the_threshold_is_said_instead_of_an_unrestricted_box():
    d = _discovery(0.9, 0.5)  # fails in about 90 % of the futures, threshold 0.5
    assert d.prim.status == "everywhere"
    text = box_sentence(d)
    assert f"{d.share * 100:.1f} %" in text and "above PRIM's density threshold 0.5" in text
    assert "no restriction" not in text


def test_a_region_of_failures_gets_its_box():
    d = _discovery(0.3, 0.8)
    assert d.prim.status == "box"
    lim = d.prim.box.limits()
    # the widest box [0, u] of density >= 0.8 has 0.3 / u >= 0.8: u near 0.375
    assert list(lim.index) == ["a"] and 0.3 <= lim.at["a", "upper"] <= 0.4
    assert "a in [" in box_sentence(d)
