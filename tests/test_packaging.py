"""What pyproject.toml promises: bounded engines, Panel only in `explore`, test tools unpublished.

The wheel itself (its metadata, an install in a fresh environment) is checked in
tests/test_install.py; these checks read the declaration and the installed
versions, in milliseconds.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from regionsoft_sd import cli

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirement(reqs: list[str], name: str) -> Requirement:
    """The requirement on `name` among `reqs` (exactly one must name it)."""
    (found,) = [r for r in map(Requirement, reqs) if r.name.lower() == name]
    return found


def test_pysd_and_pysimlin_have_upper_bounds_that_admit_the_tested_versions():
    """The batch engine reads PySD's translator internals: an untested release must not install."""
    deps = PROJECT["project"]["dependencies"]
    extras = PROJECT["project"]["optional-dependencies"]
    for req in (_requirement(deps, "pysd"), _requirement(extras["simlin"], "pysimlin")):
        assert any(s.operator == "<" for s in req.specifier), f"{req} has no upper bound"
        installed = metadata.version(req.name)
        assert req.specifier.contains(installed), f"{req} excludes the tested {installed}"
        major, minor = (int(x) for x in installed.split(".")[:2])
        assert not req.specifier.contains(f"{major}.{minor + 1}.0"), f"{req} admits the next minor"


def test_panel_is_only_in_the_explore_extra_and_test_tools_are_a_group():
    project = PROJECT["project"]
    assert not any(Requirement(r).name == "panel" for r in project["dependencies"])
    assert _requirement(project["optional-dependencies"]["explore"], "panel").specifier
    assert "test" not in project["optional-dependencies"]
    group = {Requirement(r).name for r in PROJECT["dependency-groups"]["test"]}
    assert {"pytest", "ruff", "playwright", "nbclient", "nbformat"} <= group
    assert "slow" in " ".join(PROJECT["tool"]["pytest"]["ini_options"]["markers"])


def test_explore_without_panel_exits_2_with_the_install_line(monkeypatch, capsys):
    """sys.modules[name] = None is how Python itself marks a module as not importable."""
    for name in [m for m in sys.modules if m == "panel" or m.startswith("panel.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "panel", None)
    code = cli.main(["explore", "--no-browser", "--port", "0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert 'pip install ".[explore]"' in err[0] and "explore" in err[0].split("Fix")[0]
