"""Calibrate every province with the shipped default spec and regenerate docs/calibration.md.

Usage: `make calibration` (or `.venv/bin/python docs/make_calibration.py`), roughly
30 minutes on two cores (the exact profile refits doubled the runs of a province).
For each of the 31 provinces it runs `run_calibrate` into
out/calibration/<province>/; for the shipped regions (SHIPPED) it also copies the
region file to scenarios/regions/ and the figures to docs/figures/calibration/. It
repeats the synthetic-truth check for Sichuan with several noise seeds, writes
every province's statistics to docs/figures/calibration/provinces.csv and rewrites
the blocks between `<!-- calibration:NAME:start -->` and `<!-- calibration:NAME:end -->`
of docs/calibration.md. The prose around the blocks is written by hand and quotes
no numbers; the blocks hold them.

    .venv/bin/python docs/make_calibration.py            # every province
    .venv/bin/python docs/make_calibration.py --quick    # the shipped regions only
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.calibrate.cli import default_spec  # noqa: E402
from regionsoft_sd.calibrate.pipeline import calibrate, prepare, run_calibrate  # noqa: E402
from regionsoft_sd.calibrate.region import mapping  # noqa: E402
from regionsoft_sd.calibrate.spec import load_spec  # noqa: E402
from regionsoft_sd.calibrate.synthetic import recovery, synthetic_setting  # noqa: E402
from regionsoft_sd.common.io import write_between  # noqa: E402
from regionsoft_sd.common.observed_data import regions  # noqa: E402
from regionsoft_sd.futures.discovery_report import markdown_table  # noqa: E402

OUT = ROOT / "out" / "calibration"
FIGS = DOCS / "figures" / "calibration"
REGIONS = ROOT / "scenarios" / "regions"
DOC = DOCS / "calibration.md"
SHIPPED = {
    "zhejiang": "rich coastal",
    "henan": "large inland",
    "guizhou": "poorer western",
}
SYNTHETIC_REGION = "sichuan"
SYNTHETIC_SEEDS = (1, 2, 3, 4, 5)
SHORT = {
    "gdp": "GDP",
    "capital": "capital",
    "population": "people",
    "mean_schooling": "schooling",
    "expected_schooling": "exp. schooling",
    "budget_total": "budget",
    "budget_education": "education",
}


def pct(v: float) -> str:
    return "" if pd.isna(v) else f"{100 * v:.1f}"


def block(name: str, text: str) -> None:
    """Replace the block NAME of docs/calibration.md with `text`."""
    start, end = f"<!-- calibration:{name}:start -->", f"<!-- calibration:{name}:end -->"
    write_between(DOC, start, end, text)


def mapping_table() -> str:
    """The region constants and their formulas (also checked against the code by a test)."""
    rows = [f"| `{d.constant}` | {d.how} |" for d in mapping()]
    return "\n".join(["| constant | from the data |", "|---|---|", *rows])


def province_row(result) -> dict:
    st = result.fit_stats.set_index("series")
    row = {"province": result.region}
    for s, short in SHORT.items():
        row[f"MAPE {short} %"] = pct(st.at[s, "mape"]) if s in st.index else ""
    flags = [f"{SHORT.get(s, s)} ({f})" for s, f in st["flag"].items() if f]
    row["systematic errors"] = ", ".join(flags)
    row["starts at the best"] = f"{result.fit.agree} of {len(result.fit.starts)}"
    row["at a bound"] = int(result.uncertainty.at_bound.sum())
    ident = result.identifiability
    row["not identifiable"] = int((ident["identifiable"] == "no").sum())
    if result.holdout is not None and "gdp" in set(result.holdout["series"]):
        h = result.holdout.set_index("series")
        row["GDP 2017-19 % (naive)"] = (
            f"{pct(h.at['gdp', 'mape'])} ({pct(h.at['gdp', 'naive_mape'])})"
        )
    return row


def csv_rows(result) -> list[dict]:
    out = []
    st = result.fit_stats.set_index("series")
    hold = result.holdout.set_index("series") if result.holdout is not None else None
    for s in st.index:
        r = {"province": result.region, "series": s}
        r.update(st.loc[s, ["r2", "mape", "um", "us", "uc", "n", "flag"]].to_dict())
        if hold is not None and s in hold.index:
            r.update({f"holdout_{k}": hold.at[s, k] for k in ("mape", "bias", "naive_mape")})
        out.append(r)
    return out


def region_section(result, kind: str) -> str:
    spec = result.spec
    st = result.fit_stats.copy()
    st["mape"] = st["mape"].map(pct)
    for c in ("r2", "um", "us", "uc"):
        st[c] = st[c].map(lambda v: f"{v:.2f}")
    st = st.rename(columns={"mape": "MAPE %"})
    p = result.parameters
    ptab = pd.DataFrame(
        {
            "parameter": p["parameter"],
            "estimate": p["estimate"].map(lambda v: f"{v:.4g}"),
            f"{round(spec.level * 100)} % interval": [
                f"[{a:.4g}, {b:.4g}]" for a, b in zip(p["lower"], p["upper"], strict=True)
            ],
            "from": p["method"],
            "identifiable": p["identifiable"],
            "at a bound": p["at_bound"].map(lambda b: "yes" if b else ""),
        }
    )
    h = result.holdout.copy()
    for c in ("mape", "naive_mape", "fit_mape"):
        h[c] = h[c].map(pct)
    h["bias"] = h["bias"].map(lambda v: f"{100 * v:+.1f}")
    h = h.rename(
        columns={
            "mape": "MAPE %",
            "bias": "bias %",
            "naive_mape": "naive MAPE %",
            "fit_mape": "in-sample MAPE %",
        }
    )
    name = result.region
    title = name.title()
    lines = [
        f"#### {title} ({kind})",
        "",
        f"![{title}: data and calibrated model](figures/calibration/{name}_history.png)",
        "",
        markdown_table(st[["series", "r2", "MAPE %", "um", "us", "uc", "flag"]], index=False),
        "",
        markdown_table(ptab, index=False),
        "",
        f"Out of sample (fitted to {spec.holdout.cut}):",
        "",
        markdown_table(
            h[["series", "years", "MAPE %", "bias %", "naive MAPE %", "in-sample MAPE %"]],
            index=False,
        ),
        "",
        f"![{title}: likelihood profiles](figures/calibration/{name}_profiles.png)",
        "",
        f"![{title}: correlations and singular values](figures/calibration/{name}_correlation.png)",
        "",
        f"Region file: [`scenarios/regions/{name}.toml`](../scenarios/regions/{name}.toml). "
        f"{len(result.fit.starts)} starts, {result.fit.agree} at the best cost; "
        f"residual scale s = {np.sqrt(result.uncertainty.s2):.2f}; "
        f"{result.runs:,} model runs, {result.seconds:.0f} s.",
    ]
    notes = [n for n in result.notes if not n.startswith("band:")]
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines)


def bounds_table(results: list) -> str:
    """How often each fitted parameter ends at its lower or upper bound, and is unidentified."""
    names = results[0].spec.names
    rows = []
    for i, n in enumerate(names):
        lo = sum(bool(r.uncertainty.at_bound[i]) and r.fit.u[i] < 0.5 for r in results)
        hi = sum(bool(r.uncertainty.at_bound[i]) and r.fit.u[i] >= 0.5 for r in results)
        no = sum(
            r.identifiability.set_index("parameter").at[n, "identifiable"] == "no" for r in results
        )
        p = results[0].spec.parameters[i]
        rows.append(
            {
                "parameter": n,
                "range": f"[{p.low:g}, {p.high:g}]",
                "at the lower bound": lo,
                "at the upper bound": hi,
                "not identifiable": no,
                "median estimate": f"{np.median([r.fit.x[i] for r in results]):.4g}",
            }
        )
    return f"Of {len(results)} provinces:\n\n" + markdown_table(pd.DataFrame(rows), index=False)


def holdout_summary(results: list) -> str:
    rows = []
    for s in SHORT:
        m, nv = [], []
        for r in results:
            if r.holdout is None:
                continue
            h = r.holdout.set_index("series")
            if s in h.index:
                m.append(h.at[s, "mape"])
                nv.append(h.at[s, "naive_mape"])
        if m:
            rows.append(
                {
                    "series": s,
                    "median MAPE 2017-19 %": pct(np.median(m)),
                    "median naive MAPE %": pct(np.median(nv)),
                    "provinces where the model beats naive": (
                        f"{sum(a < b for a, b in zip(m, nv, strict=True))} of {len(m)}"
                    ),
                }
            )
    return markdown_table(pd.DataFrame(rows), index=False)


def synthetic_check(spec) -> str:
    setting = prepare(spec, SYNTHETIC_REGION)
    truth = {p.name: p.default for p in spec.parameters}
    recs = []
    for seed in SYNTHETIC_SEEDS:
        syn = synthetic_setting(spec, setting, truth, seed=seed, noise=1.0)
        recs.append(recovery(calibrate(spec, syn, progress=False), truth).set_index("parameter"))
    rows = []
    for n in spec.names:
        rows.append(
            {
                "parameter": n,
                "truth": f"{truth[n]:.4g}",
                "estimates": ", ".join(f"{r.at[n, 'estimate']:.3g}" for r in recs),
                "truth inside the interval": (
                    f"{sum(bool(r.at[n, 'covered']) for r in recs)} of {len(recs)}"
                ),
                "verdicts": ", ".join(str(r.at[n, "identifiable"]) for r in recs),
            }
        )
    return (
        f"{SYNTHETIC_REGION.title()}'s constants, the model file's values as the truth, "
        f"noise at the spec's error scales, seeds {', '.join(map(str, SYNTHETIC_SEEDS))}:\n\n"
        + markdown_table(pd.DataFrame(rows), index=False)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the shipped regions only")
    args = ap.parse_args()
    spec = load_spec(default_spec())
    todo = list(SHIPPED) if args.quick else [r for r in regions() if r != "china"]
    FIGS.mkdir(parents=True, exist_ok=True)
    REGIONS.mkdir(parents=True, exist_ok=True)
    results, rows, csv = [], [], []
    t0 = time.perf_counter()
    for i, region in enumerate(todo):
        t = time.perf_counter()
        res = run_calibrate(
            spec, OUT / region, region=region, progress=False, figures=region in SHIPPED
        )
        print(f"[{i + 1}/{len(todo)}] {region}: {time.perf_counter() - t:.0f} s", flush=True)
        results.append(res)
        rows.append(province_row(res))
        csv += csv_rows(res)
        if region in SHIPPED:
            shutil.copyfile(OUT / region / f"{region}.toml", REGIONS / f"{region}.toml")
            for fig in ("history", "profiles", "correlation"):
                shutil.copyfile(
                    OUT / region / "figures" / f"{fig}.png", FIGS / f"{region}_{fig}.png"
                )
    block("mapping", mapping_table())
    for res in results:
        if res.region in SHIPPED:
            block(res.region, region_section(res, SHIPPED[res.region]))
    if not args.quick:
        pd.DataFrame(csv).to_csv(FIGS / "provinces.csv", index=False)
        block("provinces", markdown_table(pd.DataFrame(rows), index=False, max_rows=40))
        block("bounds", bounds_table(results))
        block("holdout", holdout_summary(results))
        block("synthetic", synthetic_check(spec))
    print(f"done in {(time.perf_counter() - t0) / 60:.1f} min; wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
