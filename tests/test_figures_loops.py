"""The loop diagram one view per panel: every named loop marked once, names full size."""

from __future__ import annotations

import pytest

pytest.importorskip("simlin")

from regionsoft_sd.model.loops import loop_panels, named_loops  # noqa: E402


@pytest.fixture(scope="module")
def figure():
    return loop_panels()


def test_each_loop_is_marked_once_in_the_panel_that_names_it(figure):
    loops = named_loops()
    panels = [ax for ax in figure.axes if ax.images]
    assert len(panels) >= 3  # several views, not one tall strip
    marks = [t.get_text() for ax in panels for t in ax.texts]
    assert sorted(marks) == sorted(f"{lp.id}{lp.sign}" for lp in loops)
    for ax in panels:
        title = ax.get_title(loc="left")
        for t in ax.texts:
            assert t.get_text() in title  # the panel's title lists the loops it marks


def test_the_diagram_keeps_simlins_own_text_size_at_100_dpi(figure):
    # one pixel per sketch unit: a panel's image is as many pixels wide as its view
    # is in sketch units (the shipped views are 1,880 or 3,040 units wide)
    for ax in (ax for ax in figure.axes if ax.images):
        width_px = ax.images[0].get_array().shape[1]
        shown_px = ax.get_position().width * figure.get_size_inches()[0] * 100
        assert width_px >= 1800 and shown_px == pytest.approx(width_px, rel=0.02)
