"""Small output manners: fan.csv is long, optimise prints 0 for a zero share, calibrate
keeps progress bars out of logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd import cli
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.optimise.cli import display_levers
from regionsoft_sd.sweep import run_sweep
from regionsoft_sd.sweep.pipeline import FAN_QUANTILES
from tests.test_faults import SPEC, write_spec


def test_fan_csv_is_long_one_row_per_time_quantile_and_variable(tmp_path):
    spec = write_spec(
        tmp_path, SPEC.replace('["Dominant Soft Power"]', '["Dominant Soft Power", "GDP"]')
    )
    result = run_sweep(spec, tmp_path / "out", progress=False, figures=False)
    fan = pd.read_csv(tmp_path / "out" / "fan.csv")
    assert list(fan.columns) == ["strategy", "time", "quantile", "variable", "value", "runs"]
    wide = result.fan  # what the fan charts draw: one column a year
    times = [c for c in wide.columns if c not in ("strategy", "variable", "quantile", "runs")]
    n_strat = wide.strategy.nunique()
    assert len(fan) == n_strat * len(times) * len(FAN_QUANTILES) * 2
    assert not fan.duplicated(["strategy", "time", "quantile", "variable"]).any()
    # a band is ordered: each quantile at or above the one below it, at every time
    for _, g in fan.groupby(["strategy", "variable", "time"]):
        assert np.all(np.diff(g.sort_values("quantile").value.to_numpy()) >= 0)
    # the same numbers as the wide frame, read cell by cell
    row = wide.iloc[len(wide) // 2]
    t = times[len(times) // 3]
    cell = fan[
        (fan.strategy == row.strategy)
        & (fan.variable == row.variable)
        & (fan["quantile"] == row["quantile"])
        & np.isclose(fan.time, float(t))
    ]
    assert cell.value.tolist() == pytest.approx([row[t]])


def test_optimise_shows_a_zero_share_as_0_and_keeps_small_real_values():
    levers = pd.DataFrame(
        {
            "Policy culture share": [0.5, 1e-3],
            "Policy services share": [4.440892098500626e-16, 0.999],
        }
    )
    text = display_levers(levers).to_string(float_format=lambda v: f"{v:.4g}")
    assert "e-16" not in text and "0.001" in text
    assert display_levers(levers).iloc[0, 1] == 0.0
    assert levers.iloc[0, 1] == 4.440892098500626e-16  # the caller's frame is untouched


@pytest.mark.parametrize("tty", [False, True])
def test_calibrate_shows_progress_bars_only_on_a_terminal(monkeypatch, capsys, tty):
    seen = {}

    def fake_run_calibrate(spec, out, **kw):
        seen.update(kw)
        raise InputError(None, None, "stopped by the test")

    monkeypatch.setattr("regionsoft_sd.calibrate.pipeline.run_calibrate", fake_run_calibrate)
    monkeypatch.setattr("sys.stderr.isatty", lambda: tty, raising=False)
    assert cli.main(["calibrate", "--region", "zhejiang"]) == 2
    assert seen["progress"] is tty
    assert "stopped by the test" in capsys.readouterr().err
