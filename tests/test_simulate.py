"""run() and compare() on the shipped scenarios: conservation, directions, no state leaks.

They run on the default engine, the batch engine (tests/test_engines_agree.py shows PySD
gives the same tables), and share three sets of runs: the shipped scenarios (`shipped`),
the baseline once more after them (`baseline_again`) and one scenario with a series lever
(`with_series`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import METRIC_NAMES, npv
from regionsoft_sd.scenarios.scenario import Scenario
from regionsoft_sd.simulate import compare, rank, run

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
STRATEGIES = ["education_first", "services_first", "culture_first", "image_campaign", "balanced"]
PROGRAMMES = [*STRATEGIES, "current_mix"]


def load(name: str) -> Scenario:
    return Scenario.from_file(SCENARIOS / f"{name}.toml")


@pytest.fixture(scope="module")
def shipped():
    return compare([load(f.stem) for f in sorted(SCENARIOS.glob("*.toml"))])


@pytest.fixture(scope="module")
def baseline_again(shipped):
    """The baseline run once more, after every shipped scenario has run in the same model,
    asking for its variables in other spellings and twice."""
    return run(
        load("baseline"),
        variables=["hard_power_index", "dominant soft POWER", "Hard Power Index", "GDP", "gdp"],
    )


# A tax share path from the first projection year, interpolated between its points
TAX_PATH = [[2024, 0.1], [2030, 0.13], [2040, 0.12], [2075, 0.12]]


@pytest.fixture(scope="module")
def with_series():
    s = Scenario.from_dict({"name": "path", "description": "d", "policy": {"tax_share": TAX_PATH}})
    return compare(
        [s],
        variables=["hard_power_index", "dominant soft POWER", "Tax share"],
        discount_rate=0.05,
        threshold=0.9,
    )


def test_run_returns_time_by_variable_with_units(shipped):
    df = shipped.trajectories["baseline"]
    t0, t1 = catalogue().horizon
    assert (t0, t1) == (2005, 2075)
    assert df.index.name == "time" and df.index[0] == t0 and df.index[-1] == t1
    assert len(df) == 71  # saved yearly
    assert {e.name for e in catalogue().stocks()} <= set(df.columns)
    assert df.attrs["units"]["GDP"] == catalogue()["GDP"].units == "Byuan/Year"
    assert np.isfinite(df.to_numpy()).all()


def test_run_selects_variables_in_any_spelling(baseline_again):
    assert list(baseline_again.columns) == ["Hard Power Index", "Dominant Soft Power", "GDP"]


def test_cumulative_spending_is_the_integral_of_the_budget(shipped):
    """Conservation: what the metric counts is the budget lines plus the programme, summed
    over the projection only (2024 on), for every scenario."""
    start = catalogue()["Projection start year"].default
    for name, df in shipped.trajectories.items():
        proj = df.loc[start:]
        flow = (proj["Soft power budget"] + proj["Programme spending"]).to_numpy()
        integral = npv(proj.index.to_numpy(), flow, 0.0)
        assert shipped.metrics.at[name, "cumulative_spending"] == pytest.approx(integral, rel=2e-3)


def test_programme_strategies_spend_the_same_programme_money(shipped):
    """By hand: the programme ramps from 0 in 2024 to 40 a year in 2027 and stays there;
    Euler (step 1/8) sums 40 * (k / 24) / 8 over the 24 ramp steps (57.5) and 40 / 8 over
    the 384 steps from 2027 to 2075 (1,920). The baseline has no programme."""
    spent = {
        n: shipped.trajectories[n]["Cumulative programme spending"].iloc[-1] for n in PROGRAMMES
    }
    assert spent == pytest.approx(dict.fromkeys(PROGRAMMES, 57.5 + 1920.0), rel=1e-9)
    assert shipped.trajectories["baseline"]["Cumulative programme spending"].iloc[-1] == 0


def test_austerity_spends_less_and_ends_weaker(shipped):
    m = shipped.metrics
    assert m.at["austerity", "cumulative_spending"] < m.at["baseline", "cumulative_spending"]
    assert (
        m.at["austerity", "dominant_soft_power_end"] < m.at["baseline", "dominant_soft_power_end"]
    )


def test_series_input_drives_the_effective_lever(with_series):
    """The effective tax share follows the path from 2024 (interpolated linearly between
    its points) and is the status quo before."""
    df = with_series.trajectories["path"]
    years = np.array([2024.0, 2027.0, 2030.0, 2035.0, 2050.0])
    path = np.array(TAX_PATH, dtype=float)
    expected = np.interp(years, path[:, 0], path[:, 1])
    assert df.loc[years, "Tax share"].to_numpy() == pytest.approx(expected, abs=1e-9)
    assert (df.loc[:2023, "Tax share"] == catalogue()["Initial tax share"].default).all()


def test_strategies_give_distinguishable_trajectories(shipped):
    """Each programme strategy puts the money where it says: the line it favours gets more
    in 2075 than under any other strategy, and the three elements that are stocks of money
    or schooling end highest under their own strategy."""
    end = {n: shipped.trajectories[n].iloc[-1] for n in ["baseline", *PROGRAMMES]}
    favours = {
        "education_first": ("Education spending", "Human Quality"),
        "services_first": ("Service spending", "Public Service Capacity"),
        "culture_first": ("Culture spending", "Regional Culture"),
        "image_campaign": ("Image spending", None),
    }
    for name, (line, element) in favours.items():
        for var in filter(None, (line, element)):
            best = max(end, key=lambda n: end[n][var])
            assert best == name, (var, best)
    soft = {n: end[n]["Dominant Soft Power"] for n in end}
    assert all(soft[n] != soft["baseline"] for n in PROGRAMMES)


def test_ranking_explained_in_the_readme_holds(shipped):
    """Each claim of README "Why this ranking", on the shipped scenarios."""
    m = shipped.metrics
    soft, npv_c, cons = (
        m["dominant_soft_power_end"],
        m["npv_consumption"],
        m["consumption_per_capita_end"],
    )
    # 1, 2: culture buys the most soft power, and the highest GDP and population, and
    # reaches par about seven years before the baseline
    assert soft.idxmax() == "culture_first"
    assert m["gdp_end"].idxmax() == "culture_first" == m["population_end"].idxmax()
    gain = m.at["baseline", "threshold_year"] - m.at["culture_first", "threshold_year"]
    assert round(gain) == 7
    # 3: every programme costs present consumption; austerity gives the most, and the
    # least soft power; culture and image lower consumption per person in 2075
    assert all(npv_c[n] < npv_c["baseline"] for n in PROGRAMMES)
    assert npv_c.idxmax() == "austerity" and soft.idxmin() == "austerity"
    assert all(cons[n] < cons["baseline"] for n in ["culture_first", "image_campaign"])
    # 4: education buys little soft power but the highest consumption per person in 2075
    assert cons.idxmax() == "education_first"
    assert soft["education_first"] < soft[["culture_first", "balanced", "services_first"]].min()
    # 5: services and the current mix cost households least of the programmes
    assert set(npv_c[PROGRAMMES].nlargest(2).index) == {"services_first", "current_mix"}
    # 6: image is the most wasteful: the lowest present value of consumption
    assert npv_c.idxmin() == "image_campaign"


def test_runs_do_not_leak_parameters(shipped, baseline_again):
    """The baseline run after seven other scenarios equals its run among them."""
    first = shipped.trajectories["baseline"][list(baseline_again.columns)]
    pd.testing.assert_frame_equal(first, baseline_again, check_exact=True)


def test_comparison_tables(shipped):
    assert list(shipped.metrics.columns) == list(METRIC_NAMES)
    by = shipped.ranking.attrs["by"]
    ordered = shipped.metrics.loc[shipped.ranking.index, by]
    assert ordered.is_monotonic_decreasing
    assert list(shipped.ranking["position"]) == list(range(1, len(ordered) + 1))
    long = shipped.long_trajectories()
    assert list(long.columns) == ["scenario", "time", "variable", "units", "value"]
    df = shipped.trajectories["baseline"]
    assert len(long) == len(shipped.trajectories) * df.size
    assert set(shipped.units) == set(METRIC_NAMES)


def test_rank_by_a_lower_is_better_metric_puts_nan_last(shipped):
    r = rank(shipped.metrics, "threshold_year")
    years = shipped.metrics.loc[r.index, "threshold_year"]
    reached = years.dropna()
    assert reached.is_monotonic_increasing and years.isna().sum() == len(years) - len(reached)
    assert years.iloc[: len(reached)].notna().all()


def test_compare_rejects_duplicates_bad_rank_and_nothing():
    with pytest.raises(InputError, match="also the name"):
        compare([load("baseline"), load("baseline")])
    with pytest.raises(InputError, match="cannot rank by"):
        compare([load("baseline")], rank_by="cumulative_spending")
    with pytest.raises(InputError, match="nothing to compare"):
        compare([])


def test_run_drops_repeated_variables(baseline_again):
    assert list(baseline_again.columns).count("GDP") == 1
    assert list(baseline_again.columns).count("Hard Power Index") == 1


def test_compare_variables_in_any_spelling_keep_their_order(with_series):
    cols = list(with_series.trajectories["path"].columns)
    assert cols[:3] == ["Hard Power Index", "Dominant Soft Power", "Tax share"]
    assert len(cols) == len(set(cols))
    assert not with_series.metrics.isna().all(axis=None)


def test_compare_keeps_the_rate_and_threshold_it_used(with_series):
    assert (with_series.discount_rate, with_series.threshold) == (0.05, 0.9)
    proj = with_series.trajectories["path"].loc[2024:]
    c = proj["Consumption per capita"]
    rate_5 = npv(c.index.to_numpy(), c.to_numpy(), 0.05)
    assert with_series.metrics.at["path", "npv_consumption"] == pytest.approx(rate_5, rel=1e-12)
    rel = proj["Dominant soft power relative"]
    first = rel.index[np.argmax(rel.to_numpy() >= 0.9)]  # first saved year at or above 0.9
    assert first - 1 <= with_series.metrics.at["path", "threshold_year"] <= first


def test_no_unused_helpers_remain():
    import regionsoft_sd.simulate as simulate

    assert not hasattr(simulate, "trajectories_frame")
    assert not hasattr(simulate.Comparison, "metrics_with_units")
