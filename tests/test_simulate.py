"""run() and compare() on the shipped scenarios: conservation, directions, no state leaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.catalogue import catalogue
from regionsoft_sd.errors import InputError
from regionsoft_sd.metrics import METRIC_NAMES, npv
from regionsoft_sd.scenario import Scenario
from regionsoft_sd.simulate import compare, rank, run

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
STRATEGIES = ["education_first", "services_first", "culture_first", "image_campaign", "balanced"]


def load(name: str) -> Scenario:
    return Scenario.from_file(SCENARIOS / f"{name}.toml")


@pytest.fixture(scope="module")
def shipped():
    return compare([load(f.stem) for f in sorted(SCENARIOS.glob("*.toml"))])


def test_run_returns_time_by_variable_with_units(shipped):
    df = shipped.trajectories["baseline"]
    t0, t1 = catalogue().horizon
    assert df.index.name == "time" and df.index[0] == t0 and df.index[-1] == t1
    assert {e.name for e in catalogue().stocks()} <= set(df.columns)
    assert df.attrs["units"]["Output"] == catalogue()["Output"].units
    assert np.isfinite(df.to_numpy()).all()


def test_run_selects_variables_in_any_spelling():
    df = run(load("baseline"), variables=["hard_power_index", "dominant soft POWER"])
    assert list(df.columns) == ["Hard Power Index", "Dominant Soft Power"]


def test_cumulative_spending_is_the_integral_of_the_budget(shipped):
    for name, df in shipped.trajectories.items():
        integral = npv(df.index.to_numpy(), df["Soft power budget"].to_numpy(), 0.0)
        assert shipped.metrics.at[name, "cumulative_spending"] == pytest.approx(integral, rel=2e-3)


def test_equal_budget_strategies_spend_equally_when_the_budget_is_frozen():
    # With loop R1 cut, the budget is tax share x budget share x reference output,
    # whatever the split: 0.2 * 0.3 * 1000 per year over 50 years.
    cat = catalogue()
    frozen = []
    for name in ["baseline", *STRATEGIES]:
        s = load(name)
        s.constants["R1 feedback switch"] = 0.0
        frozen.append(s)
    spent = compare(frozen).metrics["cumulative_spending"]
    t0, t1 = cat.horizon
    expected = (
        cat["Initial tax share"].default
        * cat["Initial soft power budget share"].default
        * cat["Reference output"].default
        * (t1 - t0)
    )
    assert spent.to_numpy() == pytest.approx(expected, rel=1e-9)


def test_austerity_spends_less_and_ends_weaker(shipped):
    m = shipped.metrics
    assert m.at["austerity", "cumulative_spending"] < m.at["baseline", "cumulative_spending"]
    assert (
        m.at["austerity", "dominant_soft_power_end"] < m.at["baseline", "dominant_soft_power_end"]
    )


def test_series_input_drives_the_effective_lever(shipped):
    df = shipped.trajectories["austerity"]
    path = load("austerity").series["Policy soft power budget share"]
    years = np.array([2026.0, 2028.0, 2029.5, 2040.0])
    expected = np.interp(years, path.index, path.to_numpy())
    got = np.interp(years, df.index, df["Soft power budget share"].to_numpy())
    assert got == pytest.approx(expected, abs=1e-9)


def test_strategies_give_distinguishable_trajectories(shipped):
    soft = {n: shipped.trajectories[n]["Dominant Soft Power"] for n in ["baseline", *STRATEGIES]}
    names = list(soft)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            gap = (soft[a] - soft[b]).abs().max() / soft[a].abs().max()
            assert gap > 0.01, (a, b)


def test_ranking_explained_in_the_readme_holds(shipped):
    # Diminishing returns: the small culture and image lines have the highest marginal
    # return, and the geometric composite rewards balance (README, "Why this ranking").
    soft = shipped.metrics["dominant_soft_power_end"]
    assert soft.idxmax() == "balanced" and soft.idxmin() == "austerity"
    for name in ["culture_first", "image_campaign"]:
        assert soft[name] > soft["baseline"]
    hard = shipped.metrics["hard_power_index_end"]
    assert hard.idxmax() == "education_first"


def test_runs_do_not_leak_parameters():
    first = run(load("baseline"), variables=["Dominant Soft Power"])
    run(load("balanced"), variables=["Dominant Soft Power"])
    again = run(load("baseline"), variables=["Dominant Soft Power"])
    pd.testing.assert_frame_equal(first, again)


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


def test_run_drops_repeated_variables():
    df = run(load("baseline"), variables=["Output", "output", "OUTPUT"])
    assert list(df.columns) == ["Output"]


def test_compare_variables_in_any_spelling_keep_their_order():
    res = compare([load("baseline")], variables=["hard_power_index", "dominant soft POWER"])
    cols = list(res.trajectories["baseline"].columns)
    assert cols[:2] == ["Hard Power Index", "Dominant Soft Power"]
    assert len(cols) == len(set(cols))
    assert not res.metrics.isna().all(axis=None)


def test_compare_keeps_the_rate_and_threshold_it_used():
    res = compare([load("baseline")], variables=["Output"], discount_rate=0.05, threshold=1.5)
    assert (res.discount_rate, res.threshold) == (0.05, 1.5)


def test_no_unused_helpers_remain():
    import regionsoft_sd.simulate as simulate

    assert not hasattr(simulate, "trajectories_frame")
    assert not hasattr(simulate.Comparison, "metrics_with_units")
