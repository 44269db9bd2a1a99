"""Observed provincial data: the shipped table (data/china_provinces.csv) or your own.

The shipped table is tidy (region, year, series, value, unit) and holds the 31
provinces and China, built by `data/china-provinces/build_tidy.py` from published
sources listed in `data/china-provinces/raw/PROVENANCE.md`. Money is in billion
yuan at 2005 prices.

Your own data use the same shape: a CSV file with at least the columns region,
year, series and value (unit is optional), one row per value. A year without a
value needs no row; a row whose value is empty or not a number is an error, so
that a gap is never read as a zero. `read_tidy` validates such a file and raises
`InputError` naming the file, the row and the fix.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.common.errors import InputError, unknown_name
from regionsoft_sd.common.resources import data_dir

DATA_FILE = "china_provinces.csv"
REQUIRED_COLUMNS = ("region", "year", "series", "value")
"""Columns every observations file must have (`unit` is optional)."""


def data_path() -> Path:
    """The shipped observations table (installed package data, or `data/` of a clone)."""
    return data_dir() / DATA_FILE


@lru_cache(maxsize=2)
def _shipped(path: str) -> pd.DataFrame:
    return read_tidy(path)


def observations(path: str | Path | None = None) -> pd.DataFrame:
    """The whole tidy table: the shipped one (cached), or the file at `path` (validated)."""
    if path is None:
        return _shipped(str(data_path()))
    return read_tidy(path)


def read_tidy(path: str | Path) -> pd.DataFrame:
    """Read and validate a tidy observations CSV; return region, year, series, value, unit.

    Region keys are folded to lower case and series names stripped. Raises
    InputError for a missing or unreadable file, a missing column, a year that is
    not a whole number, a value that is empty or not a number, and a value given
    twice for one region, year and series.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(p, None, "file not found", "give the path of a CSV file")
    try:
        raw = pd.read_csv(p, dtype={"region": str, "series": str}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(p, None, f"not a readable CSV file ({first})", "save it as CSV") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            p,
            "columns",
            f"missing column(s) {', '.join(missing)}",
            "the header must name region, year, series and value (unit is optional)",
        )
    df = raw[[*REQUIRED_COLUMNS, *(["unit"] if "unit" in raw.columns else [])]].copy()
    for col in ("region", "series"):
        blank = df[col].isna() | (df[col].astype(str).str.strip() == "")
        if blank.any():
            raise InputError(p, f"row {_row(blank)}: {col}", "is empty", f"give a {col} name")
        df[col] = df[col].astype(str).str.strip()
    df["region"] = df["region"].str.lower()
    year = pd.to_numeric(df["year"], errors="coerce")
    bad = year.isna() | (year != np.round(year))
    if bad.any():
        raise InputError(
            p,
            f"row {_row(bad)}: year",
            f"{df['year'][bad].iloc[0]!r} is not a whole year",
            "write the year as a number such as 2005",
        )
    df["year"] = year.astype(int)
    value = pd.to_numeric(df["value"], errors="coerce")
    bad = value.isna() | ~np.isfinite(value)
    if bad.any():
        i = bad.to_numpy().argmax()
        what = f"{df['region'].iloc[i]} {df['series'].iloc[i]} {df['year'].iloc[i]}"
        raise InputError(
            p,
            f"row {i + 2}: value",
            f"the value of {what} is empty or not a number (NaN)",
            "give a number, or remove the row (a year without data needs no row)",
        )
    df["value"] = value.astype(float)
    dup = df.duplicated(["region", "year", "series"])
    if dup.any():
        i = dup.to_numpy().argmax()
        raise InputError(
            p,
            f"row {i + 2}",
            f"{df['region'].iloc[i]} {df['series'].iloc[i]} {df['year'].iloc[i]} is given twice",
            "keep one row per region, year and series",
        )
    if "unit" not in df.columns:
        df["unit"] = ""
    return df.reset_index(drop=True)


def _row(mask: pd.Series) -> int:
    """CSV line number (header = line 1) of the first True of `mask`."""
    return int(mask.to_numpy().argmax()) + 2


def regions(data: pd.DataFrame | None = None) -> list[str]:
    """Region keys of a table (default: the shipped one: 31 provinces, pinyin, and `china`)."""
    table = observations() if data is None else data
    return sorted(table["region"].unique())


def observed(
    region: str, data: pd.DataFrame | None = None, *, file: str | Path | None = None
) -> pd.DataFrame:
    """One region's series, year x series (NaN where a source has no value).

    `data` is a tidy table (default: the shipped one); `file` names it in messages.
    """
    table = observations() if data is None else data
    where = file if file is not None else (DATA_FILE if data is None else "<observations>")
    key = region.strip().lower()
    if key not in set(table["region"]):
        known = regions(table)
        raise unknown_name(
            where, "region", region, known, "region", f"use one of {', '.join(known)}"
        )
    wide = table[table["region"] == key].pivot(index="year", columns="series", values="value")
    wide.columns.name = None
    return wide.sort_index()
