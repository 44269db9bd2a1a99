"""Benchmark: model version 3 (31 provinces) on the batch engine, pysimlin and PySD.

Prints, measured in one process, side by side:

- the C kernel's build: wall time and the compiler's CPU time (the loop layout of
  `regionsoft_sd/batch/cloops.py`; `--locals` also builds the flattened layout, one
  statement per element, for comparison: minutes);
- time per run of pysimlin (one run at a time), of PySD (one run, to `--pysd-final`,
  scaled to the full horizon by its steps: say so when quoting it) and of the batch
  engine's C and NumPy backends at N = 1,000, with the ratios to pysimlin and PySD;
- one run (N = 1) on C against one pysimlin run, alternated;
- a limit estimate for the loop kernel: exp, log and arithmetic per Euler step and
  run (counted in the generated source, each loop body times its axis length) at
  the per-element costs measured by bench_engines, and the bytes it moves.

    .venv/bin/python benchmarks/bench_v3.py               # about 5 minutes
    .venv/bin/python benchmarks/bench_v3.py --locals      # plus the flattened build
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench_engines import HELPER_OPS, micro_costs  # noqa: E402

from regionsoft_sd.batch import cbackend, cgen, codegen, compile_model, simulate  # noqa: E402
from regionsoft_sd.batch.engine import ENV_LAYOUT, _c_kernel  # noqa: E402
from tests.test_model_v3_random import draw  # noqa: E402
from tests.test_model_v3_support import MDL  # noqa: E402
from tests.test_model_v3_support import run as simlin_run  # noqa: E402

N = 1000


def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def build_time(layout: str) -> tuple[float, float, str]:
    """(wall s, compiler CPU s, source) of building the v3 kernel in an empty cache."""
    model = compile_model(MDL)
    consts = {k for k, n in model.graph.nodes.items() if n.kind == "const"}
    keys = [k for s in model.stocks for k in model.keys(s)]
    os.environ[ENV_LAYOUT] = layout
    try:
        with tempfile.TemporaryDirectory() as cache:
            os.environ[cbackend.ENV_CACHE] = cache
            wall, cpu = time.perf_counter(), _children_cpu()
            p = codegen.plan(model.graph, keys, consts, set())
            source = _c_kernel(p, model.graph.control, model.tables(), "euler").source
            cbackend.build(source)
            return time.perf_counter() - wall, _children_cpu() - cpu, source
    finally:
        os.environ.pop(ENV_LAYOUT, None)
        os.environ.pop(cbackend.ENV_CACHE, None)


def loop_counts(source: str) -> dict[str, float]:
    """exp, log, other calls, arithmetic and 8-byte loads/stores per step and run."""
    body = source.split("for (long k = 0; k < nsteps; k++) {", 1)[1].split("if (row >= 0)")[0]
    body += source.split("if (row >= 0)", 1)[1].split("\n    }\n  }")[0]  # the state updates
    out = dict.fromkeys(("exp", "log", "other", "arith", "words"), 0.0)
    mult = 1
    for line in body.splitlines():
        m = re.search(r"for \(int e = 0; e < (\d+); e\+\+\)", line)
        if m:
            mult = int(m.group(1))
            continue
        if "for (int l = 0; l < LANES; l++) {" not in line:
            continue
        text = re.sub(r"W\[[^\]]*\]", "w", line.split("{", 1)[1])  # not index arithmetic
        out["exp"] += mult * len(re.findall(r"\bexp\(", text))
        out["log"] += mult * len(re.findall(r"\blog\(", text))
        out["other"] += mult * len(re.findall(r"\b(?:pow|sin|cos|tan|sinh|cosh|tanh)\(", text))
        ops = len(re.findall(r" [-+*/] | [<>]=? | [!=]= |\?", text))
        ops += sum(n * len(re.findall(rf"\b{h}\(", text)) for h, n in HELPER_OPS.items())
        out["arith"] += mult * ops
        out["words"] += mult * line.count("W[")
        mult = 1
    return out


def per_run(fn, runs: int) -> tuple[float, float]:
    """Best wall and CPU seconds (all threads) per call of `fn` over `runs` calls."""
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def pysd_run(final: float) -> tuple[float, float]:
    import pysd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.read_vensim(str(MDL))
        wall, cpu = time.perf_counter(), time.process_time()
        model.run(final_time=final)
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:  # noqa: C901 - one report, assembled in order
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--locals", action="store_true", help="also build the flattened layout")
    ap.add_argument("--pysd-final", type=float, default=2008.0, help="PySD's final time")
    args = ap.parse_args()
    model = compile_model(MDL)
    t0, tf, dt = model.initial_time, model.final_time, model.time_step
    steps = round((tf - t0) / dt)
    print(f"model v3: {MDL.name}, {steps} Euler steps, {len(model.graph.nodes)} scalar nodes")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")

    wall, cpu, source = build_time("loops")
    counts = loop_counts(source)
    print(f"C build, loop layout: {wall:.1f} s wall, {cpu:.1f} s compiler CPU, {len(source):,} B")
    if args.locals:
        lwall, lcpu, lsource = build_time("locals")
        print(
            f"C build, flattened layout: {lwall:.1f} s wall, {lcpu:.1f} s compiler CPU, "
            f"{len(lsource):,} B"
        )

    samples = draw(N, seed=3)
    one = {k: v[:1] for k, v in samples.items()}
    simulate(one, mdl_path=MDL, backend="c")  # load the kernel, warm the caches
    overrides = {k: float(v[0]) for k, v in samples.items()}
    simlin_run(overrides)
    sl_wall, sl_cpu = per_run(lambda: simlin_run(overrides), 3)
    print(f"pysimlin: {sl_wall * 1e3:.1f} ms wall, {sl_cpu * 1e3:.1f} ms CPU per run (best of 3)")

    c_wall, c_cpu = per_run(lambda: simulate(samples, mdl_path=MDL, backend="c"), 2)
    threads = cbackend.threads()
    c_idle = c_cpu / threads / N
    print(
        f"C, N = {N:,} ({threads} threads): {c_wall / N * 1e3:.2f} ms wall, "
        f"{c_cpu / N * 1e3:.2f} ms CPU per run; idle-machine estimate {c_idle * 1e3:.2f} ms"
    )
    if args.locals:
        os.environ[ENV_LAYOUT] = "locals"
        try:
            simulate(one, mdl_path=MDL, backend="c")  # builds it into the user cache
            lc_wall, lc_cpu = per_run(lambda: simulate(samples, mdl_path=MDL, backend="c"), 2)
        finally:
            os.environ.pop(ENV_LAYOUT, None)
        print(
            f"C flattened layout, N = {N:,}: {lc_wall / N * 1e3:.2f} ms wall, "
            f"{lc_cpu / N * 1e3:.2f} ms CPU per run"
        )
    np_wall, np_cpu = per_run(lambda: simulate(samples, mdl_path=MDL, backend="numpy"), 1)
    print(
        f"NumPy, N = {N:,}: {np_wall / N * 1e3:.2f} ms wall, {np_cpu / N * 1e3:.2f} ms CPU per run"
    )

    pysd_wall, pysd_cpu = pysd_run(args.pysd_final)
    part = round((args.pysd_final - t0) / dt)
    scale = steps / part
    print(
        f"PySD, one run to {args.pysd_final:g} ({part} steps): {pysd_wall:.1f} s wall; "
        f"scaled x{scale:.1f} to the full {steps} steps: {pysd_wall * scale:.0f} s"
    )

    c1, s1 = [], []
    for _ in range(5):
        c1.append(per_run(lambda: simulate(one, mdl_path=MDL, backend="c"), 1)[0])
        s1.append(per_run(lambda: simlin_run(overrides), 1)[0])
    print(
        f"N = 1: C {min(c1) * 1e3:.1f} ms best, {np.median(c1) * 1e3:.1f} ms median; "
        f"pysimlin {min(s1) * 1e3:.1f} ms best, {np.median(s1) * 1e3:.1f} ms median"
    )

    slots = int(re.search(r"sizeof\(double\[LANES\]\) \* (\d+)", source).group(1))
    # this thread's CPU time: wall time would count the machine's other load
    costs = micro_costs(clock=time.thread_time)
    step_ns = counts["exp"] * costs["exp"] + counts["log"] * costs["log"]
    step_ns += counts["arith"] * costs["arith"]
    limit = step_ns * 1e-9 * steps / threads
    print(
        f"loop kernel per step and run: {counts['exp']:.0f} exp, {counts['log']:.0f} log, "
        f"{counts['other']:.0f} other calls, {counts['arith']:.0f} arithmetic operations, "
        f"{counts['words'] * 8 / 1024:.1f} KiB loaded or stored; working array "
        f"{slots * 8 * cgen.LANES / 1024:.0f} KiB per block of {cgen.LANES} runs"
    )
    print(
        f"limit estimate (exp {costs['exp']:.2f} ns, log {costs['log']:.2f} ns, arithmetic "
        f"{costs['arith']:.3f} ns per element, {threads} cores): {limit * 1e3:.3f} ms per run"
    )
    sims = pysd_wall * scale
    print("ratios (from wall time; from the idle-machine estimate in brackets):")
    print(
        f"  C N={N:,} vs pysimlin per run: {sl_wall / (c_wall / N):.0f}x "
        f"[{sl_cpu / c_idle:.0f}x]   target >= 100x"
    )
    print(
        f"  C N={N:,} vs PySD (scaled) per run: {sims / (c_wall / N):,.0f}x "
        f"[{pysd_cpu * scale / c_idle:,.0f}x]   target >= 10,000x"
    )
    print(f"  NumPy N={N:,} vs pysimlin per run: {sl_wall / (np_wall / N):.1f}x")
    print(f"  C N=1 vs pysimlin (best wall): {min(s1) / min(c1):.1f}x faster   target >= 1x")
    print(f"  C build: {cpu:.1f} s compiler CPU, {wall:.1f} s wall   target < 20 s")
    print(f"  C N={N:,} vs limit estimate: {c_idle / limit:.1f}x")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
