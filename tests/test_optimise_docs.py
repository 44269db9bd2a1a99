"""docs/decisions.md: its code runs, its commands name valid specs, its blocks and figures exist."""

import re
import shlex
from pathlib import Path

import pytest

from regionsoft_sd.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "decisions.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_commands_parse_and_name_valid_specs():
    from regionsoft_sd.discover.spec import load_spec as load_discover
    from regionsoft_sd.optimise.spec import load_spec as load_optimise

    lines = [ln for b in blocks("bash") for ln in b.splitlines() if ln.startswith("regionsoft ")]
    assert len(lines) >= 4
    for line in lines:
        args = build_parser().parse_args(shlex.split(line)[1:])
        load = load_optimise if args.command == "optimise" else load_discover
        assert load(args.spec).name == Path(args.spec).stem  # a shipped name, from any folder


def test_python_example_runs(tmp_path, monkeypatch):
    (code,) = blocks("python")
    monkeypatch.chdir(ROOT)
    code = code.replace('"out/optimise-best_split"', repr(str(tmp_path / "o")))
    scope: dict = {}
    exec(compile(code, str(DOC), "exec"), scope)  # noqa: S102 - our own documentation
    res = scope["res"]
    assert len(res.found.levers) == 1 and (tmp_path / "o" / "summary.md").is_file()


def test_generated_blocks_and_figures_are_there():
    text = DOC.read_text(encoding="utf-8")
    assert "(run `make decisions`)" not in text, "run `make decisions`"
    for rel in re.findall(r"\]\((figures/decisions/[^)]+\.png)\)", text):
        assert (DOC.parent / rel).stat().st_size > 10_000, rel


@pytest.mark.parametrize(
    "name",
    [
        "best_split",
        "frontier",
        "robust_split",
        "robust_fails",
        "culture_vs_education",
        "bench_optimise",
    ],
)
def test_every_block_has_markers(name):
    text = DOC.read_text(encoding="utf-8")
    tag = name if name == "bench_optimise" else f"decisions:{name}"
    assert f"<!-- {tag}:start -->" in text and f"<!-- {tag}:end -->" in text
