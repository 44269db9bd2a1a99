"""The files of a calibration: tables, the region scenario, figures and a summary.

Output folder layout::

    fit.csv                 per series: r2, mape, um, us, uc (Theil), n, flag
    parameters.csv          parameter, estimate, method, lower, upper (the profile interval
                            where profiled, else the Jacobian one), se, the Jacobian
                            interval, bounds, at_bound, posterior interval, identifiable
    correlation.csv         correlation matrix of the estimates
    singular_values.csv     the Jacobian's singular values and the parameters of each
    identifiability.csv     one verdict per parameter (yes / weak / at bound / no) and why
    holdout.csv             out-of-sample error of the fit to the cut year
    history.csv             per series and year: observed, fitted, band, held-out fit
    starts.csv              every start of the multi-start search and where it ended
    profiles.csv            every profile point (the value, cost, Δ, the others refitted)
    constants.csv           the region constants set from the data, with their formulas
    posterior.csv           the MCMC sample (with [mcmc])
    <region>.toml           the region as a scenario: data and fitted constants
    figures/*.png           history, profiles, correlation (, posterior)
    summary.md              all of it in words

Outputs are staged and moved into place together (`OutputFolder`, kind
"calibrate"): a failed run leaves an earlier run's files as they were.
"""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from regionsoft_sd.common.io import save_figure, write_csv, write_text
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.scenarios.scenario import SPLIT_GROUP, Scenario
from regionsoft_sd.scenarios.shares import rounded_shares

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.calibrate.result import CalibrationResult
    from regionsoft_sd.common.outdir import OutputFolder

SIGNIFICANT = 6
FIT_COLUMNS = ["series", "r2", "mape", "um", "us", "uc", "n", "flag"]


def _num(v: float) -> str:
    """A TOML number with SIGNIFICANT digits (never an integer-looking float lost)."""
    text = f"{float(v):.{SIGNIFICANT}g}"
    return text


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tables(result: CalibrationResult) -> dict[str, pd.DataFrame]:
    """Every CSV table of the result, by file name."""
    unc = result.uncertainty
    out = {
        "fit.csv": result.fit_stats[FIT_COLUMNS],
        "parameters.csv": result.parameters,
        "correlation.csv": unc.correlation.rename_axis("parameter").reset_index(),
        "singular_values.csv": unc.singular_table(),
        "identifiability.csv": result.identifiability,
        "history.csv": result.history,
        "starts.csv": result.fit.starts,
        "constants.csv": result.setting.constants.frame(),
    }
    if result.holdout is not None:
        out["holdout.csv"] = result.holdout
    if result.profiles:
        out["profiles.csv"] = pd.concat(
            [p.frame() for p in result.profiles.values()], ignore_index=True
        )
    if result.posterior is not None:
        out["posterior.csv"] = pd.DataFrame(result.posterior.samples, columns=unc.names)
    return out


def region_file_name(result: CalibrationResult) -> str:
    return f"{result.setting.base.name}.toml"


def region_text(result: CalibrationResult) -> str:
    """The region as a scenario file: data constants, fixed constants, estimates.

    Parsed back with `Scenario` before it is returned, so what is written is valid.
    """
    cat = catalogue()
    spec = result.spec
    setting = result.setting
    name = setting.base.name
    params = result.parameters.set_index("parameter")
    values = result.scenario_constants()
    split = [
        f"Initial {e.lever}"
        for e in cat.lever_groups().get(SPLIT_GROUP, [])
        if f"Initial {e.lever}" in values
    ]
    if len(split) == len(cat.lever_groups().get(SPLIT_GROUP, [])) and split:
        for k, v in zip(split, rounded_shares([values[k] for k in split]), strict=True):
            values[k] = v
    pct = round(spec.level * 100)
    stats = result.fit_stats
    lines = [
        f"# {name}: the region's constants from its data and its calibrated constants.",
        f"# Written by `regionsoft calibrate` (spec {spec.name!r}, fitted {spec.start}-"
        f"{spec.end} to {', '.join(stats['series'])}; data: {setting.data_label}).",
        "# Mean absolute percentage error: "
        + ", ".join(f"{r.series} {100 * r.mape:.1f} %" for r in stats.itertuples())
        + ".",
        f'# Use it as the status quo of a strategy: based_on = "{name}".',
        f"name = {_quote(name)}",
        f"description = {_quote(_description(result))}",
        "",
        "[parameters]",
    ]
    if setting.constants.values:
        lines.append("# From the data (see docs/calibration.md for each formula)")
        for k in setting.constants.values:
            src = setting.constants.sources.get(k, "")
            lines.append(f"{_quote(k)} = {_num(values[k])}  # {src}")
    if spec.constants:
        lines.append("# Fixed by the calibration spec")
        for k in spec.constants:
            lines.append(f"{_quote(k)} = {_num(values[k])}")
    lines.append(f"# Fitted: estimate  # {pct} % interval; identifiable from the data")
    for k in spec.names:
        r = params.loc[k]
        bound = ", at a bound of the model's range" if bool(r["at_bound"]) else ""
        lines.append(
            f"{_quote(k)} = {_num(values[k])}  # [{_num(r['lower'])}, {_num(r['upper'])}]; "
            f"{r['identifiable']}{bound}"
        )
    text = "\n".join(lines) + "\n"
    Scenario.from_dict(tomllib.loads(text), source=None)  # raises if not a valid scenario
    return text


def _description(result: CalibrationResult) -> str:
    spec = result.spec
    return (
        f"{result.region.replace('_', ' ').title()} calibrated to {spec.start}-{spec.end}: "
        f"{len(result.setting.constants.values)} constants from its data, "
        f"{len(spec.names)} fitted."
    )


def summary_markdown(result: CalibrationResult) -> str:
    """What was fitted, how well, how sure, what the data cannot say, and the notes."""
    from regionsoft_sd.futures.discovery_report import markdown_table

    spec = result.spec
    unc = result.uncertainty
    pct = round(spec.level * 100)
    fit = result.fit
    stats = result.fit_stats.copy()
    for c in ("r2", "um", "us", "uc"):
        stats[c] = stats[c].map(lambda v: f"{v:.3f}")
    stats["mape"] = result.fit_stats["mape"].map(lambda v: f"{100 * v:.1f} %")
    params = result.parameters
    ptab = pd.DataFrame(
        {
            "parameter": params["parameter"],
            "estimate": params["estimate"].map(lambda v: f"{v:.4g}"),
            f"{pct} % interval": [
                f"[{lo:.4g}, {hi:.4g}]"
                for lo, hi in zip(params["lower"], params["upper"], strict=True)
            ],
            "from": params["method"],
            "Jacobian interval": [
                f"[{lo:.4g}, {hi:.4g}]"
                for lo, hi in zip(params["jacobian_lower"], params["jacobian_upper"], strict=True)
            ],
            "identifiable": params["identifiable"],
            "at bound": params["at_bound"].map(lambda b: "yes" if b else ""),
        }
    )
    lines = [
        f"# Calibration of {result.region}: {spec.name}",
        "",
        spec.description,
        "",
        f"Fitted {len(spec.names)} parameters to {fit.problem.n_obs} observations of "
        f"{len(spec.targets)} series, {spec.start}-{spec.end} (data: {result.setting.data_label}). "
        f"{len(fit.starts)} starts, {fit.agree} reached the best cost ({fit.cost:.4g}); "
        f"residual scale s = {np.sqrt(unc.s2):.3g} (1 means the spec's error scales were right). "
        f"{result.runs:,} model runs in {result.batches:,} batches, {result.seconds:.0f} s.",
        "",
        "## Fit per series",
        "",
        markdown_table(stats[FIT_COLUMNS], index=False),
        "",
        "U^M, U^S and U^C split the mean squared error into bias, unequal variation and "
        "unequal covariation (they sum to 1); a flag marks a series whose error is mostly "
        "systematic.",
        "",
        "## Parameters",
        "",
        markdown_table(ptab, index=False),
        "",
        "## Identifiability",
        "",
        markdown_table(
            result.identifiability[["parameter", "identifiable", "reasons"]], index=False
        ),
        "",
        "Singular values of the Jacobian (unit-scaled), largest first: "
        + ", ".join(f"{v:.3g}" for v in unc.singular)
        + ".",
    ]
    pairs = unc.strong_pairs()
    if pairs:
        lines += [
            "",
            "Strongly correlated estimates: "
            + "; ".join(f"{a} and {b} ({r:+.2f})" for a, b, r in pairs)
            + ".",
        ]
    if result.holdout is not None:
        h = result.holdout.copy()
        for c in ("mape", "naive_mape", "fit_mape"):
            h[c] = h[c].map(lambda v: f"{100 * v:.1f} %")
        h["bias"] = h["bias"].map(lambda v: f"{100 * v:+.1f} %")
        lines += [
            "",
            f"## Out of sample: fitted to {spec.holdout.cut}, forecast to {spec.holdout.end}",
            "",
            markdown_table(h, index=False),
            "",
            "naive: the series' average growth over its last five fitted years, carried on.",
        ]
    post = result.posterior
    if post is not None:
        lines += [
            "",
            "## Posterior (emcee)",
            "",
            f"{post.walkers} walkers, {post.steps} steps ({post.burn} burned); acceptance "
            f"{post.acceptance:.2f}; autocorrelation times "
            + ", ".join(f"{t:.0f}" for t in post.tau)
            + " steps.",
        ]
    if result.setting.constants.values:
        lines += ["", "## Region constants from the data", ""]
        lines.append(markdown_table(result.setting.constants.frame(), index=False))
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def write_outputs(result: CalibrationResult, folder: OutputFolder, *, figures: bool = True):
    """Stage every table, the region file, figures and the summary, then commit them."""
    for rel, df in tables(result).items():
        write_csv(df, folder.stage(rel), index=False)
    write_text(folder.stage(region_file_name(result)), region_text(result))
    if figures:
        from regionsoft_sd.calibrate.plots import figures as make_figures

        for rel, fig in make_figures(result).items():
            save_figure(fig, folder.stage(rel))
    write_text(folder.stage("summary.md"), summary_markdown(result))
    final, removed = folder.commit(remove_stale=True)
    result.files = final
    if removed:
        result.notes.append(
            "removed files an earlier calibration wrote in this folder and this one did not: "
            + ", ".join(p.name for p in removed)
        )
    return final
