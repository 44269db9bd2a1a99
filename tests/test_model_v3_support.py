"""Shared helpers for the tests of model version 3 (no tests here).

Model version 3 is `models/regional_soft_power_v3.mdl`: 31 provinces on a `Province`
subscript. pysimlin (an independent Rust implementation of Vensim) runs it in about
three seconds; PySD, the reference engine, takes minutes for a full run, so the tests
use PySD only in tests/test_model_v3_engines.py, on a short run.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
MDL = REPO / "models" / "regional_soft_power_v3.mdl"
INPUTS = REPO / "data" / "province_inputs_v3.csv"
LEADER = "sichuan"


@cache
def provinces() -> tuple[str, ...]:
    """The 31 province keys, in the order of the input table (and of the subscript)."""
    table = pd.read_csv(INPUTS)
    return tuple(dict.fromkeys(table.loc[table["province"] != "china", "province"]))


def ident(name: str) -> str:
    """pysimlin's identifier of a Vensim name (`Dominant Soft Power[sichuan]` -> ...)."""
    return re.sub(r"\s+", "_", name.strip().lower())


@cache
def _model(dt: float | None, stop: float | None):
    import simlin

    model = simlin.load(str(MDL))
    specs: dict = {"sim_method": "euler"}
    if dt is not None:
        specs["dt"] = dt
    if stop is not None:
        specs["stop"] = stop
    model.project.set_sim_specs(**specs)
    return model


def run(
    overrides: dict[str, float] | None = None, dt: float | None = None, stop: float | None = None
) -> pd.DataFrame:
    """One pysimlin run; `overrides` by Vensim name, array elements as `Name[province]`."""
    model = _model(dt, stop)
    over = {ident(k): float(v) for k, v in (overrides or {}).items()}
    return model.run(overrides=over, analyze_loops=False).results


def matrix(res: pd.DataFrame, name: str) -> np.ndarray:
    """A subscripted variable as an array of shape (time, province)."""
    return np.column_stack([res[ident(f"{name}[{p}]")].to_numpy(float) for p in provinces()])


def series(res: pd.DataFrame, name: str) -> np.ndarray:
    """A scalar variable (or one element, `Name[province]`) over time."""
    return res[ident(name)].to_numpy(float)


@cache
def status_quo() -> dict[str, dict[str, float]]:
    """Each province's status-quo value of every provincial input, by parameter."""
    table = pd.read_csv(INPUTS)
    table = table[table["province"] != "china"]
    return {
        par: dict(zip(part["province"], part["value"], strict=True))
        for par, part in table.groupby("parameter")
    }


LEVERS = ["education share", "service share", "culture share", "image share", "local tax share"]


def programme(
    factors: dict[str, float], who: tuple[str, ...] = (LEADER,), shift: dict | None = None
) -> dict[str, float]:
    """Overrides that multiply the status-quo levers `factors` for the provinces `who`.

    Example: programme({"culture share": 2}) doubles Sichuan's culture budget share.
    `shift` adds absolute amounts instead (e.g. {"local tax share": 0.01}).
    """
    sq = status_quo()
    out: dict[str, float] = {}
    for lever in LEVERS:
        f = factors.get(lever, 1.0)
        d = (shift or {}).get(lever, 0.0)
        if f == 1.0 and d == 0.0:
            continue
        init = sq[f"Initial {lever}"]
        for p in who:
            out[f"Policy {lever}[{p}]"] = init[p] * f + d
    return out


def cagr(x: np.ndarray, years: np.ndarray, a: int, b: int) -> float:
    """Compound annual growth of `x` between the years `a` and `b`."""
    ia, ib = int(np.where(years == a)[0][0]), int(np.where(years == b)[0][0])
    return float((x[ib] / x[ia]) ** (1 / (b - a)) - 1)
