"""The provinces' tile-grid map: every province once, known neighbours side by side."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from regionsoft_sd.reports.province_map import TILES, plot_province_map, province_label

ROOT = Path(__file__).resolve().parents[1]


def province_keys() -> set[str]:
    """The 31 province keys of the shipped data (the national row left out)."""
    with (ROOT / "data" / "china_provinces.csv").open(encoding="utf-8") as f:
        return {row["region"] for row in csv.DictReader(f)} - {"china"}


def test_every_province_of_the_data_has_one_tile_of_its_own():
    keys = province_keys()
    assert len(keys) == 31
    assert set(TILES) == keys
    assert len(set(TILES.values())) == 31  # no two provinces share a square


@pytest.mark.parametrize(
    ("a", "b"),
    [  # land neighbours on any map of China
        ("beijing", "hebei"),
        ("tianjin", "hebei"),
        ("sichuan", "chongqing"),
        ("guangdong", "fujian"),
        ("jiangsu", "shanghai"),
        ("heilongjiang", "jilin"),
        ("henan", "hubei"),
        ("yunnan", "guizhou"),
    ],
)
def test_neighbours_touch(a, b):
    (xa, ya), (xb, yb) = TILES[a], TILES[b]
    assert max(abs(xa - xb), abs(ya - yb)) == 1


def test_west_is_left_and_north_is_up():
    assert TILES["xinjiang"][0] < TILES["sichuan"][0] < TILES["shanghai"][0]
    assert TILES["heilongjiang"][1] < TILES["beijing"][1] < TILES["guangdong"][1]
    assert TILES["hainan"][1] == max(row for _, row in TILES.values())


def test_map_draws_each_province_once_coloured_by_value():
    values = pd.Series({k: float(i) for i, k in enumerate(sorted(TILES))})
    values = values.drop("hainan")  # one without data
    fig = plot_province_map(values, "Test", "units")
    ax = fig.axes[0]
    tiles = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(tiles) == 31
    texts = [t.get_text() for t in ax.texts]
    for key in TILES:
        assert texts.count(province_label(key)) == 1
    assert "no data" in texts

    # cividis gets lighter with the value: the largest value's tile is the lightest
    def lightness(key):
        col, row = TILES[key]
        tile = next(p for p in tiles if p.get_xy() == (col, -row))
        r, g, b, _ = tile.get_facecolor()
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert lightness(values.idxmax()) > lightness(values.idxmin())


def test_unknown_or_repeated_keys_are_refused():
    with pytest.raises(ValueError, match="sichaun"):
        plot_province_map(pd.Series({"sichuan": 1.0, "sichaun": 2.0}), "t", "u")
    with pytest.raises(ValueError, match="twice"):
        plot_province_map(pd.Series([1.0, 2.0], index=["henan", "henan"]), "t", "u")


def test_values_of_both_signs_centre_the_colours_on_zero():
    values = pd.Series({"sichuan": -2.0, "henan": 0.0, "hubei": 5.0})
    fig = plot_province_map(values, "Difference", "%")
    tiles = {p.get_xy(): p.get_facecolor() for p in fig.axes[0].patches}
    zero = tiles[(TILES["henan"][0], -TILES["henan"][1])]
    assert min(zero[:3]) > 0.9  # PuOr's centre is near white


def test_the_html_report_shows_per_province_results_as_a_map():
    from regionsoft_sd.reports.html_report import html_report
    from tests.test_report_template import hand_made

    comparison, descriptions = hand_made()
    values = pd.Series({"sichuan": 1.0, "henan": 2.0})
    page = html_report(
        comparison, descriptions, figures={}, province_maps={"GDP growth": (values, "%")}
    )
    assert page.count("<img") == 1 and "GDP growth: by province" in page
