"""SIGTERM is an orderly exit: the lock is released, staging is removed, the status is 143.

Before, SIGTERM ended Python at once, leaving the output folder's lock file and
its staging folder behind for the next run to clean up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from regionsoft_sd.common.outdir import LOCK, STAGING_PREFIX, OutputFolder
from regionsoft_sd.common.terminate import EXIT_TERMINATED, Terminated, sigterm_raises
from regionsoft_sd.runs import CHUNK_DIR
from regionsoft_sd.sweep import load_spec

DATA = Path(__file__).parent / "sweep_data"
SPEC = f"""
name = "sigterm"
method = "sobol"
n = 16
seed = 7
chunk_size = 1
model = "{(DATA / "one_knob.mdl").as_posix()}"
metrics = ["dominant_soft_power_end", "gdp_end"]

[parameters]
"Knob A" = "uniform"
"Knob B" = {{ distribution = "triangular", mode = 0.5 }}
"""


def _wait_for_signal() -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the handler runs between two bytecodes
        time.sleep(0.01)
    raise AssertionError("SIGTERM was not turned into Terminated")


def test_sigterm_inside_an_output_folder_releases_the_lock_and_drops_staging(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(Terminated), sigterm_raises(), OutputFolder(out, kind="simulation") as f:
        f.stage("table.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        assert (out / LOCK).exists() and f.staging is not None and f.staging.is_dir()
        os.kill(os.getpid(), signal.SIGTERM)
        _wait_for_signal()
    assert not out.exists(), "a first run that was stopped leaves no folder behind"


def test_sigterm_inside_an_earlier_output_folder_keeps_its_outputs(tmp_path):
    out = tmp_path / "out"
    with OutputFolder(out, kind="simulation") as f:
        f.stage("table.csv").write_text("old\n", encoding="utf-8")
        f.commit()
    with pytest.raises(Terminated), sigterm_raises(), OutputFolder(out, kind="simulation") as f:
        f.stage("table.csv").write_text("new\n", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGTERM)
        _wait_for_signal()
    names = sorted(p.name for p in out.iterdir())
    assert names == ["regionsoft-manifest.json", "table.csv"], names
    assert (out / "table.csv").read_text(encoding="utf-8") == "old\n"


def test_the_previous_handler_is_restored():
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_raises():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize(
    "entry",
    [["regionsoft_sd.cli", "sweep"], ["regionsoft_sd.sweep"]],
    ids=["regionsoft", "-m sweep"],
)
def test_a_sweep_stopped_by_sigterm_exits_143_and_leaves_no_lock(tmp_path, entry):
    spec = tmp_path / "sigterm.toml"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", *entry, str(spec), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    journal = out / CHUNK_DIR / load_spec(spec).digest / "journal.jsonl"
    try:
        deadline = time.monotonic() + 90
        while not journal.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert (out / LOCK).exists()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode == 0:
        pytest.skip("the sweep finished before SIGTERM arrived")
    assert proc.returncode == EXIT_TERMINATED, err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("regionsoft: terminated (SIGTERM)"), err
    assert "Traceback" not in err
    assert not (out / LOCK).exists()
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
