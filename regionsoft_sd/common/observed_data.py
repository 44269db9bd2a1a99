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

import warnings
from dataclasses import dataclass
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
    not a whole number in YEARS, a value that is empty or not a number, a value
    given twice for one region, year and series, and a value without physical
    sense (`check_sense`: a non-positive GDP, population or budget, a magnitude
    outside the plausible band of its series).
    """
    p = Path(path)
    if not p.is_file():
        what = "is not a regular file" if p.exists() else "file not found"
        raise InputError(p, None, what, "give the path of a CSV file")
    try:
        with warnings.catch_warnings():  # a row longer than the header: an error, not a shift
            warnings.simplefilter("error", pd.errors.ParserWarning)
            raw = pd.read_csv(
                p,
                dtype={"region": str, "series": str, "year": str, "value": str},
                keep_default_na=True,
                index_col=False,
            )
    except pd.errors.ParserWarning as exc:
        raise InputError(
            p,
            None,
            "a row has more fields than the header",
            "give every row the header's columns (quote a value that holds a comma)",
        ) from exc
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
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(year) | (year != np.round(year)) | (year < YEARS[0]) | (year > YEARS[1])
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise InputError(
            p,
            _where(df, i, _text(df["year"].iloc[i])),
            f"the year is not a whole year from {YEARS[0]} to {YEARS[1]} (row {i + 2})",
            "write the year as a whole number such as 2005",
        )
    df["year"] = year.astype(int)
    value = pd.to_numeric(df["value"], errors="coerce")
    bad = value.isna() | ~np.isfinite(value)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raw = df["value"].iloc[i]
        if pd.isna(raw):
            what = "the value is empty or NaN"
        elif np.isinf(value.iloc[i]):
            what = f"the value {_text(raw)} is not finite"
        else:
            what = f"the value {_text(raw)} is not a number"
        raise InputError(
            p,
            _where(df, i),
            f"{what} (row {i + 2})",
            "give a number, or remove the row (a year without data needs no row)",
        )
    df["value"] = value.astype(float)
    dup = df.duplicated(["region", "year", "series"])
    if dup.any():
        i = int(dup.to_numpy().argmax())
        raise InputError(
            p,
            _where(df, i),
            f"the value is given twice (row {i + 2} repeats an earlier row)",
            "keep one row per region, year and series",
        )
    if "unit" not in df.columns:
        df["unit"] = ""
    df = df.reset_index(drop=True)
    check_sense(df, p)
    return df


# -- physical sense ---------------------------------------------------------------------------
YEARS = (1949, 2100)
"""Plausible years of an observation (inclusive)."""


@dataclass(frozen=True)
class SeriesRule:
    """What a value of one series may be, in the unit the model reads it in.

    `low`..`high` is a wide plausible band for a province or a country (inclusive);
    `positive` refuses zero as well (the value divides or is logged). `unit` is
    said in the fix, so that a value given in another unit (people, not million
    people) is recognised by its magnitude.
    """

    unit: str
    low: float
    high: float
    positive: bool = True


_MONEY = "billion yuan at 2005 prices"
SERIES_RULES: dict[str, SeriesRule] = {
    "population": SeriesRule("million people", 0.1, 2000.0),  # 100 000 to 2 billion people
    "gdp": SeriesRule(_MONEY, 0.01, 1e6),
    "gdp_nominal": SeriesRule("billion yuan at current prices", 0.01, 1e6),
    "capital": SeriesRule(_MONEY, 0.01, 1e7),
    "gfcf": SeriesRule(f"{_MONEY} a year", 0.0, 1e6, positive=False),
    "budget_total": SeriesRule(f"{_MONEY} a year", 1e-3, 1e6),
    "budget_education": SeriesRule(f"{_MONEY} a year", 1e-3, 1e6),
    "budget_services": SeriesRule(f"{_MONEY} a year", 1e-3, 1e6),
    "budget_culture": SeriesRule(f"{_MONEY} a year", 1e-3, 1e6),
    "budget_science_tech": SeriesRule(f"{_MONEY} a year", 1e-3, 1e6),
    "mean_schooling": SeriesRule("years", 0.0, 25.0, positive=False),
    "expected_schooling": SeriesRule("years", 0.0, 25.0, positive=False),
    "price_index": SeriesRule("2005 = 1", 1e-3, 1e3),
    "tourism_receipts_intl": SeriesRule("million US dollars a year", 0.0, 1e7, positive=False),
    "tourism_spending_domestic": SeriesRule("billion yuan a year", 0.0, 1e6, positive=False),
}
"""The physical-sense rule of each known series (names compared case-insensitively)."""
OTHER_RULE = SeriesRule("its unit", -1e15, 1e15, positive=False)
"""Any other series: a finite value of a plausible magnitude."""


@dataclass(frozen=True)
class RatioRule:
    """A plausible band for sum(`parts`) / `whole` of one region and year (both present).

    `what` names the ratio in the message, `scale` turns it into the unit shown
    there, and `fix` says what to check.
    """

    parts: tuple[str, ...]
    whole: str
    low: float
    high: float
    what: str
    fix: str
    scale: float = 1.0
    unit: str = ""


_LINES = ("budget_education", "budget_services", "budget_culture")
RATIO_RULES: tuple[RatioRule, ...] = (
    RatioRule(
        ("gdp",),
        "population",
        0.1,
        5000.0,
        "GDP per person",
        "give gdp in billion yuan and population in million people",
        scale=1000.0,  # billion yuan / million people = thousand yuan
        unit=" yuan",
    ),
    RatioRule(
        ("capital",),
        "gdp",
        0.1,
        50.0,
        "capital / GDP",
        "give both in billion yuan at 2005 prices",
    ),
    RatioRule(
        ("budget_total",),
        "gdp",
        0.005,
        5.0,
        "budget_total / GDP",
        "give both in billion yuan at 2005 prices",
    ),
    RatioRule(
        _LINES,
        "budget_total",
        0.0,
        1.0,
        "the lines' share of it (education, services, culture)",
        "give the lines in the unit of budget_total",
    ),
    RatioRule(
        ("budget_science_tech",),
        "budget_total",
        0.0,
        1.0,
        "its share of budget_total",
        "give it in the unit of budget_total",
    ),
)
"""Relations between series that a region's values must keep (where both are given)."""
GDP_PER_PERSON = (RATIO_RULES[0].low, RATIO_RULES[0].high)
"""Plausible GDP per person (gdp / population), thousand yuan: 100 yuan to 5 million yuan."""


def check_sense(df: pd.DataFrame, file: str | Path) -> None:
    """Raise InputError for the first value of `df` that makes no physical sense.

    Each series is checked against its rule (`SERIES_RULES`, else `OTHER_RULE`),
    then each relation of `RATIO_RULES` where a region has all its series in a
    year. The message names the file, the series, the region and the year.
    """
    if df.empty:
        return
    names = df["series"].str.lower()
    rules = [SERIES_RULES.get(n, OTHER_RULE) for n in names]
    low = np.array([r.low for r in rules])
    high = np.array([r.high for r in rules])
    positive = np.array([r.positive for r in rules])
    v = df["value"].to_numpy(dtype=float)
    bad = (v < low) | (v > high) | (positive & (v <= 0))
    if bad.any():
        i = int(bad.argmax())
        rule, x = rules[i], v[i]
        if rule.positive and x <= 0:
            problem = f"{_num(x)} is not positive"
        else:
            side = "below" if x < rule.low else "above"
            bound = rule.low if x < rule.low else rule.high
            problem = f"{_num(x)} is {side} the plausible {_num(bound)}"
        raise InputError(
            file,
            _where(df, i),
            problem,
            f"give it in {rule.unit}, from {_num(rule.low)} to {_num(rule.high)}",
        )
    needed = {s for r in RATIO_RULES for s in (*r.parts, r.whole)}
    rows = df[names.isin(needed)].assign(key=names[names.isin(needed)])
    if rows.empty:
        return
    wide = rows.pivot_table(
        index=["region", "year"], columns="key", values="value", aggfunc="first"
    )
    for r in RATIO_RULES:
        if not all(c in wide.columns for c in (*r.parts, r.whole)):
            continue
        ratio = wide[list(r.parts)].sum(axis=1, min_count=len(r.parts)) / wide[r.whole]
        off = ((ratio < r.low) | (ratio > r.high)) & ratio.notna()
        if not off.any():
            continue
        region, year = off[off].index[0]
        named = r.parts[0] if len(r.parts) == 1 else r.whole  # the one series to look at
        i = int(((df["region"] == region) & (df["year"] == year) & (names == named)).argmax())
        raise InputError(
            file,
            _where(df, i),
            f"{r.what} is {_num(ratio[(region, year)] * r.scale)}{r.unit}, outside the "
            f"plausible {_num(r.low * r.scale)} to {_num(r.high * r.scale)}",
            r.fix,
        )


def _where(df: pd.DataFrame, i: int, year: str | None = None) -> str:
    """The key of row `i` in a message: series S, region R, year Y."""
    y = str(df["year"].iloc[i]) if year is None else year
    return f"series {df['series'].iloc[i]}, region {df['region'].iloc[i]}, year {y}"


def _num(x: float) -> str:
    """A number as people read it: 2000, 0.5, 83248955, 1e+308 (never numpy's repr)."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e12 else f"{x:.4g}"


def _text(raw: object) -> str:
    """A raw CSV cell for a message (short, never a repr of a numpy type)."""
    text = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw).strip()
    return text[:20] + "..." if len(text) > 23 else (text or "(empty)")


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
