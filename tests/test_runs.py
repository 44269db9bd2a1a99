"""The shared chunked runner (`regionsoft_sd.runs`): answers, checkpoints, faults, options."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.runs import (
    CHUNK_DIR,
    Checkpoints,
    Task,
    check_options,
    evaluate,
    max_workers,
    plan,
    stream,
)

DATA = Path(__file__).parent / "sweep_data"
ONE_KNOB = DATA / "one_knob.mdl"
FAULTY = DATA / "faulty.mdl"
# the two metrics these small models support (they define no population or consumption)
METRICS = ["dominant_soft_power_end", "gdp_end"]


def values(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"Knob A": rng.uniform(0, 2, n), "Knob B": rng.uniform(0, 2, n)},
        index=pd.RangeIndex(100, 100 + n, name="run"),
    )


def test_plan_covers_every_row_once():
    assert plan(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert plan(0, 4) == []
    with pytest.raises(ValueError):
        plan(3, 0)


def test_in_memory_evaluation_gives_the_analytic_answer():
    """one_knob: soft power = 1 + 0.02 A t, GDP = 1000 (1 + 0.01 B t) (Euler, constant flows)."""
    v = values(25)
    df = evaluate(v, metrics=METRICS, mdl_path=ONE_KNOB, chunk_size=7, progress=False)
    assert list(df.columns) == ["run", "strategy", *METRICS, "fault", "fault_time"]
    assert df.run.tolist() == v.index.tolist() and (df.fault == "").all()
    np.testing.assert_allclose(df.dominant_soft_power_end, 1 + 0.2 * v["Knob A"], rtol=1e-12)
    np.testing.assert_allclose(df.gdp_end, 1000 * (1 + 0.1 * v["Knob B"]), rtol=1e-12)


def test_results_do_not_depend_on_where_chunk_boundaries_fall_for_metrics():
    v = values(12)
    a = evaluate(v, metrics=METRICS, mdl_path=ONE_KNOB, chunk_size=5, progress=False)
    b = evaluate(v, metrics=METRICS, mdl_path=ONE_KNOB, chunk_size=12, progress=False)
    pd.testing.assert_frame_equal(a, b, rtol=1e-13)


def test_checkpointed_evaluation_resumes_to_the_same_frame(tmp_path):
    v = values(20)
    ref = evaluate(v, metrics=METRICS, mdl_path=ONE_KNOB, chunk_size=6, progress=False)
    out = tmp_path / "runs"
    first = evaluate(
        v, metrics=METRICS, mdl_path=ONE_KNOB, chunk_size=6, out_dir=out, progress=False
    )
    pd.testing.assert_frame_equal(first, ref, check_exact=True)
    notes: list[str] = []
    again = evaluate(
        v,
        metrics=METRICS,
        mdl_path=ONE_KNOB,
        chunk_size=6,
        out_dir=out,
        resume=True,
        progress=False,
        notes=notes,
    )
    pd.testing.assert_frame_equal(again, ref, check_exact=True)
    assert notes == []


def test_custom_metrics_and_trajectories_stream_back():
    v = values(9)

    task = Task(
        mdl_path=ONE_KNOB,
        record=("Dominant Soft Power",),
        record_runs=4,
        custom={"soft_gain": soft_gain},
    )
    results = list(stream(v, task, chunk_size=3, progress=False))
    assert [r.chunk for r in results] == [0, 1, 2]
    gain = pd.concat([r.metrics for r in results]).soft_gain.to_numpy()
    np.testing.assert_allclose(gain, 0.2 * v["Knob A"].to_numpy(), rtol=1e-12)
    traj = pd.concat([r.trajectories for r in results if r.trajectories is not None])
    assert traj.run.tolist() == v.index[:4].tolist()  # only the first 4 rows are recorded
    np.testing.assert_allclose(traj["2035"], 1 + 0.2 * v["Knob A"].iloc[:4], rtol=1e-12)


def soft_gain(times: np.ndarray, data: dict) -> np.ndarray:
    s = data["Dominant Soft Power"]
    return s[-1] - s[0]


def test_runs_with_nan_or_a_negative_stock_are_reported_and_blanked():
    """faulty.mdl: soft power 1 + 0.3 (1 - A) t turns negative when A > 4/3;
    GDP is sqrt(B - 0.5), NaN from the start when B < 0.5."""
    a = np.array([0.5, 1.2, 2.0, 1.9, 0.7])
    b = np.array([1.0, 1.0, 1.0, 0.2, 0.3])
    v = pd.DataFrame({"Knob A": a, "Knob B": b})
    df = evaluate(v, metrics=METRICS, mdl_path=FAULTY, progress=False)
    assert df.fault.tolist()[:2] == ["", ""]
    assert df.fault[2] == "negative 'Dominant Soft Power'"
    # first saved (whole) year in which 1 + 0.3 (1 - A) (t - 2025) < 0
    assert df.fault_time[2] == 2025 + math.floor(1 / (0.3 * (2.0 - 1))) + 1
    assert df.fault[3].startswith("NaN in ") and df.fault_time[3] == 2025  # NaN comes first
    assert df.fault[4].startswith("NaN in ") and df.fault_time[4] == 2025
    assert df.loc[2:, METRICS].isna().all().all()  # never averaged into a table
    assert df.loc[:1, METRICS].notna().all().all()


def test_worker_count_is_capped_and_checked():
    check_options(None, None)
    check_options(max_workers(), None)
    for bad in (0, -1, max_workers() + 1, 10**6):
        with pytest.raises(InputError) as info:
            check_options(bad, None)
        assert "--workers" in str(info.value) and "Fix:" in str(info.value)
    with pytest.raises(InputError, match="not an address"):
        check_options(None, "localhost:8786")


def test_checkpoints_write_nothing_until_the_first_chunk(tmp_path):
    cp = Checkpoints(tmp_path / CHUNK_DIR, "abc", 10, 5)
    todo, notes = cp.start(True, lambda i: "x")
    assert todo == [0, 1] and notes == [] and not (tmp_path / CHUNK_DIR).exists()
