"""Figures: overlays share axes and carry units; the stocks panel shows the seven stocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from regionsoft_sd.catalogue import catalogue
from regionsoft_sd.plots import KEY_VARIABLES, plot_stocks, plot_trajectories
from regionsoft_sd.scenario import Scenario
from regionsoft_sd.simulate import run

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def runs():
    return {n: run(Scenario.from_file(SCENARIOS / f"{n}.toml")) for n in ("baseline", "balanced")}


def visible(fig: Figure):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_overlay_has_one_line_per_scenario_and_units(runs):
    fig = plot_trajectories(runs, ["Dominant Soft Power", "Output"])
    assert isinstance(fig, Figure)
    axes = visible(fig)
    assert len(axes) == 2
    assert all(len(ax.get_lines()) == 2 for ax in axes)
    assert axes[1].get_ylabel() == f"Output [{catalogue()['Output'].units}]"
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[1])
    assert {t.get_text() for t in fig.legends[0].get_texts()} == {"baseline", "balanced"}


def test_key_variables_exist_in_the_model():
    assert all(v in catalogue() for v in KEY_VARIABLES)


def test_stocks_panel_shows_the_seven_stocks(runs):
    fig = plot_stocks(runs)
    titles = [ax.get_title() for ax in visible(fig)]
    assert titles == [e.name for e in catalogue().stocks()] and len(titles) == 7


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
        assert bottom.get_xlabel().startswith("Time [")
        assert bottom.xaxis.get_tick_params().get("labelbottom", True)
        assert all(not ax.get_xlabel() for ax in column[:-1])
