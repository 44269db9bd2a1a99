"""The documentation does what it says: its code runs, its links resolve, its words are the user's.

Every Python and shell block in README.md and docs/*.md runs here, in document
order, in a fresh folder that holds a copy of `scenarios/` (like the top of a
clone) and with the `regionsoft` command on PATH. A block that cannot run says why
in a comment on the line above it: `<!-- not-run: REASON -->`. A TOML block
preceded by `<!-- save-as: NAME -->` is written to that file first, so the blocks
after it can use it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = ("bash", "sh", "shell")
RUN = ("python", *SHELL)
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.*?)\s*-->")
SAVE_AS = re.compile(r"<!--\s*save-as:\s*(\S+)\s*-->")
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    code: str
    note: str  # the comment line above the fence, if any

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        out.append(Block(path, line, m[1].lower(), m[2], before if "<!--" in before else ""))
    return out


def _figures_module():
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_table_in_model_md_is_current():
    table = _figures_module().parameter_table()
    assert table in (ROOT / "docs" / "model.md").read_text(), "run `make figures`"


def test_model_md_figures_exist():
    for name in ("base_run_stocks.png", "diagram.png", "loops.png"):
        assert (ROOT / "docs" / "figures" / name).stat().st_size > 10_000


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_code_block_runs_or_says_why_not(path):
    for b in blocks(path):
        assert b.lang, f"{b.where}: say the block's language (```python, ```bash, ```text)"
        if NOT_RUN.search(b.note):
            assert b.lang in RUN, f"{b.where}: only code blocks need a not-run note"
            assert len(NOT_RUN.search(b.note)[1]) > 10, f"{b.where}: give the reason"


def _workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "scenarios", work / "scenarios")
    return work


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return env


SLOW_DOCS = {"interop.md", "calibration.md"}
"""Pages whose blocks take over half a minute (a Simlin round trip, a calibration)."""


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW_DOCS else p for p in DOCS],
    ids=lambda p: p.name,
)
def test_code_blocks_run(path, tmp_path, monkeypatch):
    todo = [b for b in blocks(path) if b.lang in RUN and not NOT_RUN.search(b.note)]
    saves = [b for b in blocks(path) if SAVE_AS.search(b.note)]
    if not todo:
        pytest.skip("no runnable code blocks")
    work = _workdir(tmp_path)
    env = _env(tmp_path)
    monkeypatch.chdir(work)
    namespace: dict[str, object] = {"__name__": "__doc__"}
    for b in sorted(todo + saves, key=lambda b: b.line):
        if SAVE_AS.search(b.note):
            (work / SAVE_AS.search(b.note)[1]).write_text(b.code, encoding="utf-8")
        elif b.lang == "python":
            try:
                exec(compile(b.code, b.where, "exec"), namespace)  # noqa: S102
            except Exception as exc:  # noqa: BLE001
                pytest.fail(f"{b.where}: {type(exc).__name__}: {exc}")
        else:
            proc = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", b.code],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert proc.returncode == 0, f"{b.where}: exit {proc.returncode}\n{proc.stderr[-2000:]}"


USER_TEXTS = [
    *DOCS,
    ROOT / "docs" / "tutorial.ipynb",
    *sorted((ROOT / "scenarios").rglob("*.toml")),
    *sorted((ROOT / "models").glob("*")),
]
INTERNAL = re.compile(
    r"\bissues? ?#?\d+\b|\bthe brief\b|\bbrief gives\b|\breferee|/work/|\.\./shared|shared/seed|"
    r"\bseed article\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("path", [p for p in USER_TEXTS if p.is_file()], ids=lambda p: p.name)
def test_user_docs_have_no_internal_words_or_outside_paths(path):
    text = path.read_text(encoding="utf-8")
    hits = sorted({m[0] for m in INTERNAL.finditer(text)})
    assert not hits, f"{path.relative_to(ROOT)}: {hits}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(path):
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        assert (path.parent / target).exists(), f"{path.relative_to(ROOT)}: broken link {target}"


def test_readme_cites_the_article_by_title_and_content():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert '"Regional soft power"' in readme and "docs/article.md" in readme
    article = (ROOT / "docs" / "article.md").read_text(encoding="utf-8")
    for section in ("1.1", "1.2", "| 2 ", "3.1", "3.2", "4.1", "4.2", "4.3", "4.4", "4.5"):
        assert section in article
