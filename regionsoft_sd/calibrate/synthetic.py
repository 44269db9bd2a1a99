"""Synthetic truth: data made by the model itself, to check that a calibration recovers it.

`synthetic_setting(spec, setting, truth)` runs the model at known parameter values
`truth` (the rest of the region as it is: its data constants and the spec's fixed
ones), and replaces each fitted series by the model's values in the years the
real series has (so the synthetic data have the real gaps), with independent
noise at the spec's error scale:

    log series:   value = model x exp(noise x sigma x e),   e ~ N(0, 1)
    other series: value = model + noise x sigma x e

Fitting that setting must give back `truth` within the reported intervals (about
`level` of the time for each parameter, as the errors are what the likelihood
assumes); with `noise = 0` the estimate must be the truth itself wherever the
data identify it. `recovery` tabulates both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from regionsoft_sd.calibrate.problem import Problem
from regionsoft_sd.calibrate.result import CalibrationResult, Setting
from regionsoft_sd.calibrate.spec import CalibrationSpec


def synthetic_setting(
    spec: CalibrationSpec,
    setting: Setting,
    truth: Mapping[str, float],
    *,
    seed: int = 0,
    noise: float = 1.0,
) -> Setting:
    """The region with its fitted series made by the model at `truth`, plus noise."""
    missing = [n for n in spec.names if n not in truth]
    if missing:
        raise ValueError(f"the truth lacks {missing}")
    x = np.array([[float(truth[n]) for n in spec.names]])
    with Problem(spec, setting.wide, setting.base) as prob:
        sim = prob.simulate(x)
    if sim.fault[0]:
        raise ValueError(f"the model fails at the truth: {sim.fault[0]}")
    rng = np.random.default_rng(seed)
    wide = setting.wide.copy()
    last = max(spec.end, spec.holdout.end if spec.holdout else spec.end)
    for t in spec.targets:
        col = wide[t.data].loc[spec.start : last].dropna()
        years = col.index.to_numpy(dtype=int)
        model = sim.at(t.variable, years)[0]
        e = rng.standard_normal(len(years))
        values = (
            model * np.exp(noise * t.sigma * e)
            if t.transform == "log"
            else model + noise * t.sigma * e
        )
        wide.loc[years, t.data] = values
    return replace(setting, wide=wide, data_label=f"synthetic ({setting.data_label})")


def recovery(result: CalibrationResult, truth: Mapping[str, float]) -> pd.DataFrame:
    """Per parameter: the truth, the estimate, the interval, and whether it holds the truth."""
    p = result.parameters.set_index("parameter")
    rows = []
    for name in result.spec.names:
        r = p.loc[name]
        rows.append(
            {
                "parameter": name,
                "truth": float(truth[name]),
                "estimate": float(r["estimate"]),
                "lower": float(r["lower"]),
                "upper": float(r["upper"]),
                "method": r["method"],
                "covered": bool(r["lower"] <= truth[name] <= r["upper"]),
                "error_share": abs(float(r["estimate"]) - float(truth[name]))
                / (float(r["bound_high"]) - float(r["bound_low"])),
                "identifiable": r["identifiable"],
            }
        )
    return pd.DataFrame(rows)
