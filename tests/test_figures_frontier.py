"""The optimiser's figures keep each shipped strategy's colour and marker from the others."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from regionsoft_sd.model.style import SCENARIO_STYLES
from regionsoft_sd.optimise.plots import colours, marker


def fake_result(names: list[str], base: str = "baseline") -> SimpleNamespace:
    spec = SimpleNamespace(base=SimpleNamespace(name=base))
    return SimpleNamespace(spec=spec, references=pd.DataFrame(index=[base, *names]))


def test_shipped_strategies_keep_their_colours_whatever_the_spec_lists():
    one = colours(fake_result(["education_first", "culture_first"]))
    other = colours(fake_result(["culture_first", "austerity", "education_first"]))
    for name in ("education_first", "culture_first"):
        assert one[name] == other[name] == SCENARIO_STYLES[name][0]
    assert one["baseline"] == other["baseline"] == "#000000"


def test_a_base_other_than_the_baseline_is_black_too():
    col = colours(fake_result(["culture_first"], base="current_mix"))
    assert col["current_mix"] == "#000000"
    assert col["culture_first"] == SCENARIO_STYLES["culture_first"][0]


def test_markers_follow_the_strategy_not_its_position():
    assert marker("austerity", 0) == marker("austerity", 5) == SCENARIO_STYLES["austerity"][2]
    assert marker("mine", 0) != marker("mine", 1)
