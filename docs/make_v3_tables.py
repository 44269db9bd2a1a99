"""Regenerate the version-3 strategy tables of README.md and docs/model_v3.md.

Usage: `.venv/bin/python docs/make_v3_tables.py` (under a minute). Compares the
shipped strategies of scenarios/v3/ for Sichuan, unilaterally and with rivals
imitating, on the batch engine, and rewrites the blocks between
`<!-- v3:NAME:start -->` and `<!-- v3:NAME:end -->`. tests/test_v3_runs.py checks
that the blocks are what this script writes now. The prose around the blocks is
written by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.common.io import replace_between, write_text  # noqa: E402

STRATEGIES = (
    "baseline",
    "culture_first",
    "education_first",
    "services_first",
    "image_campaign",
    "balanced",
)
MODES = ("status-quo", "imitate")
ROBUST = (
    ("relative soft power", "relative_soft_power"),
    ("soft power (absolute)", "dominant_soft_power"),
    ("GDP", "gdp"),
    ("household c/person 2075", "hh_consumption_pp"),
    ("government c/person 2075", "gov_consumption_pp"),
    ("PV c/person 0 % to 2075", "pv_hh_pp_0_2075"),
    ("PV c/person 3 % to 2075", "pv_hh_pp_3_2075"),
    ("PV c/person 0 % to 2100", "pv_hh_pp_0_2100"),
    ("PV c/person 1.5 % to 2100", "pv_hh_pp_1p5_2100"),
    ("PV c/person 3 % to 2100", "pv_hh_pp_3_2100"),
    ("PV total c 1.5 % to 2100", "pv_hh_total_1p5_2100"),
    ("national GDP", "national_gdp"),
    ("national c/person", "national_hh_consumption_pp"),
)


def comparison():
    """The comparison every table is built from (Sichuan, both rivals modes)."""
    from regionsoft_sd.simulate import compare

    return compare(list(STRATEGIES), model="v3", region="sichuan")


def ranking_table(result) -> str:
    """Markdown: each strategy's gain in relative soft power and its rank, per mode."""
    table = result.side_by_side()
    lines = [
        "| strategy (2 budget points) | gain alone | rank alone | gain, rivals imitate "
        "| rank, rivals imitate |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in table.iterrows():
        lines.append(
            f"| {name} | {row['gain % (status-quo)']:+.2f} % | {row['rank (status-quo)']:.0f} "
            f"| {row['gain % (imitate)']:+.2f} % | {row['rank (imitate)']:.0f} |"
        )
    return "\n".join(lines)


def robustness_table(result) -> str:
    """Markdown: gain in % over the status quo of every strategy on each welfare choice."""
    names = [s for s in STRATEGIES if s != "baseline"]
    head = "| outcome for Sichuan (gain in %) | " + " | ".join(
        f"{n} alone / imitated" for n in names
    )
    lines = [head + " |", "|---|" + "---:|" * len(names)]
    for label, metric in ROBUST:
        cells = []
        for n in names:
            a, b = (result.gains.loc[(n, m), metric] for m in MODES)
            cells.append(f"{a:+.2f} / {b:+.2f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def blocks(result) -> dict[str, str]:
    """Every generated block by name."""
    return {"ranking": ranking_table(result), "robustness": robustness_table(result)}


def marker(name: str) -> tuple[str, str]:
    return f"<!-- v3:{name}:start -->", f"<!-- v3:{name}:end -->"


PAGES = {
    "ranking": (ROOT / "README.md", DOCS / "model_v3.md"),
    "robustness": (DOCS / "model_v3.md",),
}


def main() -> None:
    made = blocks(comparison())
    for name, pages in PAGES.items():
        for page in pages:
            text = page.read_text(encoding="utf-8")
            write_text(page, replace_between(text, *marker(name), made[name]))
            print(f"updated {name} in {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
