"""Installed use: the wheel carries the model and scenarios, and works from any folder.

Builds the wheel from a clean copy of the source tree (what a fresh clone holds),
installs it into a new virtual environment with its dependencies, and runs
`regionsoft compare` from an unrelated folder. `make demo` is run the same way on
a copy of the tree. Both need the package index that `make install` used.
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs a wheel, runs make demo: `make test-slow`
ROOT = Path(__file__).resolve().parent.parent


def source_copy(dest: Path) -> Path:
    """The files a clone would have: tracked, plus new files git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for rel in filter(None, listed):
        src = ROOT / rel.decode()
        if src.is_file():
            target = dest / rel.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = source_copy(tmp / "src")
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)]
    )
    (found,) = (tmp / "dist").glob("regionsoft_sd-*.whl")
    return found


def test_wheel_ships_the_model_scenarios_and_licence(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = "regionsoft_sd/shipped/"
    assert f"{shipped}models/regional_soft_power.mdl" in names
    for p in (ROOT / "scenarios").rglob("*.toml"):
        assert f"{shipped}scenarios/{p.relative_to(ROOT / 'scenarios').as_posix()}" in names
    for p in (ROOT / "data").rglob("*") if (ROOT / "data").is_dir() else ():
        if p.suffix in (".csv", ".md"):
            assert f"{shipped}data/{p.relative_to(ROOT / 'data').as_posix()}" in names
    assert not any(n.startswith("tests/") or n.endswith("regional_soft_power.py") for n in names)
    meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = email.message_from_bytes(zipfile.ZipFile(wheel).read(meta_name))
    assert meta["License-Expression"] == "MIT"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    required = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert not any(r.startswith(("dask", "pysimlin", "pytest", "ruff", "panel")) for r in required)
    extras = set(meta.get_all("Provides-Extra"))
    assert {"distributed", "simlin", "notebook", "explore"} <= extras
    assert "test" not in extras  # the test tools are a dependency group, not published


def test_installed_wheel_compares_the_shipped_scenarios_from_another_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    start = time.perf_counter()
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)])
    install_s = time.perf_counter() - start
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    dropped = ("REGIONSOFT_SD_CACHE", "REGIONSOFT_CACHE", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    python = str(venv / "bin" / "python")
    where = "import regionsoft_sd; print(regionsoft_sd.__file__)"
    site = Path(run([python, "-c", where], cwd=elsewhere, env=env).stdout.strip()).parent
    assert str(site).startswith(str(venv))  # the installed copy, not this source tree
    before = sorted(p.relative_to(site) for p in site.rglob("*") if "__pycache__" not in p.parts)

    exe = str(venv / "bin" / "regionsoft")
    assert run([exe, "--version"], cwd=elsewhere, env=env).stdout.startswith("regionsoft-sd ")
    # three shipped scenarios by name (PySD takes seconds a run; the README's quick start
    # compares all of them)
    names = ["baseline", "balanced", "austerity"]
    out = run([exe, "compare", *names, "--out", "results", "--html"], cwd=elsewhere, env=env).stdout
    for name in names:
        assert name in out
    results = elsewhere / "results"
    for name in ("metrics.csv", "report.html", "outcomes.png", "trajectories.csv"):
        assert (results / name).is_file(), name
    # what the run cached (the batch engine's compiled kernel, or nothing without a C
    # compiler) went to the user's cache folder, nothing into the package
    if shutil.which("gcc") or shutil.which("cc"):
        assert list((tmp_path / "user-cache" / "regionsoft-sd").glob("kernels/*.so"))
    after = sorted(p.relative_to(site) for p in site.rglob("*") if "__pycache__" not in p.parts)
    assert after == before
    # the README's Python import line works in the installed package
    code = "from regionsoft_sd import Scenario, catalogue; print(len(catalogue().levers()))"
    assert int(run([python, "-c", code], cwd=elsewhere, env=env).stdout) > 0
    # the explorer is the `explore` extra: without Panel the command says how to add it
    done = subprocess.run(
        [exe, "explore", "--no-browser"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert 'pip install ".[explore]"' in lines[0] and "Traceback" not in done.stderr
    size = wheel.stat().st_size / 1024
    print(f"\nwheel {size:.0f} KiB, install with dependencies {install_s:.0f} s")


def test_make_demo_on_a_fresh_copy_runs_without_test_tools(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    src = source_copy(tmp_path / "clone")
    outside = tmp_path / "outside"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["REGIONSOFT_CACHE"] = str(tmp_path / "cache")
    env["PYTHON"] = sys.executable  # the interpreter running the tests, not a venv's
    run(["make", "-C", str(src), "demo"], cwd=outside, env=env)
    assert (src / "out" / "report.html").is_file() and (src / "out" / "metrics.csv").is_file()
    bin_dir = src / ".venv" / "bin"
    assert (bin_dir / "regionsoft").is_file()
    assert not (bin_dir / "pytest").exists() and not (bin_dir / "ruff").exists()
