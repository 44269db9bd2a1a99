"""Figures of scenario runs: shared axes, readable units, fixed colours, a highlighted baseline."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.style import (
    BASELINE_COLOUR,
    readable_units,
    scenario_colours,
    variable_units,
)
from regionsoft_sd.reports.plots import key_variables, plot_outcomes, plot_stocks, plot_trajectories
from regionsoft_sd.scenarios.shipped import load_scenario
from tests.model_helpers import batch_run

MODELLER_UNITS = re.compile(r"\b(Dmnl|Money|Index)\b")


@pytest.fixture(scope="module")
def runs():
    """Runs shaped as `simulate.run()` returns them, from the batch engine (these tests are
    about figures, not about PySD)."""
    names = ("baseline", "balanced", "culture_first", "image_campaign")
    return {n: batch_run(load_scenario(n)) for n in names}


def visible(fig: Figure):
    return [ax for ax in fig.axes if ax.get_visible()]


def all_labels(fig: Figure) -> list[str]:
    out = []
    for ax in visible(fig):
        out += [ax.get_ylabel(), ax.get_xlabel(), ax.get_title()]
    return out


def test_overlay_has_one_line_per_scenario_and_readable_units(runs):
    two = {k: runs[k] for k in ("baseline", "balanced")}
    fig = plot_trajectories(two, ["Dominant Soft Power", "GDP"])
    assert isinstance(fig, Figure)
    axes = visible(fig)
    assert len(axes) == 2
    assert all(len(ax.get_lines()) == 2 for ax in axes)
    # GDP is Byuan/Year in the model: a reader sees the currency per year
    assert axes[1].get_ylabel().replace("\n", " ") == "billion yuan at 2005 prices per year"
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[1])
    assert {t.get_text() for t in fig.legends[0].get_texts()} == {
        "baseline (reference)",
        "balanced",
    }
    assert not any(MODELLER_UNITS.search(label) for label in all_labels(fig))


def test_any_spelling_of_a_variable_is_accepted(runs):
    fig = plot_trajectories(runs, ["dominant_soft_power", "gdp", "hard power index"])
    titles = [ax.get_title() for ax in visible(fig)]
    assert titles == ["Dominant Soft Power", "GDP", "Hard Power Index"]


def test_unknown_variable_names_the_closest_one(runs):
    from regionsoft_sd.common.errors import InputError

    with pytest.raises(InputError, match="Dominant Soft Power"):
        plot_trajectories(runs, ["Dominant Soft Powr"])


def test_key_variables_are_the_ranked_metrics_variables():
    from regionsoft_sd.model.metrics import METRICS

    keys = key_variables()
    assert keys and all(v in catalogue() for v in keys)
    ranked = {m.variable for m in METRICS if m.better and m.variable in catalogue()}
    assert set(keys) == {v for v in ranked if catalogue()[v].kind != "control"}


def test_stocks_panel_shows_the_models_stocks(runs):
    fig = plot_stocks(runs)
    titles = [ax.get_title() for ax in visible(fig)]
    assert titles == [e.name for e in catalogue().stocks()]


def test_single_run_is_drawn_as_one_scenario(runs):
    fig = plot_stocks(runs["balanced"])
    assert all(len(ax.get_lines()) == 1 for ax in visible(fig))


def test_bottom_panel_of_each_column_shows_the_time_axis(runs):
    fig = plot_stocks(runs)  # 7 stocks in 4 columns: the 4th column ends in the first row
    axes = fig.axes
    ncols = 4
    for col in range(ncols):
        column = [ax for ax in axes[col::ncols] if ax.get_visible()]
        bottom = column[-1]
        assert bottom.get_xlabel() == "Year"
        assert bottom.xaxis.get_tick_params().get("labelbottom", True)
        assert all(not ax.get_xlabel() for ax in column[:-1])


def colours_by_label(fig: Figure) -> dict[str, str]:
    from matplotlib.colors import to_hex

    return {
        line.get_label().removesuffix(" (reference)"): to_hex(line.get_color())
        for ax in visible(fig)
        for line in ax.get_lines()
        if not line.get_label().startswith("_")
    }


def test_a_scenario_keeps_its_colour_in_every_figure(runs):
    a = colours_by_label(plot_outcomes(runs))
    b = colours_by_label(plot_stocks({k: runs[k] for k in ("culture_first", "balanced")}))
    c = colours_by_label(plot_trajectories({"balanced": runs["balanced"]}, ["GDP"]))
    assert a["balanced"] == b["balanced"] == c["balanced"]
    assert a["culture_first"] == b["culture_first"]
    assert len(set(a.values())) == len(a)  # all different within one figure


def test_shipped_scenarios_have_distinct_fixed_colours():
    from regionsoft_sd.common.resources import shipped_scenarios

    names = list(shipped_scenarios())
    full = scenario_colours(names)
    assert len(set(full.values())) == len(names)
    for n in names:  # the same colour whatever else is in the figure
        assert scenario_colours([n, "my_own_plan"])[n] == full[n]


def test_baseline_is_highlighted(runs):
    fig = plot_trajectories(runs, ["GDP"])
    lines = {ln.get_label(): ln for ln in visible(fig)[0].get_lines()}
    base = lines["baseline (reference)"]
    others = [ln for k, ln in lines.items() if k != "baseline (reference)"]
    assert base.get_color() == BASELINE_COLOUR
    assert all(base.get_linewidth() > ln.get_linewidth() for ln in others)
    assert all(base.get_zorder() > ln.get_zorder() for ln in others)


def test_outcomes_show_the_difference_from_the_baseline_in_per_cent(runs):
    fig = plot_outcomes(runs, ["Dominant Soft Power"])
    left, right = visible(fig)
    assert right.get_ylabel().startswith("%")
    diffs = {ln.get_label().removesuffix(" (reference)"): ln for ln in right.get_lines()}
    np.testing.assert_allclose(diffs["baseline"].get_ydata(), 0.0)
    b = runs["baseline"]["Dominant Soft Power"].to_numpy()
    s = runs["balanced"]["Dominant Soft Power"].to_numpy()
    np.testing.assert_allclose(diffs["balanced"].get_ydata(), 100 * (s - b) / b)


def text_boxes_overlap(fig: Figure, texts) -> bool:
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = sorted((t.get_window_extent(renderer) for t in texts), key=lambda b: b.y0)
    return any(lo.y1 > hi.y0 + 0.5 for lo, hi in zip(boxes, boxes[1:], strict=False))


def test_end_labels_name_every_strategy_without_overlapping(runs):
    fig = plot_outcomes(runs)
    for ax in visible(fig)[1::2]:
        labels = [t for t in ax.texts if t.get_text() in runs]
        assert {t.get_text() for t in labels} == set(runs) - {"baseline"}
        assert not text_boxes_overlap(fig, labels)


@pytest.mark.parametrize(
    ("units", "name", "doc", "expected"),
    [
        ("Byuan/Year", "GDP", "", "billion yuan at 2005 prices per year"),
        ("Byuan", "Productive Capital", "", "billion yuan at 2005 prices"),
        ("Dmnl", "Hard Power Index", "GDP relative to 2005.", "index, 2005 = 1"),
        (
            "Dmnl",
            "Income relative",
            "GDP per person relative to the rest of China.",
            "index, rest of China = 1",
        ),
        # a year other than 2005 is not the rest of China
        ("Dmnl", "Culture growth", "Culture relative to 2025.", ""),
        ("Dmnl", "Tax share", "", "share"),
        ("Dmnl", "Carrier income scale", "", ""),
        ("Index", "Regional Image", "", "index, rest of China = 1"),
        ("Schoolyear", "Human Quality", "", "years of schooling"),
        ("Byuan/Mperson/Year", "Consumption per capita", "", "thousand yuan per person per year"),
        ("Index/Year", "Talent inflow", "", "index points per year"),
        ("1/Year", "Obsolescence rate", "", "per year"),
        ("Year", "Conversion time", "", "years"),
        ("Index/(1000 Byuan)", "soft_power_per_money", "", "index points per trillion yuan"),
    ],
)
def test_readable_units(units, name, doc, expected):
    assert readable_units(units, name, doc) == expected


def test_the_models_own_indices_say_what_they_are_relative_to():
    """From the .mdl's documentation: the Hard Power Index is GDP against 2005, soft power
    against the rest of China."""
    assert variable_units("Hard Power Index") == "index, 2005 = 1"
    assert variable_units("Dominant Soft Power") == "index, rest of China = 1"
    assert variable_units("Human Quality") == "years of schooling"
