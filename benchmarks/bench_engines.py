"""Benchmark: PySD, pysimlin, and the batch engine's NumPy and C backends, in one process.

Prints, and writes into docs/performance.md between the `bench_engines` markers:

- time per run of PySD and pysimlin (one run at a time) and of the batch engine's
  two backends at N = 1, 100, 10,000 and 100,000, with ratios to pysimlin and PySD;
- a limit estimate: the operations of one Euler step of the model (counted in the
  generated C kernel: exp, log and arithmetic after log sharing) times the steps,
  against per-element costs measured here with the same compiler flags, over the
  cores in use; and the ratio of each engine to that limit;
- the NumPy design's own bound (its array passes per step against the measured
  cost of one pass), and peak memory of a 1,000,000-run batch.

    .venv/bin/python benchmarks/bench_engines.py            # full (about 10 minutes)
    .venv/bin/python benchmarks/bench_engines.py --quick    # N up to 10,000, no 1e6 run
    .venv/bin/python benchmarks/bench_engines.py --no-doc   # print only, leave the doc alone
"""

from __future__ import annotations

import argparse
import ast
import ctypes
import os
import platform
import re
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.batch import cbackend, compile_model, simulate  # noqa: E402
from regionsoft_sd.common.io import write_between  # noqa: E402
from regionsoft_sd.model.translate import MODEL_PATH, abstract_model, load_model  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench_engines:start -->", "<!-- bench_engines:end -->"
RECORD5 = [
    "Dominant Soft Power",
    "Hard Power Index",
    "Human Quality",
    "Regional Culture",
    "Value Identity",
]
MILLION = """
import resource, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from regionsoft_sd.batch import simulate
from benchmarks.bench_engines import samples
s = samples(1_000_000, few=True)
t = time.perf_counter()
res = simulate(s, record={rec!r}, dtype=np.{dtype}, backend={backend!r})
el = time.perf_counter() - t
print(el, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, res.data[{first!r}].nbytes)
"""
# Per-element kernels for the limit estimate, built with the backend's own flags.
MICRO = r"""
#include <math.h>
#pragma omp declare simd notinbranch
extern double exp(double);
#pragma omp declare simd notinbranch
extern double log(double);
void rs_exp(double *restrict b, long n, long reps) {
  for (long r = 0; r < reps; r++) {
    #pragma omp simd
    for (long i = 0; i < n; i++) b[i] = exp(b[i] * -0.001);
  }
}
void rs_log(double *restrict b, long n, long reps) {
  for (long r = 0; r < reps; r++) {
    #pragma omp simd
    for (long i = 0; i < n; i++) b[i] = log(b[i] + 3.0);
  }
}
void rs_arith(double *restrict b, long n, long reps) {  /* 2 operations per element */
  for (long r = 0; r < reps; r++) {
    #pragma omp simd
    for (long i = 0; i < n; i++) b[i] = b[i] * 0.999 + 0.001;
  }
}
"""
# Approximate arithmetic operations (compares, selects, multiplies...) in each helper
HELPER_OPS = {
    "rs_min": 3,
    "rs_max": 3,
    "rs_ite": 2,
    "rs_and": 3,
    "rs_or": 3,
    "rs_not": 2,
    "rs_step": 4,
    "rs_ramp": 8,
    "rs_pulse": 5,
    "rs_pulse_train": 14,
    "rs_zidz": 4,
    "rs_xidz": 4,
    "rs_quantum": 5,
    "rs_modulo": 6,
    "rs_powexp": 4,
    "rs_powfix": 9,
    "rs_interp": 12,
    "rs_interp_inline": 13,
    "rs_hold": 6,
    "fabs": 1,
    "sqrt": 1,
    "trunc": 1,
}
# NumPy passes over the run axis per helper call of the generated Python (one per ufunc)
NUMPY_PASSES = {
    "_min": 1,
    "_max": 1,
    "_abs": 1,
    "_exp": 1,
    "_ln": 1,
    "_sqrt": 1,
    "_integer": 1,
    "_where": 1,
    "_all": 1,
    "_none": 1,
    "_and": 1,
    "_or": 1,
    "_not": 1,
    "_step": 3,
    "_ramp": 6,
    "_pulse": 4,
    "_zidz": 4,
    "_xidz": 4,
    "_lookup": 2,
    "_power": 1,
}


def samples(n: int, seed: int = 1, few: bool = False) -> dict[str, np.ndarray]:
    """n draws of every constant with a declared [min,max] range (`few`: only `Policy *` ones)."""
    rng = np.random.default_rng(seed)
    out = {}
    for element in abstract_model(MODEL_PATH).sections[0].elements:
        lo, hi = element.limits
        if lo is None or hi is None or element.name.strip() in ("SAVEPER", "TIME STEP"):
            continue
        if few and not element.name.startswith("Policy"):
            continue
        out[element.name] = rng.uniform(lo, hi, n)
    return out


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    """Wall and CPU seconds (all threads of this process) since `start`."""
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def per_run_pysd(runs: int) -> tuple[float, float]:
    """Wall and CPU seconds per PySD run."""
    s, model = samples(runs), load_model()
    t = _clock()
    for i in range(runs):
        model.reload()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.run(params={k: float(v[i]) for k, v in s.items()})
    wall, cpu = _since(t)
    return wall / runs, cpu / runs


def per_run_simlin(runs: int) -> tuple[float, float]:
    """Best wall and CPU seconds per pysimlin run (over 3 rounds)."""
    import simlin

    s, model = samples(runs), simlin.load(str(MODEL_PATH))
    names = {k: k.lower().replace(" ", "_") for k in s}
    best = (float("inf"), float("inf"))
    for _ in range(3):
        t = _clock()
        for i in range(runs):
            model.run(overrides={names[k]: float(v[i]) for k, v in s.items()}, analyze_loops=False)
        wall, cpu = _since(t)
        best = (min(best[0], wall / runs), min(best[1], cpu / runs))
    return best


def per_run_batch(n: int, backend: str, repeat: int) -> tuple[float, float]:
    """Best wall and CPU seconds per run of `simulate` (the 8 stocks recorded)."""
    s = samples(n)
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        t = _clock()
        simulate(s, backend=backend)
        wall, cpu = _since(t)
        best = (min(best[0], wall / n), min(best[1], cpu / n))
    return best


def one_run_side_by_side(rounds: int) -> dict[str, float]:
    """One pysimlin run and one C run at N = 1, alternated `rounds` times, same inputs.

    Alternating puts both engines under the same load, so the ratio holds on a
    shared machine. Returns best and median wall seconds and best CPU seconds.
    """
    import simlin

    s, model = samples(1), simlin.load(str(MODEL_PATH))
    overrides = {k.lower().replace(" ", "_"): float(v[0]) for k, v in s.items()}
    simulate(s, backend="c")  # the kernel is built and loaded before timing
    runs: dict[str, list[tuple[float, float]]] = {"simlin": [], "c": []}
    for _ in range(rounds):
        t = _clock()
        model.run(overrides=overrides, analyze_loops=False)
        runs["simlin"].append(_since(t))
        t = _clock()
        simulate(s, backend="c")
        runs["c"].append(_since(t))
    out = {}
    for name, times in runs.items():
        walls = sorted(w for w, _ in times)
        out[f"{name}_wall"], out[f"{name}_median"] = walls[0], walls[len(walls) // 2]
        out[f"{name}_cpu"] = min(c for _, c in times)
    return out


def micro_costs(clock=time.perf_counter) -> dict[str, float]:
    """Nanoseconds per element of vector exp, log and one arithmetic operation (1 core).

    `clock` times each pass: wall time by default; `time.thread_time` counts only this
    thread's CPU time, for a machine shared with other load (bench_v3)."""
    lib = ctypes.CDLL(str(cbackend.build(MICRO)))
    n, reps = 512, 4000  # 4 KiB: the data stays in L1, as the kernel's lanes do
    out = {}
    for name, ops in (("exp", 1), ("log", 1), ("arith", 2)):
        fn = getattr(lib, f"rs_{name}")
        fn.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_long]
        best = float("inf")
        for _ in range(5):
            buf = np.full(n, 0.5)
            t = clock()
            fn(buf.ctypes.data, n, reps)
            best = min(best, clock() - t)
        out[name] = best / (n * reps * ops) * 1e9
    return out


def kernel_counts(source: str) -> dict[str, int]:
    """Operations in one evaluation of the kernel's step loop (the lane loop body)."""
    body = source.split("for (long k = 0; k < nsteps; k++) {", 1)[1].split("if (row >= 0)")[0]
    lines = [ln for ln in body.splitlines() if "= B[" not in ln and "= S[" not in ln]
    text = "\n".join(lines)
    transcendental = len(re.findall(r"\b(?:sin|cos|tan|asin|acos|atan|sinh|cosh|tanh)\(", text))
    ops = len(re.findall(r" [-+*/] | [<>]=? | [!=]= |\?", text))
    ops += sum(n * len(re.findall(rf"\b{h}\(", text)) for h, n in HELPER_OPS.items())
    return {
        "exp": len(re.findall(r"\bexp\(", text)),
        "log": len(re.findall(r"\blog\(", text)),
        "other": transcendental + len(re.findall(r"\bpow\(", text)),
        "arith": ops,
    }


def numpy_passes(program) -> tuple[int, int]:
    """(array passes, of which transcendental) in one step of the NumPy program."""
    passes = trans = 0
    for line in program.source.split("def _aux", 1)[1].splitlines():
        if " = " not in line or line.strip().startswith(("def", "return", "nonlocal")):
            continue
        tree = ast.parse(line.split(" = ", 1)[1].strip(), mode="eval")
        for node in ast.walk(tree):
            if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare)):
                passes += 1
                if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                    trans += 1
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                passes += NUMPY_PASSES.get(node.func.id, 1)
                trans += node.func.id in ("_exp", "_ln", "_power")
    passes += 2 * len(program.states)  # the Euler update s + d * dt
    return passes, trans


def numpy_pass_costs() -> dict[str, float]:
    """Nanoseconds per element of one NumPy pass over 10,000 runs: multiply, exp, power."""
    a, b, out = np.random.default_rng(0).uniform(0.5, 2, (3, 10_000))
    costs = {}
    for name, fn in (
        ("multiply", lambda: np.multiply(a, b, out=out)),
        ("exp", lambda: np.exp(a, out=out)),
        ("power", lambda: np.power(a, b, out=out)),
    ):
        best = float("inf")
        for _ in range(7):
            t = time.perf_counter()
            for _ in range(200):
                fn()
            best = min(best, time.perf_counter() - t)
        costs[name] = best / (200 * len(a)) * 1e9
    return costs


def million(dtype: str, backend: str) -> tuple[float, float, int]:
    """Seconds, peak RSS (GiB) and bytes of one recorded array for 1e6 runs (own process)."""
    code = MILLION.format(
        root=str(ROOT), rec=RECORD5, dtype=dtype, first=RECORD5[0], backend=backend
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    el, rss, nbytes = out.stdout.split()
    return float(el), float(rss), int(nbytes)


def write_doc(text: str) -> None:
    """Replace our section of docs/performance.md (added at its end if missing)."""
    write_between(DOC, START, END, text, append=True)


def _us(sec: float) -> str:
    return f"{sec * 1e6:,.1f} µs" if sec < 1e-2 else f"{sec * 1e3:,.1f} ms"


def main() -> None:  # noqa: C901 - one report, assembled in order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N up to 10,000; no 1e6 run")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args()
    sizes = [1, 100, 10_000] if args.quick else [1, 100, 10_000, 100_000]
    load_start = os.getloadavg()
    compiled = compile_model()  # translation and code generation are not per-run time
    has_c = cbackend.compiler() is not None
    backends = ["numpy", "c"] if has_c else ["numpy"]
    for backend in backends:
        simulate(samples(2), backend=backend)  # code generation, C build (cached)
    pysd = per_run_pysd(3 if args.quick else 10)
    simlin_t = per_run_simlin(20 if args.quick else 100)
    times: dict[tuple[str, int], tuple[float, float]] = {}
    for backend in backends:
        for n in sizes:
            repeat = {1: 30, 100: 10, 10_000: 5}.get(n, 2)
            times[backend, n] = per_run_batch(n, backend, repeat)
    threads = cbackend.threads()
    steps = len(compiled.steps) - 1

    # limit estimate: the fused kernel's operations against measured per-element costs
    keys = tuple(compiled.keys(s) for s in compiled.stocks)
    flat = tuple(k for ks in keys for k in ks)
    lines = []
    limit = None
    if has_c:
        kern, _ = compiled.c_program(
            flat, frozenset(compiled.key(k) for k in samples(1)), frozenset(), "euler"
        )
        counts = kernel_counts(kern.source)
        cost = micro_costs()
        per_step = (
            (counts["exp"] + counts["other"]) * cost["exp"]
            + counts["log"] * cost["log"]
            + counts["arith"] * cost["arith"]
        )
        limit = per_step * steps / threads * 1e-9
    prog = compiled.program(flat, frozenset(compiled.key(k) for k in samples(1)), frozenset())[0]
    passes, trans = numpy_passes(prog)
    npc = numpy_pass_costs()
    numpy_bound = ((passes - trans) * npc["multiply"] + trans * npc["power"]) * steps * 1e-9

    head = (
        "| engine | N | wall per run | CPU per run | idle-machine estimate | × pysimlin "
        "| × PySD | × limit |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    simlin_idle, pysd_idle = simlin_t[1], pysd[1]  # one thread each: CPU time = idle wall

    def row(label: str, n: str, wall: float, cpu: float, cores: int) -> str:
        idle = cpu / cores  # the work spread over the cores this engine uses
        cells = [label, n, _us(wall), _us(cpu), _us(idle)]
        cells += [f"{simlin_idle / idle:,.2f}", f"{pysd_idle / idle:,.0f}"]
        cells.append(f"{idle / limit:,.1f}" if limit else "")
        return "| " + " | ".join(cells) + " |"

    lines.append(row("PySD, one run at a time", "1", *pysd, 1))
    lines.append(row("pysimlin, one run at a time", "1", *simlin_t, 1))
    for backend in backends:
        label = "batch, NumPy (1 core)" if backend == "numpy" else f"batch, C ({threads} threads)"
        cores = 1 if backend == "numpy" else threads
        for n in sizes:
            lines.append(row(label, f"{n:,}", *times[backend, n], cores))
    if limit:
        lines.append(
            f"| limit estimate ({threads} cores) | | | | {_us(limit)} | "
            f"{simlin_idle / limit:,.0f} | {pysd_idle / limit:,.0f} | 1.0 |"
        )
    notes = []
    if has_c:
        notes += [
            f"- Limit estimate: one Euler step of the generated kernel evaluates "
            f"{counts['exp']} exp, {counts['log']} log (shared logarithms), "
            f"{counts['other']} other transcendental calls and about {counts['arith']} "
            f"arithmetic operations per run; measured here (one core, vectors in L1, the "
            f"kernel's flags) exp costs {cost['exp']:.2f} ns, log {cost['log']:.2f} ns and "
            f"an arithmetic operation {cost['arith']:.3f} ns per run, so a step costs at "
            f"least {per_step:.1f} ns per run, x {steps} steps / {threads} cores = "
            f"{_us(limit)} per run. Loads, stores, the record copy and thread start-up "
            "are not counted: the estimate is a floor, not a target.",
            f"- NumPy design's own bound: {passes} array passes per step ({trans} of them "
            f"exp/log/power), at {npc['multiply']:.2f} ns (multiply) and "
            f"{npc['power']:.2f} ns (power) per element over 10,000 runs: "
            f"{_us(numpy_bound)} per run on one core; measured (CPU) "
            f"{_us(times['numpy', 10_000][1])} at N = 10,000.",
        ]
        c10k = times.get(("c", 10_000))
        if c10k:
            idle = c10k[1] / threads
            notes.append(
                f"- Targets. C at N = 10,000 >= 80x pysimlin (stretch 100x): "
                f"{simlin_idle / idle:,.0f}x from CPU time (an idle {threads}-core machine), "
                f"{simlin_t[0] / c10k[0]:,.0f}x from wall time on this shared machine. "
                f"C at N = 1 no slower than pysimlin: {simlin_t[0] / times['c', 1][0]:,.1f}x "
                f"faster (wall). NumPy at N = 1: {simlin_t[0] / times['numpy', 1][0]:,.2f}x "
                "pysimlin (wall): without a compiler, one run stays slower than pysimlin."
            )
    if has_c:
        one = one_run_side_by_side(20 if args.quick else 60)
        notes.append(
            "- One run, side by side (pysimlin and C at N = 1 alternated, same inputs): "
            f"pysimlin {_us(one['simlin_wall'])} best, {_us(one['simlin_median'])} median; "
            f"C {_us(one['c_wall'])} best, {_us(one['c_median'])} median: C is "
            f"{one['simlin_wall'] / one['c_wall']:,.1f}x faster (best wall), "
            f"{one['simlin_median'] / one['c_median']:,.1f}x (median), "
            f"{one['simlin_cpu'] / one['c_cpu']:,.1f}x (best CPU)."
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    notes.append(f"- Peak RSS of the benchmark process (all of the above): {rss:.2f} GiB.")
    if not args.quick:
        levers = len(samples(1, few=True))
        for backend in backends:
            for dtype in ("float32", "float64"):
                el, peak, nbytes = million(dtype, backend)
                notes.append(
                    f"- N = 1,000,000 on {'C' if backend == 'c' else 'NumPy'}, 5 recorded "
                    f"variables at yearly save points, results in {dtype} "
                    f"({5 * nbytes / 2**30:.2f} GiB of results), {levers} sampled levers: "
                    f"{el:,.1f} s ({el:.1f} µs/run), peak RSS {peak:.2f} GiB (own process)."
                )
    load_end = os.getloadavg()
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
    )
    cc = cbackend.compiler()
    text = "\n".join(
        [
            "## Batch engine",
            "",
            f"Project model (`models/regional_soft_power.mdl`, {steps} Euler steps, "
            f"{len(compiled.save_steps()[0])} saved times, the {len(flat)} stocks recorded), "
            "every constant with a declared range sampled uniformly in it; best of several "
            "calls. The machine is shared, so each engine's wall time depends on what else "
            "runs; CPU time (all threads of the process) does not. The idle-machine "
            "estimate is CPU time per run over the cores the engine uses (1 for PySD, "
            "pysimlin and NumPy); the ratios and `× limit` (1.0 would be the limit) are "
            "taken from it, so they compare work, not luck in scheduling.",
            "",
            *lines,
            "",
            *notes,
            "",
            f"Machine: {machine}; C compiler {cc or 'none'} (`{' '.join(cbackend.FLAGS[:5])}`)."
            f" The machine is shared with other work: load average "
            f"{load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end, so absolute "
            "times vary by 10-30 % between runs; the ratios come from one run.",
            "",
            "Rerun: `.venv/bin/python benchmarks/bench_engines.py` (add `--quick` to skip "
            "N = 100,000 and the 1,000,000-run checks).",
        ]
    )
    print(text)
    if not args.no_doc:
        write_doc(text)


if __name__ == "__main__":
    main()
