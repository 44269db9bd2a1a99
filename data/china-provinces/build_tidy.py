"""Build `data/china_provinces.csv`, the tidy observed data the model is calibrated to.

Reads the published source tables copied unchanged into `raw/` (their origin,
licence and checks are in `raw/PROVENANCE.md`) and writes one long table with
columns `region, year, series, value, unit`: 31 provinces plus `china` (the
national totals the reference region is built from).

Prices. The model counts money in billion yuan at 2005 prices (`Byuan`). No
provincial GDP deflator is among the sources, so every money series is deflated
by the province's own fixed-asset investment price index from the Zhang Jun
capital-stock file (national series: the GDP-weighted mean of the provincial
indices). That index ends in 2022, so real money series end in 2022; nominal
GDP is kept to 2023 as `gdp_nominal`.

Run from the repository root: `python data/china-provinces/build_tidy.py`.
The output is committed; this script documents how it was derived.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"
OUT = HERE.parent / "china_provinces.csv"

# Budget functions (China Statistical Yearbook table 7-6) grouped into the model's lines.
SERVICE_FUNCTIONS = (
    "transportation",
    "urban_rural_community",
    "agriculture_forestry_water",
    "energy_conservation_environment",
    "health",
    "disaster_prevention_emergency",
)
CULTURE_FUNCTIONS = ("culture_tourism_sport_media",)

UNITS = {
    "gdp": "Byuan (2005 prices)",
    "gdp_nominal": "Byuan (current prices)",
    "capital": "Byuan (2005 prices)",
    "gfcf": "Byuan/Year (2005 prices)",
    "price_index": "2005 = 1",
    "population": "Mperson",
    "mean_schooling": "Schoolyear",
    "expected_schooling": "Schoolyear",
    "budget_total": "Byuan/Year (2005 prices)",
    "budget_education": "Byuan/Year (2005 prices)",
    "budget_science_tech": "Byuan/Year (2005 prices)",
    "budget_services": "Byuan/Year (2005 prices)",
    "budget_culture": "Byuan/Year (2005 prices)",
    "tourism_receipts_intl": "million USD/Year (current)",
    "tourism_spending_domestic": "Byuan/Year (current)",
}


def _long(df: pd.DataFrame, series: str) -> pd.DataFrame:
    out = df.rename(columns={df.columns[-1]: "value"})[["region", "year", "value"]].copy()
    out["series"] = series
    return out.dropna(subset=["value"])


def provinces() -> list[str]:
    """The 31 province keys (pinyin), in the sources' order."""
    return pd.read_csv(RAW / "province_codes.csv")["province"].tolist()


def build() -> pd.DataFrame:
    """Return the tidy table (region, year, series, value, unit)."""
    cap = pd.read_csv(RAW / "china_prov_capital_stock_zhangjun_1952_2022.csv")
    cap = cap.rename(columns={"province": "region"})
    cap = cap[cap.year >= 1990]
    p2005 = cap[cap.year == 2005].set_index("region")["invest_price_2000eq1"]
    cap["price_index"] = cap["invest_price_2000eq1"] / cap["region"].map(p2005)
    price = cap.set_index(["region", "year"])["price_index"]
    # Zhang Jun stocks are in 2000 prices; x P(2005)/P(2000) gives 2005 prices; 100m -> billion.
    cap["capital"] = cap["capital_stock_100m_yuan_2000prices"] * cap["region"].map(p2005) / 10
    cap["gfcf"] = cap["gfcf_current_100m_yuan"] / 10 / cap["price_index"]

    gdp = pd.read_csv(RAW / "nbs_prov_gdp2005_2023_tourism2005_2019.csv")
    gdp = gdp.rename(columns={"province": "region"})
    wide = gdp.pivot_table(index=["region", "year"], columns="variable", values="value")
    wide = wide.reset_index()
    wide["gdp_nominal"] = wide["gdp_current"] / 10
    wide["gdp"] = (
        wide["gdp_nominal"]
        / price.reindex(pd.MultiIndex.from_frame(wide[["region", "year"]])).to_numpy()
    )

    gdl = pd.read_csv(RAW / "gdl_shdi_china_provinces_1990_2019.csv")
    gdl = gdl.rename(columns={"province": "region"})
    gdl["population"] = gdl["population_thousands"] / 1000

    bud = pd.read_csv(RAW / "csy_prov_budget_rd_2010_2023_techme.csv")
    bud = bud[bud.dataset == "PublicBudget"].rename(columns={"province_py": "region"})
    bud["region"] = bud["region"].replace({"CHINA_TOTAL": "china"})
    names = {"合计": "budget_total", "教育": "budget_education", "科学技术": "budget_science_tech"}
    bud = bud[bud.chn_block4.isin(names)].assign(series=lambda d: d.chn_block4.map(names))

    fun = pd.read_csv(RAW / "csy_table7-6_prov_budget_expenditure_by_function_2019_2023.csv")
    fun = fun.rename(columns={"province": "region"})
    fun["region"] = fun["region"].replace({"CHINA_LOCAL_TOTAL": "china"})
    groups = {f: "budget_services" for f in SERVICE_FUNCTIONS}
    groups |= {f: "budget_culture" for f in CULTURE_FUNCTIONS}
    fun = fun[fun.function.isin(groups)].assign(series=lambda d: d.function.map(groups))
    fun = fun.groupby(["region", "year", "series"], as_index=False)["value_100m_yuan"].sum()

    # National price index: GDP-weighted mean of the provinces' (weights: nominal GDP).
    w = wide.set_index(["region", "year"])["gdp_nominal"]
    pj = pd.concat([price, w], axis=1, keys=["p", "w"]).dropna()
    nat_price = (pj.p * pj.w).groupby(level="year").sum() / pj.w.groupby(level="year").sum()
    price_all = pd.concat([price, pd.concat({"china": nat_price}, names=["region", "year"])])

    def real(df: pd.DataFrame, col: str) -> pd.Series:
        idx = pd.MultiIndex.from_frame(df[["region", "year"]])
        return df[col].to_numpy() / 10 / price_all.reindex(idx).to_numpy()

    bud["value"] = real(bud, "value")
    fun["value"] = real(fun, "value_100m_yuan")

    frames = [
        _long(cap[["region", "year", "price_index"]], "price_index"),
        _long(cap[["region", "year", "capital"]], "capital"),
        _long(cap[["region", "year", "gfcf"]], "gfcf"),
        _long(wide[["region", "year", "gdp_nominal"]], "gdp_nominal"),
        _long(wide[["region", "year", "gdp"]], "gdp"),
        _long(wide[["region", "year", "intl_tourism_receipts"]], "tourism_receipts_intl"),
        _long(gdl[["region", "year", "population"]], "population"),
        _long(gdl[["region", "year", "mean_years_schooling_25plus"]], "mean_schooling"),
        _long(gdl[["region", "year", "expected_years_schooling"]], "expected_schooling"),
        bud[["region", "year", "series", "value"]].dropna(),
        fun[["region", "year", "series", "value"]].dropna(),
        _national(gdl, nat_price),
    ]
    out = pd.concat(frames, ignore_index=True)
    out["unit"] = out["series"].map(UNITS)
    out = out[out.region.isin([*provinces(), "china"])]
    return out.sort_values(["region", "series", "year"]).reset_index(drop=True)[
        ["region", "year", "series", "value", "unit"]
    ]


def _national(gdl: pd.DataFrame, nat_price: pd.Series) -> pd.DataFrame:
    """National GDP, price index, population, schooling and tourism (region `china`)."""
    nbs = pd.read_csv(RAW / "nbs_national_tourism_gdp_income.csv").drop_duplicates(
        ["indicator", "year"]
    )
    ind = nbs.pivot(index="year", columns="indicator", values="value")
    g = ind["国内生产总值(亿元)"] / 10
    rows = [("gdp_nominal", g), ("price_index", nat_price)]
    rows.append(("gdp", (g / nat_price).dropna()))
    rows.append(("tourism_receipts_intl", ind["国际旅游外汇收入(百万美元)"]))
    rows.append(("tourism_spending_domestic", ind["国内旅游总花费(亿元)"] / 10))
    pop = gdl.groupby("year")["population"].sum()
    rows.append(("population", pop))
    for col, name in [
        ("mean_years_schooling_25plus", "mean_schooling"),
        ("expected_years_schooling", "expected_schooling"),
    ]:
        wtd = (gdl[col] * gdl["population"]).groupby(gdl["year"]).sum() / pop
        rows.append((name, wtd))
    out = [
        pd.DataFrame({"region": "china", "year": s.index, "series": n, "value": s.to_numpy()})
        for n, s in rows
    ]
    return pd.concat(out).dropna(subset=["value"])


def main() -> int:
    table = build()
    table["value"] = table["value"].map(lambda v: float(np.format_float_positional(v, 8)))
    tmp = OUT.with_suffix(".tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(OUT)
    print(f"wrote {OUT} ({len(table)} rows, {table.region.nunique()} regions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
