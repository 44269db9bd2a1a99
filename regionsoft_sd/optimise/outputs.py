"""The files of an optimisation: tables, scenario files, figures and a Markdown summary.

Output folder layout::

    optimum.csv | pareto.csv   the found strategies: decided levers, scores, constraints
    references.csv             base and compared strategies, scored on the same futures
    candidates.csv             every candidate the search evaluated
    reevaluation.csv           found and compared strategies on a fresh sample:
                               scores, win share, max and mean regret
    weights.csv                the Pareto point picked for each objective weight
    scenarios/<name>.toml      each found strategy as a scenario (`regionsoft compare`)
    evaluations/<digest>/      every batch the search evaluated (for --resume)
    discovery/                 prim_trajectory.csv, prim_box.csv, feature_scores.csv,
                               cart.txt, cart_leaves.csv, cases.csv, decision_sobol.csv
    figures/*.png              pareto (or objective), split_vs_weight, regret,
                               prim_tradeoff, prim_box, decision_sobol
    summary.md                 what was found, what it costs, how robust, when it fails

Outputs are staged in the folder and moved into place together once all are
written (`regionsoft_sd.common.outdir.OutputFolder`, kind "optimise"): a failed run
leaves an earlier run's files as they were, and a rerun into the same folder
removes only files an earlier optimisation wrote there and nobody changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from regionsoft_sd.common.io import save_figure, write_csv, write_text
from regionsoft_sd.futures.discovery_report import discovery_tables
from regionsoft_sd.optimise.scenarios import scenario_text

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.common.outdir import OutputFolder
    from regionsoft_sd.optimise.result import OptimiseResult


def tables(result: OptimiseResult) -> dict[str, pd.DataFrame]:
    """Every CSV table of the result, by file name (relative to the output folder)."""
    found = result.found
    main = pd.concat([found.levers, found.scores, found.constraints], axis=1)
    main.insert(0, "strategy", result.names)
    name = "optimum.csv" if result.spec.algorithm == "de" else "pareto.csv"
    out = {
        name: main,
        "references.csv": pd.concat(
            [result.reference_levers, result.references], axis=1
        ).reset_index(),
        "candidates.csv": result.candidates.reset_index(),
    }
    if result.reevaluation is not None:
        out["reevaluation.csv"] = result.reevaluation.reset_index()
    if result.weights is not None:
        out["weights.csv"] = result.weights
    if result.discovery is not None:
        out.update(discovery_tables(result.discovery, "discovery/"))
    return out


def scenario_files(result: OptimiseResult) -> dict[str, str]:
    """Each found strategy as scenario-file text, by file name."""
    spec = result.spec
    base = spec.base.scenario
    out = {}
    for i, name in enumerate(result.names):
        scores = ", ".join(f"{c} = {v:.6g}" for c, v in result.found.scores.iloc[i].items())
        header = [
            f"Written by `regionsoft optimise` from spec {spec.name!r}"
            + (f" ({spec.source.name})" if spec.source else "")
            + f", strategy {i + 1} of {len(result.names)}.",
            f"Scores on the search's futures: {scores}.",
            f"Base scenario: {spec.base.name}.",
        ]
        desc = f"Found by optimisation {spec.name!r}: {scores}."
        out[f"scenarios/{name}.toml"] = scenario_text(
            name, desc, result.found.levers.iloc[i], spec.space, base, header
        )
    return out


def write_outputs(
    result: OptimiseResult,
    folder: OutputFolder,
    *,
    figures: bool = True,
    memo: Path | None = None,
) -> list[Path]:
    """Stage every table, scenario file, figure and the summary, then commit them.

    `memo` is the folder of the evaluation memo this run wrote: it is listed as
    the run's checkpoint folder; an earlier spec's memo folder is removed.
    """
    from regionsoft_sd.optimise.memo import remove_memo
    from regionsoft_sd.optimise.report import summary_markdown

    for rel, df in tables(result).items():
        write_csv(df, folder.stage(rel), index=False)
    for rel, text in scenario_files(result).items():
        write_text(folder.stage(rel), text)
    d = result.discovery
    if d is not None:
        write_text(folder.stage("discovery/cart.txt"), d.tree.rules)
    if figures:
        from regionsoft_sd.optimise.plots import figures as make_figures

        for rel, fig in make_figures(result).items():
            save_figure(fig, folder.stage(rel))
    write_text(folder.stage("summary.md"), summary_markdown(result))
    final, removed = folder.commit(
        checkpoints=[memo] if memo is not None and memo.is_dir() else [],
        remove_stale=True,
        remove_checkpoints=remove_memo,
    )
    result.files = final
    if removed:
        result.notes.append(
            "removed files an earlier optimisation wrote in this folder and this one did not: "
            + ", ".join(p.name for p in removed)
        )
    return final
