"""One name resolver: shipped names, paths and spec-relative paths, everywhere a file is named.

The expected files are the shipped ones by their layout (`scenarios/NAME.toml`,
`scenarios/optimise/NAME.toml`), or files the test writes itself; nothing is copied
from the resolver's own output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.common.resources import (
    resolve_file,
    scenarios_dir,
    shipped_bases,
    shipped_optimise_specs,
)
from regionsoft_sd.scenarios.scenario import Scenario

BASELINE = 'name = "mine"\ndescription = "d"\n'


def test_a_shipped_name_resolves_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing of that name here
    got = resolve_file("baseline", shipped_bases(), "scenario")
    assert got.resolve() == (scenarios_dir() / "baseline.toml").resolve()
    spec = resolve_file("best_split", shipped_optimise_specs(), "optimisation spec")
    assert spec.resolve() == (scenarios_dir() / "optimise" / "best_split.toml").resolve()
    region = resolve_file("henan", shipped_bases(), "scenario")
    assert region.resolve() == (scenarios_dir() / "regions" / "henan.toml").resolve()


def test_a_path_is_relative_to_the_spec_folder_and_an_absolute_path_is_itself(tmp_path):
    spec_dir = tmp_path / "specs"
    (tmp_path / "mine").mkdir()
    spec_dir.mkdir()
    target = tmp_path / "mine" / "x.toml"
    target.write_text(BASELINE, encoding="utf-8")
    rel = resolve_file(
        "../mine/x.toml", shipped_bases(), "scenario", file=spec_dir / "s.toml", folder=spec_dir
    )
    assert rel.resolve() == target.resolve()
    absolute = resolve_file(str(target), shipped_bases(), "scenario", file="s", folder=spec_dir)
    assert absolute == target


def test_a_file_beside_the_spec_comes_before_the_shipped_one(tmp_path):
    (tmp_path / "baseline.toml").write_text(BASELINE, encoding="utf-8")
    got = resolve_file("baseline", shipped_bases(), "scenario", file="s", folder=tmp_path)
    assert got == tmp_path / "baseline.toml"


def test_an_unknown_name_names_the_file_the_key_and_the_closest_shipped_names(tmp_path):
    with pytest.raises(InputError) as info:
        resolve_file(
            "baselin", shipped_bases(), "scenario", file="spec.toml", key="base", folder=tmp_path
        )
    err = info.value
    assert (err.file, err.key) == ("spec.toml", "base")
    assert "'baselin'" in err.problem and "'baseline'" in err.fix


def test_a_missing_path_whose_stem_is_shipped_suggests_the_name(tmp_path):
    with pytest.raises(InputError) as info:
        resolve_file(
            "../baseline.toml", shipped_bases(), "scenario", file="s", key="k", folder=tmp_path
        )
    assert "no scenario file" in info.value.problem and '"baseline"' in info.value.fix


def test_a_folder_and_a_broken_symlink_are_refused_with_the_key(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(InputError, match="is a folder") as info:
        resolve_file("dir.toml", shipped_bases(), "scenario", file="s", key="k", folder=tmp_path)
    assert info.value.key == "k"
    os.symlink(tmp_path / "gone.toml", tmp_path / "link.toml")
    with pytest.raises(InputError, match="symlink to a missing file"):
        resolve_file("./link.toml", shipped_bases(), "scenario", file="s", key="k", folder=tmp_path)


def test_a_symlink_to_a_file_is_read_like_the_file(tmp_path):
    """Reads follow links (only writes refuse them, see common/io.py)."""
    (tmp_path / "real.toml").write_text(BASELINE, encoding="utf-8")
    os.symlink(tmp_path / "real.toml", tmp_path / "link.toml")
    got = resolve_file("./link.toml", shipped_bases(), "scenario", file="s", folder=tmp_path)
    assert Scenario.from_file(got).name == "mine"


def test_not_text_is_refused():
    with pytest.raises(InputError, match="expected a scenario name or file path"):
        resolve_file(3, shipped_bases(), "scenario", file="s", key="k")


def test_based_on_takes_names_only(tmp_path):
    with pytest.raises(InputError, match="is a path") as info:
        resolve_file(
            "../baseline", shipped_bases(), "scenario", file="s", key="based_on", paths=False
        )
    assert info.value.key == "based_on"
    child = tmp_path / "c.toml"
    child.write_text('name = "c"\ndescription = "d"\nbased_on = "balanced.toml"\n', "utf-8")
    # no balanced.toml beside it: `.toml` on a bare name still means the shipped one
    shipped = Scenario.from_file(scenarios_dir() / "balanced.toml")
    assert Scenario.from_file(child).constants == shipped.constants


def test_a_sweep_spec_names_its_strategies(tmp_path):
    """`strategies = ["baseline"]` failed before: the spec only took paths."""
    from regionsoft_sd.sweep.spec import parse_spec

    data = {
        "name": "s",
        "description": "d",
        "method": "lhs",
        "n": 4,
        "seed": 1,
        "metrics": ["gdp_end"],
        "strategies": ["baseline", "balanced"],
        "parameters": {
            "Capital depreciation rate": {"distribution": "uniform", "low": 0.08, "high": 0.1}
        },
    }
    spec = parse_spec(data, source=tmp_path / "s.toml")
    assert [s.name for s in spec.strategies] == ["baseline", "balanced"]
    data["strategies"] = ["balanse"]
    with pytest.raises(InputError, match="did you mean 'balanced'") as info:
        parse_spec(data, source=tmp_path / "s.toml")
    assert info.value.key == "strategies[0]"


def test_every_shipped_spec_names_its_strategies_without_paths():
    root = scenarios_dir()
    for spec in (*root.glob("sweeps/*.toml"), *root.glob("optimise/*.toml")):
        assert '"../' not in spec.read_text(encoding="utf-8"), spec.name


def test_spec_readers_take_shipped_names(tmp_path, monkeypatch):
    from regionsoft_sd.discover.spec import load_spec as discover_spec
    from regionsoft_sd.optimise.spec import load_spec as optimise_spec

    monkeypatch.chdir(tmp_path)
    assert optimise_spec("best_split").base.name == "current_mix"
    assert discover_spec("culture_vs_education").name == "culture_vs_education"
    with pytest.raises(InputError, match="did you mean 'best_split'"):
        optimise_spec("best_splt")


def test_cli_run_names_an_unknown_scenario_with_the_closest(tmp_path, capsys, monkeypatch):
    from regionsoft_sd import cli

    monkeypatch.chdir(tmp_path)
    code = cli.main(["check", "balanse"])
    err = capsys.readouterr().err
    assert code == 2 and "'balanced'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_installed_layout_resolves_names_relative_to_the_shipped_folder(tmp_path, monkeypatch):
    """A wheel's shipped folder has no repository around it: names must not need one."""
    from regionsoft_sd.common import resources

    shipped = tmp_path / "site" / "regionsoft_sd" / "shipped"
    for rel in ("models/regional_soft_power.mdl", "scenarios/baseline.toml"):
        (shipped / rel).parent.mkdir(parents=True, exist_ok=True)
        (shipped / rel).write_bytes((resources.SOURCE_ROOT / rel).read_bytes())
    monkeypatch.setattr(resources, "_installed_root", lambda: shipped)
    monkeypatch.chdir(tmp_path)
    got = resources.scenario_file("baseline")
    assert got == shipped / "scenarios" / "baseline.toml"
    assert Path(got).is_file()
