"""Regenerate the numbers, tables and figures of docs/decisions.md from the shipped specs.

Usage: `make decisions` (or `.venv/bin/python docs/make_decisions.py`), about two
minutes on two cores. Runs the optimisation specs of scenarios/optimise/
(best_split, frontier, robust_split) and the discovery culture_vs_education into
out/decisions/<name>/, copies their figures to docs/figures/decisions/ and
rewrites every block between `<!-- decisions:NAME:start -->` and
`<!-- decisions:NAME:end -->` in docs/decisions.md. The prose around the blocks
is written by hand and must not quote numbers; the blocks hold them.

The blocks hold no timings (the Speed section's benchmark does), so every run
of the same specs on the same model writes the same blocks: the searches and
samples are seeded. tests/test_decisions_docs.py reruns `BLOCKS` and checks
that the page holds exactly what they write (`--only NAME ...` reruns some).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.common.io import replace_between, write_text  # noqa: E402
from regionsoft_sd.discover.pipeline import run_discover  # noqa: E402
from regionsoft_sd.futures.discovery_report import box_sentence, markdown_table  # noqa: E402
from regionsoft_sd.optimise.pareto import thin  # noqa: E402
from regionsoft_sd.optimise.pipeline import OptimiseResult, run_optimise  # noqa: E402

SPECS = ROOT / "scenarios" / "optimise"
OUT = ROOT / "out" / "decisions"
FIGS = DOCS / "figures" / "decisions"
DOC = DOCS / "decisions.md"
SP, GDP, NPV = "dominant_soft_power_end", "gdp_end", "npv_consumption"


ALGORITHMS = {"de": "differential evolution", "nsga2": "NSGA-II", "nsga3": "NSGA-III"}


def pct(a: float, b: float) -> str:
    return f"{(a / b - 1) * 100:+.1f} %"


def share(x: float) -> str:
    return f"{x * 100:.1f} %"


def _meets(column: str, value: float) -> bool:
    """Whether `value` meets the bound a constraint column names (`... >= 5.5`)."""
    bound = float(column.rsplit(" ", 1)[1])
    return value >= bound if " >= " in column else value <= bound


def split_text(levers: pd.Series) -> str:
    shares = {k.removeprefix("Policy "): v for k, v in levers.items() if k.endswith("share")}
    return ", ".join(f"{k} {v:.3f}" for k, v in shares.items())


def copy_figures(out: Path, prefix: str, names: list[str]) -> None:
    FIGS.mkdir(parents=True, exist_ok=True)
    for n in names:
        src = out / "figures" / f"{n}.png"
        if src.is_file():
            shutil.copyfile(src, FIGS / f"{prefix}_{n}.png")


def best_split_block(r: OptimiseResult) -> str:
    o = r.outcomes
    best, base = r.best, r.spec.base.name
    refs = r.references[SP].drop(base, errors="ignore")
    runner = refs.idxmax()
    rows = o.loc[list(dict.fromkeys([best, base, runner])), [SP, GDP, NPV]]
    return "\n".join(
        [
            f"**Best split** (no uncertainty, equal money): {split_text(r.found.levers.iloc[0])}.",
            "",
            f"- Soft power at the horizon: {o.at[best, SP]:.3f}, against {o.at[base, SP]:.3f} "
            f"for `{base}` ({pct(o.at[best, SP], o.at[base, SP])}) and {o.at[runner, SP]:.3f} "
            f"for `{runner}`, the best shipped strategy ({pct(o.at[best, SP], o.at[runner, SP])}).",
            f"- Its cost: GDP at the horizon {o.at[best, GDP]:,.0f} against "
            f"{o.at[base, GDP]:,.0f} billion yuan ({pct(o.at[best, GDP], o.at[base, GDP])}); "
            f"present value of consumption per person {o.at[best, NPV]:,.0f} against "
            f"{o.at[base, NPV]:,.0f} thousand yuan ({pct(o.at[best, NPV], o.at[base, NPV])}).",
            f"- Found by {ALGORITHMS[r.found.algorithm]} and the SLSQP polish: "
            f"{r.found.evaluations:,} candidates, {r.runs:,} model runs.",
            *[f"- Note: {n}." for n in r.notes if " ties " in n],
            "",
            markdown_table(rows),
        ]
    )


FRONT_ROWS = 12
"""Points of the front shown in the docs table (all of them are in pareto.csv)."""


def frontier_block(r: OptimiseResult) -> str:
    f = pd.concat([r.found.levers, r.found.scores], axis=1)
    f.index = pd.Index(r.names, name="point")
    f = f.rename(columns=lambda c: str(c).removeprefix("Policy "))
    keep = [c for c in f.columns if "year" not in c and "ramp" not in c]
    signs = np.array([-1.0 if o.direction == "higher" else 1.0 for o in r.spec.objectives])
    F = r.found.scores.to_numpy(dtype=float) * signs  # every objective minimised
    shown = f.iloc[thin(F, FRONT_ROWS)]
    w = r.weights
    picks = (
        ""
        if w is None
        else (
            f" With all the weight on soft power the pick is point {int(w.point.iloc[-1])}; "
            f"with none, point {int(w.point.iloc[0])}."
        )
    )
    return "\n".join(
        [
            f"{len(r.names)} Pareto points ({ALGORITHMS[r.found.algorithm]}, "
            f"{r.found.evaluations:,} candidates).{picks} The table shows "
            f"{len(shown)} of them spread over the front (each objective's best first); "
            "`pareto.csv` holds them all.",
            "",
            markdown_table(shown[keep].mask(shown[keep].abs() < 1e-9, 0.0)),
            "",
            "Shipped strategies on the same objectives:",
            "",
            markdown_table(r.references[[o.label for o in r.spec.objectives]]),
        ]
    )


def robust_block(r: OptimiseResult) -> str:
    re = r.reevaluation
    assert re is not None
    obj = r.spec.objectives[0]
    best = r.best
    cols = [
        obj.label,
        f"win_share:{obj.metric}",
        f"max_regret:{obj.metric}",
        f"mean_regret:{obj.metric}",
    ]
    cols += [c for c in re.columns if " >= " in c or " <= " in c]
    return "\n".join(
        [
            f"**Robust split:** {split_text(r.found.levers.iloc[0])}; found on "
            f"{r.spec.uncertainty.futures} futures, checked on {r.spec.uncertainty.fresh} "
            "fresh ones.",
            "",
            f"- On the fresh futures it is the best strategy in "
            f"{share(re.at[best, f'win_share:{obj.metric}'])} of them; its worst regret is "
            f"{re.at[best, f'max_regret:{obj.metric}']:.3g} and its mean regret "
            f"{re.at[best, f'mean_regret:{obj.metric}']:.3g} (soft-power index points); "
            "strategies within 0.1 % of the best share a future's win, and a shortfall "
            "within 0.1 % is no regret.",
            *[f"- Note: {n}." for n in r.notes if " ties " in n],
            *[
                f"- Constraint `{c}`: {re.at[best, c]:.4g} on the fresh futures, "
                + (
                    "met."
                    if _meets(c, re.at[best, c])
                    else "missed: it binds on the search's "
                    "futures, and a fresh sample moves it by sampling error."
                )
                for c in re.columns
                if " >= " in c or " <= " in c
            ],
            "",
            markdown_table(re[cols]),
        ]
    )


def fails_block(r: OptimiseResult) -> str:
    d = r.discovery
    assert d is not None
    box = d.prim.box
    lim = box.limits()
    cond = "; ".join(f"{n} in [{row.lower:.3g}, {row.upper:.3g}]" for n, row in lim.iterrows())
    head = f"**When it fails:** {d.text} in {share(d.share)} of {len(d.cases):,} fresh futures."
    if d.prim.status != "box":
        return f"{head} {box_sentence(d)}"
    lines = [
        f"{head} PRIM's box ({share(box.mass)} of the futures) holds "
        f"{share(box.coverage)} of those failures, and {share(box.density)} of its futures "
        f"fail: {cond or 'no restriction'}.",
        "",
        markdown_table(lim),
        "",
        "Extra-trees feature scores: "
        + ", ".join(f"{n} {v:.2f}" for n, v in d.scores.head(4).items())
        + ".",
    ]
    if d.sobol is not None:
        top = d.sobol.head(3)
        lines.append(
            "Sobol indices of the difference (total): "
            + ", ".join(f"{n} {v:.2f}" for n, v in top.ST.items())
            + "."
        )
    return "\n".join(lines)


def discover_block(res) -> str:
    d = res.discovery
    return f"{d.text}: in {share(d.share)} of {len(d.cases):,} futures. {box_sentence(d)}"


def _best_split(out: Path, figures: bool) -> dict[str, str]:
    r = run_optimise(SPECS / "best_split.toml", out, progress=False, figures=figures)
    return {"best_split": best_split_block(r)}


def _frontier(out: Path, figures: bool) -> dict[str, str]:
    r = run_optimise(SPECS / "frontier.toml", out, progress=False, figures=figures)
    return {"frontier": frontier_block(r)}


def _robust_split(out: Path, figures: bool) -> dict[str, str]:
    r = run_optimise(SPECS / "robust_split.toml", out, progress=False, figures=figures)
    return {"robust_split": robust_block(r), "robust_fails": fails_block(r)}


def _culture_vs_education(out: Path, figures: bool) -> dict[str, str]:
    r = run_discover(SPECS / "culture_vs_education.toml", out, progress=False, figures=figures)
    return {"culture_vs_education": discover_block(r)}


BLOCKS = {
    "best_split": (_best_split, ["objective"]),
    "frontier": (_frontier, ["pareto", "split_vs_weight"]),
    "robust_split": (
        _robust_split,
        ["objective", "regret"],
    ),
    "culture_vs_education": (_culture_vs_education, ["prim_box"]),
}
"""Run name -> (function writing its outputs and returning its blocks, figures to copy)."""


def generate(names: list[str], out: Path = OUT, figures: bool = True) -> dict[str, str]:
    """Run the named specs into out/<name>/ and return the blocks they give, by block name.

    With `figures`, the runs draw their figures and they are copied to
    docs/figures/decisions/; without, nothing outside `out` is touched.
    """
    blocks: dict[str, str] = {}
    for name in names:
        fun, figs = BLOCKS[name]
        blocks.update(fun(out / name, figures))
        if figures:
            copy_figures(out / name, name, figs)
    return blocks


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=list(BLOCKS), help="rerun only these specs")
    args = p.parse_args(argv)
    blocks = generate(args.only or list(BLOCKS))
    doc = DOC.read_text(encoding="utf-8")
    for name, text in blocks.items():
        doc = replace_between(
            doc, f"<!-- decisions:{name}:start -->", f"<!-- decisions:{name}:end -->", text
        )
    write_text(DOC, doc)
    print(
        f"rewrote {len(blocks)} blocks of {DOC.relative_to(ROOT)}; figures in "
        f"{FIGS.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
