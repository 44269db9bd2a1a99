"""Benchmark: the explorer's time from a slider change to the data ready, N = 1 and N = 200.

What one change costs in `regionsoft explore`: the settings become a validated scenario,
the central run and N futures run (one batch on the batch engine), and the quantile
bands and metrics are computed. The same runs, one by one through pysimlin (each
future's parameters as overrides), with the same statistics, give the ratio. Both
engines' results are checked to agree before any time is reported. All in one process.

    .venv/bin/python benchmarks/bench_explore.py             # 200 futures, 7 repeats
    .venv/bin/python benchmarks/bench_explore.py --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.explore import futures as fut  # noqa: E402
from regionsoft_sd.explore import state  # noqa: E402
from regionsoft_sd.model.metrics import compute_metrics  # noqa: E402
from regionsoft_sd.model.translate import MODEL_PATH  # noqa: E402


def settings_after_a_move(i: int) -> state.Settings:
    """The status quo with the programme budget moved, a different value each repeat."""
    region = state.find_regions()[0][state.DEFAULT_REGION]
    s = state.default_settings(region)
    return s.with_lever("Policy programme budget", 20.0 + i).with_lever(
        "Policy programme culture share", 0.3
    )


def batch_change(settings: state.Settings, futures: fut.Futures | None) -> fut.Picture:
    region = state.find_regions()[0][settings.region]
    return fut.picture(state.scenario(settings, region), futures, decided=list(settings.levers))


class SimlinChange:
    """The same change, run by run through pysimlin: scenario, runs, bands and metrics."""

    def __init__(self) -> None:
        import simlin

        self.model = simlin.load(str(MODEL_PATH))

    @staticmethod
    def key(name: str) -> str:
        return name.lower().replace(" ", "_")

    def __call__(self, settings: state.Settings, futures: fut.Futures | None):
        region = state.find_regions()[0][settings.region]
        s = state.scenario(settings, region)
        values = (
            fut.run_values(futures, s, list(settings.levers)).iloc[1:]
            if futures is not None
            else None
        )
        rows = [{}] if values is None else values.to_dict("records")
        record = fut.record_variables(futures) if futures is not None else None
        runs = []
        for row in rows:
            over = {**s.constants, **row}
            df = self.model.run(
                overrides={self.key(k): float(v) for k, v in over.items()}, analyze_loops=False
            ).results
            runs.append(df)
        times = runs[0].index.to_numpy(float)
        names = record or list(fut.REQUIRED_VARIABLES)
        data = {v: np.column_stack([r[self.key(v)].to_numpy(float) for r in runs]) for v in names}
        bands = {v: np.percentile(a, fut.QUANTILES, axis=1) for v, a in data.items()}
        metrics = compute_metrics(times, {v: data[v] for v in fut.REQUIRED_VARIABLES})
        return times, data, bands, metrics


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` calls of fn(i), and the last result."""
    out, times = None, []
    for i in range(repeat):
        t = time.perf_counter()
        out = fn(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="repeats per case (median)")
    parser.add_argument("--futures", type=int, default=fut.DEFAULT_FUTURES)
    args = parser.parse_args()

    futures = fut.load_futures(n=args.futures)
    simlin_change = SimlinChange()
    batch_change(settings_after_a_move(0), futures)  # compile and warm once; not per change

    # the engines agree on the futures' bands before any time counts
    s = settings_after_a_move(0)
    pic = batch_change(s, futures)
    _, _, bands, _ = simlin_change(s, futures)
    for var in futures.variables:
        np.testing.assert_allclose(pic.bands[var], bands[var], rtol=1e-6)

    rows = []
    for label, f in (("N = 1 (central run only)", None), (f"N = {futures.n}", futures)):
        b, _ = timed(lambda i, f=f: batch_change(settings_after_a_move(i), f), args.repeat)
        reps = args.repeat if f is None else max(1, args.repeat // 3)
        p, _ = timed(lambda i, f=f: simlin_change(settings_after_a_move(i), f), reps)
        rows.append((label, b, p))
    lines = [
        "| change -> data ready | batch engine | pysimlin, run by run | ratio |",
        "|---|---:|---:|---:|",
    ]
    for label, b, p in rows:
        lines.append(f"| {label} | {b * 1e3:,.0f} ms | {p * 1e3:,.0f} ms | {p / b:,.1f}x |")
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
    )
    print(
        "\n".join(
            [
                f"Explorer: one slider change (scenario, runs, 5/25/50/75/95 % bands of "
                f"{len(futures.variables)} variables, metrics); median of {args.repeat} "
                f"changes (pysimlin N = {futures.n}: {max(1, args.repeat // 3)}); bands "
                "checked equal (rtol 1e-6) first.",
                "",
                *lines,
                "",
                f"Machine: {machine}.",
            ]
        )
    )


if __name__ == "__main__":
    main()
