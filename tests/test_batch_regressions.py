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


# --- subscripts: models from SDXorg's test-models (tests/batch_models/sdx_*.mdl) ------------
BACKENDS = {"numpy floats": ("numpy", 1), "numpy arrays": ("numpy", None), "c": ("c", None)}


def _run(path, names: list[str], route: str, samples: dict | None = None):
    backend, chunk = BACKENDS[route]
    if backend == "c" and compiler() is None:
        pytest.skip("no C compiler")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(samples, record=names, mdl_path=path, backend=backend, chunk_size=chunk)


@pytest.mark.parametrize("route", BACKENDS)
def test_a_subrange_used_as_a_value_is_its_position_in_the_main_range(route: str) -> None:
    """`subsubdim values[subsubdim] = subsubdim` is 28 at abc6, not 1 (it once gave 1).

    By hand: dim = A, subdim1 (ab1-ab20), B, subdim2 ((bc1-bc5), subsubdim
    (abc6-abc17), bc17, bc18), C, 42 elements. abc6 comes after A (1), ab1-ab20
    (20), B (1) and bc1-bc5 (5): position 28; abc17 is 39, bc1 is 23, ab1 is 2,
    ab20 is 21, bc18 is 41. A copy (`subdim1 copy <-> subdim1`) and a range defined
    as another (`subdim2 copy: subdim2`) number the same. Vensim's output.tab in the
    suite has the same values.
    """
    want = {
        "subsubdim values[abc6]": 28,
        "subsubdim values[abc17]": 39,
        "subdim2 values[bc1]": 23,
        "subdim2 values[abc6]": 28,
        "subdim2 values[bc18]": 41,
        "subdim2 copy values[bc1]": 23,
        "subdim1 values[ab1]": 2,
        "subdim1 copy values[ab20]": 21,
        "dim values[A]": 1,
        "dim values[C]": 42,
        "ndim": 42,
        "nsubdim2": 19,
        "nsubsubdim": 12,
    }
    res = _run(MODELS / "sdx_subscript_definition.mdl", list(want), route, {"ndim": [42.0] * 5})
    for name, value in want.items():
        assert (res.data[name] == value).all(), name


@pytest.mark.parametrize("route", BACKENDS)
def test_ranges_with_the_same_elements_compare_elements_not_positions(route: str) -> None:
    """comp2[dim1,dim3] = IF THEN ELSE(dim1 = dim3, 1, 0) with dim3 = A, C, B: 1 exactly
    on the diagonal (comp2[B,C] once gave 1: C is 2nd in dim3, B 2nd in dim1).

    By hand: dim1, dim2 and dim3 hold the same elements; the main range is dim1
    (alphabetically first), so a dim3 element's value is its place in dim1 (C = 3).
    comp1-comp3 are then the identity, comp4 (dim4 = A, B) is 1 at [A,A] and [B,B],
    comp7/comp8 (not equal) its complement, comp5 the identity once Time > 5.
    """
    names = [f"comp{k}[{a},{b}]" for k in (1, 2, 3, 7, 8) for a in "ABC" for b in "ABC"]
    names += [f"comp4[{a},{b}]" for a in "ABC" for b in "AB"]
    names += [f"comp5[{a},{b}]" for a in "ABC" for b in "ABC"]
    res = _run(MODELS / "sdx_subscript_logicals.mdl", names, route)
    late = res.times > 5
    for name in names:
        k, a, b = int(name[4]), name[6], name[8]
        same = float(a == b)
        want = 1 - same if k in (7, 8) else same
        got = res.data[name][:, 0]
        if k == 5:
            assert (got[late] == same).all() and (got[~late] == 0).all(), name
        else:
            assert (got == want).all(), name


@pytest.mark.parametrize("route", BACKENDS)
def test_a_negative_base_to_a_fractional_power_is_nan_where_pysd_turns_complex(
    route: str,
) -> None:
    """expo[sub7] = (-Time)^cons2: Time^2 for cons2 = 2, NaN for cons2 = 2.5.

    By hand: (-t)^2 = t^2; (-t)^2.5 has no real value (it is t^2.5 e^(2.5 i pi)),
    so the batch engine gives NaN on every path, as IEEE pow does. PySD computes it
    in Python floats, gets the complex number and reports only its real part, t^2.5
    cos(2.5 pi), about 3e-16 t^2.5: rounding noise shown as a finite answer.
    Comparing that with NaN is what the suite's perturbed run reported as an
    infinite difference. A PySD defect, not a batch-engine answer.
    """
    path = MODELS / "pysd_defect_sdx_arithmetics_power.mdl"
    names = ["expo[sub7]", "expo[sub5]", "expo[sub8]", "expo[sub1]"]
    res = _run(path, names, route, {"cons2": [2.0, 2.5, 2.0, 2.5, 2.0, 2.5]})
    t = res.times
    for col, c2 in enumerate([2.0, 2.5] * 3):
        if c2 == 2.0:
            np.testing.assert_allclose(res.data["expo[sub7]"][:, col], t**2, rtol=1e-12)
        else:
            assert np.isnan(res.data["expo[sub7]"][:, col]).all()
        np.testing.assert_allclose(res.data["expo[sub5]"][:, col], -(t**c2), rtol=1e-12)
        np.testing.assert_allclose(res.data["expo[sub8]"][:, col], t**-c2, rtol=1e-12)
        np.testing.assert_allclose(res.data["expo[sub1]"][:, col], c2**3, rtol=1e-12)
    if route == "numpy arrays":
        model = load_model(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = model.run(params={"cons2": 2.5})["expo[sub7]"].to_numpy()
        assert np.isfinite(ref).all() and np.abs(ref).max() < 1e-15 * (t**2.5).max()
