"""A map of China's 31 provinces as a tile grid: one square per province, offline.

Per-province results (model version 3 has 31) read best on a map, but a drawn
map needs boundary data and a projection. A tile grid needs neither: each
province is one equal square at its approximate position (north up, west left),
so small provinces (Beijing, Shanghai, Ningxia) get as much room as Xinjiang and
every label stays readable. Nothing is downloaded.

The grid (`TILES`) was laid out by hand for this package by the regionsoft-sd
authors, from the provinces' relative positions on an ordinary map of China:
neighbours stay neighbours where a square grid allows it (Hebei around Beijing
and Tianjin, Chongqing east of Sichuan, Hainan below Guangdong). Keys are the
pinyin region keys of `data/china_provinces.csv`.

`cnmaps` (provincial boundaries for Matplotlib and Cartopy) would draw the true
shapes, but it needs Cartopy and its boundary files, and at page size the eastern
provinces shrink to slivers, so this tile grid is used instead.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from regionsoft_sd.model.style import format_number

TILES: dict[str, tuple[int, int]] = {
    "heilongjiang": (8, 0),
    "neimenggu": (5, 1),
    "jilin": (8, 1),
    "xinjiang": (1, 2),
    "gansu": (3, 2),
    "ningxia": (4, 2),
    "beijing": (6, 2),
    "tianjin": (7, 2),
    "liaoning": (8, 2),
    "qinghai": (2, 3),
    "shaanxi": (4, 3),
    "shanxi": (5, 3),
    "hebei": (6, 3),
    "shandong": (7, 3),
    "xizang": (1, 4),
    "sichuan": (3, 4),
    "chongqing": (4, 4),
    "henan": (5, 4),
    "anhui": (6, 4),
    "jiangsu": (7, 4),
    "shanghai": (8, 4),
    "yunnan": (3, 5),
    "guizhou": (4, 5),
    "hubei": (5, 5),
    "jiangxi": (6, 5),
    "zhejiang": (7, 5),
    "guangxi": (4, 6),
    "hunan": (5, 6),
    "guangdong": (6, 6),
    "fujian": (7, 6),
    "hainan": (5, 7),
}
"""Tile of each province: (column west to east, row north to south)."""

NAMES: dict[str, str] = {
    "neimenggu": "Inner\nMongolia",
    "heilongjiang": "Heilong-\njiang",
    "xizang": "Tibet",
}
"""Labels other than the capitalised key (English names where readers expect them)."""

SEQUENTIAL = "cividis"
"""Colormap for values of one sign: designed to read alike with and without colour
vision deficiency (Nunez, Anderton and Renslow 2018), and monotone in lightness."""
DIVERGING = "PuOr"
"""Colormap for values of both signs, centred on zero (ColorBrewer, colour-blind safe)."""


def province_label(key: str) -> str:
    """The label of a province's tile: `sichuan` -> `Sichuan`, `xizang` -> `Tibet`."""
    return NAMES.get(key, key.capitalize())


def _text_colour(rgba: tuple[float, ...]) -> str:
    """Black on light tiles, white on dark ones (by relative luminance)."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3])
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.25 else "white"


def plot_province_map(
    values: pd.Series,
    title: str,
    unit: str,
    ax=None,
) -> Figure:
    """Draw `values` (a Series indexed by province keys) as a coloured tile grid.

    Each province is a square at its approximate place, coloured by its value and
    labelled with its name and the value; provinces without a value are grey and
    say "no data". Values of one sign use a sequential colormap, values of both
    signs a diverging one centred on zero. `unit` labels the colour bar. With `ax`,
    the map is drawn there and that axes' Figure is returned.

    A key that is not one of the 31 provinces, or a key given twice, is a ValueError.
    """
    unknown = [k for k in values.index if k not in TILES]
    if unknown:
        raise ValueError(
            f"unknown province keys {unknown}; use the pinyin keys of data/china_provinces.csv, "
            f"e.g. {', '.join(list(TILES)[:4])}"
        )
    if values.index.has_duplicates:
        twice = sorted(set(values.index[values.index.duplicated()]))
        raise ValueError(f"province keys given twice: {twice}")
    data = pd.to_numeric(values, errors="coerce").astype(float)
    finite = data[np.isfinite(data)]
    if ax is None:
        fig = Figure(figsize=(8.2, 7.0), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.get_figure()
    import matplotlib as mpl

    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if lo < 0 < hi:
        cmap, norm = mpl.colormaps[DIVERGING], TwoSlopeNorm(0.0, lo, hi)
    else:
        cmap, norm = mpl.colormaps[SEQUENTIAL], Normalize(lo, hi if hi > lo else lo + 1)
    for key, (col, row) in TILES.items():
        value = data.get(key, math.nan)
        known = value is not None and math.isfinite(value)
        face = cmap(norm(value)) if known else (0.88, 0.88, 0.88, 1.0)
        ax.add_patch(
            Rectangle(
                (col, -row),
                0.94,
                0.94,
                facecolor=face,
                edgecolor="white",
                linewidth=1.5,
                hatch=None if known else "//",
            )
        )
        ink = _text_colour(face) if known else "0.3"
        ax.text(
            col + 0.47,
            -row + 0.6,
            province_label(key),
            ha="center",
            va="center",
            fontsize=8 if "\n" not in province_label(key) else 7,
            color=ink,
            fontweight="bold",
            linespacing=0.95,
        )
        ax.text(
            col + 0.47,
            -row + 0.2,
            format_number(value) if known else "no data",
            ha="center",
            va="center",
            fontsize=7.5,
            color=ink,
        )
    cols = [c for c, _ in TILES.values()]
    rows = [r for _, r in TILES.values()]
    ax.set_xlim(min(cols) - 0.1, max(cols) + 1.04)
    ax.set_ylim(-max(rows) - 0.1, -min(rows) + 1.04)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=12, loc="left")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(sm, ax=ax, orientation="horizontal", shrink=0.6, pad=0.02, aspect=35)
    bar.set_label(unit, fontsize=9)
    bar.ax.xaxis.set_major_formatter(lambda v, _pos: format_number(v))
    return fig
