"""Regenerate docs/competition.md from the shipped spec scenarios/compete/sichuan_chongqing.toml.

Usage: `.venv/bin/python docs/make_competition.py` (8 minutes on an idle two-core
machine, 23 on a loaded one: the two-player game's search steps are small
batches, where the batch engine's fixed cost per call dominates). Every number
in docs/competition.md comes from this script; the prose is written here too.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.common.io import write_text  # noqa: E402
from regionsoft_sd.compete import run_compete  # noqa: E402

SPEC = ROOT / "scenarios" / "compete" / "sichuan_chongqing.toml"
OUT = ROOT / "out" / "compete-sichuan_chongqing"
DOC = DOCS / "competition.md"
LABELS = {
    "status_quo": "status quo",
    "best_response": "Sichuan alone (rivals keep the status quo)",
    "imitation": "Sichuan first, every rival copies after the lag",
    "equilibrium:status_quo": "equilibrium (from the status quo)",
    "equilibrium:middle": "equilibrium (from the middle of the box)",
    "cooperative": "planner's optimum",
}
POA_COLUMNS = [
    "province",
    "equilibrium",
    "cooperative",
    "difference",
    "population_weight",
    "outcome",
]
SHARES = ["education_share", "service_share", "culture_share", "image_share"]


def table(df: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table."""
    head = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def main() -> None:
    t0 = time.perf_counter()
    res = run_compete(SPEC, OUT, progress=False)
    seconds = time.perf_counter() - t0
    st = res.tables["strategies"]
    welfare = res.tables["welfare"].set_index("solution")["welfare"]
    rows = []
    for label, text in LABELS.items():
        for prov in ("sichuan", "chongqing"):
            r = st[(st.solution == label) & (st.province == prov)].iloc[0]
            rows.append(
                [
                    text,
                    prov,
                    *[f"{r[s]:.3f}" for s in SHARES],
                    f"{r['consumption_pv']:.1f}",
                    f"{r['soft_power_end']:.3f}",
                    f"{welfare[label]:.2f}",
                ]
            )
    splits = pd.DataFrame(
        rows,
        columns=[
            "solution",
            "province",
            "education",
            "services",
            "culture",
            "image",
            "consumption PV",
            "soft power 2075",
            "national welfare",
        ],
    )
    conv = res.tables["convergence"].copy()
    conv["max_gain"] = conv["max_gain"].map(lambda v: f"{v:.4g}")
    conv["max_move"] = conv["max_move"].map(lambda v: f"{v:.3f}")
    poa = res.tables["price_of_anarchy"]
    poa = poa[poa.player].copy()
    for c in ("equilibrium", "cooperative", "difference"):
        poa[c] = poa[c].map(lambda v: f"{v:.2f}")
    poa["population_weight"] = poa["population_weight"].map(lambda v: f"{v:.4f}")
    text = f"""# Competition between provinces

What is a province's best budget split once the other provinces answer it?
`regionsoft compete SPEC` answers on model version 3 (31 provinces): each
province's decision is its four budget shares (education, services, culture,
image; the rest of the local budget is other government consumption), and
its objective here is the present value of its household consumption per
person from 2024 to 2075, discounted at 3 % a year.

Every number below comes from `docs/make_competition.py`, which runs the
shipped spec `scenarios/compete/sichuan_chongqing.toml`: Sichuan and Chongqing
are the players; the other 29 provinces keep their status-quo splits. A
two-player game keeps the page's regeneration to minutes; the spec
`scenarios/compete/all_provinces.toml` runs the same solver for all 31.

## The solutions

- **Sichuan alone**: Sichuan's best split while every other province keeps
  its status quo.
- **Sichuan first, rivals copy**: Sichuan's best split when every other
  province adds Sichuan's change of each share to its own after the
  imitation lag (the model's `Rival response mode` = 1).
- **Equilibrium**: each player keeps answering the other (iterated best
  response, both players in the same round) until neither gains alone. It is
  searched from two starts; different end points mean more than one
  equilibrium.
- **Planner's optimum**: one planner sets both players' splits to maximise
  national welfare, the population-weighted mean of all 31 provinces'
  objectives (weights: populations in 2024, the same in every solution).

{table(splits)}

National welfare is in the objective's units (thousand yuan of 2005 per
person, present value). Distinct equilibria found: {res.distinct_equilibria}.

## What the race costs

Price of anarchy (planner's welfare over the first equilibrium's welfare):
{res.price_of_anarchy:.5f}. Each player's objective at the equilibrium and at
the planner's optimum:

{table(poa[POA_COLUMNS])}

## Convergence

Largest gain any player could still get alone at each round (objective
units; a gain within a millionth of the payoff counts as none) and the
largest lever change of the round (share of the lever's range):

{table(conv)}

## How it is solved, and what it does not cover

- A best response is a coarse grid over the lever box, then a pattern search
  (each share up or down, and transfers between two shares) with a halving
  step; all candidates of a step run in one batch of the batch engine.
  Differences within the tie tolerance are ties, and the incumbent split stays.
- The residual gains are those the search finds: a better split between grid
  points and below the smallest step would go unseen.
- The futures are the model's central values only; robustness over sampled
  futures is not computed here.
- Regenerating this page took {seconds / 60:.1f} minutes ({res.runs:,} model runs).
"""
    write_text(DOC, text)


if __name__ == "__main__":
    main()
