"""The history guard: check, run and compare say when a scenario changes 2005-2023.

Independent reasons for the expectations: by the model's design every policy lever
acts only from its group's start year (2024 or later), so a scenario of levers has
exactly its region's history, measured here on the batch engine; a behavioural
constant such as the depreciation rate enters the capital equation from 2005, so
it must change the history.
"""

from __future__ import annotations

import pytest

from regionsoft_sd import cli
from regionsoft_sd.common.resources import shipped_bases
from regionsoft_sd.scenarios.history import history_changes, history_reference
from regionsoft_sd.scenarios.scenario import Scenario
from regionsoft_sd.simulate import _history_moved, history_check

POLICY_ONLY = """name = "policy_only"
description = "culture first, later"
based_on = "baseline"
[policy.culture_share]
value = 0.10
start = 2027
ramp = 5
[policy]
education_share = 0.25
public_service_share = 0.647
image_share = 0.003
"""
DEPRECIATION = 'name = "dep"\ndescription = "d"\nbased_on = "policy_only"\n' + (
    '[parameters]\n"Capital depreciation rate" = 0.08\n'
)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "policy_only.toml").write_text(POLICY_ONLY, encoding="utf-8")
    (tmp_path / "dep.toml").write_text(DEPRECIATION, encoding="utf-8")
    return tmp_path


def test_every_shipped_scenario_and_region_keeps_its_history():
    for name, path in shipped_bases().items():
        assert history_changes(Scenario.from_file(path)) == [], name


def test_a_behavioural_constant_is_named_and_a_lever_is_not(files):
    changes = history_changes(Scenario.from_file(files / "dep.toml"))
    assert [c.name for c in changes] == ["Capital depreciation rate"]
    assert changes[0].why == "not a policy lever" and changes[0].value == 0.08
    assert history_changes(Scenario.from_file(files / "policy_only.toml")) == []


def test_a_strategy_on_a_region_is_compared_with_that_region(tmp_path):
    """henan's own status quo is its history; a strategy based on it changes nothing."""
    path = tmp_path / "h.toml"
    path.write_text('name = "h"\ndescription = "d"\nbased_on = "henan"\n', "utf-8")
    s = Scenario.from_file(path)
    assert history_reference(s).name == "henan"
    assert history_changes(s) == []
    path.write_text(
        'name = "h"\ndescription = "d"\nbased_on = "henan"\n[parameters]\n'
        '"Initial population" = 90\n',
        "utf-8",
    )
    (change,) = history_changes(Scenario.from_file(path))
    assert change.name == "Initial population" and change.reference == pytest.approx(95.0895)


def test_the_measured_history_confirms_the_structure(files):
    moved = _history_moved(Scenario.from_file(files / "dep.toml"))
    assert moved is not None and 2005 <= moved[1] < 2024 and moved[2] > 1e-6
    assert _history_moved(Scenario.from_file(files / "policy_only.toml")) is None


def test_the_warning_names_the_parameter(files):
    text = history_check(Scenario.from_file(files / "dep.toml"))
    assert text.startswith("dep: changes history") and "'Capital depreciation rate'" in text
    assert history_check(Scenario.from_file(files / "policy_only.toml")) is None


def test_check_warns_and_strict_refuses(files, capsys):
    assert cli.main(["check", str(files / "dep.toml")]) == 0
    captured = capsys.readouterr()
    assert "ok  " in captured.out and "warning: dep: changes history" in captured.err
    assert cli.main(["check", "--strict", str(files / "dep.toml")]) == 2
    assert "Capital depreciation rate" in capsys.readouterr().err
    assert cli.main(["check", "--strict", str(files / "policy_only.toml")]) == 0
    assert capsys.readouterr().err == ""


def test_run_warns_on_stderr_and_still_runs(files, capsys):
    out = files / "out"
    assert cli.main(["run", str(files / "dep.toml"), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: dep: changes history" in err and "Capital depreciation rate" in err
    assert (out / "dep_metrics.csv").is_file()


def test_a_flattened_strategy_for_a_shipped_region_is_compared_with_that_region(tmp_path):
    """The explorer saves strategies without based_on: the region's values are inside."""
    path = tmp_path / "h.toml"
    path.write_text('name = "h"\ndescription = "d"\nbased_on = "henan"\n', "utf-8")
    flat = Scenario.from_dict(Scenario.from_file(path).to_dict())
    assert flat.based_on is None and history_reference(flat).name == "henan"
    assert history_changes(flat) == []
    assert history_check(flat) is None  # and the measured history agrees


def test_compare_warns_for_the_scenario_that_changes_history_only(files, capsys):
    out = files / "cmp"
    args = ["compare", "baseline", str(files / "policy_only.toml"), str(files / "dep.toml")]
    assert cli.main([*args, "--out", str(out)]) == 0
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if "warning:" in ln]
    assert len(warnings) == 1 and warnings[0].startswith("regionsoft: warning: dep: ")
