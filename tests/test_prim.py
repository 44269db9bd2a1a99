"""PRIM finds a planted box; coverage, density and quasi-p-values follow their definitions."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from regionsoft_sd.futures.prim import prim

NAMES = [f"x{i}" for i in range(5)]


def planted(n=3000, noise=0.0, seed=0):
    """Cases of interest where 0.2 <= x0 <= 0.6 and x1 >= 0.7 (x2..x4 are irrelevant)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 5)), columns=NAMES)
    y = ((x.x0 >= 0.2) & (x.x0 <= 0.6) & (x.x1 >= 0.7)).to_numpy()
    flip = rng.random(n) < noise
    return x, y ^ flip


def test_finds_the_planted_box():
    x, y = planted()
    res = prim(x, y, threshold=0.95)
    box = res.box
    assert set(box.restricted) == {"x0", "x1"}
    assert box.lower["x0"] == pytest.approx(0.2, abs=0.02)
    assert box.upper["x0"] == pytest.approx(0.6, abs=0.02)
    assert box.lower["x1"] == pytest.approx(0.7, abs=0.02)
    assert box.density >= 0.95 and box.coverage >= 0.9


def test_finds_the_planted_box_through_label_noise():
    x, y = planted(n=4000, noise=0.05, seed=1)
    res = prim(x, y, threshold=0.8)
    box = res.box
    assert set(box.restricted) == {"x0", "x1"}
    assert box.lower["x1"] == pytest.approx(0.7, abs=0.05)
    assert box.density > 0.75


def test_coverage_density_and_mass_follow_their_definitions():
    x, y = planted(n=2000, seed=2)
    res = prim(x, y)
    for b in res.trajectory:
        inside = b.contains(x)
        assert b.mass == pytest.approx(inside.mean())
        assert b.coverage == pytest.approx(y[inside].sum() / y.sum())
        assert b.density == pytest.approx(y[inside].mean())
    first = res.trajectory[0]
    assert first.coverage == 1.0 and first.mass == 1.0 and first.restricted == ()
    # peeling trades coverage for density: coverage never rises along the peel
    peel = [b.coverage for b in res.trajectory[: res.peeled + 1]]
    assert all(a >= b - 1e-12 for a, b in zip(peel[:-1], peel[1:], strict=True))
    # pasting adds cases and raises density at every step
    for a, b in zip(res.trajectory[res.peeled :], res.trajectory[res.peeled + 1 :], strict=False):
        assert b.mass > a.mass and b.density > a.density


def test_peeling_stops_at_the_minimum_mass():
    x, y = planted(n=2000, seed=3)
    res = prim(x, y, mass_min=0.2)
    assert min(b.mass for b in res.trajectory) >= 0.2


def test_chosen_box_has_the_most_coverage_above_the_threshold():
    x, y = planted(n=2000, seed=4)
    res = prim(x, y, threshold=0.9)
    ok = [b for b in res.trajectory if b.density >= 0.9]
    assert res.trajectory[res.chosen].coverage == max(b.coverage for b in ok)


def test_quasi_p_value_by_hand():
    """x0 alone decides; the box x0 >= 0.5 holds every case, outside there are none.
    Dropping its restriction leaves density p = share of cases; the quasi-p-value is the
    binomial probability of the box's hits (or more) at that p."""
    rng = np.random.default_rng(5)
    x = pd.DataFrame({"x0": rng.random(400), "x1": rng.random(400)})
    y = (x.x0 >= 0.5).to_numpy() & (rng.random(400) < 0.9)
    res = prim(x, y, threshold=0.85)
    b = res.box
    assert b.restricted == ("x0",)
    inside = b.contains(x)
    hits, k = int(y[inside].sum()), int(inside.sum())
    expected = binom.sf(hits - 1, k, y.mean())
    qp_lower, qp_upper = b.qp["x0"]
    assert qp_lower == pytest.approx(expected, rel=1e-9)
    assert np.isnan(qp_upper) and b.upper["x0"] == x.x0.max()  # the upper side is free


def test_irrelevant_restrictions_are_dropped():
    x, y = planted(n=3000, seed=6)
    res = prim(x, y, threshold=0.8, mass_min=0.02)
    assert set(res.box.restricted) == {"x0", "x1"}
    sides = [q for qs in res.box.qp.values() for q in qs if not np.isnan(q)]
    assert sides and all(q <= 0.05 for q in sides)


def test_rejects_mismatched_input():
    x, y = planted(n=100)
    with pytest.raises(ValueError):
        prim(x, y[:50])
    with pytest.raises(ValueError):
        prim(x, y, peel_alpha=0.6)
