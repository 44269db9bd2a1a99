"""Text and Markdown renderings of results, and writing a comparison's files.

The library returns data; this module turns it into the tables a person reads
(terminal text, Markdown) and writes the files of `regionsoft compare` and
`regionsoft run`, each atomically (see `regionsoft_sd.common.io`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from regionsoft_sd.common.io import save_figure, write_csv, write_table, write_text
from regionsoft_sd.model.catalogue import Entry, catalogue
from regionsoft_sd.model.metrics import DISCOUNT_RATE, METRICS, THRESHOLD, describe, label
from regionsoft_sd.model.style import format_value  # noqa: F401 - re-exported: report's number format
from regionsoft_sd.simulate import Comparison

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.scenarios.scenario import Scenario

_METRIC = {m.name: m for m in METRICS}


def _grid(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    markdown: bool,
    subheader: Sequence[str] | None = None,
) -> str:
    heads = [header] if subheader is None else [header, subheader]
    widths = [max(len(str(c)) for c in col) for col in zip(*heads, *rows, strict=True)]
    numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = [
            str(c).rjust(w) if num else str(c).ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return ("| " + " | ".join(out) + " |") if markdown else "  ".join(out).rstrip()

    if markdown:
        rule = (
            "|"
            + "|".join(
                "-" * (w + 1) + (":" if n else "-") for w, n in zip(widths, numeric, strict=True)
            )
            + "|"
        )
    else:
        rule = "  ".join("-" * w for w in widths)
    return "\n".join([*(line(h) for h in heads), rule, *(line(r) for r in rows)])


def _is_number(text: str) -> bool:
    try:
        float(str(text).replace(",", ""))
    except ValueError:
        return text in ("never", "n/a")
    return True


def metrics_table(comparison: Comparison, *, markdown: bool = False) -> str:
    """The metrics table, scenarios in ranking order, units in the header.

    Markdown uses the metric names; the terminal uses short labels over a row
    of units, to fit a terminal's width.
    """
    order = list(comparison.ranking.index)
    cols = list(comparison.metrics.columns)
    if markdown:
        header = ["#", "scenario", *(f"{c} [{comparison.units[c]}]" for c in cols)]
        units_row = None
    else:
        header = ["#", "scenario", *(_label(c, comparison.threshold) for c in cols)]
        units_row = ["", "", *(f"[{comparison.units[c]}]" for c in cols)]
    rows = [
        [
            str(int(comparison.ranking.at[s, "position"])),
            s,
            *(format_value(c, comparison.metrics.at[s, c]) for c in cols),
        ]
        for s in order
    ]
    return _grid(header, rows, markdown, units_row)


def ranking_table(comparison: Comparison, *, markdown: bool = False) -> str:
    """Each scenario's rank on every ranked metric (1 = best) and the mean rank."""
    r = comparison.ranking
    header = ["scenario", *r.columns]
    rows = [
        [s, *(f"{v:.2f}" if c == "mean_rank" else str(int(v)) for c, v in r.loc[s].items())]
        for s in r.index
    ]
    return _grid(header, rows, markdown)


def _label(name: str, threshold: float) -> str:
    return label(name, threshold=threshold) if name in _METRIC else name


def metric_definitions(
    units: dict[str, str], *, discount_rate: float = DISCOUNT_RATE, threshold: float = THRESHOLD
) -> str:
    """Markdown list of the metrics: name, units, meaning (for these settings) and direction."""
    lines = []
    for m in METRICS:
        better = f" {m.better.capitalize()} is better." if m.better else " Not ranked."
        text = describe(m.name, discount_rate=discount_rate, threshold=threshold)
        lines.append(f"- **{m.name}** [{units[m.name]}]: {text}{better}")
    return "\n".join(lines)


def comparison_markdown(comparison: Comparison, descriptions: dict[str, str]) -> str:
    """The Markdown report of a comparison: table, ranking, definitions, scenarios."""
    by = comparison.ranking.attrs.get("by", "dominant_soft_power_end")
    scen = "\n".join(f"- **{n}**: {d}" for n, d in descriptions.items())
    definitions = metric_definitions(
        comparison.units, discount_rate=comparison.discount_rate, threshold=comparison.threshold
    )
    return (
        "# Scenario comparison\n\n"
        f"Scenarios are ordered by **{by}** (rank 1 = best). Discount rate for NPV: "
        f"{comparison.discount_rate * 100:.4g} %/yr; threshold of threshold_year: "
        f"{comparison.threshold:g}.\n\n"
        f"{metrics_table(comparison, markdown=True)}\n\n"
        "## Ranking\n\n"
        "Rank of each scenario on each metric (1 = best; a threshold never reached "
        "ranks last); `mean_rank` summarises the trade-offs.\n\n"
        f"{ranking_table(comparison, markdown=True)}\n\n"
        "## Metrics\n\n"
        f"{definitions}\n\n"
        f"## Scenarios\n\n{scen}\n"
    )


def write_comparison(
    comparison: Comparison,
    out: Path,
    descriptions: dict[str, str],
    fmt: str = "csv",
    *,
    html: bool = False,
    scenarios: Sequence[Scenario] | None = None,
    template: str | Path | None = None,
    region: str | None = None,
    rivals: str | None = None,
) -> list[Path]:
    """Write the files of `regionsoft compare` into `out`; return their paths.

    Tables, `metrics.md`, the trajectories (`fmt`: csv or parquet), the figures
    `outcomes.png` and `stocks.png` (one colour per scenario in both), and with
    `html` the self-contained `report.html` (from the Jinja2 file `template`, if
    given, instead of the shipped one), naming `region` and the `rivals`'
    assumption (None: the shipped model's, Sichuan against a rest of China that
    keeps its status quo). The command line writes them through
    an `OutputFolder`, which also removes what an earlier comparison wrote there
    and this one did not (only files provably its own).
    """
    from regionsoft_sd.model.style import scenario_colours
    from regionsoft_sd.reports.plots import plot_outcomes, plot_stocks

    metrics = comparison.metrics.loc[comparison.ranking.index]
    runs = {s: comparison.trajectories[s] for s in comparison.ranking.index}
    colours = scenario_colours(comparison.metrics.index)
    paths = [
        write_csv(metrics, out / "metrics.csv"),
        write_csv(comparison.ranking, out / "ranking.csv"),
        write_text(out / "metrics.md", comparison_markdown(comparison, descriptions)),
        write_table(comparison.long_trajectories(), out / f"trajectories.{fmt}", index=False),
    ]
    figures = {
        "outcomes.png": plot_outcomes(runs, colours=colours),
        # two panels a row: readable at the width of a page and of report.html
        "stocks.png": plot_stocks(runs, colours=colours, ncols=2),
    }
    paths += [save_figure(fig, out / name) for name, fig in figures.items()]
    if html:
        from regionsoft_sd.reports.html_report import html_report

        page = html_report(
            comparison,
            descriptions,
            scenarios=scenarios,
            figures=figures,
            colours=colours,
            template=template,
            **{k: v for k, v in (("region", region), ("rivals", rivals)) if v is not None},
        )
        paths.append(write_text(out / "report.html", page))
    return paths


def params_text(entries: Sequence[Entry]) -> str:
    """The parameter listing of `regionsoft params`: grouped, with units, range, docs."""
    sections = [
        ("Policy levers (set them under [policy.<lever>] in a scenario)", lambda e: e.is_lever),
        ("Policy timing (start/ramp of each lever group)", _is_timing),
        (
            "Calibration: the 2005 start and the status quo policies start from",
            lambda e: e.kind == "constant" and e.name.startswith("Initial "),
        ),
        ("Parameters", lambda e: e.kind == "constant"),
        ("Computed by the model (not settable)", lambda e: True),
    ]
    seen: set[str] = set()
    blocks = []
    for title, keep in sections:
        chosen = [e for e in entries if e.name not in seen and keep(e)]
        if not chosen:
            continue
        seen.update(e.name for e in chosen)
        lines = [title, "=" * len(title)]
        for e in chosen:
            facts = [
                f"[{e.units}]" if e.units else "",
                f"range {e.range_text()}" if e.range_text() else "",
                f"default {e.default:g}" if e.default is not None else "",
                f"lever '{e.lever.replace(' ', '_')}'" if e.lever else "",
            ]
            lines.append(f"{e.name}  " + "  ".join(f for f in facts if f))
            if e.documentation:
                lines.append(f"    {e.documentation}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _is_timing(e: Entry) -> bool:
    return any(e.name in (x.start_param, x.ramp_param) for x in catalogue().levers())


def run_summary(name: str, values: dict[str, float], units: dict[str, str]) -> str:
    """The short table `regionsoft run` prints: metric, value, units."""
    rows = [[k, format_value(k, v), units[k]] for k, v in values.items()]
    return f"scenario {name}\n" + _grid(["metric", "value", "units"], rows, markdown=False)


def metrics_frame(
    values: dict[str, float],
    units: dict[str, str],
    *,
    discount_rate: float = DISCOUNT_RATE,
    threshold: float = THRESHOLD,
) -> pd.DataFrame:
    """One run's metrics as a table with units, for `regionsoft run`'s metrics.csv."""
    descriptions = {
        m.name: describe(m.name, discount_rate=discount_rate, threshold=threshold) for m in METRICS
    }
    return pd.DataFrame({"value": values, "units": units, "description": descriptions}).rename_axis(
        "metric"
    )
