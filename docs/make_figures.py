"""Regenerate the figures and the parameter table of docs/model.md from the shipped model.

Usage: `make figures` (or `.venv/bin/python docs/make_figures.py`).
Writes docs/figures/base_run_stocks.png and docs/figures/diagram.png, and
rewrites the table between the parameter-table markers of docs/model.md.
"""

from __future__ import annotations

from pathlib import Path

from regionsoft_sd.catalogue import catalogue
from regionsoft_sd.io import save_figure, write_text
from regionsoft_sd.model import MODEL_PATH
from regionsoft_sd.plots import plot_trajectories
from regionsoft_sd.scenario import Scenario
from regionsoft_sd.simulate import run

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "figures"
DOC = DOCS / "model.md"
MARKERS = ("<!-- parameter-table:start -->", "<!-- parameter-table:end -->")


def stocks_figure():
    """The seven stocks and the hard power index: base run and the R1 knock-out."""
    variables = [e.name for e in catalogue().stocks()] + ["Hard Power Index"]
    scenarios = {
        "base run": {},
        "R1 cut": {"R1 feedback switch": 0},
    }
    runs = {
        label: run(
            Scenario.from_dict({"name": "fig", "description": label, "parameters": params}),
            variables=variables,
        )
        for label, params in scenarios.items()
    }
    return plot_trajectories(
        runs,
        variables,
        ncols=4,
        title="Base run 2025-2075 (index stocks: 2025 = 1), with loop R1 cut for contrast",
    )


def parameter_table() -> str:
    """Markdown table of every stock and constant: units, value, range, source."""
    rows = [
        "| name | kind | units | value | range | description and source |",
        "|---|---|---|---|---|---|",
    ]
    for e in catalogue():
        if e.kind not in ("stock", "constant"):
            continue
        kind = "lever" if e.is_lever else e.kind
        value = "" if e.default is None else f"{e.default:g}"
        doc = " ".join(e.documentation.split()).replace("|", "/")
        rows.append(f"| {e.name} | {kind} | {e.units} | {value} | {e.range_text()} | {doc} |")
    return "\n".join(rows)


def write_parameter_table(doc: Path = DOC) -> None:
    """Replace the table between the markers in docs/model.md (atomically)."""
    start, end = MARKERS
    head, rest = doc.read_text().split(start)
    _, tail = rest.split(end)
    write_text(doc, f"{head}{start}\n{parameter_table()}\n{end}{tail}")


def diagram_png() -> bytes:
    """The stock-and-flow diagram as Simlin draws it from the .mdl sketch."""
    import simlin

    return simlin.load(str(MODEL_PATH)).project.render_png("main", width=1400)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    save_figure(stocks_figure(), OUT / "base_run_stocks.png")
    (OUT / "diagram.png").write_bytes(diagram_png())
    write_parameter_table()
    print(f"wrote {OUT}/base_run_stocks.png, {OUT}/diagram.png and the table in {DOC}")


if __name__ == "__main__":
    main()
