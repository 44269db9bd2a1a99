"""Regenerate the figures of docs/model.md from the shipped model.

Usage: `make figures` (or `.venv/bin/python docs/make_figures.py`).
Writes docs/figures/base_run_stocks.png and diagram.png, and the parameter table of
docs/model.md.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from regionsoft_sd.model import MODEL_PATH, abstract_model, load_model  # noqa: E402

OUT = Path(__file__).resolve().parent / "figures"
DOC = Path(__file__).resolve().parent / "model.md"
STOCKS = [
    "Productive Capital",
    "Regional Culture",
    "Public Service Capacity",
    "Human Quality",
    "Regional Image",
    "Value Identity",
    "Dominant Soft Power",
    "Hard Power Index",
]


def units() -> dict[str, str]:
    return {el.name: el.units for el in abstract_model().sections[0].elements}


def stocks_figure() -> plt.Figure:
    base = load_model().run(return_columns=STOCKS)
    cut = load_model().run(params={"R1 feedback switch": 0}, return_columns=STOCKS)
    u = units()
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.5), sharex=True)
    for ax, name in zip(axes.flat, STOCKS, strict=True):
        ax.plot(base.index, base[name], label="base run", color="C0")
        ax.plot(cut.index, cut[name], label="R1 cut", color="C3", linestyle="--")
        ax.set_title(name, fontsize=10)
        ax.set_ylabel(u[name])
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("Year")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Base run, 2025-2075 (index stocks: 2025 = 1), with loop R1 cut for contrast")
    fig.tight_layout()
    return fig


def parameter_table() -> str:
    """Markdown table of every stock and constant: units, initial value, range, source."""
    rows = [
        "| name | kind | units | value | range | description and source |",
        "|---|---|---|---|---|---|",
    ]
    control = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}
    for el in abstract_model().sections[0].elements:
        ast = el.components[0].ast
        is_stock = type(ast).__name__ == "IntegStructure"
        if el.name in control or not (is_stock or isinstance(ast, (int, float))):
            continue
        kind = "stock" if is_stock else ("lever" if el.name.startswith("Policy ") else "constant")
        value = "" if is_stock else f"{ast:g}"
        low, high = el.limits
        rng = "" if low is None else f"[{low:g}, {high:g}]"
        doc = " ".join(el.documentation.split()).replace("|", "/")
        rows.append(f"| {el.name} | {kind} | {el.units} | {value} | {rng} | {doc} |")
    return "\n".join(rows)


def write_parameter_table(doc: Path = DOC) -> None:
    """Replace the table between the markers in docs/model.md."""
    text = doc.read_text()
    start, end = "<!-- parameter-table:start -->", "<!-- parameter-table:end -->"
    head, rest = text.split(start)
    _, tail = rest.split(end)
    doc.write_text(f"{head}{start}\n{parameter_table()}\n{end}{tail}")


def diagram_png() -> bytes:
    import simlin

    return simlin.load(str(MODEL_PATH)).project.render_png("main", width=1400)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    stocks_figure().savefig(OUT / "base_run_stocks.png", dpi=110)
    (OUT / "diagram.png").write_bytes(diagram_png())
    write_parameter_table()
    print(f"wrote figures to {OUT}")


if __name__ == "__main__":
    main()
