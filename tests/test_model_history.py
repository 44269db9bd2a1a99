"""History: the model, started in 2005 from data, follows the default region (Sichuan)
through 2022 on the main series.

The observed data come from data/china_provinces.csv (NBS, Zhang Jun's capital stock,
Global Data Lab, China Statistical Yearbook); the model never reads them, its 2005
values and a handful of calibrated constants come from them.
"""

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.common.observed_data import observed
from tests.model_helpers import run_batch

SERIES = {  # model variable: (data series, minimum R^2, maximum MAPE)
    "GDP": ("gdp", 0.97, 0.10),
    "Total capital": ("capital", 0.94, 0.10),
    "Population": ("population", None, 0.03),
    "Human Quality": ("mean_schooling", 0.85, 0.05),
    "Government budget": ("budget_total", 0.9, 0.10),
    "Education spending": ("budget_education", 0.8, 0.15),
}


@pytest.fixture(scope="module")
def fit():
    data = observed("sichuan")
    res = run_batch({}, list(SERIES), times=np.arange(2005, 2024.0))
    rows = {}
    for var, (series, _, _) in SERIES.items():
        obs = data[series].dropna().loc[2005:2023]
        model = pd.Series(res.data[var][:, 0], index=res.times).loc[obs.index]
        err = model - obs
        rows[var] = {
            "r2": 1 - (err**2).sum() / ((obs - obs.mean()) ** 2).sum(),
            "mape": float((err.abs() / obs).mean()),
        }
    return pd.DataFrame(rows).T


@pytest.mark.parametrize("var", list(SERIES))
def test_history_fits_the_data(fit, var):
    _, r2_min, mape_max = SERIES[var]
    assert fit.at[var, "mape"] < mape_max, fit.loc[var].to_dict()
    if r2_min is not None:
        assert fit.at[var, "r2"] > r2_min, fit.loc[var].to_dict()


def test_the_run_starts_from_the_2005_data():
    data = observed("sichuan")
    res = run_batch({}, ["GDP", "Total capital", "Population", "Human Quality"])
    for var, series in [
        ("GDP", "gdp"),
        ("Total capital", "capital"),
        ("Population", "population"),
        ("Human Quality", "mean_schooling"),
    ]:
        assert res.data[var][0, 0] == pytest.approx(data.at[2005, series], rel=1e-3)
