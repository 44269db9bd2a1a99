"""Sweeps through the real batch engine: known answer, Dask = in-process, resume = uninterrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.common.outdir import MANIFEST
from regionsoft_sd.runs import CHUNK_DIR, plan
from regionsoft_sd.runs.chunks import strategy_overrides
from regionsoft_sd.sweep import load_spec, run_sweep
from regionsoft_sd.sweep.pipeline import task_for
from regionsoft_sd.sweep.samples import spec_sample

DATA = Path(__file__).parent / "sweep_data"
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

SMALL = f"""
name = "small"
method = "lhs"
n = 40
seed = 3
chunk_size = 16
fan_runs = 20
metrics = ["dominant_soft_power_end", "gdp_end", "threshold_year"]
strategies = ["{SCENARIOS / "baseline.toml"}", "{SCENARIOS / "culture_first.toml"}"]

[parameters]
"Initial tax share" = {{ distribution = "uniform", low = 0.08, high = 0.15 }}
"Carrier income scale" = "triangular"
"Long run reference income growth" = {{ distribution = "normal", sd = 0.005 }}
"""

OUTPUTS = [
    "samples.parquet",
    "runs.parquet",
    "tornado.csv",
    "win_share.csv",
    "outcomes.csv",
    "fan.csv",
]
METHOD_OUTPUTS = ["sobol.csv", "sobol_s2.csv", "morris.csv"]  # compared when the method writes them
# the same sweep by Sobol (n = 4 base samples: 4 * (2 * 3 + 2) = 32 runs + 7 for the tornado)
SOBOL = SMALL.replace('method = "lhs"\nn = 40', 'method = "sobol"\nn = 4')


@pytest.fixture(scope="module")
def small_spec(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("spec") / "small.toml"
    p.write_text(SMALL, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def reference(small_spec, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref")
    run_sweep(small_spec, out, progress=False, figures=False)
    return out


@pytest.fixture(scope="module")
def sobol_spec(tmp_path_factory) -> Path:
    assert SOBOL != SMALL
    p = tmp_path_factory.mktemp("spec") / "sobol.toml"
    p.write_text(SOBOL, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def sobol_reference(sobol_spec, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sobol_ref")
    run_sweep(sobol_spec, out, progress=False, figures=False)
    assert (out / "sobol.csv").is_file() and (out / "sobol_s2.csv").is_file()
    return out


# (spec fixture, reference fixture) of each method the identity tests cover
SPECS = {"lhs": ("small_spec", "reference"), "sobol": ("sobol_spec", "sobol_reference")}


def assert_same_outputs(a: Path, b: Path) -> None:
    for name in METHOD_OUTPUTS:
        assert (a / name).is_file() == (b / name).is_file(), name
    for name in OUTPUTS + [m for m in METHOD_OUTPUTS if (a / m).is_file()]:
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(a / name), pd.read_parquet(b / name), check_exact=True
            )
        else:
            assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_known_answer_through_the_batch_engine(tmp_path):
    res = run_sweep(DATA / "known.toml", tmp_path, progress=False, figures=False)
    st = res.sobol.set_index(["metric", "parameter"]).ST
    assert st["dominant_soft_power_end"].idxmax() == "Knob A"
    assert st["gdp_end"].idxmax() == "Knob B"
    assert st["dominant_soft_power_end"].drop("Knob A").abs().max() < 1e-9
    assert st["gdp_end"].drop("Knob B").abs().max() < 1e-9
    assert (st["human_quality_end"] == 0).all()  # an outcome nothing moves
    swing = res.tornado.set_index(["metric", "parameter"]).swing
    assert swing["dominant_soft_power_end"].idxmax() == "Knob A"
    # soft power = 1 + 0.02 * A * 10 years, exactly (Euler on a constant flow)
    a = res.samples["Knob A"].to_numpy()
    y = res.outcomes["dominant_soft_power_end"]["model"]
    np.testing.assert_allclose(y, 1 + 0.2 * a[: len(y)], rtol=1e-12)


def test_small_sweep_outputs(reference, small_spec):
    runs = pd.read_parquet(reference / "runs.parquet")
    spec = load_spec(small_spec)
    assert len(runs) == spec.n_runs * 2 and runs.groupby("strategy").run.nunique().eq(47).all()
    assert set(pd.read_csv(reference / "win_share.csv").columns) >= {"baseline", "culture_first"}
    fan = pd.read_csv(reference / "fan.csv")
    assert (fan.runs == 20).all() and set(fan.strategy) == {"baseline", "culture_first"}


def test_sampled_initial_lever_carries_the_status_quo(small_spec):
    spec = load_spec(small_spec)
    values = spec_sample(spec).iloc[:5]
    base = strategy_overrides(task_for(spec), spec.strategies[0], values)
    np.testing.assert_array_equal(base["Policy tax share"], values["Initial tax share"])


@pytest.mark.parametrize("method", list(SPECS))
def test_dask_local_cluster_matches_in_process(method, request, tmp_path):
    spec, ref = (request.getfixturevalue(f) for f in SPECS[method])
    run_sweep(spec, tmp_path, workers=2, progress=False, figures=False)
    assert_same_outputs(ref, tmp_path)


@pytest.mark.parametrize("method", list(SPECS))
def test_resume_after_interrupt_is_bit_identical(method, request, tmp_path):
    small_spec, reference = (request.getfixturevalue(f) for f in SPECS[method])

    def crash(chunk: int) -> None:
        if chunk == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(small_spec, tmp_path, progress=False, figures=False, on_chunk=crash)
    chunks = tmp_path / CHUNK_DIR / load_spec(small_spec).digest
    done = sorted(p.name for p in chunks.glob("chunk-*.parquet"))
    assert done == ["chunk-000000.parquet", "chunk-000001.parquet"]
    before = (chunks / done[0]).stat().st_mtime_ns
    run_sweep(small_spec, tmp_path, resume=True, progress=False, figures=False)
    assert (chunks / done[0]).stat().st_mtime_ns == before  # not rerun
    assert_same_outputs(reference, tmp_path)


def test_resume_after_kill_is_bit_identical(tmp_path):
    """SIGKILL a sweep process mid-way (one run per chunk, so many chunks), then resume.

    Compared with an uninterrupted run of the same spec: bit-identity holds for
    a given chunk size (NumPy may round the last bit differently for other
    array lengths, so the chunk size is part of the spec).
    """
    spec = tmp_path / "small.toml"
    spec.write_text(SMALL.replace("chunk_size = 16", "chunk_size = 1"), encoding="utf-8")
    out, ref = tmp_path / "out", tmp_path / "ref"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "regionsoft_sd.sweep",
            str(spec),
            "--out",
            str(out),
            "--no-progress",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    chunks = out / CHUNK_DIR / load_spec(spec).digest
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(chunks.glob("chunk-*.parquet"))) < 5:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = len(list(chunks.glob("chunk-*.parquet")))
    assert 5 <= written < 47, written
    run_sweep(spec, out, resume=True, progress=False, figures=False)
    run_sweep(spec, ref, progress=False, figures=False)
    assert_same_outputs(ref, out)


def test_existing_scheduler_and_a_lost_worker(reference, small_spec, tmp_path):
    """--scheduler on a running cluster; a worker killed mid-sweep loses and duplicates nothing."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        pid = next(iter(cluster.workers.values())).process.pid
        killed, saved = [], []

        def kill_one(chunk: int) -> None:
            saved.append(chunk)
            if not killed:
                os.kill(pid, signal.SIGKILL)
                killed.append(chunk)

        run_sweep(
            small_spec,
            tmp_path,
            scheduler=cluster.scheduler_address,
            progress=False,
            figures=False,
            on_chunk=kill_one,
        )
    assert killed
    # each chunk checkpointed exactly once, though a worker died with tasks in flight
    assert sorted(saved) == list(range(len(plan(load_spec(small_spec).n_runs, 16))))
    assert_same_outputs(reference, tmp_path)


def test_resume_of_a_finished_sweep_without_fan_variables_runs_nothing(tmp_path):
    """Chunks keep no trajectories when there are no fan variables; resume must not
    mistake that for an unfinished chunk."""
    from regionsoft_sd.runs import Checkpoints

    spec_path = tmp_path / "nofan.toml"
    text = (
        SMALL.replace("n = 40", "n = 9")
        .replace("chunk_size = 16", "chunk_size = 3")
        .replace("fan_runs = 20", "fan_runs = 20\nfan_variables = []")
    )
    spec_path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False, figures=False)
    spec = load_spec(spec_path)
    cp = Checkpoints(out / CHUNK_DIR, spec.digest, spec.n_runs, spec.chunk_size)
    rows = spec_sample(spec)
    from regionsoft_sd.runs.checkpoint import frame_hash

    todo, notes = cp.start(True, lambda i: frame_hash(rows.iloc[i * 3 : i * 3 + 3]))
    assert todo == [] and notes == []


def _known_lhs(tmp_path: Path) -> Path:
    """known.toml as a 16-run LHS: one strategy, so no Sobol tables and no win share."""
    text = (DATA / "known.toml").read_text(encoding="utf-8")
    text = text.replace('method = "sobol"\nn = 64', 'method = "lhs"\nn = 16')
    text = text.replace('model = "one_knob.mdl"', f'model = "{(DATA / "one_knob.mdl").as_posix()}"')
    assert 'method = "lhs"' in text and str(DATA) in text
    p = tmp_path / "known_lhs.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_reused_out_folder_keeps_only_the_new_sweeps_outputs(sobol_spec, tmp_path):
    """A fresh sweep into a folder of another sweep: nothing stale of ours survives,
    no temporary file of ours is left, and a file the user put there is untouched."""
    out = tmp_path / "out"
    run_sweep(sobol_spec, out, progress=False)
    old = {"sobol.csv", "sobol_s2.csv", "win_share.csv", "figures/sobol.png"}
    assert all((out / name).is_file() for name in old)
    old_chunks = out / CHUNK_DIR / load_spec(sobol_spec).digest
    assert old_chunks.is_dir()
    digest = load_spec(_known_lhs(tmp_path)).digest
    (out / CHUNK_DIR / digest).mkdir()
    ours = out / CHUNK_DIR / digest / ".chunk-000001.parquet.abc12345.tmp"
    ours.write_bytes(b"half a file")  # what a killed run leaves in its checkpoint folder
    mine = {"notes.txt": b"my notes", "figures/my_plot.png": b"not regionsoft's"}
    for name, data in mine.items():
        (out / name).write_bytes(data)
    res = run_sweep(_known_lhs(tmp_path), out, progress=False)
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    outputs = {p for p in present if not p.startswith(f"{CHUNK_DIR}/")} - set(mine)
    assert outputs == {p.relative_to(out).as_posix() for p in res.files} | {MANIFEST}
    assert not old & present and "figures/fans.png" in outputs
    assert not ours.exists() and not old_chunks.exists()
    assert {n: (out / n).read_bytes() for n in mine} == mine
    assert any("removed outputs of an earlier sweep" in n and "sobol.csv" in n for n in res.notes)


def test_failed_sweep_keeps_the_earlier_result(sobol_reference, tmp_path):
    """Stale outputs go only after the new ones exist: a crashed run deletes nothing."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(sobol_reference, out)
    before = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    assert "sobol.csv" in before

    def crash(chunk: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(_known_lhs(tmp_path), out, progress=False, on_chunk=crash)
    assert {p.name: p.read_bytes() for p in out.glob("*.csv")} == before


def test_memory_does_not_grow_with_the_number_of_runs(
    sobol_spec, sobol_reference, monkeypatch, tmp_path
):
    """With the in-memory cap at 8 runs: the design is never made more than a chunk at a
    time, the result holds 8 runs, and every file is the same as without the cap (the
    quantiles then come from passes over the checkpoints, not from memory)."""
    from regionsoft_sd.futures import designs as sampling
    from regionsoft_sd.sweep import pipeline

    asked: list[int] = []
    unit = sampling.Design.unit

    def recording(self, start, stop):
        asked.append(stop - start)
        return unit(self, start, stop)

    monkeypatch.setattr(sampling.Design, "unit", recording)
    monkeypatch.setattr(pipeline, "KEEP_RUNS", 8)
    res = run_sweep(sobol_spec, tmp_path, progress=False, figures=False)
    spec = load_spec(sobol_spec)
    assert max(asked) <= spec.chunk_size < spec.n_runs
    assert len(res.samples) == 8
    assert all(len(y) == 8 for ys in res.outcomes.values() for y in ys.values())
    assert_same_outputs(sobol_reference, tmp_path)


FAULTY = f"""
name = "faulty"
method = "lhs"
n = 60
seed = 5
chunk_size = 16
model = "{(DATA / "faulty.mdl").as_posix()}"
metrics = ["dominant_soft_power_end", "gdp_end"]
fan_variables = ["Dominant Soft Power"]
fan_runs = 60

[parameters]
"Knob A" = "uniform"
"Knob B" = "uniform"
"""


def test_runs_with_nan_or_a_negative_stock_are_reported_never_averaged(tmp_path):
    """faulty.mdl, by hand: soft power 1 + 0.3 (1 - A) (t - 2025) is negative from the first
    whole year after 2025 + 1 / (0.3 (A - 1)) when A > 4/3 (the horizon is 2035); GDP is
    sqrt(B - 0.5), NaN from 2025 when B < 0.5. Values all inside the declared ranges."""
    import math

    spec = tmp_path / "faulty.toml"
    spec.write_text(FAULTY, encoding="utf-8")
    res = run_sweep(spec, tmp_path / "out", progress=False, figures=False)
    samples = pd.read_parquet(tmp_path / "out" / "samples.parquet")
    a, b = samples["Knob A"], samples["Knob B"]
    nan, negative = b < 0.5, (a > 4 / 3) & ~(b < 0.5)
    assert nan.any() and negative.any() and (~nan & ~negative).sum() > 10
    faults = pd.read_csv(tmp_path / "out" / "faults.csv").set_index("run")
    assert set(faults.index) == set(samples.index[nan | negative])
    for run in samples.index[negative]:
        year = 2025 + math.floor(1 / (0.3 * (a[run] - 1))) + 1
        assert faults.loc[run, "fault"] == "negative 'Dominant Soft Power'"
        assert faults.loc[run, "fault_time"] == year
    assert faults.loc[samples.index[nan], "fault"].str.startswith("NaN in").all()
    assert (faults.loc[samples.index[nan], "fault_time"] == 2025).all()
    np.testing.assert_array_equal(faults["Knob A"], a[faults.index])  # which parameters
    # the table averages only the sound runs: 1 + 3 (1 - A) over the main design
    ok = ~(nan | negative) & (samples.design == "main")
    outcomes = pd.read_csv(tmp_path / "out" / "outcomes.csv").set_index("metric")
    row = outcomes.loc["dominant_soft_power_end"]
    assert row["mean"] == pytest.approx((1 + 3 * (1 - a[ok])).mean(), rel=1e-12)
    main = samples.design == "main"
    assert row["nan_share"] == pytest.approx((nan | negative)[main].mean())
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet").set_index("run")
    assert runs.loc[faults.index, "dominant_soft_power_end"].isna().all()
    note = next(n for n in res.notes if "negative stock" in n)
    assert f"{len(faults):,} of" in note and "faults.csv" in note
    assert len(res.faults) == len(faults)
    fan = pd.read_csv(tmp_path / "out" / "fan.csv")
    assert (fan.runs == (ok[:60]).sum()).all()  # fan bands leave the faulty runs out
