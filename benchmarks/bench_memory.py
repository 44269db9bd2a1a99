"""Benchmark: a sweep's peak memory does not grow with the number of runs.

Runs the same Monte Carlo sweep (3 parameters, 2 metrics, fan chart on, figures
off, chunks of 10,000) at several sizes, each in a fresh process, and prints
each run's peak resident memory (ru_maxrss), its wall time, and what the whole
design alone would take in memory (n x k floats) if it were made at once, as
the sweep did before it made samples per chunk. A Sobol sweep at two sizes
checks the same for the method whose analysis used to hold every outcome.

The model is `tests/sweep_data/one_knob.mdl` (a few equations), so the runs
are cheap and the sizes can go into the millions in minutes: memory
is what is measured, and the per-run engine work does not depend on n.

    .venv/bin/python benchmarks/bench_memory.py            # 1e4 .. 4e6 runs (about 4 min)
    .venv/bin/python benchmarks/bench_memory.py --quick    # 1e4 .. 4e5 runs (under 1 min)
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "tests" / "sweep_data" / "one_knob.mdl"

SPEC = """
name = "memory"
method = "{method}"
n = {n}
seed = 1
chunk_size = 10000
model = "{model}"
metrics = ["dominant_soft_power_end", "gdp_end"]
fan_variables = ["Dominant Soft Power"]

[parameters]
"Knob A" = "uniform"
"Knob B" = {{ distribution = "triangular", mode = 0.5 }}
"Knob C" = {{ distribution = "normal", sd = 0.5 }}
"""

CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from regionsoft_sd.sweep import run_sweep
t = time.perf_counter()
res = run_sweep({spec!r}, {out!r}, progress=False, figures=False)
print(res.spec.n_runs, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(folder: Path, method: str, n: int) -> tuple[int, float, float]:
    """(runs, seconds, peak RSS in MiB) of one sweep in its own process."""
    spec = folder / f"{method}_{n}.toml"
    spec.write_text(SPEC.format(method=method, n=n, model=MODEL.as_posix()), encoding="utf-8")
    code = CHILD.format(root=str(ROOT), spec=str(spec), out=str(folder / f"out_{method}_{n}"))
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    runs, secs, rss_kib = res.stdout.split()[-3:]
    return int(runs), float(secs), int(rss_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 4e5 runs only")
    args = parser.parse_args()
    sizes = [10_000, 100_000, 400_000] if args.quick else [10_000, 100_000, 1_000_000, 4_000_000]
    sobol = [2**10, 2**14] if args.quick else [2**10, 2**17]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            rows.append(("montecarlo", *measure(folder, "montecarlo", n)))
        for n in sobol:
            rows.append(("sobol", *measure(folder, "sobol", n)))
    print("| method | runs | wall time | peak RSS | whole design in memory (n x 3 floats) |")
    print("|---|---:|---:|---:|---:|")
    for method, runs, secs, rss in rows:
        design = runs * 3 * 8 / 2**20
        print(f"| {method} | {runs:,} | {secs:.1f} s | {rss:.0f} MiB | {design:,.1f} MiB |")
    mc = [r for r in rows if r[0] == "montecarlo"]
    growth = mc[-1][3] - mc[0][3]
    print(
        f"\nMonte Carlo, {mc[0][1]:,} -> {mc[-1][1]:,} runs ({mc[-1][1] / mc[0][1]:,.0f}x): "
        f"peak RSS {mc[0][3]:.0f} -> {mc[-1][3]:.0f} MiB ({growth:+.0f} MiB, "
        f"x{mc[-1][3] / mc[0][3]:.2f}); the whole design alone would be "
        f"{mc[-1][1] * 3 * 8 / 2**20:,.0f} MiB."
    )
    big = [r for r in mc if r[1] > 200_000]
    if len(big) > 1:
        print(
            f"Above the 200,000 runs a SweepResult keeps for figures: "
            f"{big[0][1]:,} -> {big[-1][1]:,} runs, peak RSS {big[0][3]:.0f} -> "
            f"{big[-1][3]:.0f} MiB ({big[-1][3] - big[0][3]:+.0f} MiB)."
        )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores visible, "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}."
    )


if __name__ == "__main__":
    main()
