"""Model version 3: random parameter sets drawn from the declared ranges stay sound.

Every scalar constant is drawn uniformly from its [min,max] range in the .mdl, and
Sichuan's five policy levers from theirs; the batch engine (checked against pysimlin
in tests/test_model_v3_engines.py) runs them all at once. In every run and year:
no NaN or inf, no negative stock, dominant soft power at most potential, positive
household consumption, and the accounting identity and zero-sum migration hold.
The fast test draws 100 sets; the slow one (REGIONSOFT_SLOW=1) draws 10,000.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from regionsoft_sd.batch import simulate
from regionsoft_sd.batch.engine import compile_model
from tests.test_model_v3_data import CONTROL, _equations
from tests.test_model_v3_support import LEADER, MDL, provinces

RECORD_BY_PROVINCE = [
    "Dominant Soft Power",
    "Potential Soft Power",
    "Household consumption",
    "Accounting residual",
    "GDP",
]
RECORD = ["National net migration", "Total movers", "National accounting residual", "National GDP"]


def ranges() -> dict[str, tuple[float, float]]:
    """Scalar constants and Sichuan's levers with their declared [min,max] ranges."""
    out = {}
    for lhs, rhs, units, _ in _equations():
        rng = re.search(r"\[([-\d.e]+),([-\d.e]+)\]", units)
        if lhs in CONTROL or not rng:
            continue
        low, high = float(rng[1]), float(rng[2])
        if lhs.startswith("Policy ") and lhs.endswith("[Province]"):
            out[lhs.replace("[Province]", f"[{LEADER}]")] = (low, high)
        elif "[" not in lhs and re.fullmatch(r"-?[\d.]+(e-?\d+)?", rhs.strip()):
            out[lhs] = (low, high)
    return out


def draw(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(lo, hi, n) for k, (lo, hi) in ranges().items()}


def _check(n: int, seed: int) -> None:
    stocks = list(compile_model(MDL).stocks)
    per = [f"{v}[{p}]" for v in RECORD_BY_PROVINCE for p in provinces()]
    res = simulate(draw(n, seed), record=stocks + per + RECORD, mdl_path=MDL, backend="numpy")
    d = res.data
    for name in stocks + per + RECORD:
        assert np.isfinite(d[name]).all(), name
    for name in stocks:
        if not name.startswith("Imitated "):  # deviations may be negative
            assert (d[name] >= 0).all(), name
    for p in provinces():
        assert (d[f"Dominant Soft Power[{p}]"] <= d[f"Potential Soft Power[{p}]"]).all()
        assert (d[f"Household consumption[{p}]"] > 0).all(), p
        assert (np.abs(d[f"Accounting residual[{p}]"]) <= 1e-9 * d[f"GDP[{p}]"]).all(), p
    assert (np.abs(d["National net migration"]) <= 1e-9 * (d["Total movers"] + 1e-12)).all()
    assert (np.abs(d["National accounting residual"]) <= 1e-9 * d["National GDP"]).all()


def test_100_random_sets_are_sound():
    _check(100, seed=3)


@pytest.mark.skipif(
    not os.environ.get("REGIONSOFT_SLOW"), reason="slow (about 6 minutes): set REGIONSOFT_SLOW=1"
)
def test_10000_random_sets_are_sound():
    for chunk in range(10):  # ten batches of 1,000 keep memory small
        _check(1000, seed=100 + chunk)
