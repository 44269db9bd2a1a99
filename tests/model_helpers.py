"""Shared helpers for the model validation battery: ranges from the .mdl, and pysimlin runs.

The ranges come from PySD's abstract model of the shipped .mdl (one source of
truth); pysimlin is the independent second engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from regionsoft_sd.model import MODEL_PATH, abstract_model

STOCKS = [
    "Productive Capital",
    "Regional Culture",
    "Public Service Capacity",
    "Human Quality",
    "Regional Image",
    "Value Identity",
    "Dominant Soft Power",
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


def levers() -> list[Constant]:
    """The policy levers: the `Policy ...` constants that scenario files set."""
    return [c for c in constants() if c.name.startswith("Policy ")]


def random_parameter_sets(n: int, seed: int) -> list[dict[str, float]]:
    """`n` parameter sets drawn uniformly from every constant's declared range."""
    rng = np.random.default_rng(seed)
    cs = constants()
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
