"""Regenerate the documentation's figures and the parameter table of docs/model.md.

Usage: `make figures` (or `.venv/bin/python docs/make_figures.py [--sweeps]`).
Writes docs/figures/base_run_stocks.png, diagram.png (Simlin's drawing),
loops.png (the same with the named loops marked, one view per panel), docs/workflow/outcomes.png
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

import pandas as pd
from matplotlib.figure import Figure

from regionsoft_sd.common.io import save_figure, write_between
from regionsoft_sd.common.resources import shipped_scenarios, shipped_specs
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.translate import MODEL_PATH
from regionsoft_sd.reports.plots import plot_outcomes, plot_trajectories
from regionsoft_sd.scenarios.scenario import Scenario
from regionsoft_sd.scenarios.shipped import load_scenario
from regionsoft_sd.simulate import run

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "figures"
DOC = DOCS / "model.md"
MARKERS = ("<!-- parameter-table:start -->", "<!-- parameter-table:end -->")


HISTORY = {  # model variable: (data series, panel title)
    "GDP": ("gdp", "GDP"),
    "Total capital": ("capital", "Fixed capital"),
    "Population": ("population", "Population"),
    "Human Quality": ("mean_schooling", "Mean schooling of adults"),
    "Government budget": ("budget_total", "Local budget expenditure"),
    "Education spending": ("budget_education", "Education spending"),
    "Indicated cohort schooling": ("expected_schooling", "Schooling that spending buys"),
    "Outside tourism spending": ("tourism_receipts_intl", "Tourism (index, 2010 = 1)"),
}


def history_frame(region: str = "sichuan") -> tuple[dict, dict]:
    """Model (base run 2005-2023) and observed series, keyed by model variable."""
    import numpy as np

    from regionsoft_sd.batch import simulate
    from regionsoft_sd.common.observed_data import observed

    data = observed(region)
    res = simulate({"Capital share": np.array([0.4])}, record=list(HISTORY))
    model, obs = {}, {}
    for var, (series, _) in HISTORY.items():
        m = pd.Series(res.data[var][:, 0], index=res.times).loc[2005:2023]
        o = data[series].dropna().loc[2005:2023] if series in data else pd.Series(dtype=float)
        if var == "Outside tourism spending":  # different scope: compare growth, 2010 = 1
            m, o = m / m.loc[2010], o / o.loc[2010]
        model[var], obs[var] = m, o
    return model, obs


def fit_statistics(region: str = "sichuan") -> pd.DataFrame:
    """R^2 and MAPE of the base run against the data, per series (history only)."""
    model, obs = history_frame(region)
    rows = {}
    for var, o in obs.items():
        if o.empty:
            continue
        err = model[var].loc[o.index] - o
        rows[HISTORY[var][1]] = {
            "years": f"{int(o.index.min())}-{int(o.index.max())}",
            "R2": 1 - (err**2).sum() / ((o - o.mean()) ** 2).sum(),
            "MAPE %": 100 * float((err.abs() / o).mean()),
        }
    return pd.DataFrame(rows).T


def history_figure(region: str = "sichuan") -> Figure:
    """Model against data, 2005-2023, for the main series."""
    from regionsoft_sd.model.style import BASELINE_COLOUR, variable_units, wrap

    model, obs = history_frame(region)
    fig = Figure(figsize=(14, 6.6), layout="constrained")
    axes = fig.subplots(2, 4)
    for ax, (var, (_, title)) in zip(axes.flat, HISTORY.items(), strict=True):
        ax.plot(model[var].index, model[var], color=BASELINE_COLOUR, lw=2, label="model")
        if not obs[var].empty:
            ax.plot(obs[var].index, obs[var], "o", ms=4, color="#D55E00", label="data")
        units = "" if "index" in title else variable_units(var)
        ax.set_title(wrap(title, 30), fontsize=11)
        ax.set_ylabel(wrap(units, 28), fontsize=9)
        ax.set_xlim(2004, 2024)
    axes.flat[0].legend(frameon=False)
    fig.suptitle(
        "History: the model started from Sichuan's 2005 data, against the observed series",
        fontsize=13,
    )
    return fig


def dominance_figure() -> Figure:
    """Loop dominance (share of the total loop score) over time, baseline and strategies."""
    from regionsoft_sd.model.loops import loop_dominance, named_loops

    names = [
        "baseline",
        "education_first",
        "services_first",
        "culture_first",
        "image_campaign",
        "balanced",
        "current_mix",
        "austerity",
    ]
    loops = named_loops()
    colours = {
        "R1": "#E74C3C",
        "R2": "#922B21",
        "R3": "#F39C12",
        "R4": "#6E2C00",
        "R5": "#D4AC0D",
        "R6": "#8E44AD",
        "R8": "#16A085",
        "B1": "#1B4F72",
        "B2": "#7F8C8D",
        "B3": "#2E86C1",
        "B4": "#85C1E9",
    }
    colours.update({lp.id: "#566573" for lp in loops if lp.id not in colours})
    colours["other"] = "#D5D8DC"
    fig = Figure(figsize=(15, 7.6), layout="constrained")
    axes = fig.subplots(2, 4, sharex=True, sharey=True)
    for ax, name in zip(axes.flat, names, strict=True):
        shares = loop_dominance(load_scenario(name)).loc[2006:]
        ax.stackplot(
            shares.index,
            [shares[c] for c in shares.columns],
            colors=[colours[c] for c in shares.columns],
            labels=[
                shares.attrs["names"][c] if c == "other" else f"{c} {shares.attrs['names'][c]}"
                for c in shares.columns
            ],
            linewidth=0,
        )
        ax.axvline(2024, color="black", lw=0.8, ls=":")
        ax.set_title(
            name.replace("_", " "), fontsize=11, fontweight="bold" if name == "baseline" else None
        )
        ax.set_ylim(0, 1)
    axes[0, 0].set_ylabel("share of the total loop score")
    axes[1, 0].set_ylabel("share of the total loop score")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside right center", frameon=False, fontsize=9)
    fig.suptitle(
        "Which loops drive the model (Loops That Matter); dotted line: start of the projection",
        fontsize=13,
    )
    return fig


def stocks_figure() -> Figure:
    """The region's main stocks and outcomes, 2005-2075: baseline and loop knock-outs."""
    variables = [
        "Dominant Soft Power",
        "GDP",
        "Consumption per capita",
        "Population",
        "Human Quality",
        "Regional Culture",
        "Public Service Capacity",
        "Value Identity",
    ]
    cuts = {
        "baseline": {},
        "R1 cut: no soft power attraction": {"Soft power attraction switch": 0},
        "R6 cut: no innovation from schooling": {"Innovation switch": 0},
        "R8 cut: no tourism dividend": {"Tourism switch": 0},
    }
    runs = {
        label: run(
            Scenario.from_dict({"name": "fig", "description": label, "parameters": params}),
            variables=variables,
        )
        for label, params in cuts.items()
    }
    return plot_trajectories(
        runs,
        variables,
        ncols=4,
        title="Base run 2005-2075 and three loop knock-outs",
        baseline="baseline",
    )


def workflow_figure():
    """The README's figure: the shipped scenarios' key outcomes and their gap to the baseline."""
    runs = {name: run(load_scenario(name)) for name in shipped_scenarios()}
    return plot_outcomes(runs)


DECISIONS = [  # (strategy, against, metric): the choices the sensitivity chapter explains
    ("culture_first", "baseline", "dominant_soft_power_end"),
    ("culture_first", "education_first", "dominant_soft_power_end"),
    ("culture_first", "education_first", "consumption_per_capita_end"),
    ("culture_first", "baseline", "npv_consumption"),
    ("education_first", "baseline", "npv_consumption"),
]
SENSITIVITY = DOCS / "sensitivity.md"


def sweep_figures(dest: Path = OUT / "sensitivity") -> list[Path]:
    """Run the shipped sweeps, copy their figures into `dest`, write the decision table."""
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
            if name == "strategy_robustness":
                table = decision_table(spec, Path(tmp) / name)
                write_between(
                    SENSITIVITY, "<!-- decisions:start -->", "<!-- decisions:end -->", table
                )
    for old in dest.glob("*.png"):
        if old not in copied:
            old.unlink()
    return copied


def decision_table(spec_path: Path, out: Path, top: int = 3) -> str:
    """Markdown: for each choice in DECISIONS, the mean difference, how often the first
    strategy wins, and the parameters with the largest total Sobol index of the difference."""
    from regionsoft_sd.futures.analysis import sobol_indices
    from regionsoft_sd.futures.designs import unit_problem
    from regionsoft_sd.sweep.spec import load_spec

    spec = load_spec(spec_path)
    runs = pd.read_parquet(out / "runs.parquet")
    samples = pd.read_parquet(out / "samples.parquet")
    main = samples.index[samples["design"] == "main"]
    wide = runs.pivot(index="run", columns="strategy")
    rows = [
        "| choice | outcome | mean difference | first wins in | largest total Sobol indices "
        "of the difference |",
        "|---|---|---:|---:|---|",
    ]
    for a, b, metric in DECISIONS:
        d = (wide[(metric, a)] - wide[(metric, b)]).loc[main].to_numpy()
        first, _ = sobol_indices(unit_problem(spec.names), d, second_order=True, seed=1)
        best = first.sort_values("ST", ascending=False).head(top)
        drivers = ", ".join(f"{p} {st:.2f}" for p, st in best["ST"].items())
        rows.append(
            f"| {a} − {b} | {metric} | {d.mean():+.4g} | {100 * (d > 0).mean():.0f} % | {drivers} |"
        )
    return "\n".join(rows)


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
    write_between(doc, *MARKERS, parameter_table())


def history_table() -> str:
    """Markdown table of the history fit statistics."""
    fit = fit_statistics()
    rows = ["| series | years | R² | mean abs. % error |", "|---|---|---:|---:|"]
    for name, r in fit.iterrows():
        rows.append(f"| {name} | {r['years']} | {r['R2']:.2f} | {r['MAPE %']:.1f} |")
    return "\n".join(rows)


def returns_table() -> str:
    """Markdown table of the marginal returns per billion yuan a year."""
    from regionsoft_sd.returns import marginal_returns

    r = marginal_returns()
    rows = [
        "| line | dominant soft power 2075 | GDP 2075 (billion yuan) | consumption per person "
        "2075 (yuan) | present value of consumption per person (yuan) | population 2075 "
        "(thousand) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for line, v in r.iterrows():
        rows.append(
            f"| {line} | {v['dominant_soft_power_end']:+.5f} | {v['gdp_end']:+.2f} | "
            f"{1000 * v['consumption_per_capita_end']:+.1f} | {1000 * v['npv_consumption']:+.0f} | "
            f"{1000 * v['population_end']:+.1f} |"
        )
    return "\n".join(rows)


def diagram_png() -> bytes:
    """The stock-and-flow diagram as Simlin draws it from the .mdl sketch."""
    import simlin

    return simlin.load(str(MODEL_PATH)).project.render_png("main", width=1400)


def main(argv: list[str]) -> None:
    from regionsoft_sd.model.loops import loop_panels

    OUT.mkdir(parents=True, exist_ok=True)
    save_figure(stocks_figure(), OUT / "base_run_stocks.png")
    save_figure(history_figure(), OUT / "history.png")
    save_figure(dominance_figure(), OUT / "loop_dominance.png")
    (OUT / "diagram.png").write_bytes(diagram_png())
    save_figure(loop_panels(), OUT / "loops.png", dpi=100)
    save_figure(workflow_figure(), DOCS / "workflow" / "outcomes.png")
    write_parameter_table()
    write_between(DOC, "<!-- history-fit:start -->", "<!-- history-fit:end -->", history_table())
    write_between(DOC, "<!-- returns:start -->", "<!-- returns:end -->", returns_table())
    print(
        "wrote base_run_stocks.png, history.png, loop_dominance.png, diagram.png, loops.png "
        f"in {OUT}"
    )
    print(f"wrote the README's figure and the parameter table in {DOC}")
    if "--sweeps" in argv:
        files = sweep_figures()
        print(f"wrote {', '.join(p.name for p in files)} in {OUT / 'sensitivity'}")


if __name__ == "__main__":
    main(sys.argv[1:])
