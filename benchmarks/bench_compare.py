"""Benchmark: `regionsoft compare` of the 8 shipped scenarios, batch engine against PySD.

Two measurements per engine, side by side in one run, both warm (imports done, the
model's translation and the batch engine's compiled kernel cached):

- in one process: `compare(scenarios, engine=...)` timed after a warm-up call
  (for PySD the warm-up compares one scenario, which loads the same translation);
- as a command: `regionsoft compare --engine ... --out TMP` in a subprocess, the
  whole command a user waits for (start-up, runs, tables, figures), after a warm-up.

The metrics tables of the two engines are checked to agree to 1e-9 before any time is
reported, and the ratio PySD / batch is printed.

    .venv/bin/python benchmarks/bench_compare.py
    .venv/bin/python benchmarks/bench_compare.py --repeat 3    # batch timings: best of 3
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.scenarios.scenario import Scenario  # noqa: E402
from regionsoft_sd.simulate import compare  # noqa: E402

SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def in_process(scenarios: list[Scenario], engine: str, repeat: int):
    """(best seconds of `repeat` warm calls, the last Comparison)."""
    compare(scenarios if engine == "batch" else scenarios[:1], engine=engine)  # warm-up
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = compare(scenarios, engine=engine)
        best = min(best, time.perf_counter() - t0)
    return best, result


def as_command(engine: str, repeat: int) -> float:
    """Best seconds of `repeat` runs of the `regionsoft compare` command, after a warm-up."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "regionsoft_sd.cli", "compare", "--engine", engine]
        best = float("inf")
        for i in range(repeat + 1):
            cmd = [*argv, *map(str, SCENARIOS), "--out", str(Path(tmp) / f"o{i}")]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, env=env, capture_output=True)
            if i:  # the first run is the warm-up
                best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="batch-engine repeats (default 3)")
    args = ap.parse_args()
    scenarios = [Scenario.from_file(p) for p in SCENARIOS]
    print(
        f"{len(scenarios)} scenarios; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}"
    )

    batch_s, batch = in_process(scenarios, "batch", args.repeat)
    pysd_s, pysd = in_process(scenarios, "pysd", 1)  # PySD: one timed call (a minute or more)
    a, b = batch.metrics.to_numpy(float), pysd.metrics.to_numpy(float)
    ok = np.isnan(b) | (np.abs(a - b) <= 1e-9 * np.maximum(np.abs(a), np.abs(b)) + 1e-12)
    if not (ok.all() and np.array_equal(np.isnan(a), np.isnan(b))):
        print("the engines' metrics differ by more than 1e-9: no timings reported")
        return 1
    print("metrics tables agree to 1e-9")

    batch_cmd = as_command("batch", args.repeat)
    pysd_cmd = as_command("pysd", 1)
    print(f"{'':28}{'batch':>10}{'pysd':>10}{'ratio':>9}")
    for what, x, y in (
        ("compare() in one process", batch_s, pysd_s),
        ("regionsoft compare", batch_cmd, pysd_cmd),
    ):
        print(f"{what:28}{x:9.2f}s{y:9.2f}s{y / x:8.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
