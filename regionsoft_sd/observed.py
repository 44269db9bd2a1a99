"""Observed provincial data shipped with the package (data/china_provinces.csv).

A tidy table (region, year, series, value, unit) of the 31 provinces and China, built by
`data/china-provinces/build_tidy.py` from published sources listed in
`data/china-provinces/raw/PROVENANCE.md`. Money is in billion yuan at 2005 prices.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from regionsoft_sd.errors import InputError
from regionsoft_sd.model import PACKAGE_ROOT

DATA_PATH = PACKAGE_ROOT / "data" / "china_provinces.csv"


@lru_cache(maxsize=2)
def observations() -> pd.DataFrame:
    """The whole tidy table."""
    return pd.read_csv(DATA_PATH)


def regions() -> list[str]:
    """Region keys: the 31 provinces (pinyin) and `china`."""
    return sorted(observations()["region"].unique())


def observed(region: str) -> pd.DataFrame:
    """One region's series, year x series (NaN where a source has no value)."""
    data = observations()
    key = region.strip().lower()
    if key not in set(data["region"]):
        raise InputError(
            DATA_PATH.name,
            "region",
            f"unknown region {region!r}",
            f"use one of {', '.join(regions())}",
        )
    wide = data[data["region"] == key].pivot(index="year", columns="series", values="value")
    wide.columns.name = None
    return wide
