"""Runs of the 31-province model through `compare(..., model="v3")` (batch engine, NumPy).

One module-scoped comparison (status quo and two strategies, each unilaterally and with
rivals imitating) serves every test. Expected values come from the input table, a
first-order delay solved by hand, conservation of people, and the property the model
is built to show: a positional gain vanishes when rivals respond.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.model.metrics_v3 import present_value
from regionsoft_sd.simulate import STATUS_QUO, compare, run_v3_batch

ROOT = Path(__file__).resolve().parents[1]
EXTRA = ["Culture share", "Net migration", "National net migration"]


def _tables_script():
    spec = importlib.util.spec_from_file_location("make_v3", ROOT / "docs" / "make_v3_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def result():
    """Every shipped strategy for Sichuan, in the script's order, as the docs show them."""
    return compare(list(_tables_script().STRATEGIES), model="v3", variables=EXTRA)


@pytest.fixture(scope="module")
def sq() -> dict[str, float]:
    table = pd.read_csv(ROOT / "data" / "province_inputs_v3.csv")
    part = table[table["parameter"] == "Initial culture share"]
    return dict(zip(part["province"], part["value"], strict=True))


def _series(result, scenario: str, rivals: str, variable: str) -> pd.Series:
    t = result.trajectories
    keep = (t["scenario"] == scenario) & (t["rivals"] == rivals) & (t["variable"] == variable)
    return t[keep].set_index("time")["value"]


def _delayed_ramp(t: float, size: float, start: float, ramp: float, lag: float) -> float:
    """First-order delay (time constant `lag`) of a ramp from 0 to `size` over `ramp`
    years from `start`, solved by hand: y = a/T (s - lag (1 - e^(-s/lag))) on the ramp,
    then y = a - (a - y(T)) e^(-(s - T)/lag)."""
    s = t - start
    if s <= 0:
        return 0.0
    if s <= ramp:
        return size / ramp * (s - lag * (1 - np.exp(-s / lag)))
    y_end = _delayed_ramp(start + ramp, size, start, ramp, lag)
    return size - (size - y_end) * np.exp(-(s - ramp) / lag)


def test_imitating_rivals_copy_the_culture_share_after_the_lag(result, sq):
    for year in (2023, 2026, 2029, 2035, 2050):
        own = _series(result, "culture_first", "imitate", "Culture share[sichuan]")[year]
        want_own = sq["sichuan"] + 0.02 * min(max((year - 2024) / 5, 0), 1)
        assert own == pytest.approx(want_own, abs=1e-9)
        for other in ("zhejiang", "guangdong", "xizang"):
            got = _series(result, "culture_first", "imitate", f"Culture share[{other}]")[year]
            want = sq[other] + _delayed_ramp(year, 0.02, 2024, 5, 5)
            # Euler with a quarter-year step against the continuous solution
            assert got == pytest.approx(want, abs=4e-4), (other, year)
            alone = _series(result, "culture_first", "status-quo", f"Culture share[{other}]")
            assert alone[year] == pytest.approx(sq[other], abs=1e-12)
    # after the lag the copy is nearly whole, and before 2024 nothing moves
    late = _series(result, "culture_first", "imitate", "Culture share[zhejiang]")[2060]
    assert late - sq["zhejiang"] > 0.0199


def test_another_region_leads_when_chosen():
    labels, times, data = run_v3_batch(
        ["culture_first"],
        model="v3",
        region="Zhejiang",
        rivals=("imitate",),
        variables=["Culture share[zhejiang]", "Culture share[sichuan]"],
    )
    j = labels.index(("culture_first", "imitate"))
    i = {y: int(np.flatnonzero(times == y)[0]) for y in (2023, 2040)}
    lead = data["Culture share[zhejiang]"][:, j]
    follow = data["Culture share[sichuan]"][:, j]
    base = data["Culture share[sichuan]"][:, labels.index((STATUS_QUO, "imitate"))]
    assert lead[i[2040]] - lead[i[2023]] == pytest.approx(0.02, abs=1e-9)
    assert follow[i[2023]] == pytest.approx(base[i[2023]])
    assert follow[i[2040]] - base[i[2040]] == pytest.approx(
        _delayed_ramp(2040, 0.02, 2024, 5, 5), abs=4e-4
    )
    assert "Relative soft power[zhejiang]" in data


def test_national_migration_sums_to_zero(result):
    t = result.trajectories
    net = t[t["variable"].str.startswith("Net migration[")]
    assert net["variable"].nunique() == 31
    total = net.groupby(["scenario", "rivals", "time"])["value"].sum()
    scale = net["value"].abs().max()
    assert scale > 0.1  # Mperson/Year: people do move
    assert total.abs().max() < 1e-9 * scale * 31
    national = t[t["variable"] == "National net migration"]["value"]
    assert national.abs().max() < 1e-9 * scale * 31


def test_rivals_responding_removes_most_of_the_positional_gain(result):
    g = result.gains
    alone = g.loc[("culture_first", "status-quo"), "relative_soft_power"]
    real = g.loc[("culture_first", "imitate"), "relative_soft_power"]
    assert alone > 0.5  # percent: culture buys position when nobody follows
    assert 0 <= real < 0.3 * alone
    # the absolute effect remains when everyone invests
    absolute = g.loc[("culture_first", "imitate"), "dominant_soft_power"]
    assert absolute > 0.5 * g.loc[("culture_first", "status-quo"), "dominant_soft_power"]


def test_a_positional_gain_is_not_a_national_gain(result):
    m = result.metrics
    base, alone = m.loc[(STATUS_QUO, "status-quo")], m.loc[("culture_first", "status-quo")]
    region_gain = alone["gdp"] - base["gdp"]
    national_gain = alone["national_gdp"] - base["national_gdp"]
    assert region_gain > 0
    assert national_gain < 0.2 * region_gain  # the region's gain comes from the others
    # the baseline file is the status quo under either rivals mode
    for mode in ("status-quo", "imitate"):
        assert (result.gains.loc[("baseline", mode)].abs() < 1e-9).all()


def test_present_values_by_hand():
    t = np.arange(2020.0, 2031.0)
    flow = t - 2000.0
    # at 0 % the plain sum of the years 2024..2030: 24 + 25 + ... + 30
    assert present_value(t, flow, 0.0, 2024, 2030) == pytest.approx(189.0)
    # at 100 %: 24 + 25/2 + 26/4 = 43
    assert present_value(t[:7], flow[:7], 1.0, 2024, 2026) == pytest.approx(43.0)
    two = np.column_stack([flow, 2 * flow])
    assert present_value(t, two, 0.0, 2024, 2030).tolist() == pytest.approx([189.0, 378.0])


def test_run_metrics_read_the_trajectories(result):
    hh = _series(result, "education_first", "imitate", "Household consumption per person[sichuan]")
    row = result.metrics.loc[("education_first", "imitate")]
    assert row["pv_hh_pp_0_2075"] == pytest.approx(hh.loc[2024:2075].sum())
    assert row["pv_hh_pp_0_2100"] == pytest.approx(hh.loc[2024:2100].sum())
    assert row["pv_hh_pp_3_2100"] < row["pv_hh_pp_1p5_2100"] < row["pv_hh_pp_0_2100"]
    assert row["hh_consumption_pp"] == pytest.approx(hh.loc[2075])
    assert hh.index.max() == 2100
    ranking = result.side_by_side()
    assert list(ranking.columns) == [
        "gain % (status-quo)",
        "rank (status-quo)",
        "gain % (imitate)",
        "rank (imitate)",
    ]
    assert ranking["rank (status-quo)"].tolist() == [1, 2, 3, 4, 5, 6]


def test_docs_tables_are_current(result):
    script = _tables_script()
    made = script.blocks(result)
    for name, pages in script.PAGES.items():
        start, end = script.marker(name)
        for page in pages:
            text = page.read_text(encoding="utf-8")
            assert f"{start}\n{made[name]}\n{end}" in text, (
                f"{page.name}: run docs/make_v3_tables.py"
            )


def test_cli_run_and_compare_write_their_files(result, tmp_path, capsys, monkeypatch):
    from regionsoft_sd import cli

    out = tmp_path / "run"
    code = cli.main(
        ["run", "culture_first", "--model", "v3", "--rivals", "imitate", "--out", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "culture_first for sichuan (rivals: imitate)" in printed
    metrics = pd.read_csv(out / "culture_first_metrics.csv", index_col="metric")["value"]
    want = result.metrics.loc[("culture_first", "imitate")]
    assert metrics["relative_soft_power"] == pytest.approx(want["relative_soft_power"], rel=1e-12)
    trajectories = pd.read_csv(out / "culture_first_trajectories.csv", index_col="time")
    assert trajectories.index.max() == 2100
    # compare: the library's result (the shared one) is what the command writes and prints
    monkeypatch.setattr("regionsoft_sd.simulate.compare_v3", lambda *a, **k: result)
    out = tmp_path / "compare"
    assert cli.main(["compare", "--model", "v3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "rivals: status-quo and imitate" in printed and "culture_first" in printed
    written = {p.name for p in out.iterdir()}
    assert {"metrics.csv", "gains.csv", "ranking.csv", "trajectories.csv"} <= written
    ranking = pd.read_csv(out / "ranking.csv", index_col="scenario")
    assert ranking.loc["culture_first", "rank (status-quo)"] == 1
