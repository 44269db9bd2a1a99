"""The Markdown summary of an optimisation.

What was found, what it costs, how robust it is, and when it fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from regionsoft_sd.metrics import METRIC_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.optimise.pipeline import OptimiseResult

MAX_ROWS = 25


def _fmt(v: object) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def markdown_table(df: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as a GitHub Markdown table (numbers to 4 significant digits)."""
    d = df.reset_index() if index else df
    cols = [str(c) for c in d.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in d.head(MAX_ROWS).iterrows():
        lines.append("| " + " | ".join(_fmt(v) for v in row.to_numpy()) + " |")
    if len(d) > MAX_ROWS:
        lines.append(
            f"| ... {len(d) - MAX_ROWS} more rows in the CSV file | " + " |" * (len(cols) - 1)
        )
    return "\n".join(lines)


def _short_levers(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns=lambda c: str(c).removeprefix("Policy "))


def outcomes_table(result: OptimiseResult) -> pd.DataFrame:
    """Mean of every metric over the search's futures: found strategies, then references."""
    return result.outcomes.loc[:, [m for m in METRIC_NAMES if m in result.outcomes]]


def summary_markdown(result: OptimiseResult) -> str:
    """The summary as Markdown (figure links are relative to the output folder)."""
    spec = result.spec
    unc = spec.uncertainty
    found = result.found
    out = [f"# Optimisation `{spec.name}`", "", spec.description, ""]
    futures = (
        f"{unc.futures} futures ({unc.method}) of {len(unc.parameters)} uncertain parameters"
        if unc
        else "the model's own parameter values (no uncertainty)"
    )
    out += [
        "## Set-up",
        "",
        f"- Decisions: {', '.join(n.removeprefix('Policy ') for n in spec.space.decided)}"
        + (
            f"; fixed: {', '.join(f'{k} = {v:g}' for k, v in spec.space.fixed.items())}"
            if spec.space.fixed
            else ""
        ),
        "- Objectives: "
        + ", ".join(f"{o.label} ({o.direction} is better)" for o in spec.objectives),
        f"- Constraints: {', '.join(_constraint_text(c) for c in spec.constraints) or 'none'}",
        f"- Scored over {futures}; base scenario `{spec.base.name}`.",
        f"- Search: {found.algorithm}, population {spec.search.population}, "
        f"{found.generations} generations, {found.evaluations:,} candidates; "
        f"{result.runs:,} model runs in {result.seconds:.0f} s.",
        "",
    ]
    fig = "objective" if len(spec.objectives) == 1 else "pareto"
    title = (
        "The optimum" if len(result.names) == 1 else f"The Pareto set ({len(result.names)} points)"
    )
    table = pd.concat([_short_levers(found.levers), found.scores, found.constraints], axis=1)
    table.index = pd.Index(result.names, name="strategy")
    out += [f"## {title}", "", markdown_table(table), "", f"![{fig}](figures/{fig}.png)", ""]
    if result.weights is not None:
        out += ["![split vs weight](figures/split_vs_weight.png)", ""]
    out += [
        "## Against the shipped strategies (same futures)",
        "",
        markdown_table(result.references),
        "",
        "Mean outcome of every metric over the same futures:",
        "",
        markdown_table(outcomes_table(result)),
        "",
    ]
    if result.reevaluation is not None:
        out += [
            f"## Robustness on a fresh sample ({unc.fresh} new futures)" if unc else "",
            "",
            markdown_table(result.reevaluation),
            "",
            "Win share: share of futures in which a strategy is best; regret: its shortfall "
            "from the best of these strategies in each future.",
            "",
            "![regret](figures/regret.png)",
            "",
        ]
    if result.discovery is not None:
        out += _discovery_section(result)
    if result.notes:
        out += ["## Notes", "", *[f"- {n}" for n in result.notes], ""]
    return "\n".join(out).rstrip() + "\n"


def _constraint_text(c) -> str:
    parts = []
    if c.low is not None:
        parts.append(f"{c.metric} >= {c.low:g}")
    if c.high is not None:
        parts.append(f"{c.metric} <= {c.high:g}")
    how = "mean" if c.robustness == "mean" else f"{c.percentile:g}th percentile (bad tail)"
    return f"{' and '.join(parts)} ({how})"


def _discovery_section(result: OptimiseResult) -> list[str]:
    d = result.discovery
    assert d is not None
    box = d.prim.box
    out = [
        "## When it fails",
        "",
        f"Failure: {d.text}. It happens in {d.share:.1%} of {len(d.cases)} futures.",
        "",
        f"PRIM's chosen box holds {box.mass:.1%} of the futures and {box.coverage:.1%} of the "
        f"failures; {box.density:.1%} of the futures in it fail:",
        "",
        markdown_table(box.limits()) if box.restricted else "(no parameter restricted)",
        "",
        "![PRIM trade-off](figures/prim_tradeoff.png)",
        "",
        "![PRIM box](figures/prim_box.png)",
        "",
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
            "Sobol indices of the difference (what decides the choice):",
            "",
            markdown_table(d.sobol.head(8)),
            "",
            "![decision Sobol](figures/decision_sobol.png)",
            "",
        ]
    return out
