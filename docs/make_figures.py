"""Regenerate the documentation's figures and the parameter table of docs/model.md.

Usage: `make figures` (or `.venv/bin/python docs/make_figures.py [--sweeps]`).
Writes docs/figures/base_run_stocks.png, diagram.png (Simlin's drawing),
loops.png (the same with the named loops marked), docs/workflow/outcomes.png
(the shipped scenarios, as in the README), and rewrites the table between the
parameter-table markers of docs/model.md. With --sweeps it also runs the two
shipped sweeps (a few minutes) and copies their figures to
docs/figures/sensitivity/.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from regionsoft_sd.catalogue import catalogue
from regionsoft_sd.io import save_figure, write_text
from regionsoft_sd.model import MODEL_PATH
from regionsoft_sd.plots import plot_outcomes, plot_trajectories
from regionsoft_sd.resources import load_scenario, shipped_scenarios, shipped_specs
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
        title="Base run 2025-2075, with loop R1 cut for contrast",
        baseline="base run",
    )


def workflow_figure():
    """The README's figure: the shipped scenarios' key outcomes and their gap to the baseline."""
    runs = {name: run(load_scenario(name)) for name in shipped_scenarios()}
    return plot_outcomes(runs)


def sweep_figures(dest: Path = OUT / "sensitivity") -> list[Path]:
    """Run the shipped sweeps and copy their figures into `dest` (replacing the old ones)."""
    from regionsoft_sd.sweep import run_sweep

    copied = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in shipped_specs().items():
            result = run_sweep(spec, Path(tmp) / name, progress=False)
            for fig in result.files:
                if fig.suffix == ".png" and not (
                    name == "screening_morris" and "morris" not in fig.stem
                ):
                    copied.append(Path(shutil.copyfile(fig, dest / fig.name)))
    for old in dest.glob("*.png"):
        if old not in copied:
            old.unlink()
    return copied


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


def main(argv: list[str]) -> None:
    from regionsoft_sd.loops import loop_diagram

    OUT.mkdir(parents=True, exist_ok=True)
    save_figure(stocks_figure(), OUT / "base_run_stocks.png")
    (OUT / "diagram.png").write_bytes(diagram_png())
    save_figure(loop_diagram(), OUT / "loops.png", dpi=100)
    save_figure(workflow_figure(), DOCS / "workflow" / "outcomes.png")
    write_parameter_table()
    print(f"wrote base_run_stocks.png, diagram.png, loops.png in {OUT}")
    print(f"wrote the README's figure and the parameter table in {DOC}")
    if "--sweeps" in argv:
        files = sweep_figures()
        print(f"wrote {', '.join(p.name for p in files)} in {OUT / 'sensitivity'}")


if __name__ == "__main__":
    main(sys.argv[1:])
