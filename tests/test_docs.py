"""docs/model.md matches the model: its generated parameter table is current."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _figures_module():
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_table_in_model_md_is_current():
    table = _figures_module().parameter_table()
    assert table in (ROOT / "docs" / "model.md").read_text(), "run `make figures`"


def test_model_md_figures_exist():
    for name in ("base_run_stocks.png", "diagram.png"):
        assert (ROOT / "docs" / "figures" / name).stat().st_size > 10_000
