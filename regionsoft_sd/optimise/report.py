"""The Markdown summary of an optimisation.

What was found, what it costs, how robust it is, and when it fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from regionsoft_sd.futures.discovery_report import discovery_markdown, markdown_table
from regionsoft_sd.model.metrics import METRIC_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.optimise.result import OptimiseResult


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
        out += discovery_markdown(result.discovery)
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
