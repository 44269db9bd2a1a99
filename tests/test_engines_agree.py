"""`run()` and `compare()` give the same tables on the batch engine (default) and on PySD.

PySD is the reference; the batch engine is compiled independently from PySD's abstract
model, so agreement to 1e-9 is a check of the one against the other. PySD takes seconds
a run, so this file runs it three times in all (one `compare` of three scenarios, whose
trajectories are `run()`'s tables): a lever with a ramp (austerity), a lever given as a
series, and a shipped programme strategy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.scenarios.scenario import Scenario
from regionsoft_sd.simulate import compare, default_variables, run

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
RTOL = 1e-9
# values that should be 0 (a flow before the policy starts) may differ by rounding only
ATOL = 1e-12


def _scenarios() -> list[Scenario]:
    ramp = Scenario.from_file(SCENARIOS / "austerity.toml")
    path = [[2024, 0.1], [2030, 0.13], [2040, 0.12], [2075, 0.12]]
    series = Scenario.from_dict(
        {"name": "tax_path", "description": "a tax share path", "policy": {"tax_share": path}}
    )
    strategy = Scenario.from_file(SCENARIOS / "culture_first.toml")
    return [ramp, series, strategy]


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    found = _scenarios()
    assert any(s.series for s in found), "one scenario must hold a series lever"
    assert any("ramp" in k.lower() for s in found for k in s.constants), "one needs a ramp"
    return found


@pytest.fixture(scope="module")
def by_pysd(scenarios):
    return compare(scenarios, engine="pysd")


def _assert_close(batch: pd.DataFrame, pysd: pd.DataFrame, what: str) -> None:
    """Same layout exactly; every value within RTOL relative (ATOL near 0) of PySD's."""
    assert list(batch.columns) == list(pysd.columns), what
    assert batch.columns.name == pysd.columns.name, what
    pd.testing.assert_index_equal(batch.index, pysd.index, check_exact=True)
    a, b = batch.to_numpy(dtype=float), pysd.to_numpy(dtype=float)
    assert np.array_equal(np.isnan(a), np.isnan(b)), what
    ok = np.isnan(b) | (np.abs(a - b) <= RTOL * np.maximum(np.abs(a), np.abs(b)) + ATOL)
    if not ok.all():
        rows, cols = np.nonzero(~ok)
        i, j = rows[0], cols[0]
        pytest.fail(
            f"{what}: {(~ok).sum()} values differ, first {batch.columns[j]!r} at "
            f"{batch.index[i]}: batch {a[i, j]!r}, pysd {b[i, j]!r}"
        )


def test_run_tables_agree_on_every_variable_and_year(scenarios, by_pysd):
    for s in scenarios:
        batch, pysd = run(s), by_pysd.trajectories[s.name]
        assert list(pysd.columns) == default_variables()
        assert len(pysd.index) == len(np.unique(pysd.index))  # yearly saved times
        assert batch.attrs == pysd.attrs
        _assert_close(batch, pysd, s.name)


def test_compare_tables_agree(scenarios, by_pysd):
    batch = compare(scenarios)  # the default engine
    _assert_close(batch.metrics, by_pysd.metrics, "metrics")
    assert batch.metrics.index.name == by_pysd.metrics.index.name == "scenario"
    pd.testing.assert_frame_equal(batch.ranking, by_pysd.ranking)
    assert batch.units == by_pysd.units
    assert (batch.engine, by_pysd.engine) == ("batch", "pysd")
    long_b, long_p = batch.long_trajectories(), by_pysd.long_trajectories()
    pd.testing.assert_frame_equal(
        long_b.drop(columns="value"), long_p.drop(columns="value"), check_exact=True
    )


def test_the_engines_differ_where_a_scenario_changes(scenarios, by_pysd):
    """Agreement is not vacuous: the three scenarios give different trajectories."""
    first, *others = (by_pysd.trajectories[s.name] for s in scenarios)
    for other in others:
        assert not np.allclose(first["Dominant Soft Power"], other["Dominant Soft Power"])


def test_an_unknown_engine_is_an_input_error(scenarios):
    with pytest.raises(InputError, match="engine.*use one of batch, pysd"):
        run(scenarios[0], engine="vensim")
    with pytest.raises(InputError, match="engine"):
        compare(scenarios, engine="")


def test_the_html_report_names_the_engine_that_ran(scenarios, by_pysd):
    from regionsoft_sd.reports.html_report import html_report

    batch = compare(scenarios[:1])
    assert "on the batch engine" in html_report(batch, {}, figures={})
    page = html_report(by_pysd, {}, figures={})
    assert "with PySD" in page and "on the batch engine" not in page
