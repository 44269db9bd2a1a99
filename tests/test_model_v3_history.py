"""Model version 3 against the provincial history, 2005-2022.

Fit statistics per province: mean absolute percentage error (MAPE) of GDP, capital
(productive plus public), population, mean schooling, the local budget, and the
share of foreign tourism receipts, each over the years the data cover. The model is
calibrated only at 2005 (and on national growth), so these are out-of-sample for
every later year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_model_v3_support import REPO, matrix, provinces, run

SERIES = {
    # name: (model expression, data series, first year, last year)
    "GDP": (lambda r: matrix(r, "GDP"), "gdp", 2005, 2022),
    "capital": (
        lambda r: matrix(r, "Productive Capital") + matrix(r, "Public Service Capital"),
        "capital",
        2005,
        2022,
    ),
    "population": (lambda r: matrix(r, "Population"), "population", 2005, 2019),
    "schooling": (lambda r: matrix(r, "Mean schooling"), "mean_schooling", 2005, 2019),
    "budget": (lambda r: matrix(r, "Local budget"), "budget_total", 2010, 2022),
    "foreign tourism share": (
        lambda r: matrix(r, "Foreign tourism share"),
        "tourism_receipts_intl",
        2005,
        2019,
    ),
}


def fit_table() -> pd.DataFrame:
    """MAPE (%) per province (rows) and series (columns)."""
    res = run()
    years = res.index.to_numpy()
    panel = pd.read_csv(REPO / "data" / "china_provinces.csv")
    wide = panel.pivot_table(index=["series", "year"], columns="region", values="value")
    out = {}
    for name, (model, series, y0, y1) in SERIES.items():
        rows = (years >= y0) & (years <= y1)
        obs = wide.loc[series].loc[y0:y1, list(provinces())]
        if name == "foreign tourism share":
            obs = obs.div(obs.sum(axis=1), axis=0)
        sim = model(res)[rows]
        out[name] = 100 * np.nanmean(np.abs(sim / obs.to_numpy() - 1), axis=0)
    return pd.DataFrame(out, index=list(provinces()))


@pytest.fixture(scope="module")
def table():
    return fit_table()


def test_fit_statistics_per_province(table):
    with pd.option_context("display.width", 200, "display.max_rows", 40):
        print("\nMAPE (%) 2005-2022 per province\n", table.round(1))
        print("median\n", table.median().round(1))
    med = table.median()
    assert med["population"] < 5
    assert med["schooling"] < 10
    assert med["GDP"] < 20
    assert med["capital"] < 25
