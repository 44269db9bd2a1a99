"""A scenario comparison as one self-contained HTML file, for readers who never open Python.

`html_report(comparison, descriptions)` returns the page as a string;
`write_html_report(...)` writes it atomically. The page is rendered from a Jinja2
template, `templates/report.html.j2` inside this package, with autoescape on; a
user passes their own copy with `template=` (`regionsoft compare --html --template
FILE`), which may also `{% extends "regionsoft/report.html.j2" %}` and override
single blocks.
`report_context(...)` returns the variables the template sees.

The page has no external resources (no scripts, fonts, style sheets or image
links): figures are PNGs embedded as base64 `data:` URIs and the style sheet is
inline, so the file can be mailed, archived or opened offline. It opens with a
three-sentence summary (`summary_sentences`), then the ranking, the metrics with
short headers over a row of units, their difference from the baseline, each
scenario's rank on every metric, the figures, the metric definitions, what each
scenario changes, and where the model comes from.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.metrics import METRICS, THRESHOLD_VARIABLE, describe
from regionsoft_sd.model.metrics import label as metric_label
from regionsoft_sd.model.style import (
    BASELINE,
    format_number,
    format_value,
    metric_readable_units,
    metric_title,
    scenario_colours,
    variable_units,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from jinja2 import Environment
    from matplotlib.figure import Figure

    from regionsoft_sd.scenarios.scenario import Scenario
    from regionsoft_sd.simulate import Comparison

TEMPLATE = "report.html.j2"
"""The shipped template's name (in `regionsoft_sd/reports/templates/`)."""
SHIPPED = "regionsoft/"
"""Prefix that always names a shipped template, even beside a user file of the same
name: a copy called report.html.j2 may `{% extends "regionsoft/report.html.j2" %}`."""
REGION = "Sichuan"
"""The region the shipped model (version 2) calibrates."""
RIVALS = "the rest of China keeps its status quo"
"""What the shipped model assumes the other regions do."""

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

_BETTER = {m.name: m.better for m in METRICS}


def _caption(name: str) -> str:
    if name == "stocks.png":
        from regionsoft_sd.model.catalogue import catalogue

        stocks = ", ".join(e.name for e in catalogue().stocks())
        return f"The model's stocks ({stocks}), one colour per scenario as above."
    return CAPTIONS.get(name, name)


def figure_data_uri(fig: Figure, dpi: int = 110) -> str:
    """A matplotlib Figure as a `data:image/png;base64,...` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _best(metric: str, values: Sequence[float]) -> float | None:
    better = _BETTER.get(metric)
    finite = [v for v in values if v is not None and not math.isnan(v)]
    if not better or not finite:
        return None
    return max(finite) if better == "higher" else min(finite)


def _title(metric: str, comparison: Comparison) -> str:
    """The metric's readable title; the threshold year names the threshold actually used."""
    if metric == "threshold_year":
        return f"First year {THRESHOLD_VARIABLE} reaches {comparison.threshold:g}"
    return metric_title(metric)


def _column(metric: str, comparison: Comparison) -> dict[str, str]:
    """A table column: its short label (the header), full title (a tooltip) and units."""
    known = metric in _BETTER
    short = metric_label(metric, threshold=comparison.threshold) if known else metric
    return {
        "name": metric,
        "short": short,
        "title": _title(metric, comparison),
        "units": metric_readable_units(metric, comparison.units),
    }


def _rows(comparison: Comparison, colours: Mapping[str, str]) -> list[dict[str, Any]]:
    cols = list(comparison.metrics.columns)
    best = {c: _best(c, list(comparison.metrics[c])) for c in cols}
    rows = []
    for s in comparison.ranking.index:
        cells = []
        for c in cols:
            v = comparison.metrics.at[s, c]
            cells.append({"text": format_value(c, v), "best": best[c] is not None and v == best[c]})
        rows.append(
            {
                "rank": int(comparison.ranking.at[s, "position"]),
                "name": s,
                "colour": colours.get(s, "#999999"),
                "baseline": s == BASELINE,
                "cells": cells,
            }
        )
    return rows


def _differences(comparison: Comparison, colours: Mapping[str, str]) -> dict[str, Any] | None:
    """Per cent difference of each metric from the baseline (None without a baseline)."""
    if BASELINE not in comparison.metrics.index:
        return None
    base = comparison.metrics.loc[BASELINE]
    cols = [c for c in comparison.metrics.columns if c != "threshold_year"]
    rows = []
    for s in comparison.ranking.index:
        if s == BASELINE:
            continue
        cells = []
        for c in cols:
            b, v = base[c], comparison.metrics.at[s, c]
            if b == 0 or math.isnan(b) or math.isnan(v):
                cells.append({"text": "n/a", "cls": ""})
                continue
            d = (v / b - 1.0) * 100.0
            if abs(d) < 0.05:
                cells.append({"text": "0.0 %", "cls": ""})
                continue
            good = {"higher": d > 0, "lower": d < 0}.get(_BETTER.get(c) or "")
            cls = "" if good is None else "pos" if good else "neg"
            cells.append({"text": f"{d:+,.1f} %", "cls": cls})
        rows.append({"name": s, "colour": colours.get(s, "#999999"), "cells": cells})
    return {"columns": [_column(c, comparison) for c in cols], "rows": rows}


def _ranks(comparison: Comparison, colours: Mapping[str, str]) -> dict[str, Any]:
    r = comparison.ranking
    cols = [c for c in r.columns if c != "position"]
    columns = [
        {"short": "mean rank", "title": "mean rank over the ranked metrics"}
        if c == "mean_rank"
        else _column(c, comparison)
        for c in cols
    ]
    rows = [
        {
            "name": s,
            "colour": colours.get(s, "#999999"),
            "cells": [
                f"{r.at[s, c]:.2f}" if c == "mean_rank" else str(int(r.at[s, c])) for c in cols
            ],
        }
        for s in r.index
    ]
    return {"columns": columns, "rows": rows}


def _definitions(comparison: Comparison) -> list[dict[str, str]]:
    return [
        {
            "title": _title(m.name, comparison),
            "name": m.name,
            "units": metric_readable_units(m.name, comparison.units),
            "text": describe(
                m.name, discount_rate=comparison.discount_rate, threshold=comparison.threshold
            ),
            "direction": f"{m.better.capitalize()} is better."
            if m.better
            else "Reported, not ranked.",
        }
        for m in METRICS
    ]


def _settings(scenario: Scenario) -> list[dict[str, str]]:
    """What a scenario changes: each model constant it sets, against the model's value."""
    from regionsoft_sd.model.catalogue import catalogue

    cat = catalogue()
    rows = []
    for name, value in scenario.constants.items():
        e = cat[name]
        rows.append(
            {
                "name": name,
                "value": format_number(value),
                "default": "" if e.default is None else format_number(e.default),
                "units": variable_units(name),
                "path": "",
            }
        )
    for name, series in scenario.series.items():
        path = ", ".join(f"{y:g}: {format_number(v)}" for y, v in series.items())
        rows.append({"name": name, "path": path, "units": variable_units(name)})
    return rows


def _signed(metric: str, value: float, like: float) -> str:
    """A difference with its sign, to the decimals of the value it is a difference of
    (`like`): +0.065 beside 0.609, +62 beside 16,167."""
    value = float(f"{value:.12g}")  # 0.6 - 0.5 is 0.1, not 0.0999..
    sign = "+" if value >= 0 else "\u2212"
    if abs(like) >= 1000:
        return f"{sign}{abs(value):,.0f}"
    if abs(like) >= 0.1 or metric == "threshold_year":
        return f"{sign}{abs(value):,.{1 if metric == 'threshold_year' else 3}f}"
    return f"{sign}{abs(value):.3g}"


def _lower(title: str) -> str:
    """A title inside a sentence: `Population in 2075` -> `population in 2075`, `GDP` kept."""
    if len(title) > 1 and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def summary_sentences(comparison: Comparison, reference: str = BASELINE) -> list[str]:
    """Three sentences for a reader in a hurry, generated from the comparison.

    1. The best strategy on the headline metric (the one the ranking is ordered by),
       its value and its gain over `reference` (the baseline; without one, the
       last-ranked strategy) in absolute units and per cent.
    2. What it costs: its spending against the reference's.
    3. The trade-off: the ranked metric on which it does worst against the
       reference, or, if it is no worse anywhere, the metric another strategy leads.
    """
    metrics = comparison.metrics
    order = list(comparison.ranking.index)
    by = comparison.ranking.attrs.get("by", "dominant_soft_power_end")
    best = order[0]
    ref = reference if reference in metrics.index else order[-1]
    ref_words = "the baseline" if ref == BASELINE else ref
    units = metric_readable_units(by, comparison.units)
    v, b = float(metrics.at[best, by]), float(metrics.at[ref, by])
    pct = f" ({(v / b - 1) * 100:+,.1f} %)" if b and not math.isnan(b) and not math.isnan(v) else ""
    if best == ref:
        first = (
            f"Of the {len(order)} strategies, {best} does best on "
            f"{_lower(_title(by, comparison))}: {format_value(by, v)} ({units})."
        )
    else:
        first = (
            f"Of the {len(order)} strategies, {best} does best on "
            f"{_lower(_title(by, comparison))}: {format_value(by, v)} ({units}), "
            f"{_signed(by, v - b, v)}{pct} against {format_value(by, b)} for {ref_words}."
        )
    spend = "cumulative_spending"
    if spend in metrics.columns and best != ref:
        s, sb = float(metrics.at[best, spend]), float(metrics.at[ref, spend])
        more = "more" if s >= sb else "less"
        second = (
            f"It spends {format_value(spend, s)} "
            f"{metric_readable_units(spend, comparison.units)} on the four elements "
            f"{_title(spend, comparison).rsplit(' ', 1)[-1]}, "
            f"{abs(s - sb):,.0f} {more} than {ref_words}."
        )
    else:
        second = "Its spending is the reference everything else is measured against."
    ranked = [c for c in metrics.columns if _BETTER.get(c) and c != by]
    worst, worst_pct = None, 0.0
    for c in ranked:
        x, y = float(metrics.at[best, c]), float(metrics.at[ref, c])
        if best == ref or not y or math.isnan(x) or math.isnan(y):
            continue
        rel = (x / y - 1.0) * 100.0 * (1 if _BETTER[c] == "higher" else -1)
        if rel < worst_pct:
            worst, worst_pct = c, rel
    if worst is not None:
        x, y = float(metrics.at[best, worst]), float(metrics.at[ref, worst])
        leader = metrics[worst].idxmax() if _BETTER[worst] == "higher" else metrics[worst].idxmin()
        third = (
            f"The trade-off: on {_lower(_title(worst, comparison))} it ends at "
            f"{format_value(worst, x)} against {format_value(worst, y)} for {ref_words} "
            f"({abs(worst_pct):,.1f} % worse); {leader} does best there."
        )
    else:
        rivals = [
            (c, metrics[c].idxmax() if _BETTER[c] == "higher" else metrics[c].idxmin())
            for c in ranked
        ]
        led = [(c, s) for c, s in rivals if s != best]
        if led:
            c, s = led[0]
            third = (
                f"It is no worse than {ref_words} on any ranked metric, but {s} does better on "
                f"{_lower(_title(c, comparison))}: {format_value(c, metrics.at[s, c])} against "
                f"{format_value(c, metrics.at[best, c])}."
            )
        else:
            third = "It also does best on every other ranked metric: there is no trade-off here."
    return [first, second, third]


_ENGINE_WORDS = {
    "batch": "on the batch engine (checked against PySD to 1e-9)",
    "pysd": "with PySD",
}


def _model_facts(engine: str) -> dict[str, str]:
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.model.translate import MODEL_PATH

    start, end = catalogue().horizon
    return {
        "article": ARTICLE,
        "file": Path(MODEL_PATH).name,
        "digest": hashlib.sha256(Path(MODEL_PATH).read_bytes()).hexdigest()[:12],
        "horizon": f"{start:g}-{end:g}",
        "engine": _ENGINE_WORDS.get(engine, engine),
    }


def _shipped_template(name: str) -> str | None:
    """The text of a template shipped in `regionsoft_sd/reports/templates/` (None if absent)."""
    if name not in (TEMPLATE, SHIPPED + TEMPLATE):
        return None
    name = TEMPLATE
    return resources.files("regionsoft_sd.reports").joinpath("templates", name).read_text("utf-8")


def environment(template_dir: str | Path | None = None) -> Environment:
    """The Jinja2 environment of the report: autoescape always on, undefined names an error.

    Names resolve in `template_dir` first (a user's folder), then among the shipped
    templates, so a user template can extend `report.html.j2`.
    """
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, FunctionLoader, StrictUndefined

    loaders = [] if template_dir is None else [FileSystemLoader(str(template_dir))]
    loaders.append(FunctionLoader(_shipped_template))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def report_context(
    comparison: Comparison,
    descriptions: Mapping[str, str],
    *,
    scenarios: Sequence[Scenario] | None = None,
    figures: Mapping[str, Figure] | None = None,
    colours: Mapping[str, str] | None = None,
    title: str = "Scenario comparison",
    region: str = REGION,
    rivals: str = RIVALS,
    province_maps: Mapping[str, tuple[pd.Series, str]] | None = None,
) -> dict[str, Any]:
    """The variables the report template sees (plain strings, numbers, lists and dicts).

    `figures` maps a file-like name to a Figure; by default the outcomes and stocks
    figures are drawn here (the stocks two panels a row, to stay readable at page
    width). `province_maps` maps a title to (values by province key, unit): each is
    drawn as a tile-grid map of the provinces (`province_map.plot_province_map`)
    after the figures, for results that are per province.
    """
    from regionsoft_sd import __version__
    from regionsoft_sd.reports.plots import plot_outcomes, plot_stocks

    colours = dict(colours or scenario_colours(comparison.metrics.index))
    if figures is None:
        runs = {s: comparison.trajectories[s] for s in comparison.ranking.index}
        figures = {
            "outcomes.png": plot_outcomes(runs, colours=colours),
            "stocks.png": plot_stocks(runs, colours=colours, ncols=2),
        }
    if province_maps:
        from regionsoft_sd.reports.province_map import plot_province_map

        figures = dict(figures)
        for map_title, (values, unit) in province_maps.items():
            figures[f"{map_title}: by province"] = plot_province_map(values, map_title, unit)
    by = comparison.ranking.attrs.get("by", "dominant_soft_power_end")
    order = list(comparison.ranking.index)
    by_name = {s.name: s for s in scenarios or ()}
    return {
        "title": title,
        "region": region,
        "rivals": rivals,
        "when": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "summary": summary_sentences(comparison),
        "ranked_by": _title(by, comparison),
        "podium": order,
        "columns": [_column(c, comparison) for c in comparison.metrics.columns],
        "rows": _rows(comparison, colours),
        "differences": _differences(comparison, colours),
        "ranks": _ranks(comparison, colours),
        "figures": [
            {"name": n, "caption": _caption(n), "uri": figure_data_uri(f)}
            for n, f in figures.items()
        ],
        "money_units": metric_readable_units("cumulative_spending", comparison.units),
        "discount_rate_text": f"{comparison.discount_rate * 100:.4g} %",
        "definitions": _definitions(comparison),
        "scenarios": [
            {
                "name": n,
                "colour": colours.get(n, "#999999"),
                "description": descriptions.get(n, ""),
                "settings": _settings(by_name[n]) if n in by_name else None,
            }
            for n in order
        ],
        "model": _model_facts(comparison.engine),
        "version": __version__,
    }


def render(context: Mapping[str, Any], template: str | Path | None = None) -> str:
    """Render the report `context` with the shipped template or the file `template`.

    A missing or unreadable template file, or one Jinja2 cannot parse or render, is
    an InputError naming the file (and the line, where Jinja2 knows it).
    """
    from jinja2 import TemplateError, TemplateSyntaxError

    if template is None:
        env, name = environment(), TEMPLATE
    else:
        path = Path(template)
        if not path.is_file():
            raise InputError(
                path, "--template", "no such file", "give the path of a Jinja2 template"
            )
        env, name = environment(path.parent), path.name
    try:
        return env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        raise InputError(
            template,
            f"line {exc.lineno}",
            f"not a valid template ({exc.message})",
            "fix the template, or start from a copy of the shipped report.html.j2",
        ) from exc
    except RecursionError as exc:
        raise InputError(
            template,
            None,
            "the template extends or includes itself",
            'extend "regionsoft/report.html.j2", the shipped template, by that name',
        ) from exc
    except TemplateError as exc:
        raise InputError(
            template or TEMPLATE,
            None,
            f"the template fails to render ({exc})",
            "use only the variables listed at the top of the shipped report.html.j2",
        ) from exc


def html_report(
    comparison: Comparison,
    descriptions: Mapping[str, str],
    *,
    scenarios: Sequence[Scenario] | None = None,
    figures: Mapping[str, Figure] | None = None,
    colours: Mapping[str, str] | None = None,
    title: str = "Scenario comparison",
    region: str = REGION,
    rivals: str = RIVALS,
    template: str | Path | None = None,
    province_maps: Mapping[str, tuple[pd.Series, str]] | None = None,
) -> str:
    """The comparison as one self-contained HTML page (a string).

    `descriptions` maps scenario name to its one-line description; `scenarios`
    (optional) adds what each one changes. `region` and `rivals` name the region
    and what the other regions are assumed to do. `template` is a Jinja2 file to
    render instead of the shipped `report.html.j2` (see `report_context` for its
    variables); autoescape is on either way. `province_maps` adds maps of
    per-province results (see `report_context`).
    """
    context = report_context(
        comparison,
        descriptions,
        scenarios=scenarios,
        figures=figures,
        colours=colours,
        title=title,
        region=region,
        rivals=rivals,
        province_maps=province_maps,
    )
    return render(context, template)


def write_html_report(
    path: str | Path, comparison: Comparison, descriptions: Mapping[str, str], **kwargs
) -> Path:
    """Write `html_report(...)` to `path` atomically; return the path."""
    from regionsoft_sd.common.io import write_text

    return write_text(path, html_report(comparison, descriptions, **kwargs))
