"""docs/decisions.md's generated blocks are what `make decisions` writes now.

docs/make_decisions.py is deterministic (seeded searches and samples, no timings in
the blocks), so rerunning a spec must give its block character for character; a
change to the model, a spec or the code that moves a number fails here until
`make decisions` is rerun. Each run goes to a temporary folder without figures.
best_split, frontier and culture_vs_education take about 12 s together; robust_split
(1,000 fresh futures and the Sobol design) about 40 s, so it is marked slow.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "decisions.md"


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_decisions", ROOT / "docs" / "make_decisions.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def doc_block(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start, end = f"<!-- decisions:{name}:start -->", f"<!-- decisions:{name}:end -->"
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def check(run: str, tmp_path: Path) -> None:
    blocks = _script().generate([run], out=tmp_path, figures=False)
    assert blocks
    for name, text in blocks.items():
        assert doc_block(name) == text.strip(), f"block {name} is stale: run `make decisions`"


@pytest.mark.parametrize("run", ["best_split", "frontier", "culture_vs_education"])
def test_fast_blocks_are_current(run, tmp_path):
    check(run, tmp_path)


@pytest.mark.slow
def test_robust_blocks_are_current(tmp_path):
    check("robust_split", tmp_path)


def test_every_block_of_the_page_is_generated():
    import re

    names = set(re.findall(r"<!-- decisions:(\w+):start -->", DOC.read_text(encoding="utf-8")))
    assert names == {
        "best_split",
        "frontier",
        "robust_split",
        "robust_fails",
        "culture_vs_education",
    }
