"""Fit statistics and profile intervals, checked against hand-computed cases."""

import math

import numpy as np
import pytest

from regionsoft_sd.calibrate.profile import interval
from regionsoft_sd.calibrate.stats import fit_stats, theil


def test_theil_against_a_hand_computed_case():
    # model m = 2, 4, 6, 8 against data a = 1, 3, 4, 8 (worked by hand):
    # errors 1, 1, 2, 0 -> MSE = 6 / 4 = 1.5; means 5 and 4 -> bias^2 = 1;
    # population variances: m 20 / 4 = 5, a 26 / 4 = 6.5; covariance 22 / 4 = 5.5
    m = np.array([2.0, 4, 6, 8])
    a = np.array([1.0, 3, 4, 8])
    um, us, uc = theil(m, a)
    assert um == pytest.approx(1 / 1.5, abs=1e-12)
    assert us == pytest.approx((5 + 6.5 - 2 * math.sqrt(32.5)) / 1.5, abs=1e-12)
    assert uc == pytest.approx(2 * (math.sqrt(32.5) - 5.5) / 1.5, abs=1e-12)
    s = fit_stats(m, a)
    assert s.r2 == pytest.approx(1 - 6 / 26, abs=1e-12)  # SSE 6, SST 26
    assert s.mape == pytest.approx((1 / 1 + 1 / 3 + 2 / 4 + 0) / 4, abs=1e-12)
    assert s.n == 4 and s.flag == "bias"  # U^M = 2/3 is most of the error


def test_theil_parts_sum_to_one_with_population_standard_deviations():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(2, 40))
        a = rng.normal(10, 3, n)
        m = a * rng.uniform(0.5, 1.5) + rng.normal(rng.normal(), rng.uniform(0.1, 3), n)
        assert sum(theil(m, a)) == pytest.approx(1.0, abs=1e-10)


def test_pure_bias_and_pure_unequal_variation_are_flagged():
    a = np.array([3.0, 5.0, 4.0, 8.0, 6.0])
    shifted = fit_stats(a + 2, a)
    assert (shifted.um, shifted.us, shifted.uc) == pytest.approx((1, 0, 0), abs=1e-12)
    assert shifted.flag == "bias"
    stretched = fit_stats(a.mean() + 2 * (a - a.mean()), a)  # same mean, perfect correlation
    assert (stretched.um, stretched.us, stretched.uc) == pytest.approx((0, 1, 0), abs=1e-12)
    assert stretched.flag == "unequal variation"
    noisy = fit_stats(a[::-1], a)  # same values in another order: same mean and spread
    assert noisy.uc == pytest.approx(1.0) and noisy.flag == ""


def test_perfect_fit_has_no_theil_split():
    a = np.array([1.0, 2.0, 3.0])
    assert all(math.isnan(v) for v in theil(a, a))
    assert fit_stats(a, a).r2 == 1.0 and fit_stats(a, a).mape == 0.0


def test_profile_interval_of_a_quadratic_profile():
    # delta = ((x - 1) / 0.5)^2 crosses 3.84 at 1 -/+ 0.5 sqrt(3.84)
    x = np.linspace(0, 3, 301)
    lo, hi, verdict = interval(x, ((x - 1) / 0.5) ** 2, 1.0, 3.84)
    assert verdict == "bounded"
    assert lo == pytest.approx(1 - 0.5 * math.sqrt(3.84), abs=1e-3)
    assert hi == pytest.approx(1 + 0.5 * math.sqrt(3.84), abs=1e-3)


def test_profile_interval_flat_and_one_sided():
    x = np.linspace(0, 1, 11)
    assert interval(x, 0.1 * x, 0.5, 3.84)[2] == "flat"
    lo, hi, verdict = interval(x, np.where(x > 0.5, 100 * (x - 0.5) ** 2, 0.0), 0.5, 3.84)
    assert verdict == "one-sided" and lo == 0.0 and 0.6 < hi < 0.8
    # an estimate at a bound needs only the other side to rise
    lo, hi, verdict = interval(x, 50 * x**2, 0.0, 3.84)
    assert verdict == "bounded" and lo == 0.0 and 0.2 < hi < 0.3
