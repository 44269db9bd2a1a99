"""Shared helpers for the model validation battery: ranges from the .mdl, and pysimlin runs.

The ranges come from PySD's abstract model of the shipped .mdl (one source of
truth); pysimlin is the independent second engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.model.translate import MODEL_PATH, abstract_model

STOCKS = [
    "Young Adults",
    "Older Adults",
    "Young Human Capital",
    "Older Human Capital",
    "Cohort schooling",
    "Outside Talent Pool",
    "Productive Capital",
    "Regional productivity",
    "Public Service Capacity",
    "Government efficiency",
    "Regional Culture",
    "Regional Image",
    "Value Identity",
]
"""The stocks that feed back (the region's state). The reference region's stocks and the
technology frontier are exogenous inputs; the cumulative spending stocks are accounting."""
EXOGENOUS_STOCKS = [
    "Reference income per capita",
    "Reference population",
    "Reference capital output ratio",
    "Reference culture per capita",
    "Reference service capacity per capita",
    "Productivity frontier",
]
ACCOUNTING_STOCKS = ["Cumulative soft power spending", "Cumulative programme spending"]
OUTCOMES = [
    "Dominant Soft Power",
    "Potential Soft Power",
    "GDP",
    "Consumption per capita",
    "Population",
    "Human Quality",
]
CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}


@dataclass(frozen=True)
class Constant:
    name: str
    value: float
    low: float
    high: float
    units: str


@cache
def constants() -> tuple[Constant, ...]:
    """Every model constant (a number as its equation) with its declared range."""
    out = []
    for el in abstract_model().sections[0].elements:
        ast = el.components[0].ast
        if el.name in CONTROL or not isinstance(ast, (int, float)):
            continue
        low, high = el.limits
        out.append(Constant(el.name, float(ast), float(low), float(high), el.units))
    return tuple(out)


def switches() -> list[str]:
    """The structural and loop switches (0/1 constants named `... switch`)."""
    return [c.name for c in constants() if c.name.endswith(" switch")]


def levers() -> list[Constant]:
    """The policy levers: the `Policy ...` constants that scenario files set."""
    return [c for c in constants() if c.name.startswith("Policy ")]


def random_parameter_sets(n: int, seed: int) -> list[dict[str, float]]:
    """`n` parameter sets drawn uniformly from every constant's declared range.

    Switches are structural choices, not parameters, and keep their value.
    """
    rng = np.random.default_rng(seed)
    cs = [c for c in constants() if not c.name.endswith(" switch")]
    lows = np.array([c.low for c in cs])
    highs = np.array([c.high for c in cs])
    draws = rng.uniform(lows, highs, size=(n, len(cs)))
    return [{c.name: float(v) for c, v in zip(cs, row, strict=True)} for row in draws]


def simlin_name(name: str) -> str:
    """pysimlin's identifier for a Vensim variable name."""
    return re.sub(r"\s+", "_", name.strip().lower())


@cache
def _simlin_model(method: str, dt: float | None):
    import simlin

    model = simlin.load(str(MODEL_PATH))
    specs = {"sim_method": method}
    if dt is not None:
        specs["dt"] = dt
    model.project.set_sim_specs(**specs)
    return model


def run_simlin(
    params: dict[str, float] | None = None, method: str = "euler", dt: float | None = None
) -> pd.DataFrame:
    """Run the .mdl in pysimlin; columns renamed to the model's Vensim names."""
    model = _simlin_model(method, dt)
    overrides = {simlin_name(k): v for k, v in (params or {}).items()}
    res = model.run(overrides=overrides, analyze_loops=False).results
    names = {simlin_name(el.name): el.name for el in abstract_model().sections[0].elements}
    return res.rename(columns=lambda c: names.get(c, c))


def run_pysd(params: dict[str, float] | None = None, **kwargs) -> pd.DataFrame:
    """Run the .mdl in PySD on a fresh model (PySD keeps params between runs)."""
    from regionsoft_sd import load_model

    return load_model().run(params=params or {}, **kwargs)


def max_rel_diff(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> float:
    """Largest relative difference, scaled by the larger magnitude (floor 1e-12)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
    return float(np.max(np.abs(a - b) / scale))


def time_step() -> float:
    """TIME STEP as declared in the .mdl."""
    element = next(e for e in abstract_model().sections[0].elements if e.name == "TIME STEP")
    return float(element.components[0].ast)


def run_batch(samples: dict, record: list[str], times=None, **kwargs):
    """Run the batch engine (cross-checked against PySD in tests/test_batch.py)."""
    from regionsoft_sd.batch import simulate

    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in samples.items()}
    if not arrays:
        arrays = {"Capital share": np.array([0.4])}
    return simulate(arrays, record=record, times=times, **kwargs)


class Equilibrium:
    """The model's equilibrium with exogenous growth off, and its step map in PySD.

    PySD keeps every stateful object, including the INITIAL() values the production
    function is normalised by, in an exported pickle; a perturbation sets only the
    stocks (`_set_stateful`), so nothing else re-initialises.
    """

    BURN_IN = 600  # years run from 2005 before polishing with Newton's method

    def __init__(self, params: dict | None = None) -> None:
        import tempfile
        import warnings

        from regionsoft_sd import load_model

        # past 2075 PySD reads history lookups beyond their last year (both IF branches
        # are evaluated); those values are multiplied by the switch at 0
        warnings.filterwarnings("ignore", message=".*extrapolating data.*")
        warnings.filterwarnings("ignore", message=".*Compatibility of exported states.*")
        self.params = {"Exogenous growth switch": 0, **(params or {})}
        self.model = load_model()
        self.t = 2005 + self.BURN_IN
        run = self.model.run(
            params=self.params, final_time=self.t, return_columns=STOCKS, return_timestamps=[self.t]
        )
        self.pickle = str(Path(tempfile.mkdtemp(prefix="regionsoft-eq-")) / "equilibrium.pic")
        self.model.export(self.pickle)
        self.integ = {s: "_integ_" + self.model.namespace[s] for s in STOCKS}
        self.dt = time_step()
        self.x = self.polish(run.iloc[-1][STOCKS].to_numpy(dtype=float))

    def run_from(self, x: np.ndarray, years: float, columns=None, every: float = 1.0):
        """Run from state `x` (stocks in STOCKS order) at the equilibrium time."""
        self.model.import_pickle(self.pickle)
        self.model._set_stateful(
            {self.integ[s]: {"state": v} for s, v in zip(STOCKS, x, strict=True)}
        )
        stamps = np.arange(self.t, self.t + years + 1e-9, every)
        return self.model.run(
            params=self.params,
            initial_condition="current",
            final_time=self.t + years,
            return_columns=columns or STOCKS,
            return_timestamps=stamps,
        )

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """d(stocks)/dt at `x`: one Euler step, divided by TIME STEP."""
        out = self.run_from(x, self.dt, every=self.dt)
        return (out.iloc[-1][STOCKS].to_numpy(dtype=float) - x) / self.dt

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """Central finite-difference Jacobian of the derivative at `x`."""
        jac = np.zeros((len(x), len(x)))
        for j in range(len(x)):
            h = 1e-6 * max(abs(x[j]), 1e-6)
            up, down = x.copy(), x.copy()
            up[j] += h
            down[j] -= h
            jac[:, j] = (self.derivative(up) - self.derivative(down)) / (2 * h)
        return jac

    def polish(self, x: np.ndarray, steps: int = 10) -> np.ndarray:
        """Newton's method on derivative(x) = 0, from the end of the burn-in."""
        for _ in range(steps):
            f = self.derivative(x)
            if np.max(np.abs(f) / np.maximum(np.abs(x), 1e-9)) < 1e-10:
                break
            x = x - np.linalg.solve(self.jacobian(x), f)
        return x


def batch_run(scenario, variables=None) -> pd.DataFrame:
    """A `simulate.run()`-shaped frame (time x variables, units and scenario in attrs) from
    the batch engine, which matches PySD to 1e-9 (tests/test_batch.py): for tests of what
    is done with a run (figures, reports), not of PySD, at a fraction of PySD's seconds."""
    from regionsoft_sd.batch import simulate
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.simulate import default_variables

    cat = catalogue()
    cols = default_variables() if variables is None else [cat.resolve(v) for v in variables]
    cols = list(dict.fromkeys(cols))
    res = simulate(base=scenario, record=cols)
    df = pd.DataFrame(
        {c: res.data[c][:, 0] for c in cols},
        index=pd.Index(np.asarray(res.times, dtype=float), name="time"),
    )
    df.columns.name = "variable"
    df.attrs["units"] = {c: cat[c].units for c in cols}
    df.attrs["scenario"] = scenario.name
    return df
