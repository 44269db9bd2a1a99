"""load_model(): the .mdl loads in PySD; its translation is cached outside the package and git."""

import subprocess

import pytest

import regionsoft_sd
from regionsoft_sd.model import translate as model_mod
from tests.model_helpers import STOCKS


def test_load_model_runs_and_has_the_regions_stocks():
    result = regionsoft_sd.load_model().run(return_columns=STOCKS)
    assert list(result.columns) == STOCKS
    assert result.index[0] == 2005 and result.index[-1] == 2075


def test_each_call_returns_a_fresh_model():
    a = regionsoft_sd.load_model()
    a.run(params={"Policy culture share": 0.2})
    b = regionsoft_sd.load_model()
    assert b.components.policy_culture_share() == pytest.approx(0.03)


def test_translation_is_cached_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("REGIONSOFT_CACHE", str(tmp_path / "cache"))
    first = model_mod.translated_path()
    mtime = first.stat().st_mtime_ns
    assert model_mod.translated_path() == first
    assert first.stat().st_mtime_ns == mtime  # not translated again
    edited = tmp_path / "edited.mdl"
    edited.write_text(model_mod.MODEL_PATH.read_text().replace("0.0125", "0.013", 1))
    assert model_mod.translated_path(edited).parent != first.parent


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.mdl"):
        regionsoft_sd.load_model(tmp_path / "nope.mdl")


def test_translations_are_not_tracked_by_git():
    tracked = subprocess.run(
        ["git", "ls-files", "models", ".cache"],
        capture_output=True,
        text=True,
        cwd=model_mod.PACKAGE_ROOT,
        check=True,
    ).stdout.split()
    assert [p for p in tracked if p.endswith(".py")] == []  # no PySD translation in git


def test_cache_is_the_user_cache_folder_unless_regionsoft_cache_is_set(tmp_path, monkeypatch):
    from regionsoft_sd.common.resources import cache_dir

    monkeypatch.delenv("REGIONSOFT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "regionsoft-sd"
    monkeypatch.setenv("REGIONSOFT_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
