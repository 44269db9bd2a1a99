"""The explorer's state logic, without a browser: the simplex, regions, strategies, save/load.

Expected values come from the rules themselves (sums of shares, ratios kept), from the
scenario parser (a saved file must mean the same settings), and from a second engine
(PySD runs the saved file; the batch engine ran the settings).
"""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pytest

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.explore import state
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.scenarios.scenario import SPLIT_GROUPS, SPLIT_TOLERANCE, Scenario


@pytest.fixture(scope="module")
def regions():
    found, notes = state.find_regions()
    assert not notes
    return found


@pytest.fixture(scope="module")
def default(regions):
    return regions[state.DEFAULT_REGION]


@pytest.fixture(scope="module")
def region_file(tmp_path_factory):
    """A region scenario file as a calibration writes one: parameters only."""
    folder = tmp_path_factory.mktemp("regions")
    path = folder / "coastal.toml"
    path.write_text(
        'name = "coastal"\ndescription = "A made-up coastal region."\n'
        "[parameters]\n"
        '"Return to schooling" = 0.11\n'
        '"Culture erosion rate" = 0.03\n'
        '"Initial culture share" = 0.05\n'
        '"Initial public service share" = 0.681\n',
        encoding="utf-8",
    )
    return path


# -- the simplex --------------------------------------------------------------


def test_moving_one_share_keeps_the_sum_at_one_and_the_others_in_proportion():
    shares = {"a": 0.266, "b": 0.701, "c": 0.03, "d": 0.003}
    out = state.move_share(shares, "a", 0.5)
    assert out["a"] == 0.5
    assert sum(out.values()) == pytest.approx(1.0, abs=1e-12)
    # b : c : d as before, up to the 6-decimal rounding
    rest = 0.701 + 0.03 + 0.003
    for k in "bcd":
        assert out[k] == pytest.approx(shares[k] / rest * 0.5, abs=1.5e-6)


def test_a_share_moved_to_one_empties_the_others_and_back_they_share_equally():
    out = state.move_share({"a": 0.25, "b": 0.25, "c": 0.5}, "c", 1.0)
    assert out == {"a": 0.0, "b": 0.0, "c": 1.0}
    back = state.move_share(out, "c", 0.4)
    assert back == {"a": 0.3, "b": 0.3, "c": 0.4}


def test_out_of_range_share_is_clipped_and_nan_refused():
    assert state.move_share({"a": 0.5, "b": 0.5}, "a", 1.7) == {"a": 1.0, "b": 0.0}
    assert state.move_share({"a": 0.5, "b": 0.5}, "a", -0.2) == {"a": 0.0, "b": 1.0}
    with pytest.raises(ValueError):
        state.move_share({"a": 0.5, "b": 0.5}, "a", float("nan"))
    with pytest.raises(KeyError):
        state.move_share({"a": 0.5, "b": 0.5}, "z", 0.1)


def test_random_moves_never_leave_the_simplex():
    rng = np.random.default_rng(7)
    shares = {"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25}
    for _ in range(2000):
        lever = "abcd"[rng.integers(4)]
        shares = state.move_share(shares, lever, float(rng.choice([rng.random(), 0.0, 1.0])))
        values = np.array(list(shares.values()))
        assert abs(values.sum() - 1) < 1e-9 and (values >= 0).all() and (values <= 1).all()
        assert np.allclose(values * 1e6, np.round(values * 1e6), atol=1e-6)  # 6 decimals


def test_moving_a_split_lever_in_settings_moves_its_group_and_validates(default):
    cat = catalogue()
    s = state.default_settings(default)
    for group in SPLIT_GROUPS:
        first, *others = [e.name for e in cat.lever_groups()[group]]
        moved = s.with_lever(first, 0.6)
        assert moved.levers[first] == 0.6
        total = sum(moved.levers[e.name] for e in cat.lever_groups()[group])
        assert abs(total - 1) <= SPLIT_TOLERANCE
        assert all(moved.levers[n] != s.levers[n] for n in others if s.levers[n] > 0)
        state.scenario(moved, default)  # the scenario parser accepts the split


def test_an_ordinary_lever_moves_alone_and_out_of_range_is_a_clear_error(default):
    s = state.default_settings(default)
    moved = s.with_lever("Policy tax share", 0.2)
    changed = {k for k in s.levers if s.levers[k] != moved.levers[k]}
    assert changed == {"Policy tax share"}
    bad = s.with_lever("Policy tax share", 0.9)  # the .mdl allows [0.02, 0.3]
    with pytest.raises(InputError, match=r"tax_share.*outside the model's range \[0.02, 0.3\]"):
        state.scenario(bad, default)
    late = s.with_timing("Tax", start=2100)
    with pytest.raises(InputError, match="start"):
        state.scenario(late, default)


# -- settings <-> scenario ----------------------------------------------------


def test_the_default_settings_are_the_models_status_quo(default):
    cat = catalogue()
    s = state.default_settings(default)
    assert set(s.levers) == {e.name for e in cat.levers()}
    assert set(s.timing) == set(cat.lever_groups())
    for e in cat.levers():
        assert s.levers[e.name] == e.default
    sc = state.scenario(s, default)
    for name, value in sc.constants.items():
        assert cat[name].default == value, name  # nothing but the .mdl's own values


def test_saved_text_reads_back_as_the_same_settings_bit_for_bit(default, regions):
    s = state.default_settings(default)
    s = s.with_lever("Policy programme budget", 37.5)
    s = s.with_lever("Policy programme culture share", 0.4321)
    s = s.with_lever("Policy education share", 0.123456)
    s = s.with_timing("Programme", start=2030, ramp=7.5)
    s = dataclasses.replace(s, name="round_trip", description="Saved, then loaded.")
    text = state.settings_text(s, default)
    loaded = Scenario.from_dict(tomllib.loads(text))
    back, notes = state.from_scenario(loaded, regions)
    assert back == s and notes == []
    assert loaded == state.scenario(s, default)  # same constants, so the same runs
    assert state.settings_text(back, default) == text


def test_every_shipped_strategy_round_trips(default, regions):
    for name, sf in state.shipped_strategies().items():
        s, _ = state.apply_strategy(sf.scenario, default)
        text = state.settings_text(s, default)
        back, _ = state.from_scenario(Scenario.from_dict(tomllib.loads(text)), regions)
        assert back == s, name


def test_a_strategy_sets_its_levers_and_timing_and_leaves_the_rest(default):
    cat = catalogue()
    sc = state.shipped_strategies()["austerity"].scenario
    s, notes = state.apply_strategy(sc, default)
    assert s.levers["Policy tax share"] == 0.08
    assert s.timing["Tax"] == (2024.0, 3.0)
    for e in cat.levers():
        if e.name != "Policy tax share":
            assert s.levers[e.name] == e.default
    assert notes == [] and s.name == "austerity"


def test_saved_settings_run_in_pysd_as_the_explorer_ran_them(default, tmp_path):
    """The explorer's central run (batch engine) equals PySD running the saved file."""
    from regionsoft_sd.explore.futures import picture
    from regionsoft_sd.simulate import run

    sc = state.shipped_strategies()["culture_first"].scenario
    s, _ = state.apply_strategy(sc, default)
    s = s.with_lever("Policy programme budget", 55.0)
    path = tmp_path / "saved.toml"
    path.write_text(state.settings_text(s, default), encoding="utf-8")
    df = run(Scenario.from_file(path), variables=["Dominant Soft Power", "GDP"], engine="pysd")
    pic = picture(state.scenario(s, default), None)
    for var in ("Dominant Soft Power", "GDP"):
        np.testing.assert_allclose(pic.central[var], df[var].to_numpy(), rtol=1e-9)


# -- regions -------------------------------------------------------------------


def test_region_files_are_found_and_a_saved_file_finds_its_region(region_file, default):
    found, notes = state.find_regions(region_file.parent)
    assert list(found) == [state.DEFAULT_REGION, "coastal"] and notes == []
    coastal = found["coastal"]
    s = state.default_settings(coastal)
    # Initial X carried forward: the region's status quo of the split
    assert s.levers["Policy culture share"] == 0.05
    text = state.settings_text(s.with_lever("Policy tax share", 0.12), coastal)
    back, notes = state.from_scenario(Scenario.from_dict(tomllib.loads(text)), found)
    assert back.region == "coastal" and back.extra == {} and notes == []
    assert back.levers["Policy tax share"] == 0.12
    # a file with one more parameter keeps it as extra, and says so
    data = tomllib.loads(text)
    data["parameters"]["Image weight"] = 0.3
    back, notes = state.from_scenario(Scenario.from_dict(data), found)
    assert back.region == "coastal" and back.extra == {"Image weight": 0.3} and notes
    assert state.scenario(back, coastal).constants["Image weight"] == 0.3
    # the same values under the default region only: detected as the default + extra
    data["parameters"]["Return to schooling"] = 0.1
    back, _ = state.from_scenario(Scenario.from_dict(data), found)
    assert back.region == state.DEFAULT_REGION and back.extra["Return to schooling"] == 0.1


def test_a_strategy_in_a_region_keeps_the_regions_parameters(region_file):
    found, _ = state.find_regions(region_file.parent)
    coastal = found["coastal"]
    sc = state.shipped_strategies()["balanced"].scenario
    s, notes = state.apply_strategy(sc, coastal)
    built = state.scenario(s, coastal)
    assert built.constants["Return to schooling"] == 0.11
    assert built.constants["Policy programme budget"] == 40
    assert built.constants["Policy culture share"] == 0.05  # the region's status quo
    assert notes == []


def test_a_bad_region_file_is_skipped_with_a_note(tmp_path):
    (tmp_path / "broken.toml").write_text(
        'name = "broken"\ndescription = "x"\n[parameters]\nnope = 1\n'
    )
    found, notes = state.find_regions(tmp_path)
    assert list(found) == [state.DEFAULT_REGION]
    assert len(notes) == 1 and "broken.toml" in notes[0] and "nope" in notes[0]


# -- bad input -------------------------------------------------------------------


def test_a_series_lever_is_refused_with_the_key_and_the_fix(regions):
    data = {
        "name": "path",
        "description": "x",
        "policy": {"tax_share": {"series": [[2024, 0.1], [2040, 0.2]]}},
    }
    with pytest.raises(InputError, match=r"policy.tax_share: is a time series.*Fix: give it"):
        state.from_scenario(Scenario.from_dict(data), regions)


def test_strategy_folders_skip_non_scenarios_and_refuse_empty_or_missing_folders(tmp_path):
    found = tmp_path / "optimise-x"
    (found / "scenarios").mkdir(parents=True)
    (found / "spec.toml").write_text('name = "x"\nmethod = "de"\n')  # not a scenario
    (found / "scenarios" / "best.toml").write_text(
        'name = "best"\ndescription = "found"\n[policy]\nprogramme_budget = 20\n'
    )
    out, notes = state.strategy_files([found])
    assert list(out) == ["best"] and out["best"].origin == "optimised" and len(notes) == 1
    with pytest.raises(InputError, match="--strategies.*not a folder"):
        state.strategy_files([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no scenario file"):
        state.strategy_files([tmp_path / "empty"])


def test_explore_help_shows_percent_signs_once(capsys):
    """argparse does not %-format a description: '%%' was printed as it is."""
    from regionsoft_sd import cli

    with pytest.raises(SystemExit):
        cli.main(["explore", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "%%" not in text and "5-95 % and 25-75 % bands" in text
    assert "127.0.0.1 or localhost" in text
