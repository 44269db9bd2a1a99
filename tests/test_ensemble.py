"""The history-conditioned ensemble: verified before use, and narrower where the data speak.

Independent references: the observed 2022 GDP of Sichuan (data, not the model),
against which the prior's and the ensemble's runs are compared; a file changed by
one byte must be refused (its SHA-256 no longer matches its provenance).
"""

import shutil

import numpy as np
import pytest

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.common.observed_data import observed
from regionsoft_sd.futures.designs import sample
from regionsoft_sd.futures.ensemble import (
    default_path,
    history_values,
    load_ensemble,
    meta_path,
    run_history,
)
from regionsoft_sd.futures.params import Parameter


@pytest.fixture(scope="module")
def ens():
    return load_ensemble()


def test_the_shipped_ensemble_is_verified_before_use(ens, tmp_path):
    assert len(ens) >= 100 and ens.meta["accepted"] == len(ens)
    assert ens.meta["rule"] and ens.meta["sha256"]
    copy = tmp_path / default_path().name
    shutil.copy(default_path(), copy)
    shutil.copy(meta_path(default_path()), meta_path(copy))
    assert load_ensemble(copy).values.equals(ens.values)
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace(",0.", ",1.", 1), encoding="utf-8")  # one value changed
    with pytest.raises(InputError, match="sha256"):
        load_ensemble(copy)
    meta_path(copy).unlink()
    with pytest.raises(InputError, match="cannot read"):
        load_ensemble(copy)


def test_every_member_lies_inside_the_declared_ranges(ens):
    for name, (low, high, _dist) in ens.meta["bounds"].items():
        col = ens.values[name]
        assert ((col >= low - 1e-12) & (col <= high + 1e-12)).all(), name


def test_the_history_band_shrinks_to_what_the_data_allow(ens):
    """2022 GDP against the observed value: the prior strays, the ensemble does not."""
    params = [
        Parameter(name, dist, low, high, (low + high) / 2)
        for name, (low, high, dist) in ens.meta["bounds"].items()
    ]
    n = 300
    prior = sample(params, n, "lhs", 7)
    members = ens.values.sample(n=min(n, len(ens)), random_state=7)
    obs = float(observed("sichuan")["gdp"][2022])
    spread = {}
    miss = {}
    for label, values in (("prior", prior), ("ensemble", members)):
        times, data = run_history(values.reset_index(drop=True), ["GDP"])
        g = data["GDP"][:, np.searchsorted(times, 2022.0)] / obs
        g = g[np.isfinite(g)]
        lo, hi = np.quantile(g, [0.05, 0.95])
        spread[label] = hi - lo
        miss[label] = float(np.mean(np.abs(g - 1) > 0.2))
    assert miss["prior"] > 0.2  # the declared ranges contradict history ...
    assert miss["ensemble"] < 0.05  # ... the ensemble does not
    assert spread["ensemble"] < 0.5 * spread["prior"], spread


def test_history_futures_are_whole_members_plus_what_the_ensemble_lacks(ens):
    extra = Parameter("Not in the ensemble", "uniform", 2.0, 3.0, 2.5)
    fixed = ens.names[0]
    v = history_values(ens, [extra], 50, seed=3, fixed=[fixed])
    assert fixed not in v.columns and len(v) == 50
    assert v["Not in the ensemble"].between(2.0, 3.0).all()
    # each row is one member, all its parameters together
    keys = ens.values.drop(columns=[fixed]).round(12)
    rows = v.drop(columns=["Not in the ensemble"]).round(12)
    joined = rows.merge(keys.drop_duplicates(), how="left", indicator=True)
    assert (joined["_merge"] == "both").all()
    # the same seed, the same futures
    assert history_values(ens, [extra], 50, seed=3, fixed=[fixed]).equals(v)


def test_the_explorer_samples_the_ensemble_and_its_legend_says_what_history_is():
    """The explorer's default futures are ensemble members; the legend says what that means.

    (The explorer's declared futures vary only its spec's 16 parameters, which
    barely move GDP; the ensemble varies all 45 within what the data allow, so its
    2022 GDP band is not narrower than theirs, but it holds the observed value.)
    """
    from regionsoft_sd.common.resources import shipped_scenarios
    from regionsoft_sd.explore.futures import load_futures, picture
    from regionsoft_sd.scenarios.scenario import Scenario

    base = Scenario.from_file(shipped_scenarios()["baseline"])
    obs = float(observed("sichuan")["gdp"][2022])
    fut = load_futures(n=100)
    assert fut.source == "history"  # the default
    ens = load_ensemble()
    members = ens.values.round(12).drop_duplicates()
    rows = fut.values[ens.names].round(12)
    assert len(rows.merge(members, how="inner")) == len(rows)  # every future is a member
    pic = picture(base, fut)
    k = int(np.searchsorted(pic.times, 2022.0))
    band = pic.bands["GDP"][:, k] / obs  # rows: 5, 25, 50, 75, 95 %
    assert band[0] < 1 < band[-1], band
    assert load_futures(n=5, source="declared").source == "declared"

    pytest.importorskip("panel")
    from regionsoft_sd.explore.app import _legend_html

    text = _legend_html("#1f77b4", 100, 2024, "history")
    assert "the same in every setting" not in text and "2005-2022 data" in text
    assert "soft power" in text  # what the data do not constrain is named
    assert "not fitted to the data" in _legend_html("#1f77b4", 100, 2024, "declared")


def test_robust_optimisation_can_score_candidates_on_the_ensemble(ens):
    """[uncertainty] source = "history": the futures are members; a bad source is one line."""
    import tomllib

    from regionsoft_sd.common.resources import optimise_spec_file
    from regionsoft_sd.optimise.pipeline import draw_futures
    from regionsoft_sd.optimise.spec import parse_spec

    path = optimise_spec_file("robust_split")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    declared = parse_spec(data, source=path)
    assert declared.uncertainty.source == "declared"  # the shipped results stay as they were
    data["uncertainty"] = {**data["uncertainty"], "source": "history"}
    spec = parse_spec(data, source=path)
    fut = draw_futures(spec, 40, spec.seed)
    assert len(fut) == 40 and set(ens.names) <= set(fut.columns)
    members = ens.values.round(12).drop_duplicates()
    assert len(fut[ens.names].round(12).merge(members, how="inner")) == 40
    data["uncertainty"]["source"] = "posterior"
    with pytest.raises(InputError, match="uncertainty.source"):
        parse_spec(data, source=path)


def _sweep_data(**changes):
    import tomllib

    from regionsoft_sd.common.resources import spec_file

    path = spec_file("strategy_robustness")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.update(
        {"method": "lhs", "n": 24, "tornado": False, "futures": "history", "fan_runs": 0},
        strategies=data["strategies"][:2],
        metrics=data["metrics"][:2],
    )
    data.update(changes)
    return data, path


def test_a_sweep_can_run_on_ensemble_members(ens, tmp_path):
    import pandas as pd

    from regionsoft_sd.sweep.pipeline import run_sweep
    from regionsoft_sd.sweep.spec import parse_spec

    data, path = _sweep_data()
    spec = parse_spec(data, source=path)
    declared = parse_spec({**data, "futures": "declared"}, source=path)
    assert spec.futures == "history" and spec.digest != declared.digest  # no resume across
    run_sweep(spec, tmp_path / "sw", progress=False, figures=False)
    samples = pd.read_parquet(tmp_path / "sw" / "samples.parquet")
    assert len(samples) == 24 and set(ens.names) <= set(samples.columns)
    members = ens.values.round(12).drop_duplicates()
    assert len(samples[ens.names].round(12).merge(members, how="inner")) == 24


@pytest.mark.parametrize(
    ("changes", "key"),
    [({"method": "morris"}, "futures"), ({"tornado": True}, "tornado"), ({"futures": "x"}, "")],
)
def test_a_sweep_spec_that_cannot_use_the_ensemble_is_refused_in_one_line(changes, key):
    from regionsoft_sd.sweep.spec import parse_spec

    data, path = _sweep_data(**changes)
    if "morris" in changes.values():
        data["n"] = 4
    with pytest.raises(InputError, match=key or "source of futures") as info:
        parse_spec(data, source=path)
    assert "\n" not in str(info.value)


@pytest.mark.slow  # 12,001 model runs: several seconds
def test_the_generator_makes_the_shipped_file_byte_for_byte(tmp_path):
    """The provenance names a generator: run it, and the hash it records must be the same."""
    import importlib.util
    import json

    from regionsoft_sd.common.resources import data_dir

    script = data_dir() / "make_history_ensemble.py"
    spec = importlib.util.spec_from_file_location("make_history_ensemble", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "ensemble.csv"
    assert mod.main(["--out", str(out)]) == 0
    made = json.loads(meta_path(out).read_text(encoding="utf-8"))
    shipped = json.loads(meta_path(default_path()).read_text(encoding="utf-8"))
    assert made["sha256"] == shipped["sha256"]
    assert out.read_bytes() == default_path().read_bytes()
