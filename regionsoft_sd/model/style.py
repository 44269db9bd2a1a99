"""How results look to a policy reader: readable units, wrapped labels, fixed colours.

This is the one place that turns modeller's units (`Dmnl`, `Money/Year`) into
words, and that decides each scenario's colour. Every figure and the HTML report
use it, so a scenario has the same colour everywhere and the baseline is drawn the
same way everywhere (black, thicker, on top).

To change a word, edit UNIT_WORDS; to name the currency, CURRENCY.
"""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
from collections.abc import Iterable, Mapping

CURRENCY = "billion yuan at 2005 prices"
"""What one `Byuan` of the model stands for (see docs/model.md, Units)."""

UNIT_WORDS: dict[str, str] = {
    "Byuan": CURRENCY,
    "Money": CURRENCY,
    "Mperson": "million people",
    "Schoolyear": "years of schooling",
    "Year": "year",
    "Index": "index points",
    "Person": "people",
    "Persons": "people",
    "People": "people",
    "Yuan": "yuan",
}
"""Words for the model's unit names inside compound units (`Money/Year` -> per year)."""
UNIT_PHRASES: dict[str, str] = {
    "Byuan/Mperson/Year": "thousand yuan per person per year",
    "Byuan/Mperson": "thousand yuan per person",
    "Mperson*Schoolyear": "million person-years of schooling",
    "1000 Byuan": "trillion yuan",
    "1000 Money": "trillion yuan",
}
"""Scaled units replaced before single words (metrics per 1000 Money)."""

INDEX_TEXT = "index, rest of China = 1"
SHARE_TEXT = "share"

BASELINE = "baseline"
"""Name of the reference scenario that figures highlight."""
BASELINE_COLOUR = "#000000"
"""The baseline is black, thicker than the others and drawn on top."""

SCENARIO_STYLES: dict[str, tuple[str, object, str]] = {
    "culture_first": ("#882255", "-", "o"),  # wine (Tol muted)
    "balanced": ("#EE7733", "--", "s"),  # orange (Tol vibrant)
    "current_mix": ("#33BBEE", "-.", "^"),  # cyan (Tol vibrant)
    "services_first": ("#117733", ":", "D"),  # green (Tol muted)
    "education_first": ("#332288", (0, (6, 1.5, 1, 1.5, 1, 1.5)), "v"),  # indigo (Tol muted)
    "image_campaign": ("#EE3377", (0, (9, 2.5)), "P"),  # magenta (Tol vibrant)
    "austerity": ("#DDCC77", (0, (3, 1, 1, 1)), "X"),  # sand (Tol muted)
}
"""Colour, line style and marker of each shipped scenario other than the baseline.

The seven colours were chosen, from Paul Tol's colour-blind-safe schemes
(https://personal.sron.nl/~pault/) and Okabe and Ito's, so that every pair, and
each against the black baseline, stays apart three ways (tests/test_style_palette.py
checks it): in greyscale (CIE L* at least 8 apart), for deuteranopes (CIE Lab
distance at least 19 after the Machado, Oliveira and Fernandes 2009 simulation)
and for everyone (at least 35). No palette keeps seven lines apart in greyscale
alone, so each scenario also has its own dash pattern and marker."""

PALETTE = tuple(c for c, _, _ in SCENARIO_STYLES.values()) + (
    "#0072B2",  # blue (Okabe-Ito)
    "#D55E00",  # vermillion (Okabe-Ito)
    "#009E73",  # bluish green (Okabe-Ito)
    "#CC79A7",  # reddish purple (Okabe-Ito)
    "#E69F00",  # orange (Okabe-Ito)
    "#56B4E9",  # sky blue (Okabe-Ito)
    "#999933",  # olive (Tol muted)
)
"""The shipped scenarios' colours, then colour-blind-safe extras for other names;
none is near black."""

DASHES: tuple[object, ...] = ("-", "--", "-.", ":", (0, (6, 1.5, 1, 1.5, 1, 1.5)), (0, (9, 2.5)))
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
"""Line styles and markers that other scenario names cycle through (by palette slot)."""

_RELATIVE = re.compile(r"relative to (the rest of|the reference)|1 = par", re.I)
_SHARE = re.compile(r"\b(share|fraction|proportion)\b", re.I)


def readable_units(units: str, name: str = "", documentation: str = "") -> str:
    """A unit as a reader says it: `Money/Year` -> `billion yuan per year`.

    A dimensionless unit (`Dmnl`, `1`, empty) becomes `index, rest of China = 1`
    when the variable is an index or is relative to the rest of the country (by its
    name or documentation), `share` when it is a share or fraction, and ""
    otherwise. `Index` alone is the model's soft-power index, 1 = par with the rest
    of China.
    """
    u = (units or "").strip()
    if u in ("", "Dmnl", "dmnl", "1"):
        text = f"{name} {documentation}"
        if re.search(r"relative to 2005|2005 = 1", text, re.I):
            return "index, 2005 = 1"
        if re.search(r"\bindex\b", name, re.I) or _RELATIVE.search(text):
            return INDEX_TEXT
        if _SHARE.search(name) or documentation.lower().startswith(("share", "fraction")):
            return SHARE_TEXT
        return ""
    if u == "Index":
        return INDEX_TEXT
    if u == "Year":
        return "years"
    if u == "1/Year":
        return "per year"
    for phrase, said in UNIT_PHRASES.items():
        u = u.replace(phrase, said)
    words = re.sub(r"\b[A-Z][A-Za-z_]*", lambda m: UNIT_WORDS.get(m.group(0), m.group(0)), u)
    words = re.sub(r"\s*/\s*", " per ", words)
    words = re.sub(r"\((.*?)\)", r"\1", words)
    return " ".join(words.split())


def variable_units(name: str, units: str | None = None) -> str:
    """Readable units of a model variable, looked up in the catalogue (any spelling)."""
    from regionsoft_sd.model.catalogue import catalogue

    cat = catalogue()
    if name in cat:
        e = cat[name]
        return readable_units(e.units if units is None else units, e.name, e.documentation)
    return readable_units(units or "", name)


def metric_readable_units(metric: str, units: Mapping[str, str]) -> str:
    """Readable units of an outcome metric (`units` as from `metrics.metric_units`)."""
    from regionsoft_sd.model.metrics import METRICS

    m = next((m for m in METRICS if m.name == metric), None)
    if m is None:
        return readable_units(units.get(metric, ""), metric)
    if metric == "threshold_year":
        return "calendar year"
    if m.unit_rule == "same":
        return variable_units(m.variable, units.get(metric))
    return readable_units(units.get(metric, ""), metric)


def metric_title(metric: str) -> str:
    """A metric's name as a reader says it, from its description.

    The description's first clause (up to `:`, `(`, `,` or the end of the first
    sentence), with the horizon and the projection spelled out in years: `gdp_end` ->
    `GDP in 2075`, `npv_consumption` -> `Present value of consumption per person
    2024-2075`. Unknown names are returned unchanged.
    """
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.model.metrics import METRICS, describe

    if metric not in {m.name for m in METRICS}:
        return metric
    text = describe(metric)
    cut = min(
        (i for i in (text.find(c) for c in (":", " (", ",", ". ")) if i > 0), default=len(text)
    )
    cat = catalogue()
    start, end = cat.horizon
    text = text[:cut].strip().rstrip(".")
    return (
        text.replace("at the horizon", f"in {end:g}")
        .replace("over the horizon", f"{start:g}-{end:g}")
        .replace("over the projection", f"{cat.policy_start:g}-{end:g}")
    )


def axis_label(text: str, units: str, width: int = 30) -> str:
    """`text (units)`, wrapped to `width` characters a line; no brackets if no units."""
    return wrap(f"{text} ({units})" if units else text, width)


def wrap(text: str, width: int = 24) -> str:
    """Wrap a label on word boundaries (never truncate it, never leave a word of three
    characters or fewer alone on the last line: `rest of China =` / `1`)."""
    lines = textwrap.wrap(str(text), width=width, break_long_words=False)
    if len(lines) > 1 and len(lines[-1]) <= 3:
        lines[-2:] = [f"{lines[-2]} {lines[-1]}"]
    return "\n".join(lines) or str(text)


def _slot(name: str) -> int:
    """A stable palette slot for a name (same on every machine and run)."""
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(PALETTE)


def _reserved() -> list[str]:
    """Shipped scenario names other than the baseline: they own palette slots 0.."""
    return list(SCENARIO_STYLES)


def scenario_colours(names: Iterable[str], baseline: str | None = BASELINE) -> dict[str, str]:
    """A colour for each scenario name: the same name gets the same colour in every figure.

    The baseline is near-black. Shipped scenarios own fixed palette slots; any
    other name takes a slot from a hash of its name, moving to the next free slot
    only if another scenario of the same figure already has it. Pass the result
    to every figure of one report so that even those collisions resolve alike.
    """
    names = list(dict.fromkeys(names))
    reserved = {n: i % len(PALETTE) for i, n in enumerate(_reserved())}
    out: dict[str, str] = {}
    used: set[int] = set()
    for n in names:
        if n == baseline:
            out[n] = BASELINE_COLOUR
        elif n in reserved:
            out[n] = PALETTE[reserved[n]]
            used.add(reserved[n])
    for n in names:
        if n in out:
            continue
        slot = _slot(n)
        for k in range(len(PALETTE)):
            if (slot + k) % len(PALETTE) not in used:
                slot = (slot + k) % len(PALETTE)
                break
        used.add(slot)
        out[n] = PALETTE[slot]
    return out


def line_style(name: str, colours: Mapping[str, str], baseline: str | None = BASELINE) -> dict:
    """Matplotlib keyword arguments of a scenario's line.

    The baseline is solid, thicker and on top; a shipped scenario has its own dash
    pattern and marker (SCENARIO_STYLES), any other name those of its colour's
    palette slot, so lines stay apart in greyscale print too. Markers are sparse
    (about one every tenth of the axes).
    """
    if name == baseline:
        return {
            "color": colours[name],
            "linewidth": 2.8,
            "zorder": 5,
            "label": f"{name} (reference)",
        }
    if name in SCENARIO_STYLES:
        _, dash, marker = SCENARIO_STYLES[name]
    else:
        slot = PALETTE.index(colours[name]) if colours[name] in PALETTE else _slot(name)
        dash, marker = DASHES[slot % len(DASHES)], MARKERS[slot % len(MARKERS)]
    return {
        "color": colours[name],
        "linewidth": 1.7,
        "linestyle": dash,
        "marker": marker,
        "markersize": 4.5,
        "markevery": 0.1,
        "zorder": 3,
        "label": name,
    }


def tick_locator(nbins: int = 5):
    """A y tick locator with round steps only (1, 2, 2.5, 5 times a power of ten)."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10])


def thousands(value: float, _pos: object = None) -> str:
    """A tick label with thousands separators and no needless decimals (12,500; 0.25)."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


def format_number(value: float) -> str:
    """A number in the report's one style: thousands separators from 1,000 up
    (62,153; 1,250.5), otherwise up to four significant digits (0.08; 0.00314)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 1000:
        return (
            f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 1e5 else f"{value:,.1f}"
        )
    return f"{value:.4g}"


def format_value(metric: str, value: float) -> str:
    """A metric value as a person reads it: years to 0.1, thousands separated (16,167),
    3 decimals below 1,000 (0.609), and 3 significant digits below 0.1 so that small
    ratios still differ (0.00314, not 0.003)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "never" if metric == "threshold_year" else "n/a"
    if metric == "threshold_year":
        return f"{value:.1f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if 0 < abs(value) < 0.1:
        return f"{value:.3g}"
    return f"{value:.3f}"
