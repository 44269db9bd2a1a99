"""Marginal returns: what one more unit of money on each budget line buys, in absolute terms.

Each line is measured by a small programme (`Policy programme budget`, default 1 billion
yuan a year from the first projection year, paid by households) spent entirely on that
line, against the same run without it. The result is the change in each outcome per
billion yuan a year, so lines compare in money, not in shares of their own budgets.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from regionsoft_sd.model.metrics import REQUIRED_VARIABLES, compute_metrics

LINES = {
    "education": "Policy programme education share",
    "public services": "Policy programme public service share",
    "culture": "Policy programme culture share",
    "image": "Policy programme image share",
}
OUTCOMES = (
    "dominant_soft_power_end",
    "gdp_end",
    "consumption_per_capita_end",
    "npv_consumption",
    "population_end",
)


def marginal_returns(
    money: float = 1.0, *, base: Mapping[str, float] | None = None, horizon: float | None = None
) -> pd.DataFrame:
    """Change in each outcome per `money` (Byuan a year) spent on each line, one batch.

    `base` sets other constants for every run (e.g. a region's calibration). Rows are the
    lines; columns the outcomes of OUTCOMES, each divided by `money`.
    """
    from regionsoft_sd.batch import simulate

    names = list(LINES)
    n = len(names) + 1
    samples = {k: np.full(n, float(v)) for k, v in (base or {}).items()}
    samples["Policy programme budget"] = np.array([0.0] + [money] * len(names))
    for i, line in enumerate(names, start=1):
        for other, lever in LINES.items():
            col = samples.setdefault(lever, np.zeros(n))
            col[i] = 1.0 if other == line else 0.0
    res = simulate(samples, record=list(REQUIRED_VARIABLES))
    times = res.times if horizon is None else res.times[res.times <= horizon]
    keep = slice(0, len(times))
    m = compute_metrics(times, {k: res.data[k][keep] for k in REQUIRED_VARIABLES})
    rows = {
        line: {o: (float(m[o][i]) - float(m[o][0])) / money for o in OUTCOMES}
        for i, line in enumerate(names, start=1)
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "line"
    return out
