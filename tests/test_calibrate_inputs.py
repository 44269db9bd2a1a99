"""Bad calibration input: one line naming the file, the key and the fix; exit 2; nothing written.

Each case is a real mistake a user makes: a data file without a column, an
unknown region or series, a value that is not a number, a fit window outside the
data, bounds outside the model's range. They are all caught before anything runs.
"""

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from regionsoft_sd import cli
from regionsoft_sd.calibrate.cli import default_spec
from regionsoft_sd.calibrate.pipeline import prepare
from regionsoft_sd.calibrate.spec import parse_spec
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.common.observed_data import data_path, read_tidy

DEFAULT = tomllib.loads(default_spec().read_text(encoding="utf-8"))


def spec_file(tmp_path: Path, **changes) -> Path:
    """The default spec with `changes` (top-level keys; None removes one), as a file."""
    data = {**DEFAULT, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / "spec.toml"
    path.write_text(_toml(data), encoding="utf-8")
    return path


def _toml(data: dict) -> str:
    def value(v):
        if isinstance(v, str):
            return '"' + v + '"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + "}"
        return repr(v)

    lines = []
    for k, v in data.items():
        if isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict)):
            continue
        lines.append(f"{k} = {value(v)}")
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"[{k}]")
            lines += [f'"{kk}" = {value(vv)}' for kk, vv in v.items()]
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                lines.append(f"[[{k}]]")
                lines += [f"{kk} = {value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"


def region_csv(tmp_path: Path, region: str = "sichuan", edit=None) -> Path:
    """One province's rows of the shipped data (and China's), optionally edited, as a file."""
    df = pd.read_csv(data_path())
    df = df[df["region"].isin([region, "china"])].copy()
    if edit is not None:
        df = edit(df)
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def run_cli(argv, tmp_path, capsys) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    code = cli.main(["calibrate", *[str(a) for a in argv], "--out", str(out)])
    err = capsys.readouterr().err.strip()
    return code, err, out


def assert_refused(code: int, err: str, out: Path, *words: str) -> None:
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "Fix:" in err, err
    for w in words:
        assert w in err, err
    assert not out.exists(), "bad input must write nothing"


def test_the_shipped_default_spec_is_valid():
    spec = parse_spec(DEFAULT, source=default_spec())
    assert len(spec.names) == 10 and len(spec.targets) == 7
    assert spec.holdout is not None and (spec.holdout.cut, spec.holdout.end) == (2016, 2019)


def test_missing_column(tmp_path, capsys):
    data = region_csv(tmp_path, edit=lambda d: d.drop(columns=["series"]))
    spec = spec_file(tmp_path, data="data.csv")
    code, err, out = run_cli([spec, "--region", "sichuan"], tmp_path, capsys)
    assert_refused(code, err, out, "data.csv", "columns", "series")
    assert data.exists()


def test_unknown_region(tmp_path, capsys):
    code, err, out = run_cli(["--region", "sichaun"], tmp_path, capsys)
    assert_refused(code, err, out, "region", "sichaun", "sichuan")


def test_no_region_at_all(tmp_path, capsys):
    code, err, out = run_cli([], tmp_path, capsys)
    assert_refused(code, err, out, "region", "--region")


def test_unknown_series(tmp_path, capsys):
    series = [dict(s) for s in DEFAULT["series"]]
    series[0]["data"] = "gpd"
    spec = spec_file(tmp_path, series=series)
    code, err, out = run_cli([spec, "--region", "henan"], tmp_path, capsys)
    assert_refused(code, err, out, "series[0].data", "gpd", "gdp")


def test_unknown_model_variable(tmp_path, capsys):
    series = [dict(s) for s in DEFAULT["series"]]
    series[1]["variable"] = "Total capitol"
    spec = spec_file(tmp_path, series=series)
    code, err, out = run_cli([spec, "--region", "henan"], tmp_path, capsys)
    assert_refused(code, err, out, "series[1].variable", "Total capital")


def test_nan_value_in_the_data(tmp_path, capsys):
    def blank(d):
        i = d.index[(d["series"] == "gdp") & (d["year"] == 2010) & (d["region"] == "sichuan")]
        d.loc[i, "value"] = float("nan")
        return d

    region_csv(tmp_path, edit=blank)
    spec = spec_file(tmp_path, data="data.csv")
    code, err, out = run_cli([spec, "--region", "sichuan"], tmp_path, capsys)
    assert_refused(code, err, out, "data.csv", "series gdp, region sichuan, year 2010", "NaN")


def test_a_value_the_region_constants_need_is_missing(tmp_path, capsys):
    def drop(d):
        return d[~((d["series"] == "population") & (d["year"] == 2005))]

    region_csv(tmp_path, edit=drop)
    spec = spec_file(tmp_path, data="data.csv")
    code, err, out = run_cli([spec, "--region", "sichuan"], tmp_path, capsys)
    assert_refused(code, err, out, "population 2005", "Initial population")


def test_window_outside_the_data(tmp_path, capsys):
    # the budget series start in 2010: a window ending in 2009 has none of them
    spec = spec_file(tmp_path, window={"start": 2005, "end": 2009}, holdout={"enabled": False})
    code, err, out = run_cli([spec, "--region", "gansu"], tmp_path, capsys)
    assert_refused(code, err, out, "gansu: budget_total", "2005-2009", "2010-2022")


def test_window_before_the_model_starts(tmp_path, capsys):
    spec = spec_file(tmp_path, window={"start": 1995, "end": 2019})
    code, err, out = run_cli([spec, "--region", "gansu"], tmp_path, capsys)
    assert_refused(code, err, out, "window.start", "1995", "2005")


def test_bounds_outside_the_model_range(tmp_path, capsys):
    params = dict(DEFAULT["parameters"])
    params["Transfer ratio"] = {"low": 0.0, "high": 0.8}
    spec = spec_file(tmp_path, parameters=params)
    code, err, out = run_cli([spec, "--region", "xizang"], tmp_path, capsys)
    assert_refused(code, err, out, "Transfer ratio", "0.8", "[0, 0.3]")


def test_a_budget_share_cannot_be_fitted_alone(tmp_path, capsys):
    params = {**DEFAULT["parameters"], "Initial culture share": {}}
    spec = spec_file(tmp_path, parameters=params)
    code, err, out = run_cli([spec, "--region", "hubei"], tmp_path, capsys)
    assert_refused(code, err, out, "Initial culture share")


def test_sigma_must_be_positive(tmp_path, capsys):
    series = [dict(s) for s in DEFAULT["series"]]
    series[2]["sigma"] = 0
    spec = spec_file(tmp_path, series=series)
    code, err, out = run_cli([spec, "--region", "hubei"], tmp_path, capsys)
    assert_refused(code, err, out, "series[2].sigma")


def test_unknown_key_and_unknown_shipped_spec(tmp_path, capsys):
    spec = spec_file(tmp_path, windwo={"start": 2005})
    code, err, out = run_cli([spec, "--region", "hubei"], tmp_path, capsys)
    assert_refused(code, err, out, "windwo", "window")
    code, err, out = run_cli(["defualt", "--region", "hubei"], tmp_path, capsys)
    assert_refused(code, err, out, "defualt", "default")


def test_read_tidy_refuses_repeated_values_and_bad_years(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("region,year,series,value\nx,2005,gdp,1\nx,2005,gdp,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="given twice"):
        read_tidy(path)
    path.write_text("region,year,series,value\nx,2005,gdp,1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="more fields than the header"):
        read_tidy(path)  # once read as an index shift: series 1, region gdp, year 2005
    path.write_text("region,year,series,value\nx,20o5,gdp,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="series gdp, region x, year 20o5: .*row 2"):
        read_tidy(path)


def test_a_user_region_from_own_data(tmp_path):
    """Own data under another region name works: the constants come from that file."""

    def rename(d):
        d = d.copy()
        d.loc[d["region"] == "sichuan", "region"] = "My Province"
        return d

    path = region_csv(tmp_path, edit=rename)
    spec = parse_spec({**DEFAULT, "data": str(path)}, source=tmp_path / "spec.toml")
    setting = prepare(spec, "my province")
    assert setting.base.name == "my_province"
    assert setting.constants.values["Initial population"] == pytest.approx(83.248955)


# -- physical sense of the data: every hostile value is one line, exit 2, before fitting -------
def _set(series: str, year: int, value, column: str = "value", region: str = "sichuan"):
    """An edit of region_csv: `column` of one row (series, year) set to `value`."""

    def edit(d):
        d = d.copy()
        d[column] = d[column].astype(object)
        hit = (d["series"] == series) & (d["year"] == year) & (d["region"] == region)
        assert hit.sum() == 1, (series, year)
        d.loc[hit, column] = value
        return d

    return edit


HOSTILE_VALUES = [
    # (series, year, value, words the line must hold): the audit's cases and their kin
    ("population", 2005, 0, ["not positive"]),
    ("gdp", 2005, 0, ["not positive"]),
    ("budget_total", 2019, 0, ["not positive"]),
    ("budget_culture", 2019, 0, ["not positive"]),
    ("population", 2005, -83.2, ["not positive"]),
    ("gdp", 2012, -1, ["not positive"]),
    ("capital", 2005, -1e-9, ["not positive"]),
    ("gdp", 2005, 1e308, ["above"]),
    ("gdp", 2005, 1e-308, ["below"]),
    ("population", 2010, 1e308, ["above"]),
    ("population", 2005, 83_248_955, ["above", "million people"]),  # people, not millions
    ("mean_schooling", 2005, -3, ["below"]),
    ("expected_schooling", 1990, 400, ["above", "years"]),
    ("gdp", 2005, 6e5, ["GDP per person"]),  # 7.2 million yuan a head: outside the band
    ("capital", 2005, 9e5, ["capital / GDP"]),  # in band alone, not beside GDP
    ("budget_total", 2019, 9e4, ["budget_total / GDP"]),
    ("budget_science_tech", 2019, 5e3, ["its share of budget_total"]),
]


@pytest.mark.parametrize(("series", "year", "value", "words"), HOSTILE_VALUES)
def test_a_value_without_physical_sense_is_one_line_before_fitting(
    tmp_path, capsys, series, year, value, words
):
    region_csv(tmp_path, edit=_set(series, year, value))
    spec = spec_file(tmp_path, data="data.csv")
    code, err, out = run_cli([spec, "--region", "sichuan"], tmp_path, capsys)
    where = f"series {series}, region sichuan, year {year}"
    assert_refused(code, err, out, "data.csv", where, *words)
    assert len(err.replace(str(tmp_path), "")) < 200 and "np." not in err, err


def test_budget_lines_above_the_total_name_the_total(tmp_path, capsys):
    region_csv(tmp_path, edit=_set("budget_culture", 2019, 5e4))
    spec = spec_file(tmp_path, data="data.csv")
    code, err, out = run_cli([spec, "--region", "sichuan"], tmp_path, capsys)
    where = "series budget_total, region sichuan, year 2019"
    assert_refused(code, err, out, where, "the lines' share of it", "unit of budget_total")


@pytest.mark.parametrize(
    ("value", "words"),
    [("", "empty"), ("inf", "inf is not finite"), ("-1e400", "not finite"), ("1,5", "not a")],
)
def test_a_value_that_is_not_a_finite_number_is_one_line(tmp_path, value, words):
    path = region_csv(tmp_path, edit=_set("gdp", 2010, value))
    with pytest.raises(InputError) as exc:
        read_tidy(path)
    line = str(exc.value)
    assert "series gdp, region sichuan, year 2010" in line and words in line, line
    assert "Traceback" not in line and len(line.splitlines()) == 1


@pytest.mark.parametrize("year", ["inf", "-inf", "2010.5", "1e308", "-1e20", "1900", "2101", "1e3"])
def test_an_impossible_year_is_one_line(tmp_path, capsys, year):
    region_csv(tmp_path, edit=_set("gdp", 2010, year, column="year"))
    spec = spec_file(tmp_path, data="data.csv")
    code, err, out = run_cli([spec, "--region", "sichuan"], tmp_path, capsys)
    assert_refused(code, err, out, f"series gdp, region sichuan, year {year}", "1949 to 2100")
    assert len(err.replace(str(tmp_path), "")) < 200, err
    assert "np." not in err and "float64" not in err, err


def test_every_year_extreme_is_refused_not_fitted(tmp_path, capsys):
    """1e308 (or 1e-308) in every year once gave exit 0 and a meaningless fit."""
    for extreme in (1e308, 1e-308):

        def scale(d, extreme=extreme):
            d = d.copy()
            d.loc[d["region"] == "sichuan", "value"] = extreme
            return d

        region_csv(tmp_path, edit=scale)
        spec = spec_file(tmp_path, data="data.csv")
        code, err, out = run_cli([spec, "--region", "sichuan"], tmp_path, capsys)
        assert_refused(code, err, out, "data.csv", "region sichuan")


def test_hostile_values_anywhere_give_one_line_or_are_plausible(tmp_path):
    """Rules, not cases: random hostile values in random rows are refused in one line
    naming series, region and year, or accepted only when inside their series' band."""
    import numpy as np

    from regionsoft_sd.common.observed_data import GDP_PER_PERSON, OTHER_RULE, SERIES_RULES

    rng = np.random.default_rng(21)
    base = pd.read_csv(data_path())
    base = base[base["region"].isin(["hubei", "china"])].reset_index(drop=True)
    pool = [0.0, -0.0, -1.0, 1e-308, 5e-324, 1e308, -1e308, 1e15, 1e-6, 3e9, 2.5, 1e4]
    for trial in range(60):
        d = base.copy()
        i = int(rng.integers(len(d)))
        v = float(rng.choice(pool))
        d.loc[i, "value"] = v
        path = tmp_path / f"d{trial}.csv"
        d.to_csv(path, index=False)
        row = d.loc[i]
        rule = SERIES_RULES.get(row["series"], OTHER_RULE)
        try:
            read_tidy(path)
        except InputError as exc:
            line = str(exc)
            assert len(line.splitlines()) == 1 and len(line.replace(str(tmp_path), "")) < 200
            assert "Fix:" in line and f"d{trial}.csv" in line, line
            assert f"region {row['region']}, year {row['year']}" in line, line
            assert line.count("series ") >= 1, line
        else:  # accepted: then it is inside the band, and GDP per person stays plausible
            assert rule.low <= v <= rule.high and (v > 0 or not rule.positive), (row, v)
            if row["series"] in ("gdp", "population"):
                w = d[(d["region"] == row["region"]) & (d["year"] == row["year"])]
                w = w.set_index("series")["value"]
                if {"gdp", "population"} <= set(w.index):
                    lo, hi = GDP_PER_PERSON
                    assert lo <= w["gdp"] / w["population"] <= hi


def test_a_series_fitted_on_a_log_scale_must_be_positive(tmp_path, capsys):
    """A series of the user's own (no physical rule) fitted with transform = "log"."""

    def add(d):
        own = d[(d["series"] == "gdp")].copy()
        own["series"] = "my_output"
        own.loc[own["year"] == 2011, "value"] = -3.0
        return pd.concat([d, own])

    region_csv(tmp_path, edit=add)
    series = [dict(s) for s in DEFAULT["series"]]
    series[0]["data"] = "my_output"
    spec = spec_file(tmp_path, data="data.csv", series=series)
    code, err, out = run_cli([spec, "--region", "sichuan"], tmp_path, capsys)
    assert_refused(code, err, out, "series my_output, region sichuan, year 2011", "log")


@pytest.mark.parametrize(
    ("table", "body", "key"),
    [
        ("window", {"start": "2005"}, "window.start"),
        ("window", {"end": 2019.5}, "window.end"),
        ("holdout", {"cut": 1800}, "holdout.cut"),
        ("holdout", {"enabled": "yes"}, "holdout.enabled"),
        ("search", {"starts": 0}, "search.starts"),
        ("search", {"candidates": 10**7}, "search.candidates"),
        ("search", {"seed": -1}, "search.seed"),
        ("search", {"include_default": 1}, "search.include_default"),
        ("profile", {"points": 2}, "profile.points"),
        ("profile", {"parameters": "x"}, "profile.parameters"),
        ("intervals", {"samples": -5}, "intervals.samples"),
    ],
)
def test_a_bad_key_is_named_with_its_table(tmp_path, capsys, table, body, key):
    spec = spec_file(tmp_path, **{table: {**DEFAULT.get(table, {}), **body}})
    code, err, out = run_cli([spec, "--region", "hubei"], tmp_path, capsys)
    assert_refused(code, err, out, f": {key}: ")


def test_the_docs_example_of_a_unit_slip_is_what_the_command_prints(tmp_path):
    docs = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    shown = next(ln for ln in docs.splitlines() if "83248955 is above" in ln)
    path = region_csv(tmp_path, edit=_set("population", 2005, 83248955))
    with pytest.raises(InputError) as exc:
        read_tidy(path)
    assert f"regionsoft: {exc.value}".replace(str(path), "data.csv") == shown


def test_the_docs_state_the_rules_the_code_applies():
    from regionsoft_sd.common.observed_data import RATIO_RULES, SERIES_RULES, YEARS

    docs = " ".join((ROOT / "docs" / "calibration.md").read_text(encoding="utf-8").split())
    pop, gdp = SERIES_RULES["population"], SERIES_RULES["gdp"]
    per_person, capital, budget = RATIO_RULES[:3]
    assert f"whole numbers from {YEARS[0]} to {YEARS[1]}" in docs
    assert f"population {pop.low:g} to {pop.high:g} million people" in docs
    assert f"GDP {gdp.low:g} to {gdp.high:,.0f}".replace(",", " ") + " billion yuan" in docs
    assert (per_person.low * 1000, per_person.high * 1000) == (100, 5e6)
    assert "GDP per person between 100 yuan and 5 million yuan" in docs
    assert f"capital {capital.low:g} to {capital.high:g} times GDP" in docs
    assert f"total budget {budget.low:g} to {budget.high:g} times GDP" in docs


def test_a_table_passed_to_prepare_gets_the_same_rules(tmp_path):
    spec = parse_spec(DEFAULT, source=tmp_path / "spec.toml")
    table = read_tidy(region_csv(tmp_path))
    table.loc[(table["series"] == "population") & (table["region"] == "sichuan"), "value"] = 0.0
    with pytest.raises(InputError, match="<observations>: series population, region sichuan"):
        prepare(spec, "sichuan", data=table)


# -- shipped files ----------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
SHIPPED_REGIONS = sorted((ROOT / "scenarios" / "regions").glob("*.toml"))


def test_the_docs_region_constant_table_is_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_calibration", ROOT / "docs" / "make_calibration.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.mapping_table() in (ROOT / "docs" / "calibration.md").read_text(
        encoding="utf-8"
    ), "run `make calibration`"


def test_shipped_region_files_hold_their_data_constants():
    from regionsoft_sd.scenarios.scenario import Scenario

    assert len(SHIPPED_REGIONS) >= 3
    spec = parse_spec(DEFAULT, source=default_spec())
    for path in SHIPPED_REGIONS:
        region = Scenario.from_file(path)
        data = prepare(spec, path.stem).constants.values
        for name, value in data.items():
            assert region.constants[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
        for name in spec.names:  # every fitted constant is set, inside the model's range
            assert name in region.constants


def test_shipped_regions_are_found_by_name(tmp_path):
    from regionsoft_sd.common.resources import scenario_file, shipped_regions
    from regionsoft_sd.scenarios.scenario import Scenario

    name = SHIPPED_REGIONS[0].stem
    assert scenario_file(name) == shipped_regions()[name]
    child = tmp_path / "plan.toml"  # no region file beside it: the shipped one is used
    child.write_text(f'name = "plan"\ndescription = "x"\nbased_on = "{name}"\n', encoding="utf-8")
    assert Scenario.from_file(child).constants == Scenario.from_file(SHIPPED_REGIONS[0]).constants
