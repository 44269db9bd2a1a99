"""Regression tests: wrong answers and crashes the batch engine once gave, against hand values.

Each model in tests/batch_models is also compared with PySD by test_batch_builtins;
here the expected numbers come from hand computation, so a shared mistake of both
engines would still fail.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from regionsoft_sd.batch import InvalidModelError, simulate
from regionsoft_sd.batch.cbackend import compiler
from regionsoft_sd.model.translate import load_model
from tests.test_batch_builtins import MODELS

PATHS = {"N = 1 (floats)": 1, "N = 5 (arrays)": 5}


@pytest.mark.parametrize("n", PATHS.values(), ids=PATHS.keys())
def test_unary_minus_binds_looser_than_power(n: int) -> None:
    """-2^2 is -(2^2) = -4 (it once gave +4: a stock rose where it should fall)."""
    names = [
        "Minus squared",
        "Times minus squared",
        "Minus minus squared",
        "Minus root",
        "Falling",
        "Minus x squared",
        "Bracketed minus x squared",
        "Half",
        "Time power",
    ]
    res = simulate({"X": np.full(n, 3.0)}, record=names, mdl_path=MODELS / "negative_power.mdl")
    t = res.times
    want = {
        "Minus squared": -4.0,
        "Times minus squared": -12.0,
        "Minus minus squared": 14.0,
        "Minus root": -math.sqrt(2),
        "Falling": 1 - 0.4 * t,  # d/dt = -2^2 * 0.1 = -0.4 (Euler is exact for a constant)
        "Minus x squared": -9.0,
        "Bracketed minus x squared": 9.0,
        "Half": 0.5,
        "Time power": -(2.0**-t),  # -t^2 + (-t)^2 cancel
    }
    for name, value in want.items():
        got = res.data[name]
        assert got.shape == (len(t), n)
        np.testing.assert_allclose(
            got,
            np.broadcast_to(np.reshape(value, (-1, 1)), got.shape),
            rtol=1e-12,
            atol=1e-12,
            err_msg=name,
        )


@pytest.mark.parametrize("n", PATHS.values(), ids=PATHS.keys())
def test_not_available_is_nan(n: int) -> None:
    """:NA: is NaN, as in PySD (it once became the undefined name `nan`)."""
    res = simulate(
        {"Switch time": np.full(n, 5.0)},
        record=["Missing", "Filled"],
        mdl_path=MODELS / "not_available.mdl",
    )
    assert np.isnan(res.data["Missing"]).all()
    late = res.times > 5
    assert (res.data["Filled"][late] == 1).all()
    assert np.isnan(res.data["Filled"][~late]).all()


@pytest.mark.parametrize("n", PATHS.values(), ids=PATHS.keys())
def test_zero_divisors_in_unsampled_constants(n: int) -> None:
    """ZIDZ/XIDZ of a constant zero, and IF THEN ELSE guarding a division by zero.

    These once raised ZeroDivisionError (ZIDZ/XIDZ from 5 runs up, the guarded
    division even for one run) where PySD returns 0, 7 and the untaken branch.
    """
    names = ["Zidz of zero", "Xidz of zero", "Guarded", "Guarded in time", "Stock"]
    scale = np.linspace(0.5, 2, n)
    res = simulate({"Scale": scale}, record=names, mdl_path=MODELS / "zero_divisors.mdl")
    t, dt = res.times, 0.5
    assert (res.data["Zidz of zero"] == 0).all()
    assert (res.data["Xidz of zero"] == 7).all()
    assert (res.data["Guarded"] == 0).all()
    np.testing.assert_array_equal(res.data["Guarded in time"], np.add.outer(t + 1, 0 * scale))
    # Euler sum of Scale * (0 + 7 + 0 + t + 1) over the steps before each saved time
    inflow = np.concatenate([[0.0], np.cumsum((8 + t[:-1]) * dt)])
    np.testing.assert_allclose(res.data["Stock"], np.outer(inflow, scale), rtol=1e-12)


def test_lookup_with_a_repeated_x_is_refused_as_pysd_does() -> None:
    """A table with x = 1 twice was once re-sorted and run; PySD refuses it."""
    path = MODELS / "invalid_lookup_repeated_x.mdl"
    with pytest.raises(InvalidModelError, match="Table.*repeats the x value 1"):
        simulate(record=["Out"], mdl_path=path)
    with pytest.raises(ValueError, match="repeated"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_model(path)


def _pysd(path, names: list[str]) -> dict[str, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = load_model(path).run()
    return {name: ref[name].to_numpy(dtype=float) for name in names}


@pytest.mark.parametrize("backend", ["numpy", "c"])
def test_smoothi_with_an_integer_initial_value_follows_euler(backend: str) -> None:
    """SMOOTHI(0.072, 2, 0), TIME STEP 0.5: s(k+1) = s(k) + (0.072 - s(k)) / 2 * 0.5.

    So s(k) = 0.072 (1 - 0.75^k). PySD writes the integer 0 into an integer state
    array and truncates its first input to 0, so its SMOOTHI lags one step (a
    PySD defect); its DELAY1I, the same lag, gives the Euler values. The fuzzer's
    generator therefore writes initial values as decimals.
    """
    if backend == "c" and compiler() is None:
        pytest.skip("no C compiler")
    path = MODELS / "pysd_defect_smoothi.mdl"
    names = ["Smoothed", "Delayed"]
    res = simulate(record=names, mdl_path=path, backend=backend)
    k = np.arange(len(res.times))
    euler = 0.072 * (1 - 0.75**k)
    for name in names:
        np.testing.assert_allclose(res.data[name][:, 0], euler, rtol=1e-12, atol=1e-15)
    ref = _pysd(path, names)
    np.testing.assert_allclose(ref["Delayed"], euler, rtol=1e-12, atol=1e-15)
    assert ref["Smoothed"][1] == 0 and ref["Smoothed"][2] == pytest.approx(euler[1])


@pytest.mark.parametrize("backend", ["numpy", "c"])
def test_delay_fixed_of_an_inline_delay_reads_the_current_value(backend: str) -> None:
    """DELAY FIXED(DELAY1(Time, 2), 1, -1) is DELAY FIXED of the same DELAY1 held in
    its own variable: -1 for the first second, then DELAY1 one second earlier.

    DELAY1(Time, 2) with TIME STEP 0.5 is 0, 0, 0.125, 0.34375, ... (Euler, by
    hand). PySD gives the inline form one step early (it reads the input after
    updating the inner delay); its separate form is right.
    """
    if backend == "c" and compiler() is None:
        pytest.skip("no C compiler")
    path = MODELS / "pysd_defect_delay_fixed.mdl"
    names = ["Inline", "Separate", "Inner"]
    res = simulate(record=names, mdl_path=path, backend=backend)
    inner = np.zeros(len(res.times))
    for i in range(len(inner) - 1):  # d(stock)/dt = Time - stock / 2, output = stock / 2
        inner[i + 1] = inner[i] + (res.times[i] - inner[i]) / 2 * 0.5
    np.testing.assert_allclose(res.data["Inner"][:, 0], inner, rtol=1e-12, atol=1e-15)
    lagged = np.concatenate([[-1.0, -1.0], inner[:-2]])  # 1 month = 2 steps
    for name in ("Inline", "Separate"):
        np.testing.assert_allclose(res.data[name][:, 0], lagged, rtol=1e-12, atol=1e-15)
    ref = _pysd(path, names)
    np.testing.assert_allclose(ref["Separate"], lagged, rtol=1e-12, atol=1e-15)
    assert not np.allclose(ref["Inline"], lagged)
