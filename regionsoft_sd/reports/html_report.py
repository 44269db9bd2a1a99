"""A scenario comparison as one self-contained HTML file, for readers who never open Python.

`html_report(comparison, descriptions)` returns the page as a string;
`write_html_report(...)` writes it atomically. The page has no external
resources (no scripts, fonts, style sheets or image links): figures are PNGs
embedded as base64 `data:` URIs and the style sheet is inline, so the file can be
mailed, archived or opened offline. It holds the ranking, the metrics with
readable units and their difference from the baseline, each scenario's rank on
every metric, the figures, the metric definitions, what each scenario changes,
and where the model comes from.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from regionsoft_sd.model.metrics import METRICS, THRESHOLD_VARIABLE, describe
from regionsoft_sd.model.style import (
    BASELINE,
    metric_readable_units,
    metric_title,
    scenario_colours,
    variable_units,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from regionsoft_sd.scenarios.scenario import Scenario
    from regionsoft_sd.simulate import Comparison

ARTICLE = (
    "the article \u201cRegional soft power\u201d: its concept and content (\u00a71.1) and "
    "characteristics (\u00a71.2), its four constituent elements \u2014 regional culture, "
    "government public services, human quality and the region\u2019s image (\u00a72) \u2014, "
    "the mechanism by which potential soft power becomes dominant soft power (\u00a73.1-3.2), "
    "and the approaches to enhance it (\u00a74.1-4.5)"
)

CAPTIONS = {
    "outcomes.png": "Key outcomes of every scenario over time (left) and how far each one "
    "is above or below the baseline (right). The baseline is the thick black line.",
}


def _caption(name: str) -> str:
    if name == "stocks.png":
        from regionsoft_sd.model.catalogue import catalogue

        stocks = ", ".join(e.name for e in catalogue().stocks())
        return f"The model's stocks ({stocks}), one colour per scenario as above."
    return CAPTIONS.get(name, name)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 max-width:1180px;margin:2em auto;padding:0 1.2em;color:#1d1d1d;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.1em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;
 padding-bottom:.2em}.sub{color:#555;margin-top:0}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.92em}
th,td{padding:.35em .6em;border-bottom:1px solid #e4e4e4;text-align:right;vertical-align:top}
th{background:#f4f4f4;font-weight:600;max-width:9em}th small{font-weight:400;color:#555}
td.name,th.name{text-align:left}td.name{white-space:nowrap}
tr.baseline td{background:#f3f3f3;font-weight:600}
td.best{color:#0b6e2f;font-weight:700}.pos{color:#0b6e2f}.neg{color:#a4161a}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.45em;
 vertical-align:-.1em}figure{margin:1.2em 0}figure img{max-width:100%;height:auto;
 border:1px solid #eee}figcaption{color:#444;font-size:.92em}
dl dt{font-weight:600;margin-top:.6em}dl dd{margin-left:1.2em}
.note{background:#fafae8;border-left:4px solid #d8c44a;padding:.5em .9em}
footer{margin-top:3em;color:#666;font-size:.85em}
"""


def figure_data_uri(fig: Figure, dpi: int = 110) -> str:
    """A matplotlib Figure as a `data:image/png;base64,...` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fmt(metric: str, value: float) -> str:
    from regionsoft_sd.model.style import format_value

    return format_value(metric, value)


def _swatch(name: str, colours: Mapping[str, str]) -> str:
    colour = colours.get(name, "#999")
    return f'<span class="swatch" style="background:{_esc(colour)}"></span>{_esc(name)}'


def _best(metric: str, values: Sequence[float]) -> float | None:
    better = next((m.better for m in METRICS if m.name == metric), None)
    finite = [v for v in values if v is not None and not math.isnan(v)]
    if not better or not finite:
        return None
    return max(finite) if better == "higher" else min(finite)


def _metrics_table(comparison: Comparison, colours: Mapping[str, str]) -> str:
    order = list(comparison.ranking.index)
    cols = list(comparison.metrics.columns)
    head = "".join(
        f"<th>{_esc(_title(c, comparison))}<br>"
        f"<small>{_esc(metric_readable_units(c, comparison.units))}</small></th>"
        for c in cols
    )
    rows = []
    for s in order:
        cells = []
        for c in cols:
            v = comparison.metrics.at[s, c]
            best = _best(c, list(comparison.metrics[c]))
            cls = ' class="best"' if best is not None and v == best else ""
            cells.append(f"<td{cls}>{_esc(_fmt(c, v))}</td>")
        rank = int(comparison.ranking.at[s, "position"])
        cls = ' class="baseline"' if s == BASELINE else ""
        rows.append(
            f'<tr{cls}><td>{rank}</td><td class="name">{_swatch(s, colours)}</td>'
            + "".join(cells)
            + "</tr>"
        )
    return (
        f'<table><tr><th>rank</th><th class="name">scenario</th>{head}</tr>'
        + "".join(rows)
        + "</table>"
    )


def _difference_table(comparison: Comparison, colours: Mapping[str, str]) -> str:
    """Per cent difference of each metric from the baseline (years: difference in years)."""
    if BASELINE not in comparison.metrics.index:
        return ""
    base = comparison.metrics.loc[BASELINE]
    cols = [c for c in comparison.metrics.columns if c != "threshold_year"]
    better = {m.name: m.better for m in METRICS}
    head = "".join(f"<th>{_esc(_title(c, comparison))}</th>" for c in cols)
    rows = []
    for s in comparison.ranking.index:
        if s == BASELINE:
            continue
        cells = []
        for c in cols:
            b, v = base[c], comparison.metrics.at[s, c]
            if b == 0 or math.isnan(b) or math.isnan(v):
                cells.append("<td>n/a</td>")
                continue
            d = (v / b - 1.0) * 100.0
            if abs(d) < 0.05:
                cells.append("<td>0.0 %</td>")
                continue
            good = {"higher": d > 0, "lower": d < 0}.get(better.get(c) or "")
            cls = "" if good is None else "pos" if good else "neg"
            cells.append(f'<td class="{cls}">{d:+.1f} %</td>')
        rows.append(f'<tr><td class="name">{_swatch(s, colours)}</td>' + "".join(cells) + "</tr>")
    return (
        "<h3>Difference from the baseline</h3>"
        "<p>How much higher (+) or lower (&minus;) each strategy ends than the baseline, "
        "in per cent of the baseline's value; green where that is better, red where it is "
        "worse.</p>"
        f'<table><tr><th class="name">scenario</th>{head}</tr>' + "".join(rows) + "</table>"
    )


def _ranking_table(comparison: Comparison, colours: Mapping[str, str]) -> str:
    r = comparison.ranking
    cols = [c for c in r.columns if c != "position"]
    names = {c: "mean rank" if c == "mean_rank" else _title(c, comparison) for c in cols}
    head = "".join(f"<th>{_esc(names[c])}</th>" for c in cols)
    rows = []
    for s in r.index:
        cells = "".join(
            f"<td>{r.at[s, c]:.2f}</td>" if c == "mean_rank" else f"<td>{int(r.at[s, c])}</td>"
            for c in cols
        )
        rows.append(f'<tr><td class="name">{_swatch(s, colours)}</td>{cells}</tr>')
    return f'<table><tr><th class="name">scenario</th>{head}</tr>' + "".join(rows) + "</table>"


def _title(metric: str, comparison: Comparison) -> str:
    """The metric's readable title; the threshold year names the threshold actually used."""
    if metric == "threshold_year":
        return f"First year {THRESHOLD_VARIABLE} reaches {comparison.threshold:g}"
    return metric_title(metric)


def _definitions(comparison: Comparison) -> str:
    items = []
    for m in METRICS:
        text = describe(
            m.name, discount_rate=comparison.discount_rate, threshold=comparison.threshold
        )
        direction = f"{m.better.capitalize()} is better." if m.better else "Reported, not ranked."
        units = metric_readable_units(m.name, comparison.units)
        items.append(
            f"<dt>{_esc(_title(m.name, comparison))} "
            f"<small>(column {_esc(m.name)} of metrics.csv; {_esc(units)})</small></dt>"
            f"<dd>{_esc(text)} {direction}</dd>"
        )
    return "<dl>" + "".join(items) + "</dl>"


def _settings(scenario: Scenario) -> str:
    """What a scenario changes: each model constant it sets, against the model's value."""
    from regionsoft_sd.model.catalogue import catalogue

    cat = catalogue()
    rows = []
    for name, value in scenario.constants.items():
        e = cat[name]
        default = "" if e.default is None else f"{e.default:g}"
        rows.append(
            f'<tr><td class="name">{_esc(name)}</td><td>{value:g}</td><td>{_esc(default)}</td>'
            f'<td class="name">{_esc(variable_units(name))}</td></tr>'
        )
    for name, series in scenario.series.items():
        path = ", ".join(f"{y:g}: {v:g}" for y, v in series.items())
        rows.append(
            f'<tr><td class="name">{_esc(name)}</td><td colspan="2" class="name">path '
            f'{_esc(path)}</td><td class="name">{_esc(variable_units(name))}</td></tr>'
        )
    if not rows:
        return "<p>Changes nothing: every lever and parameter keeps the model's value.</p>"
    return (
        '<table><tr><th class="name">setting</th><th>value</th><th>model value</th>'
        '<th class="name">units</th></tr>' + "".join(rows) + "</table>"
    )


def _scenarios_section(
    order: Sequence[str],
    descriptions: Mapping[str, str],
    scenarios: Sequence[Scenario] | None,
    colours: Mapping[str, str],
) -> str:
    by_name = {s.name: s for s in scenarios or ()}
    parts = []
    for name in order:
        text = descriptions.get(name, "")
        parts.append(f"<h3>{_swatch(name, colours)}</h3><p>{_esc(text)}</p>")
        if name in by_name:
            parts.append(_settings(by_name[name]))
    return "".join(parts)


_ENGINE_WORDS = {
    "batch": "on the batch engine (checked against PySD to 1e-9)",
    "pysd": "with PySD",
}


def _model_facts(engine: str) -> str:
    from regionsoft_sd import __version__
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.model.translate import MODEL_PATH

    start, end = catalogue().horizon
    digest = hashlib.sha256(Path(MODEL_PATH).read_bytes()).hexdigest()[:12]
    return (
        f"Model <code>{_esc(Path(MODEL_PATH).name)}</code> (SHA-256 {digest}&hellip;), "
        f"simulated {start:g}-{end:g} {_ENGINE_WORDS.get(engine, _esc(engine))}; "
        f"regionsoft-sd {__version__}."
    )


def html_report(
    comparison: Comparison,
    descriptions: Mapping[str, str],
    *,
    scenarios: Sequence[Scenario] | None = None,
    figures: Mapping[str, Figure] | None = None,
    colours: Mapping[str, str] | None = None,
    title: str = "Scenario comparison",
) -> str:
    """The comparison as one self-contained HTML page (a string).

    `descriptions` maps scenario name to its one-line description; `scenarios`
    (optional) adds what each one changes. `figures` maps a file-like name to a
    Figure; by default the outcomes and stocks figures are drawn here.
    """
    from regionsoft_sd.reports.plots import plot_outcomes, plot_stocks

    colours = dict(colours or scenario_colours(comparison.metrics.index))
    if figures is None:
        runs = {s: comparison.trajectories[s] for s in comparison.ranking.index}
        figures = {
            "outcomes.png": plot_outcomes(runs, colours=colours),
            "stocks.png": plot_stocks(runs, colours=colours),
        }
    by = comparison.ranking.attrs.get("by", "dominant_soft_power_end")
    order = list(comparison.ranking.index)
    podium = ", ".join(f"{i}. {_esc(s)}" for i, s in enumerate(order, start=1))
    figs = "".join(
        f'<figure><img alt="{_esc(_caption(name))}" src="{figure_data_uri(fig)}">'
        f"<figcaption>{_esc(_caption(name))}</figcaption></figure>"
        for name, fig in figures.items()
    )
    when = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title><style>{_CSS}</style></head><body>
<h1>{_esc(title)}</h1>
<p class="sub">{len(order)} scenarios of a region's soft and hard power, {when}.</p>
<p class="note">Ranked by <b>{_esc(_title(by, comparison))}</b>
(rank 1 = best): {podium}. The tables below show every outcome, so trade-offs stay
visible; the best value of each column is in green.</p>
<h2>Outcomes</h2>
{_metrics_table(comparison, colours)}
{_difference_table(comparison, colours)}
<h3>Rank on every metric</h3>
<p>1 = best on that metric; a threshold never reached ranks last. The mean rank
summarises the trade-offs.</p>
{_ranking_table(comparison, colours)}
<h2>Figures</h2>
{figs}
<h2>What the metrics mean</h2>
<p>Money is in {_esc(metric_readable_units("cumulative_spending", comparison.units))};
soft power is an index, 1 at par with the rest of China. The present value of
consumption discounts at {comparison.discount_rate * 100:.4g} % a year.</p>
{_definitions(comparison)}
<h2>The scenarios</h2>
<p>In the order of the ranking. Settings are the model constants each scenario
changes, against the model's own value.</p>
{_scenarios_section(order, descriptions, scenarios, colours)}
<h2>About the model</h2>
<p>A system-dynamics model of how a region's soft power grows, converts from
potential into dominant soft power, and feeds back on hard power (the economy). Its
structure follows {ARTICLE}. {_model_facts(comparison.engine)}</p>
<footer>Written by regionsoft-sd. This file is self-contained: it needs no network
and no other files.</footer>
</body></html>
"""


def write_html_report(
    path: str | Path, comparison: Comparison, descriptions: Mapping[str, str], **kwargs
) -> Path:
    """Write `html_report(...)` to `path` atomically; return the path."""
    from regionsoft_sd.common.io import write_text

    return write_text(path, html_report(comparison, descriptions, **kwargs))
