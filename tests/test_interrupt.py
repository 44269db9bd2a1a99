"""Ctrl-C while the compiled kernel runs: a clean KeyboardInterrupt, exit 130, resumable.

The kernel runs on worker threads through ctypes. Before the fix, SIGINT made the
main thread unwind and free the result arrays while the workers still wrote into
them: a segmentation fault (exit 139, returncode -11), most of the time. These
tests send real signals to real processes, several times each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from regionsoft_sd.batch import cbackend
from regionsoft_sd.runs import CHUNK_DIR
from regionsoft_sd.sweep import load_spec, run_sweep

ROOT = Path(__file__).resolve().parents[1]
needs_cc = pytest.mark.skipif(cbackend.compiler() is None, reason="no C compiler")

# Interrupts itself during the kernel of a later chunk (the progress callback of
# the first chunk arms a timer), catches the KeyboardInterrupt, drops the result
# and churns memory while any worker still running would write into freed arrays.
LIBRARY_SCRIPT = """
import gc, os, signal, sys, threading, time
import numpy as np
from regionsoft_sd.batch import simulate
from regionsoft_sd.model.translate import MODEL_PATH
from tests.test_batch_builtins import ranged_samples

samples = ranged_samples(MODEL_PATH, 8_000, seed=2)
simulate({k: v[:8] for k, v in samples.items()}, backend="c")  # build the kernel first
interrupted = 0
for attempt in range(int(sys.argv[1])):
    def arm(done, total):
        if done == 2_000:  # three more chunks to go: the signal lands in a kernel call
            delay = 0.005 + 0.01 * attempt
            threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT)).start()
    finished = False
    try:
        simulate(samples, backend="c", chunk_size=2_000, progress=arm)
        finished = True
        time.sleep(1.0)  # a signal that came too late lands here
    except KeyboardInterrupt:
        interrupted += not finished
    gc.collect()
    junk = [np.ones(1_000_000) for _ in range(40)]
    del junk
print("interrupted", interrupted, flush=True)
"""


@needs_cc
def test_ctrl_c_during_the_kernel_raises_keyboard_interrupt_without_a_crash(tmp_path) -> None:
    env = {**os.environ, cbackend.ENV_THREADS: "2", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", LIBRARY_SCRIPT, "4"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout.startswith("interrupted "), proc.stdout
    assert int(proc.stdout.split()[1]) >= 2, proc.stdout  # most signals came mid-batch


def test_an_interrupt_on_one_thread_lets_the_current_piece_finish_and_stops() -> None:
    calls: list[tuple[int, int]] = []

    def fake(a: int, b: int, nsteps: int, *args) -> int:
        calls.append((a, b))
        if a >= 2 * cbackend.PIECE:
            raise KeyboardInterrupt  # as Python raises it once a kernel call has returned
        return 0

    pieces = cbackend._split(10 * cbackend.PIECE, cbackend.PIECE)
    with pytest.raises(KeyboardInterrupt):
        cbackend._launch(fake, 1, (), pieces, 1)
    assert calls == pieces[:3]


def test_an_interrupt_with_workers_waits_for_every_worker_before_raising(monkeypatch) -> None:
    """The main thread is interrupted while workers run; none may still run when it raises."""
    running = []
    finished = []

    def slow(a: int, b: int, nsteps: int, *args) -> int:
        running.append(a)
        time.sleep(0.05)
        finished.append(a)
        return 0

    pieces = cbackend._split(40 * cbackend.PIECE, cbackend.PIECE)
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        threading.Timer(0.08, os.kill, (os.getpid(), signal.SIGINT)).start()
        cbackend._launch(slow, 1, (), pieces, 3)
    assert sorted(finished) == sorted(running)  # every started piece ended before the raise
    assert len(finished) < len(pieces)  # and the rest were not started: it stopped
    assert time.monotonic() - t0 < 1.0


def test_pieces_are_whole_blocks_covering_every_run() -> None:
    for n in (1, 7, 8, 9, cbackend.PIECE, cbackend.PIECE + 1, 5 * cbackend.PIECE - 3):
        pieces = cbackend._split(n, cbackend.PIECE)
        assert pieces[0][0] == 0 and pieces[-1][1] == n
        assert all(b == c for (_, b), (c, _) in zip(pieces, pieces[1:], strict=False))
        assert all(a % cbackend.LANES == 0 for a, _ in pieces)


SPEC = """
name = "interrupt"
method = "sobol"
n = 128
seed = 11
chunk_size = 128
metrics = ["dominant_soft_power_end", "gdp_end"]
strategies = ["{baseline}"]

[parameters]
"Capital share" = "uniform"
"Culture weight" = "uniform"
"Image weight" = "uniform"
"""


@needs_cc
def test_ctrl_c_during_a_sweep_exits_130_and_resume_matches_an_uninterrupted_run(
    tmp_path,
) -> None:
    spec = tmp_path / "interrupt.toml"
    baseline = (ROOT / "scenarios" / "baseline.toml").as_posix()
    spec.write_text(textwrap.dedent(SPEC).format(baseline=baseline), encoding="utf-8")
    reference = tmp_path / "reference"
    run_sweep(spec, reference, progress=False, figures=False)
    chunks = load_spec(spec).digest
    env = {**os.environ, cbackend.ENV_THREADS: "2", "PYTHONPATH": str(ROOT)}
    for k in range(1):  # one start of the CLI is seconds; the library test above repeats
        out = tmp_path / f"out{k}"
        cmd = [sys.executable, "-m", "regionsoft_sd.cli", "sweep", str(spec), "--out", str(out)]
        proc = subprocess.Popen(
            [*cmd, "--no-progress"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        folder = out / CHUNK_DIR / chunks
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if folder.is_dir() and any(folder.iterdir()):
                break  # the first chunk is written: the next one is in the kernel
            time.sleep(0.005)
        time.sleep(0.02 * k)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, (proc.returncode, err[-2000:])
        assert "interrupted" in err and "Traceback" not in err
        run_sweep(spec, out, resume=True, progress=False, figures=False)
        for name in ("samples.parquet", "runs.parquet"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(reference / name), pd.read_parquet(out / name), check_exact=True
            )
        for name in ("sobol.csv", "outcomes.csv"):
            assert (reference / name).read_bytes() == (out / name).read_bytes(), name
