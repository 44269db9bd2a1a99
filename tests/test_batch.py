"""The batch engine on the project model: equivalence with PySD, API and inputs."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.batch import ModelValueError, compile_model, simulate, simulate_chunks
from regionsoft_sd.batch.cbackend import compiler
from regionsoft_sd.model.translate import load_model
from tests.test_batch_builtins import MODELS, ranged_samples

RUNS = 12
BACKENDS = [
    "numpy",
    pytest.param(
        "c", marks=pytest.mark.skipif(compiler() is None, reason="no C compiler on this machine")
    ),
]
SHOWN = ["Dominant Soft Power", "Hard Power Index", "Cohort schooling"]


@pytest.fixture(scope="module")
def compiled():
    return compile_model()


@pytest.fixture(scope="module")
def recorded(compiled) -> list[str]:
    """Every variable of the model except lookups."""
    return [n for n in compiled.names if compiled.graph.nodes[compiled.key(n)].kind != "lookup"]


FAST_END = 2035
"""PySD runs of the fast check stop here: history and a decade of policy, at half the cost
of the full horizon (PySD takes seconds a run of this model); the slow check runs 12 draws
to the model's FINAL TIME, and tests/test_model_engines.py adds 50 full draws against
pysimlin."""
FAST_RUNS = 6
"""Draws of the fast check (the first 6 of the slow check's 12)."""
_PYSD: dict[tuple, tuple[dict, list, np.ndarray]] = {}


def pysd_reference(
    recorded: list[str], final_time: float | None, runs: int
) -> tuple[dict, list, np.ndarray]:
    """`runs` draws from the .mdl ranges and PySD's run of each (every variable) to
    `final_time` (None: the model's own), with PySD's saved times; made once per case."""
    if (final_time, runs) not in _PYSD:
        from regionsoft_sd.model.translate import MODEL_PATH

        drawn = ranged_samples(MODEL_PATH, RUNS, seed=42)
        samples = {k: np.asarray(v)[:runs] for k, v in drawn.items()}
        assert len(samples) >= 40  # the model declares ranges for its constants
        model = load_model()
        refs = []
        for i in range(runs):
            model.reload()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = model.run(
                    params={k: float(v[i]) for k, v in samples.items()}, final_time=final_time
                )
            refs.append({name: ref[name].to_numpy(dtype=float) for name in recorded})
        _PYSD[final_time, runs] = samples, refs, ref.index.to_numpy(dtype=float)
    return _PYSD[final_time, runs]


def _check_against_pysd(
    recorded: list[str], backend: str, final_time: float | None, runs: int
) -> None:
    """Every variable, every saved time PySD ran, `runs` draws from the .mdl ranges: 1e-9.

    Differences are measured against each trajectory's largest magnitude. NumPy
    repeats PySD's arithmetic, so it also agrees point by point. The C kernel
    computes powers as exp(a ln x) (a few ulp from pow()), which a flow that is a
    small difference of large terms (near an equilibrium) amplifies point by
    point: e.g. 7e-18 on a value of 3.5e-9, 2e-9 relative to the value itself.
    """
    samples, refs, times = pysd_reference(recorded, final_time, runs)
    res = simulate(samples, record=recorded, chunk_size=64, backend=backend)
    k = len(times)
    np.testing.assert_array_equal(res.times[:k], times)  # the batch runs the full horizon
    worst_scaled = worst_point = 0.0
    for i, ref in enumerate(refs):
        for name in recorded:
            want, got = ref[name], res.data[name][:k, i]
            scale = max(float(np.max(np.abs(want))), 1e-12)
            np.testing.assert_allclose(
                got, want, rtol=1e-9, atol=1e-9 * scale, err_msg=f"{name}, run {i}"
            )
            diff = np.abs(got - want)
            worst_scaled = max(worst_scaled, float(np.max(diff)) / scale)
            # flows that start at zero by construction (e.g. Image change) carry rounding
            # noise of 1e-17; below 1e-6 a value is zero at this model's scale
            worst_point = max(worst_point, float(np.max(diff / np.maximum(np.abs(want), 1e-6))))
    assert worst_scaled < 1e-9
    if backend == "numpy":
        assert worst_point < 1e-9


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_parameter_sets_match_pysd(recorded, backend: str) -> None:
    """To FAST_END: 6 draws, every variable, within 1e-9 (see `_check_against_pysd`)."""
    _check_against_pysd(recorded, backend, FAST_END, FAST_RUNS)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_random_parameter_sets_match_pysd_to_the_final_time(recorded, backend: str) -> None:
    """To the model's FINAL TIME: 12 draws, every variable, within 1e-9."""
    _check_against_pysd(recorded, backend, None, RUNS)


def test_default_run_records_stocks_on_saveper_grid(compiled) -> None:
    res = simulate()
    assert list(res.data) == compiled.stocks
    assert res.times[0] == 2005 and res.times[-1] == 2075 and len(res.times) == 71
    assert all(v.shape == (71, 1) for v in res.data.values())
    assert res.units["Productive Capital"] == "Byuan"


def test_names_are_vensim_insensitive_and_unknown_names_suggest(compiled) -> None:
    a = simulate({"policy_CULTURE  share": [0.1]}, record=["dominant_soft_power"])
    b = simulate({"Policy culture share": [0.1]}, record=["Dominant Soft Power"])
    np.testing.assert_array_equal(a.data["Dominant Soft Power"], b.data["Dominant Soft Power"])
    with pytest.raises(KeyError, match="Policy culture share"):
        simulate({"Policy cultur share": [0.1]})
    with pytest.raises(KeyError, match="Dominant Soft Power"):
        simulate(record=["Dominant Soft Powr"])


def test_chunking_scalar_and_vector_paths_agree() -> None:
    rng = np.random.default_rng(0)
    samples = pd.DataFrame({"Policy culture share": rng.uniform(0, 1, 9)})
    whole = simulate(samples, record=SHOWN)
    parts = simulate(samples, record=SHOWN, chunk_size=4)  # 4, 4 (floats), 1 (float)
    for name in SHOWN:
        np.testing.assert_allclose(parts.data[name], whole.data[name], rtol=1e-12)
    streamed = list(simulate_chunks(samples, record=SHOWN, chunk_size=5))
    assert [c.run_offset for c in streamed] == [0, 5]
    joined = np.concatenate([c.data["Dominant Soft Power"] for c in streamed], axis=1)
    np.testing.assert_allclose(joined, whole.data["Dominant Soft Power"], rtol=1e-12)


def test_times_and_to_frame() -> None:
    res = simulate({"Policy tax share": [0.2, 0.3]}, record=SHOWN[:2], times=[2025, 2030.5, 2075])
    assert res.data["Hard Power Index"].shape == (3, 2)
    frame = res.to_frame()
    assert list(frame.columns) == ["run", "time", "variable", "value"]
    assert len(frame) == 3 * 2 * 2
    row = frame[(frame.run == 1) & (frame.time == 2075) & (frame.variable == "Hard Power Index")]
    assert row.value.item() == res.data["Hard Power Index"][2, 1]
    with pytest.raises(ValueError, match="TIME STEP grid"):
        simulate(times=[2025.01])


def test_base_scenario_and_series_match_pysd() -> None:
    """A Scenario-like base (constants + pandas Series) matches PySD given the same params."""
    series = pd.Series([0.05, 0.2, 0.1], index=[2024.0, 2040.0, 2060.0])
    base = SimpleNamespace(
        name="test",
        constants={"Policy education share": 0.6},
        series={"Policy culture share": series},
    )
    res = simulate(base=base, record=SHOWN)
    model = load_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = model.run(params={"Policy education share": 0.6, "Policy culture share": series})
    for name in SHOWN:
        np.testing.assert_allclose(res.data[name][:, 0], ref[name].to_numpy(), rtol=1e-9)
    # per-run series: column j of the values belongs to run j; a shared row works too
    per_run = np.column_stack([series.to_numpy(), series.to_numpy() * 2])
    res2 = simulate(
        {"Policy education share": [0.6, 0.6]},
        series={"Policy culture share": (series.index.to_numpy(), per_run)},
        record=SHOWN,
    )
    np.testing.assert_allclose(res2.data[SHOWN[0]][:, 0], res.data[SHOWN[0]][:, 0], rtol=1e-12)
    assert not np.allclose(res2.data[SHOWN[0]][:, 1], res.data[SHOWN[0]][:, 0])


def test_euler_and_rk4_against_the_closed_form() -> None:
    """dS/dt = -k S + a TIME (linear_forced.mdl): each method hits its own exact recursion.

    With c = S0 + a/k^2 the solution is S = c e^(-k t) + (a/k) t - a/k^2. Both
    methods reproduce the linear part exactly, so after n steps they give
    c R^n + (a/k) t - a/k^2 with R = 1 - k dt (Euler) or the degree-4 Taylor
    polynomial of e^(-k dt) (RK4). Euler is also PySD's answer.
    """
    path = MODELS / "linear_forced.mdl"
    k, a, s0, dt = 0.5, 0.3, 10.0, 0.25  # as in the .mdl
    euler = simulate(record=["S"], mdl_path=path)
    rk4 = simulate(record=["S"], mdl_path=path, method="rk4")
    t = euler.times
    n = np.round((t - t[0]) / dt)
    c = s0 + a / k**2
    exact = c * np.exp(-k * t) + a / k * t - a / k**2
    z = -k * dt
    for res, growth in ((euler, 1 + z), (rk4, 1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24)):
        np.testing.assert_array_equal(res.times, t)
        own = c * growth**n + a / k * t - a / k**2
        np.testing.assert_allclose(res.data["S"][:, 0], own, rtol=1e-12)
    err = {
        m: np.max(np.abs(r.data["S"][:, 0] - exact) / exact)
        for m, r in (("euler", euler), ("rk4", rk4))
    }
    assert err["euler"] > 1e-3 and err["rk4"] < 1e-5, err
    model = load_model(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = model.run()
    np.testing.assert_allclose(euler.data["S"][:, 0], ref["S"].to_numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="method"):
        simulate(method="heun")


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="same length"):
        simulate({"Policy tax share": [0.1, 0.2], "Policy image share": [0.1]})
    with pytest.raises(ValueError, match="stock"):
        simulate({"Productive Capital": [1.0]})
    with pytest.raises(KeyError, match="control"):
        simulate({"TIME STEP": [0.5]})


def test_bad_times_chunks_and_samples_are_refused_not_filled_with_garbage() -> None:
    """Each of these once returned uninitialised memory or silently reshaped the batch."""
    with pytest.raises(ValueError, match="increase"):
        simulate(record=["Hard Power Index"], times=[2030, 2030, 2075])
    with pytest.raises(ValueError, match="TIME STEP grid"):
        simulate(record=["Hard Power Index"], times=[2030.001])
    for bad in (-1, 0, 2.5):
        with pytest.raises(ValueError, match="chunk_size"):
            simulate({"Policy tax share": [0.2, 0.3]}, chunk_size=bad)
    with pytest.raises(ValueError, match="1-D"):
        simulate({"Policy tax share": np.full((2, 3), 0.2)})
    with pytest.raises(ValueError, match="NaN"):
        simulate({"Policy tax share": [0.2, np.nan]})
    res = simulate(record=["Hard Power Index"], times=[2030.0, 2075.0])
    assert res.times.tolist() == [2030.0, 2075.0]
    assert np.isfinite(res.data["Hard Power Index"]).all()


def test_delay_order_reduction_is_refused() -> None:
    """PySD silently lowers a delay's order when order x TIME STEP > delay time; we refuse."""
    with pytest.raises(ModelValueError, match="delay order"):
        simulate({"Lag": [0.1]}, record=["Out"], mdl_path=MODELS / "delay3i.mdl")


@pytest.mark.parametrize("stem", ["culture_first", "austerity"])
def test_scenario_files_are_accepted_as_base(stem: str) -> None:
    """A workflow Scenario (constants + series) as the base of a batch matches PySD."""
    from regionsoft_sd.model.translate import PACKAGE_ROOT
    from regionsoft_sd.scenarios.scenario import Scenario

    scenario = Scenario.from_file(PACKAGE_ROOT / "scenarios" / f"{stem}.toml")
    res = simulate({"Capital depreciation rate": [0.06, 0.08]}, base=scenario, record=SHOWN)
    model = load_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = {**scenario.constants, **scenario.series, "Capital depreciation rate": 0.08}
        ref = model.run(params=params)
    for name in SHOWN:
        np.testing.assert_allclose(res.data[name][:, 1], ref[name].to_numpy(), rtol=1e-9)
