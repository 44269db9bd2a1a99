"""Loops: each named loop has one switch that cuts exactly its defining link, and the
loop analysis (pysimlin's Loops That Matter) finds them on runs that PySD confirms.

Knock-out tests check each switch's signature in the equations' values (what must be
exactly constant or exactly equal with the link cut) and that the cut changes the
outcome the loop drives.
"""

import shutil

import numpy as np
import pytest

from regionsoft_sd.model.loops import (
    classify,
    loop_dominance,
    named_loops,
    scenario_model,
    with_constants,
)
from regionsoft_sd.scenarios.scenario import Scenario
from tests.model_helpers import max_rel_diff, run_batch, run_pysd

PROJECTION = slice(2024 - 2005, None)


def _pair(switch: str, record: list[str]):
    base = run_batch({}, record).data
    cut = run_batch({switch: [0]}, record).data
    return ({k: v[:, 0] for k, v in base.items()}, {k: v[:, 0] for k, v in cut.items()})


def test_soft_power_attraction_switch_removes_soft_power_from_both_attractions():
    rec = [
        "People attractiveness",
        "Investment attractiveness",
        "Relative return on capital",
        "Consumption per capita",
        "Reference consumption per capita",
        "Population share relative",
        "Congestion elasticity",
        "Population",
    ]
    base, cut = _pair("Soft power attraction switch", rec)
    np.testing.assert_allclose(cut["Investment attractiveness"], cut["Relative return on capital"])
    expected = (cut["Consumption per capita"] / cut["Reference consumption per capita"]) / cut[
        "Population share relative"
    ] ** cut["Congestion elasticity"]
    np.testing.assert_allclose(cut["People attractiveness"], expected, rtol=1e-12)
    assert max_rel_diff(base["Population"], cut["Population"]) > 1e-3


def test_budget_feedback_switch_makes_the_tax_base_follow_the_nation():
    rec = ["Tax base", "Reference income per capita", "GDP", "Regional Culture"]
    base, cut = _pair("Budget feedback switch", rec)
    ratio = cut["Tax base"] / cut["Reference income per capita"]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert max_rel_diff(base["Regional Culture"], cut["Regional Culture"]) > 1e-3


def test_carrier_switch_holds_the_carrier_effect_at_its_2005_value():
    base, cut = _pair("Carrier switch", ["Carrier effect", "Dominant Soft Power"])
    np.testing.assert_allclose(cut["Carrier effect"], cut["Carrier effect"][0], rtol=1e-12)
    assert not np.allclose(base["Carrier effect"], base["Carrier effect"][0])
    # the region gets richer relative to the nation, so the cut carrier converts less
    assert (cut["Dominant Soft Power"][PROJECTION] < base["Dominant Soft Power"][PROJECTION]).all()


def test_talent_magnet_switch_gives_in_migrants_the_national_schooling():
    base, cut = _pair("Talent magnet switch", ["In migrant schooling", "Reference schooling"])
    np.testing.assert_allclose(cut["In migrant schooling"], cut["Reference schooling"], rtol=1e-12)
    assert not np.allclose(base["In migrant schooling"], base["Reference schooling"])


def test_innovation_switch_cuts_human_quality_out_of_the_technology_position():
    rec = ["Technology position", "Regional productivity"]
    base, cut = _pair("Innovation switch", rec)
    np.testing.assert_allclose(cut["Technology position"], cut["Technology position"][0])
    assert max_rel_diff(base["Regional productivity"], cut["Regional productivity"]) > 1e-3


def test_word_of_mouth_switch_slows_identity_while_it_rises():
    rec = ["Value Identity", "Identity balance point"]
    base, cut = _pair("Word of mouth switch", rec)
    rising = base["Identity balance point"][PROJECTION] > base["Value Identity"][PROJECTION]
    assert rising.all()
    assert (cut["Value Identity"][PROJECTION][1:] < base["Value Identity"][PROJECTION][1:]).all()


def test_tourism_switch_holds_the_market_share():
    base, cut = _pair("Tourism switch", ["Tourism market share"])
    np.testing.assert_allclose(cut["Tourism market share"], cut["Tourism market share"][0])
    assert not np.allclose(base["Tourism market share"], base["Tourism market share"][0])


def test_every_switch_is_tested_here():
    import inspect
    import sys

    from tests.model_helpers import switches

    source = inspect.getsource(sys.modules[__name__])
    missing = [s for s in switches() if s != "Exogenous growth switch" and f'"{s}"' not in source]
    assert missing == []


def test_classify_sends_each_loop_to_the_named_loop_that_owns_its_link():
    assert classify(frozenset({"value_identity", "identity_adoption"}), "B") == "B1"
    assert classify(frozenset({"carrier_effect", "gdp", "x"}), "R") == "R3"
    assert classify(frozenset({"productive_capital", "capital_depreciation"}), "B") == "B2"
    assert classify(frozenset({"productive_capital", "capital_depreciation"}), "R") == "other"


def test_with_constants_rewrites_only_the_named_constant():
    text = "Tax share=\n\t0.1\n\t~\tDmnl\n\t|\n\nPolicy tax share=\n\t0.1\n\t~\tDmnl\n\t|\n"
    out = with_constants(text, {"Policy tax share": 0.2})
    assert "Policy tax share=\n\t0.2\n" in out and out.startswith("Tax share=\n\t0.1")


@pytest.fixture(scope="module")
def dominance(tmp_path_factory):
    """The baseline's loop shares, with temporary files sent to a folder of the test's own."""
    import tempfile

    scratch = tmp_path_factory.mktemp("scratch")
    saved, tempfile.tempdir = tempfile.tempdir, str(scratch)
    try:
        shares = loop_dominance()
    finally:
        tempfile.tempdir = saved
    shares.attrs["left_behind"] = sorted(p.name for p in scratch.iterdir())
    return shares


def test_loop_analysis_leaves_no_temporary_model_behind(dominance):
    assert dominance.attrs["left_behind"] == []


def test_loop_analysis_enumerates_every_loop_and_shares_sum_to_one(dominance):
    assert dominance.attrs["enumeration_complete"]
    assert dominance.attrs["universe_loops"] > 1000
    active = dominance.sum(axis=1) > 0
    np.testing.assert_allclose(dominance[active].sum(axis=1), 1.0)


def test_the_named_loops_hold_almost_all_of_the_loop_score(dominance):
    late = dominance.loc[2030:].mean()
    assert set(dominance.columns) == {lp.id for lp in named_loops()} | {"other"}
    assert late["other"] < 0.1, late.round(3).to_dict()


def test_a_strategy_analysed_by_pysimlin_matches_pysd():
    import simlin

    sc = Scenario.from_file("scenarios/culture_first.toml")
    path = scenario_model(sc)
    try:
        res = simlin.load(str(path)).run(analyze_loops=False).results
    finally:
        shutil.rmtree(path.parent)
    ref = run_pysd(sc.pysd_params(), return_columns=["Dominant Soft Power", "GDP"])
    for name in ("Dominant Soft Power", "GDP"):
        col = name.lower().replace(" ", "_")
        assert max_rel_diff(res[col].loc[ref.index], ref[name]) < 1e-9
