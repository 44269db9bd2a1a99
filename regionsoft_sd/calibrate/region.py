"""A region's constants from its data: the 2005 values the model starts from.

These are data, not fitted: calibration sets them from the observations before it
fits anything. Each constant is one formula on the region's series (`MAPPING`,
documented in docs/calibration.md):

- Initial population: population in 2005 (Global Data Lab, million people);
- Initial income relative: GDP per person in 2005 / China's (the model's
  `Initial reference income per capita`);
- Initial capital output ratio: capital stock / GDP in 2005;
- Initial mean schooling: mean years of schooling of adults in 2005;
- Initial cohort schooling: expected years of schooling in 1990 (the cohort
  entering adulthood in 2005);
- Initial soft power budget share: (education + service functions + culture) /
  total budget, 2019;
- Initial education / public service share: each line / the three lines, 2019;
- Initial culture / image share: 90 % / 10 % of the culture line / the three
  lines, 2019;
- Initial tourism market share: the population share of China in 2005.

2019 is the first year of the budget-by-function table and the last before the
2020 shock. A value outside the `.mdl`'s declared range is set to the nearest
bound, with a note: the model cannot start there, and the note says so.

The fit to a held-out cut year (`until`) uses no data after that year, region
constants included: a constant whose formula needs a later value (the budget
shares, whose table starts in 2019) takes the model file's value instead, with a
note. Those values are the same for every province.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import catalogue

BUDGET_YEAR = 2019
"""Year of the budget shares: the first year of the budget-by-function table, before 2020."""
COHORT_LAG = 15
"""The cohort entering adulthood in the first year was at school this many years earlier."""
CULTURE_PART = 0.9
"""Part of the culture-tourism-sport-media line that builds culture; the rest is image."""
SPLIT = ("budget_education", "budget_services", "budget_culture")
"""Budget lines of the four elements (culture and image share one line)."""


@dataclass(frozen=True)
class DataConstant:
    """One region constant: which model constant, how it is computed, from which values."""

    constant: str
    how: str
    needs: tuple[tuple[str, int], ...]
    compute: Callable[[Callable[[str, int], float]], float]


def _mapping(t0: int) -> tuple[DataConstant, ...]:
    cat = catalogue()
    ref_income = float(cat["Initial reference income per capita"].default or np.nan)
    ref_pop = float(cat["Initial reference population"].default or np.nan)
    b, c = BUDGET_YEAR, t0 - COHORT_LAG

    def lines(v: Callable[[str, int], float]) -> float:
        return sum(v(s, b) for s in SPLIT)

    budget = tuple((s, b) for s in (*SPLIT, "budget_total"))
    return (
        DataConstant(
            "Initial population",
            f"population {t0}",
            (("population", t0),),
            lambda v: v("population", t0),
        ),
        DataConstant(
            "Initial income relative",
            f"gdp {t0} / population {t0} / {ref_income:g} (China's GDP per person, "
            "Initial reference income per capita)",
            (("gdp", t0), ("population", t0)),
            lambda v: v("gdp", t0) / v("population", t0) / ref_income,
        ),
        DataConstant(
            "Initial capital output ratio",
            f"capital {t0} / gdp {t0}",
            (("capital", t0), ("gdp", t0)),
            lambda v: v("capital", t0) / v("gdp", t0),
        ),
        DataConstant(
            "Initial mean schooling",
            f"mean_schooling {t0}",
            (("mean_schooling", t0),),
            lambda v: v("mean_schooling", t0),
        ),
        DataConstant(
            "Initial cohort schooling",
            f"expected_schooling {c}",
            (("expected_schooling", c),),
            lambda v: v("expected_schooling", c),
        ),
        DataConstant(
            "Initial soft power budget share",
            f"(budget_education + budget_services + budget_culture) / budget_total, {b}",
            budget,
            lambda v: lines(v) / v("budget_total", b),
        ),
        DataConstant(
            "Initial education share",
            f"budget_education / the three lines, {b}",
            budget,
            lambda v: v("budget_education", b) / lines(v),
        ),
        DataConstant(
            "Initial public service share",
            f"budget_services / the three lines, {b}",
            budget,
            lambda v: v("budget_services", b) / lines(v),
        ),
        DataConstant(
            "Initial culture share",
            f"{CULTURE_PART:g} x budget_culture / the three lines, {b}",
            budget,
            lambda v: CULTURE_PART * v("budget_culture", b) / lines(v),
        ),
        DataConstant(
            "Initial image share",
            f"{1 - CULTURE_PART:g} x budget_culture / the three lines, {b}",
            budget,
            lambda v: (1 - CULTURE_PART) * v("budget_culture", b) / lines(v),
        ),
        DataConstant(
            "Initial tourism market share",
            f"population {t0} / {ref_pop:g} (China's population, Initial reference population)",
            (("population", t0),),
            lambda v: v("population", t0) / ref_pop,
        ),
    )


def mapping() -> tuple[DataConstant, ...]:
    """Every region constant and how it comes from the data (first year: the model's)."""
    return _mapping(int(catalogue().horizon[0]))


@dataclass
class RegionConstants:
    """The constants of one region, their formulas with the numbers, and any notes."""

    region: str
    values: dict[str, float]
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """constant, value, source (one row per constant set from the data)."""
        return pd.DataFrame(
            {
                "constant": list(self.values),
                "value": list(self.values.values()),
                "source": [self.sources.get(k, "") for k in self.values],
            }
        )


def region_constants(
    region: str,
    wide: pd.DataFrame,
    *,
    file: str | Path | None = None,
    skip: frozenset[str] | set[str] = frozenset(),
    until: int | None = None,
) -> RegionConstants:
    """Compute the region constants from `wide` (year x series, as `observed` returns).

    `skip` names constants set otherwise (fitted, or given in the spec): they
    are neither computed nor required. A value the formula needs but the data
    lack raises InputError naming the series, the year and the constant.

    With `until`, only the data up to that year are read (the held-out fit's
    constants): a constant whose formula needs a later year, or a value missing
    there, takes the model file's value with a note, instead of an error.
    """
    cat = catalogue()
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    notes: list[str] = []
    fallback: list[str] = []
    if until is not None:
        wide = wide.loc[wide.index <= until]
    for dc in mapping():
        if dc.constant in skip:
            continue
        if until is not None and not _available(wide, dc):
            value = float(cat[dc.constant].default or np.nan)
            values[dc.constant] = value
            sources[dc.constant] = f"the model file's value (no data up to {until} for: {dc.how})"
            fallback.append(f"{dc.constant} {value:g}")
            continue
        for series, year in dc.needs:
            if (
                series not in wide.columns
                or year not in wide.index
                or np.isnan(wide.at[year, series])
            ):
                raise InputError(
                    file,
                    f"{region}: {series} {year}",
                    f"no value (needed for {dc.constant!r} = {dc.how})",
                    f"add the value to the data, or set {dc.constant!r} in the spec's [constants]",
                )

        def v(series: str, year: int) -> float:
            return float(wide.at[year, series])

        raw = float(dc.compute(v))
        entry = cat[dc.constant]
        value = raw
        if not entry.in_range(raw):
            value = float(np.clip(raw, entry.low, entry.high))
            notes.append(
                f"{dc.constant}: the data give {raw:.4g}, outside the model's range "
                f"{entry.range_text()}; set to {value:g}"
            )
        values[dc.constant] = value
        sources[dc.constant] = f"{dc.how} = {raw:.6g}"
    if fallback:
        notes.append(
            f"fit to {until}: the data up to {until} cannot give "
            f"{len(fallback)} region constants; it uses the model file's values "
            f"({', '.join(fallback)})"
        )
    return RegionConstants(region, values, sources, notes)


def _available(wide: pd.DataFrame, dc: DataConstant) -> bool:
    """Whether `wide` holds every value the formula of `dc` needs."""
    return all(
        series in wide.columns and year in wide.index and not np.isnan(wide.at[year, series])
        for series, year in dc.needs
    )
