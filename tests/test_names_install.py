"""Every documented command works after a wheel install, from a folder outside the repository.

tests/test_docs.py runs the same blocks in a folder that holds a copy of
`scenarios/`, as the top of a clone does; that hid commands that only worked
there (`regionsoft optimise scenarios/optimise/best_split.toml`). Here the wheel
(built as tests/test_install.py builds it, from what a fresh clone holds) goes into a
new virtual environment, and the runnable shell and Python blocks of README.md,
docs/decisions.md and docs/sensitivity.md run in document order in an empty folder,
with only that environment's `regionsoft` and `python` on PATH. Slow: the install
alone takes minutes, and the blocks run optimisations and a sweep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.test_docs import NOT_RUN, ROOT, RUN, SAVE_AS, SHELL, blocks
from tests.test_install import run, wheel  # noqa: F401  (the module-scoped wheel fixture)

DRIVER = """
import json, subprocess, sys
ns = {"__name__": "__doc__"}
for b in json.load(open(sys.argv[1], encoding="utf-8")):
    if "save" in b:
        open(b["save"], "w", encoding="utf-8").write(b["code"])
    elif "python" in b:
        exec(compile(b["code"], b["where"], "exec"), ns)
    else:
        cmd = ["bash", "-euo", "pipefail", "-c", b["code"]]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode or "Traceback" in p.stderr:
            sys.exit(b["where"] + ": exit " + str(p.returncode) + "\\n" + p.stderr[-2000:])
"""
"""Runs the blocks in order in one interpreter (Python blocks share a namespace, as in
tests/test_docs.py); a failing shell block stops it with its place and stderr."""

DOCUMENTED = [ROOT / "README.md", ROOT / "docs" / "decisions.md", ROOT / "docs" / "sensitivity.md"]


@pytest.mark.slow
def test_documented_commands_run_from_outside_the_repository(wheel, tmp_path):  # noqa: F811
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    # the extras the documented commands use (Pareto fronts and discovery need pymoo and
    # scikit-learn, the workers option Dask): every one, as the docs install them
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"{wheel}[all]"])
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("REGIONSOFT_CACHE", "PYTHONPATH")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    todo = []
    for doc in DOCUMENTED:
        for b in blocks(doc):
            if SAVE_AS.search(b.note):
                todo.append({"where": b.where, "save": SAVE_AS.search(b.note)[1], "code": b.code})
            elif b.lang in RUN and not NOT_RUN.search(b.note):
                kind = "shell" if b.lang in SHELL else "python"
                todo.append({"where": b.where, kind: True, "code": b.code})
    assert sum("save" not in t for t in todo) >= 5  # quick start, scenarios, optimise, sweep
    (tmp_path / "blocks.json").write_text(json.dumps(todo), encoding="utf-8")
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", DRIVER, str(tmp_path / "blocks.json")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, f"{proc.stdout[-1000:]}\n{proc.stderr[-3000:]}"
    assert not (elsewhere / "scenarios").exists()  # nothing needed a copy of the repository
