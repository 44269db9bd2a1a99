"""Benchmark: calibrating one province on the batch engine, and the same fit through PySD.

1. **One province, end to end.** The shipped default spec's ten parameters fitted to
   five series (GDP, capital, population, mean schooling, the budget) of Henan,
   2005-2019: Latin-hypercube screening, multi-start least squares for the full and
   the held-out window, the Jacobian covariance, the profiles of five parameters and
   the likelihood band (`calibrate`, no files). In-process, and on a local Dask
   cluster of 2 workers when `distributed` is installed. Target: under 60 s on 2 cores.
2. **The same fit, run by run through PySD.** One start of the same least-squares fit
   (same start, same algorithm, same central-difference Jacobian, `max_nfev` capped),
   once with every round of residuals and Jacobian points as one batch of the batch
   engine, once with each of those points as its own PySD run (one PySD model, reused).
   Both are timed in this run; the ratio is theirs. They must end at the same cost.

Prints the table and writes it between the bench_calibrate markers of docs/calibration.md.

    .venv/bin/python benchmarks/bench_calibrate.py            # about 5 min on 2 cores
    .venv/bin/python benchmarks/bench_calibrate.py --no-doc   # print only
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from regionsoft_sd.calibrate.fit import take  # noqa: E402
from regionsoft_sd.calibrate.lockstep import Job, solve_all  # noqa: E402
from regionsoft_sd.calibrate.pipeline import calibrate, prepare  # noqa: E402
from regionsoft_sd.calibrate.problem import Problem, Simulation  # noqa: E402
from regionsoft_sd.calibrate.spec import parse_spec  # noqa: E402
from regionsoft_sd.common.io import write_between  # noqa: E402

DOC = ROOT / "docs" / "calibration.md"
START, END = "<!-- bench_calibrate:start -->", "<!-- bench_calibrate:end -->"
REGION = "henan"
SERIES = ("gdp", "capital", "population", "mean_schooling", "budget_total")
PYSD_NFEV = 6
"""Least-squares evaluations of the PySD comparison (each is 1 + 2p runs)."""


def bench_spec():
    path = ROOT / "scenarios" / "calibrate" / "default.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["series"] = [s for s in data["series"] if s["data"] in SERIES]
    data["name"] = "bench"
    return parse_spec(data, source=path)


def end_to_end(spec, setting, workers: int | None) -> tuple[float, object]:
    t = time.perf_counter()
    result = calibrate(spec, setting, workers=workers, progress=False)
    return time.perf_counter() - t, result


class PysdProblem:
    """The same residuals, each parameter set a PySD run of its own."""

    def __init__(self, prob: Problem) -> None:
        from regionsoft_sd.model.translate import load_model

        self.prob = prob
        self.model = load_model()
        self.base = prob.base.pysd_params()
        self.runs = 0

    def simulate(self, X: np.ndarray) -> Simulation:
        years = np.arange(2005, 2024, dtype=float)
        data = {v: np.empty((len(X), len(years))) for v in self.prob.variables}
        for i, x in enumerate(np.atleast_2d(X)):
            params = dict(self.base)
            params.update(dict(zip(self.prob.names, map(float, x), strict=True)))
            for target, column in self.prob.spec.follow.items():
                params[target] = params[column]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                df = self.model.run(
                    params=params,
                    return_columns=list(self.prob.variables),
                    return_timestamps=years,
                )
            for v in self.prob.variables:
                data[v][i] = df[v].to_numpy(dtype=float)
            self.runs += 1
        return Simulation(years, data, np.full(len(X), "", dtype=object))


def same_fit(prob: Problem, u0: np.ndarray, simulate) -> tuple[float, float, int]:
    """(seconds, final cost, evaluations) of one start, each round through `simulate`."""
    job = Job(u0, np.ones(prob.n_params, bool), prob.residuals_of, PYSD_NFEV)
    t = time.perf_counter()
    (sol,) = solve_all([job], simulate, take, prob.to_x)
    return time.perf_counter() - t, sol.cost, sol.nfev


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-doc", action="store_true", help="print only")
    args = ap.parse_args()
    spec = bench_spec()
    setting = prepare(spec, REGION)
    lines = []
    # warm: compile the batch engine once (every experiment pays this once per process)
    with Problem(spec, setting.wide, setting.base) as prob:
        prob.simulate(prob.to_x(prob.default_u()[None, :]))

    secs, result = end_to_end(spec, setting, None)
    fit = result.fit
    rows = [("in-process", secs, result)]
    if importlib.util.find_spec("distributed") is not None:
        secs2, result2 = end_to_end(spec, setting, 2)
        rows.append(("Dask, 2 workers", secs2, result2))
    lines.append(
        f"**One province.** {REGION.title()}, {len(spec.names)} parameters, "
        f"{len(spec.targets)} series ({', '.join(SERIES)}), {fit.problem.n_obs} observations, "
        f"2005-2019; {len(fit.starts)} starts for the full and the held-out window, "
        f"{len(result.profiles)} profiles, the likelihood band."
    )
    lines += [
        "",
        "| runner | seconds | model runs | batches | best cost | starts at best |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, s, r in rows:
        lines.append(
            f"| {label} | {s:.1f} | {r.runs:,} | {r.batches:,} | {r.fit.cost:.4f} | "
            f"{r.fit.agree} of {len(r.fit.starts)} |"
        )
    best = min(s for _, s, _ in rows)
    lines.append("")
    lines.append(
        f"- Target: under 60 s on 2 cores: {best:.1f} s ({'met' if best < 60 else 'missed'})."
    )

    # the same fit, batch engine against PySD run by run
    with Problem(spec, setting.wide, setting.base) as prob:
        u0 = prob.default_u()
        t_batch, c_batch, n_batch = same_fit(prob, u0, prob.simulate)
        py = PysdProblem(prob)
        t_py, c_py, n_py = same_fit(prob, u0, py.simulate)
    per_run = t_py / py.runs
    lines += [
        "",
        f"**The same fit through PySD.** One start (the model file's values), "
        f"{PYSD_NFEV} least-squares evaluations at most, each the residuals and a "
        f"{2 * len(spec.names)}-point central-difference Jacobian: {py.runs} model runs.",
        "",
        "| engine | seconds | evaluations | final cost |",
        "|---|---:|---:|---:|",
        f"| batch engine, one batch per evaluation | {t_batch:.2f} | {n_batch} | {c_batch:.6f} |",
        f"| PySD, one run at a time | {t_py:.1f} | {n_py} | {c_py:.6f} |",
        "",
        f"- Ratio: the batch engine is {t_py / t_batch:.0f}x faster on the same fit "
        f"(both ends agree to {abs(c_py - c_batch) / c_batch:.1e} in cost).",
        f"- PySD took {per_run:.2f} s a run here; the whole calibration above "
        f"({result.runs:,} runs) would take about {result.runs * per_run / 3600:.1f} h that way "
        "(a projection from this run's per-run time, not a measurement).",
        "",
        f"Machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores visible, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, pandas {pd.__version__}.",
        "",
        "Rerun: `.venv/bin/python benchmarks/bench_calibrate.py`.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_doc and DOC.is_file():
        write_between(DOC, START, END, text)
        print(f"wrote the table into {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
