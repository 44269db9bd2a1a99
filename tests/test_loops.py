"""Named loops: real cycles of the model, with the polarity Simlin finds, marked on the diagram."""

from __future__ import annotations

import dataclasses

import pytest

pytest.importorskip("simlin")

from regionsoft_sd.model.catalogue import catalogue  # noqa: E402
from regionsoft_sd.model.loops import loop_diagram, loop_polarities, named_loops  # noqa: E402


def test_the_model_has_named_loops_of_known_variables():
    loops = named_loops()
    assert {lp.polarity for lp in loops} == {"reinforcing", "balancing"}
    assert len({lp.id for lp in loops}) == len(loops)
    for lp in loops:
        unknown = [v for v in lp.variables if v not in catalogue()]
        assert not unknown, f"{lp.id}: {unknown} are not model variables"


def test_every_named_loop_is_a_cycle_with_the_stated_polarity():
    """Simlin's loop analysis is the independent judge of both."""
    found = loop_polarities()
    for lp in named_loops():
        assert found[lp.id] is not None, f"{lp.id}: its variables are not one cycle of the model"
        assert found[lp.id] == lp.polarity, f"{lp.id}: Simlin finds it {found[lp.id]}"


def test_the_check_rejects_a_broken_cycle_and_a_wrong_polarity():
    r2 = next(lp for lp in named_loops() if lp.id == "R2")
    broken = dataclasses.replace(r2, id="X1", variables=r2.variables[:-1])  # no way back
    flipped = dataclasses.replace(r2, id="X2", polarity="balancing")
    found = loop_polarities([broken, flipped])
    assert found["X1"] is None
    assert found["X2"] == "reinforcing" != flipped.polarity


def test_diagram_marks_each_loop_once_and_lists_it_in_the_key():
    loops = named_loops()
    fig = loop_diagram()
    image_ax, key_ax = fig.axes
    marks = [t.get_text() for t in image_ax.texts]
    assert sorted(marks) == sorted(f"{lp.id}{lp.sign}" for lp in loops)
    key = " ".join(t.get_text() for t in key_ax.texts).replace("\n", " ")
    for lp in loops:
        assert lp.name in key and lp.polarity in key
    assert len(image_ax.images) == 1  # Simlin's rendering underneath
