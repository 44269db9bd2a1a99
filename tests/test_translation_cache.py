"""The PySD translation cache is verified before use, and an unusable cache folder is survived.

PySD imports (runs) the cached translation, so a damaged one must never be run:
a truncated file once made every later run fail with SyntaxError, and a line
appended to it was executed. A small model keeps each rebuild to a second or two;
the shipped model goes through the same code.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from regionsoft_sd.common import resources
from regionsoft_sd.model import translate as model_mod

SMALL = Path(__file__).parent / "batch_models" / "smooth.mdl"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of this test (and no alias variable)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("REGIONSOFT_CACHE", str(folder))
    monkeypatch.delenv("REGIONSOFT_SD_CACHE", raising=False)
    return folder


def _loads(path: Path = SMALL) -> None:
    """The model loads and runs one step through PySD."""
    m = model_mod.load_model(path)
    assert m.run(final_time=m.components.initial_time() + 1).shape[0] >= 1


def test_a_translation_is_cached_with_a_sidecar_of_its_digest(cache):
    py = model_mod.translated_path(SMALL)
    meta = json.loads((py.parent / model_mod.SIDECAR).read_text(encoding="utf-8"))
    import hashlib

    assert meta["files"][py.name] == hashlib.sha256(py.read_bytes()).hexdigest()
    mtime = py.stat().st_mtime_ns
    assert model_mod.translated_path(SMALL) == py and py.stat().st_mtime_ns == mtime  # reused


def test_a_truncated_translation_is_rebuilt(cache):
    py = model_mod.translated_path(SMALL)
    good = py.read_bytes()
    py.write_bytes(good[: len(good) // 2])  # cut inside a statement: a SyntaxError if run
    _loads()
    assert model_mod.translated_path(SMALL).read_bytes() == good


@pytest.mark.parametrize(
    "line",
    [
        "raise SystemExit(97)",
        "open({marker!r}, 'w').write('ran')",
        "import os; os.remove({sidecar!r})",
    ],
)
def test_code_appended_to_the_translation_never_runs(cache, tmp_path, line):
    py = model_mod.translated_path(SMALL)
    good = py.read_bytes()
    marker = tmp_path / "ran.txt"
    code = line.format(marker=str(marker), sidecar=str(py.parent / model_mod.SIDECAR))
    py.write_bytes(good + b"\n" + code.encode() + b"\n")
    _loads()  # no SystemExit, no file written, the sidecar is still there
    assert not marker.exists()
    assert (py.parent / model_mod.SIDECAR).is_file()
    assert py.read_bytes() == good  # rebuilt by this version


def test_a_file_changed_after_the_check_is_not_what_pysd_imports(cache, tmp_path, monkeypatch):
    """PySD imports a private copy of the verified bytes, not the shared file."""
    py = model_mod.translated_path(SMALL)
    marker = tmp_path / "ran.txt"
    real = model_mod._verified

    def verify_then_tamper(path):
        result = real(path)
        with py.open("ab") as f:  # another process appends code right after the check
            f.write(f"\nopen({str(marker)!r}, 'w').write('ran')\n".encode())
        return result

    monkeypatch.setattr(model_mod, "_verified", verify_then_tamper)
    _loads()
    assert not marker.exists()


@pytest.mark.parametrize(
    "damage",
    ["no sidecar", "garbage sidecar", "other key", "folder is a file", "py is a folder"],
)
def test_a_damaged_cache_entry_is_rebuilt(cache, damage):
    py = model_mod.translated_path(SMALL)
    side = py.parent / model_mod.SIDECAR
    if damage == "no sidecar":
        side.unlink()
    elif damage == "garbage sidecar":
        side.write_bytes(b"\x00{not json")
    elif damage == "other key":
        meta = json.loads(side.read_text(encoding="utf-8"))
        side.write_text(json.dumps({**meta, "key": "0" * 64}), encoding="utf-8")
    elif damage == "folder is a file":
        folder = py.parent
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
        folder.write_text("not a folder", encoding="utf-8")
    else:
        py.unlink()
        py.mkdir()
    _loads()
    assert model_mod._read_verified(py.parent, SMALL.stem, model_mod._key(SMALL)) is not None


# -- the cache folder ------------------------------------------------------------------------
def test_regionsoft_sd_cache_wins_over_its_alias(tmp_path, monkeypatch):
    monkeypatch.delenv("REGIONSOFT_SD_CACHE", raising=False)
    monkeypatch.setenv("REGIONSOFT_CACHE", str(tmp_path / "alias"))
    assert resources.cache_root() == tmp_path / "alias"
    monkeypatch.setenv("REGIONSOFT_SD_CACHE", str(tmp_path / "main"))
    assert resources.cache_root() == tmp_path / "main"


@pytest.fixture
def fresh_private(monkeypatch):
    """Forget this process's private cache folder, so that its warning is logged again."""
    monkeypatch.setattr(resources, "_private", [])
    monkeypatch.setattr(resources, "_warned", [])


@pytest.mark.parametrize("how", ["a file", "below a file", "home below a file"])
def test_an_unusable_cache_folder_falls_back_to_a_private_one(
    tmp_path, monkeypatch, caplog, fresh_private, how
):
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.delenv("REGIONSOFT_SD_CACHE", raising=False)
    if how == "a file":
        monkeypatch.setenv("REGIONSOFT_CACHE", str(blocker))
    elif how == "below a file":
        monkeypatch.setenv("REGIONSOFT_CACHE", str(blocker / "cache"))
    else:  # HOME (here: the XDG cache home) cannot hold a folder
        monkeypatch.delenv("REGIONSOFT_CACHE", raising=False)
        monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "dot-cache"))
        monkeypatch.setenv("HOME", str(blocker))
    with caplog.at_level(logging.WARNING, logger="regionsoft_sd"):
        folder = resources.cache_dir()
        _loads()
    assert folder.is_dir() and not str(folder).startswith(str(blocker))
    lines = [r.getMessage() for r in caplog.records if r.name == "regionsoft_sd"]
    assert len(lines) == 1 and "\n" not in lines[0] and "REGIONSOFT_SD_CACHE" in lines[0], lines
    assert "--out" not in lines[0] and len(lines[0]) < 250
    assert blocker.read_text(encoding="utf-8") == "x"


def test_a_cache_folder_that_fails_while_writing_falls_back(cache, monkeypatch, fresh_private):
    """The folder looks writable but the translation cannot be written there (disk full)."""
    real = model_mod._translate

    def full(mdl, root, key):
        if root == cache:
            raise OSError(28, "No space left on device")
        return real(mdl, root, key)

    monkeypatch.setattr(model_mod, "_translate", full)
    py = model_mod.translated_path(SMALL)
    assert not py.is_relative_to(cache)
    _loads()


def test_outside_pytest_the_fallback_is_one_stderr_line(tmp_path):
    """A fresh process (no logging set up, as the CLI runs): exit 0 and one warning line."""
    import os
    import subprocess
    import sys

    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "REGIONSOFT_SD_CACHE"}
    env["REGIONSOFT_CACHE"] = str(blocker)  # the alias alone also moves the cache
    code = (
        "from regionsoft_sd.model.translate import load_model; import sys;"
        f"m = load_model({str(SMALL)!r}); m.run(final_time=m.components.initial_time() + 1)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("regionsoft: the cache folder"), done.stderr
    assert "--out" not in lines[0] and "Traceback" not in done.stderr
