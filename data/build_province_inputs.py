"""Derive the 31 provinces' 2005 initial values and constants for model version 3.

Reads the tidy panel `data/china_provinces.csv` (its sources are listed in
`data/china-provinces/raw/PROVENANCE.md`) and writes

- `data/province_inputs_v3.csv`: one row per province and parameter (province,
  parameter, value, unit, source), the numbers the .mdl's constant arrays hold;
- with `--vensim`, the Vensim constant arrays on stdout, to paste into
  `models/regional_soft_power_v3.mdl` (tests/test_model_v3_data.py checks that the
  .mdl and the CSV agree, so the model's numbers stay traceable to the data).

Every assumption is stated in `data/PROVENANCE_v3.md`.

Run: `python data/build_province_inputs.py [--vensim]`.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent
PANEL = DATA / "china_provinces.csv"
OUT = DATA / "province_inputs_v3.csv"
START = 2005
LOCAL_REVENUE_RATIO = 0.10
"""Assumed local general budget revenue / GDP, the same in every province (national local
revenue was about 10 % of GDP; Ministry of Finance final accounts). What a province spends
above it is read as a central transfer."""
IMAGE_PART = 0.1
"""Assumed part of the culture-tourism-sport-media line that is promotion (image); the rest
builds cultural supply. No published split exists."""
PROJECTION = {2030: 0.40, 2040: 0.36, 2050: 0.33, 2075: 0.30, 2100: 0.30}
"""Assumed projection of the national investment rate after the data end (gradual
rebalancing towards the rates of upper-middle-income economies)."""
MIGRATION_YEARS = (2005, 2010)
"""Net migration is read from population growth over these years (GDL SHDI population)."""


def provinces(panel: pd.DataFrame) -> list[str]:
    """The 31 province keys in the panel's order (the national row `china` left out)."""
    keys = list(dict.fromkeys(panel["region"]))
    return [k for k in keys if k != "china"]


def wide(panel: pd.DataFrame) -> pd.DataFrame:
    """Province-year table, one column per series."""
    return panel.pivot_table(index=["region", "year"], columns="series", values="value")


def value(w: pd.DataFrame, region: str, series: str, year: int) -> float:
    """One observed value; KeyError names the gap."""
    v = w.loc[(region, year), series]
    if pd.isna(v):
        raise KeyError(f"{region} {series} {year} is missing from {PANEL.name}")
    return float(v)


def build(panel: pd.DataFrame) -> pd.DataFrame:
    """The tidy table of province inputs (province, parameter, value, unit, source)."""
    w = wide(panel)
    keys = provinces(panel)
    rows: list[tuple[str, str, float, str, str]] = []
    gdp05 = {k: value(w, k, "gdp", START) for k in keys}
    ratio10 = {k: value(w, k, "budget_total", 2010) / value(w, k, "gdp", 2010) for k in keys}
    needed = {k: max(ratio10[k] - LOCAL_REVENUE_RATIO, 0.0) * gdp05[k] for k in keys}
    pop05 = {k: value(w, k, "population", START) for k in keys}
    ybar = sum(gdp05.values()) / sum(pop05.values())
    eps = equalisation_exponent(w, keys)
    rule = {k: pop05[k] * (ybar / (gdp05[k] / pop05[k])) ** eps for k in keys}
    rule_total, needed_total = sum(rule.values()), sum(needed.values())
    y0, y1 = MIGRATION_YEARS
    pop0 = {k: value(w, k, "population", y0) for k in keys}
    pop1 = {k: value(w, k, "population", y1) for k in keys}
    national_growth = (sum(pop1.values()) / sum(pop0.values())) ** (1 / (y1 - y0)) - 1
    for k in keys:
        gdp = value(w, k, "gdp", START)
        budget10 = value(w, k, "budget_total", 2010)
        budget19 = value(w, k, "budget_total", 2019)
        growth = (pop1[k] / pop0[k]) ** (1 / (y1 - y0)) - 1
        src_gdl = "GDL SHDI (data/china_provinces.csv)"
        rows += [
            (k, "Initial population", pop0[k], "Mperson", f"{src_gdl}, {START}"),
            (
                k,
                "Initial mean schooling",
                value(w, k, "mean_schooling", START),
                "Schoolyear",
                f"{src_gdl} msch (adults 25+), {START}",
            ),
            (
                k,
                "Initial entrant schooling",
                value(w, k, "expected_schooling", START),
                "Schoolyear",
                f"{src_gdl} esch (expected years of schooling), {START}",
            ),
            (
                k,
                "Observed GDP 2005",
                gdp,
                "Byuan/Year",
                "NBS provincial GDP, 2005 prices (data/china_provinces.csv)",
            ),
            (
                k,
                "Initial total capital",
                value(w, k, "capital", START),
                "Byuan",
                "Zhang Jun capital stock, 2005 prices (CHNCapitalStock)",
            ),
            (
                k,
                "Observed investment rate",
                value(w, k, "gfcf", START) / gdp,
                "Dmnl",
                "GFCF / GDP, 2005 (CHNCapitalStock asset.rda; NBS GDP)",
            ),
            (
                k,
                "Observed budget ratio",
                budget10 / value(w, k, "gdp", 2010),
                "Dmnl",
                "local general budget expenditure / GDP, 2010 (China Statistical Yearbook)",
            ),
            (
                k,
                "Initial education share",
                value(w, k, "budget_education", 2010) / budget10,
                "Dmnl",
                "education / total local budget expenditure, 2010 (yearbook)",
            ),
            (
                k,
                "Initial service share",
                value(w, k, "budget_services", 2019) / budget19,
                "Dmnl",
                "service functions / total budget, 2019 (yearbook table 7-6)",
            ),
            (
                k,
                "Initial culture share",
                (1 - IMAGE_PART) * value(w, k, "budget_culture", 2019) / budget19,
                "Dmnl",
                "culture-tourism-sport-media / total budget, 2019 (yearbook table 7-6), "
                f"less the assumed image part {IMAGE_PART}",
            ),
            (
                k,
                "Initial image share",
                IMAGE_PART * value(w, k, "budget_culture", 2019) / budget19,
                "Dmnl",
                f"assumed {IMAGE_PART} of the culture-tourism-sport-media line, 2019",
            ),
            (
                k,
                "Initial local tax share",
                LOCAL_REVENUE_RATIO,
                "Dmnl",
                "assumed: local revenue about 10 % of GDP (Ministry of Finance final accounts)",
            ),
            (
                k,
                "Transfer calibration",
                (needed[k] / needed_total) / (rule[k] / rule_total),
                "Dmnl",
                "observed transfer share / equalisation-rule share, 2005 (budget ratio of 2010 "
                "less the assumed local revenue ratio)",
            ),
            (
                k,
                "Observed net migration rate",
                growth - national_growth,
                "1/Year",
                f"population growth {y0}-{y1} minus the national rate ({src_gdl})",
            ),
            (
                k,
                "Observed foreign tourism receipts",
                value(w, k, "tourism_receipts_intl", START),
                "million USD/Year",
                f"NBS international tourism receipts, {START}",
            ),
            (
                k,
                "Leader",
                1.0 if k == "sichuan" else 0.0,
                "Dmnl",
                "model choice: the default reporting region leads",
            ),
        ]
    nat = national(w, keys)
    rows += [
        (
            "china",
            "Central tax share",
            needed_total / sum(gdp05.values()),
            "Dmnl",
            "sum of provincial spending above local revenue / national GDP (2010 ratios, 2005 GDP)",
        ),
        (
            "china",
            "Equalisation exponent",
            eps,
            "Dmnl",
            "slope of log transfer per person on log(national / own GDP per person), 2010",
        ),
    ]
    rows += [
        ("china", f"National investment rate {year}", rate, "Dmnl", src) for year, rate, src in nat
    ]
    return pd.DataFrame(rows, columns=["province", "parameter", "value", "unit", "source"])


def equalisation_exponent(w: pd.DataFrame, keys: list[str]) -> float:
    """Least-squares slope of log transfer per person on log relative poverty, 2010."""
    x, y = [], []
    gdp = {k: value(w, k, "gdp", 2010) for k in keys}
    pop = {k: value(w, k, "population", 2010) for k in keys}
    ybar = sum(gdp.values()) / sum(pop.values())
    for k in keys:
        transfer = value(w, k, "budget_total", 2010) - LOCAL_REVENUE_RATIO * gdp[k]
        if transfer > 0:
            x.append(math.log(ybar / (gdp[k] / pop[k])))
            y.append(math.log(transfer / pop[k]))
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    return sxy / sum((a - mx) ** 2 for a in x)


def national(w: pd.DataFrame, keys: list[str]) -> list[tuple[int, float, str]]:
    """The national investment rate path: sum of GFCF / sum of GDP, then the projection."""
    out = []
    for year in range(START, 2023):
        gfcf = sum(value(w, k, "gfcf", year) for k in keys)
        gdp = sum(value(w, k, "gdp", year) for k in keys)
        out.append((year, gfcf / gdp, "sum of provincial GFCF / sum of GDP (2005 prices)"))
    out += [(y, r, "assumed projection (rebalancing)") for y, r in PROJECTION.items()]
    return out


def write_atomic(table: pd.DataFrame, path: Path) -> None:
    """Write the CSV through a temporary file in the same folder, then rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        table.to_csv(tmp, index=False, float_format="%.6g")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def vensim_arrays(table: pd.DataFrame) -> str:
    """The constant arrays as Vensim equations (values in the provinces' order).

    Six significant digits, as in the CSV: PySD reads array constants to six digits,
    so the two engines see the same numbers only if the file holds no more.
    """
    out = []
    provincial = table[table["province"] != "china"]
    for name, part in provincial.groupby("parameter", sort=False):
        values = ", ".join(f"{v:.6g}" for v in part["value"])
        unit = part["unit"].iloc[0]
        out.append(
            f"{name}[Province]=\n\t{values}\n\t~\t{unit}\n\t~\t{part['source'].iloc[0]}\n\t|"
        )
    nat = table[table["province"] == "china"]
    path = nat[nat["parameter"].str.startswith("National investment rate ")]
    points = ",".join(
        f"({p.split()[-1]},{v:.6g})" for p, v in zip(path["parameter"], path["value"], strict=True)
    )
    out.append(f"National investment rate path(\n\t[(2005,0)-(2100,1)],{points})")
    for _, row in nat[~nat.index.isin(path.index)].iterrows():
        out.append(f"{row['parameter']}=\n\t{row['value']:.6g}\n\t~\t{row['source']}")
    return "\n\n".join(out)


def main() -> None:
    """Build the table, write it, and print the arrays if asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vensim", action="store_true", help="print the Vensim arrays")
    args = parser.parse_args()
    table = build(pd.read_csv(PANEL))
    write_atomic(table, OUT)
    if args.vensim:
        print(vensim_arrays(table))


if __name__ == "__main__":
    main()
