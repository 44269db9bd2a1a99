"""A discovery's files, shared by `regionsoft discover` and optimisations with `[discover]`.

Tables (CSV): prim_trajectory (coverage, density, mass per peeling step),
prim_box (the reported box's limits and quasi-p-values), feature_scores,
cart_leaves (with cart.txt, the tree as text), cases (each future, the
outcomes and whether the strategy fails), decision_sobol (Sobol indices of the
difference). Figures (PNG): prim_tradeoff, prim_box, decision_sobol.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from regionsoft_sd.futures.discovery import Discovery


def box_sentence(d: Discovery) -> str:
    """PRIM's finding in one sentence, or why there is none (see `PrimResult.status`)."""
    box, p = d.prim.box, d.prim
    if p.status == "no cases":
        return (
            "It never fails beyond the tie tolerance in these futures, so there is no "
            "box to describe."
        )
    if p.status == "everywhere":
        return (
            f"It fails in {p.base_density * 100:.1f} % of all the futures, already above PRIM's "
            f"density threshold {p.threshold:g}: the failure is the rule, not a region of "
            "the futures, so no box is reported (the peeling trajectory still shows where "
            "it fails most often)."
        )
    cond = "; ".join(
        f"{n} in [{row.lower:.3g}, {row.upper:.3g}]" for n, row in box.limits().iterrows()
    )
    return (
        f"PRIM's box ({box.mass * 100:.1f} % of the futures, coverage "
        f"{box.coverage * 100:.1f} %, density {box.density * 100:.1f} %): "
        f"{cond or 'no restriction'}."
    )


def discovery_tables(d: Discovery, prefix: str = "") -> dict[str, pd.DataFrame]:
    """The CSV tables of a discovery, by file name."""
    out = {
        f"{prefix}prim_trajectory.csv": d.prim.table().reset_index(),
        f"{prefix}prim_box.csv": d.prim.box.limits().reset_index(),
        f"{prefix}feature_scores.csv": d.scores.reset_index(),
        f"{prefix}cart_leaves.csv": d.tree.leaves,
        f"{prefix}cases.csv": d.cases,
    }
    if d.sobol is not None:
        out[f"{prefix}decision_sobol.csv"] = d.sobol.reset_index()
    return out


def discovery_figures(d: Discovery) -> dict[str, Figure]:
    """The figures of a discovery, by file name under figures/."""
    from regionsoft_sd.futures import discovery_plots as plots
    from regionsoft_sd.model.catalogue import catalogue

    out = {
        "figures/prim_tradeoff.png": plots.prim_tradeoff(d),
        "figures/prim_box.png": plots.prim_box(d, catalogue().units()),
    }
    if d.sobol is not None:
        title = f"What decides: {d.text}?"
        out["figures/decision_sobol.png"] = plots.decision_sobol(d.sobol, title)
    return out


def _fmt(v: object) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def markdown_table(df: pd.DataFrame, index: bool = True, max_rows: int = 25) -> str:
    """A DataFrame as a GitHub Markdown table (numbers to 4 significant digits)."""
    d = df.reset_index() if index else df
    cols = [str(c) for c in d.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in d.head(max_rows).iterrows():
        lines.append("| " + " | ".join(_fmt(v) for v in row.to_numpy()) + " |")
    if len(d) > max_rows:
        more = f"| ... {len(d) - max_rows} more rows in the CSV file |"
        lines.append(more + " |" * (len(cols) - 1))
    return "\n".join(lines)


def _box_lines(d: Discovery) -> list[str]:
    """The PRIM box, its table and figures, as Markdown lines."""
    box = d.prim.box
    return [
        f"PRIM's box holds {box.mass:.1%} of the futures and {box.coverage:.1%} of the "
        f"failures; {box.density:.1%} of the futures in it fail"
        + (
            ""
            if d.prim.reached
            else f" (no box on the peeling trajectory reached the density threshold "
            f"{d.prim.threshold:g}; this one comes from the last, densest box)"
        )
        + ". Restrictions whose quasi-p-value exceeded 0.05 were dropped:",
        "",
        markdown_table(box.limits()) if box.restricted else "(no parameter restricted)",
        "",
        "![PRIM trade-off](figures/prim_tradeoff.png)",
        "",
        "![PRIM box](figures/prim_box.png)",
        "",
    ]


def discovery_markdown(d: Discovery, heading: str = "## When it fails") -> list[str]:
    """The discovery as Markdown lines (figure links relative to the output folder)."""
    out = [
        heading,
        "",
        f"Failure: {d.text}. It happens in {d.share:.1%} of {len(d.cases)} futures.",
        "",
        *(_box_lines(d) if d.prim.status == "box" else [box_sentence(d), ""]),
        "Extra-trees feature scores (which parameters separate failures from successes):",
        "",
        markdown_table(d.scores.head(8).to_frame()),
        "",
        "Leaf of the CART tree with the most failures:",
        "",
        markdown_table(d.tree.leaves.head(1), index=False),
        "",
    ]
    if d.sobol is not None:
        out += [
            "Sobol indices of the difference (which uncertainties decide the choice):",
            "",
            markdown_table(d.sobol.head(8)),
            "",
            "![decision Sobol](figures/decision_sobol.png)",
            "",
        ]
    return out
