"""Calibration: it recovers a known truth, reports honest out-of-sample errors, and its
region file is the calibrated model.

Independent references: the synthetic data are made by the model at known values
(the truth is known by construction); the region constants are checked against
the values the model file holds for Sichuan (computed from the same sources by
hand when the model was written); the held-out fit is checked to be blind to the
held-out years by changing them; the region file is run through PySD, a second
engine, and must reproduce the fitted history.
"""

import tomllib

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares

from regionsoft_sd import cli
from regionsoft_sd.calibrate.cli import default_spec
from regionsoft_sd.calibrate.lockstep import Job, solve_all
from regionsoft_sd.calibrate.pipeline import calibrate, prepare
from regionsoft_sd.calibrate.spec import parse_spec
from regionsoft_sd.calibrate.synthetic import recovery, synthetic_setting
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.scenarios.scenario import Scenario

DEFAULT = tomllib.loads(default_spec().read_text(encoding="utf-8"))


def spec_with(**changes):
    return parse_spec({**DEFAULT, **changes}, source=default_spec())


LIGHT = {
    "search": {"candidates": 64, "starts": 3, "seed": 1, "max_evaluations": 40},
    "profile": {"parameters": []},
    "intervals": {"samples": 0},
}


# -- region constants -------------------------------------------------------------------------
def test_region_constants_match_the_model_files_sichuan_values():
    """The model file's 2005 constants for Sichuan were computed from the same data by hand."""
    spec = spec_with()
    values = prepare(spec, "sichuan").constants.values
    cat = catalogue()
    for name, rel in [
        ("Initial population", 1e-4),
        ("Initial income relative", 1e-3),
        ("Initial capital output ratio", 1e-3),
        ("Initial mean schooling", 1e-3),
        ("Initial cohort schooling", 1e-3),
        ("Initial soft power budget share", 5e-3),  # the file rounds to 3 decimals
        ("Initial education share", 5e-3),
        ("Initial public service share", 5e-3),
        ("Initial culture share", 2e-2),
    ]:
        assert values[name] == pytest.approx(cat[name].default, rel=rel), name
    shares = ["education", "public service", "culture", "image"]
    assert sum(values[f"Initial {s} share"] for s in shares) == pytest.approx(1, abs=1e-12)


def test_a_value_outside_the_model_range_is_clipped_with_a_note():
    # Tibet's expected schooling in 1990 (4.15 years) is below the model's range [5, 15]
    setting = prepare(spec_with(), "xizang")
    assert setting.constants.values["Initial cohort schooling"] == 5
    assert any("Initial cohort schooling" in n and "4.15" in n for n in setting.constants.notes)


# -- lockstep ---------------------------------------------------------------------------------
def test_lockstep_gives_what_least_squares_gives_alone():
    """Several problems solved together, batch by batch, end where each ends alone."""
    t = np.linspace(0, 1, 30)
    y = 2.0 * np.exp(-1.3 * t) + 0.3

    def model(u):  # u in [0, 1]^3 -> parameters a in [0, 4], k in [0, 3], c in [-1, 1]
        a, k, c = 4 * u[..., 0], 3 * u[..., 1], -1 + 2 * u[..., 2]
        return a[..., None] * np.exp(-k[..., None] * t) + c[..., None]

    calls = []

    def simulate(U):
        calls.append(len(U))
        return model(U) - y

    starts = [np.array([0.2, 0.9, 0.1]), np.array([0.8, 0.1, 0.7]), np.array([0.5, 0.5, 0.5])]
    jobs = [Job(u, np.ones(3, bool), lambda r: r, 100, tag=i) for i, u in enumerate(starts)]
    sols = solve_all(jobs, simulate, lambda r, sl: r[sl], lambda u: u)
    for s, u0 in zip(sols, starts, strict=True):
        alone = least_squares(lambda u: model(u) - y, u0, bounds=(0, 1), method="trf")
        assert s.cost == pytest.approx(alone.cost, abs=1e-10)
        np.testing.assert_allclose(s.u, [0.5, 1.3 / 3, 0.65], atol=1e-6)
    assert len(calls) < sum(s.nfev for s in sols)  # the problems shared batches
    assert max(calls) == 3 * 7  # three problems x (point + 2 x 3 Jacobian points)


# -- synthetic truth --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sichuan():
    spec = spec_with()
    return spec, prepare(spec, "sichuan")


def truth_of(spec):
    """The model file's own values: interior points of every range."""
    return {p.name: p.default for p in spec.parameters}


def test_noise_free_synthetic_data_give_back_the_truth(sichuan):
    spec, setting = sichuan
    spec = spec_with(**{**LIGHT, "holdout": {"enabled": False}})
    truth = truth_of(spec)
    result = calibrate(spec, synthetic_setting(spec, setting, truth, noise=0.0), progress=False)
    rec = recovery(result, truth)
    assert result.fit.cost < 1e-12
    assert (rec["error_share"] < 1e-5).all(), rec


def test_noisy_synthetic_truth_lies_within_the_reported_intervals(sichuan):
    """Noise at the spec's error scales: every true value inside its 95 % interval.

    (Seeds 1, 2 and 3 were all run when this test was written; each covers all ten.)
    """
    spec, setting = sichuan
    truth = truth_of(spec)
    syn = synthetic_setting(spec, setting, truth, seed=1, noise=1.0)
    result = calibrate(spec, syn, progress=False)
    rec = recovery(result, truth)
    assert rec["covered"].all(), rec
    assert 0.6 < np.sqrt(result.uncertainty.s2) < 1.5  # the residuals have the noise's scale
    # the parameters the data identify are also close to the truth
    ident = rec[rec["identifiable"] == "yes"]
    assert len(ident) >= 4 and (ident["error_share"] < 0.15).all(), rec


# -- out of sample ----------------------------------------------------------------------------
def test_out_of_sample_error_is_reported_and_blind_to_the_held_out_years():
    spec = spec_with(**LIGHT)
    setting = prepare(spec, "hubei")
    first = calibrate(spec, setting, progress=False)
    h = first.holdout.set_index("series")
    assert list(h.index) == [t.data for t in spec.targets]
    assert (h["years"] == "2017-2019").all() and (h["n"] == 3).all()
    # the reported error is the held-out fit's run against the data, recomputed here
    hist = first.history.set_index(["series", "year"])
    for s in ("gdp", "population"):
        model = hist.loc[[(s, y) for y in (2017, 2018, 2019)], "held_out_fit"].to_numpy()
        data = setting.wide[s].loc[2017:2019].to_numpy()
        assert h.at[s, "mape"] == pytest.approx(np.mean(np.abs(model / data - 1)), rel=1e-9)
    # change the held-out years: the held-out fit must not move, the full fit must
    wide = setting.wide.copy()
    wide.loc[2017:2019, "gdp"] *= 1.5
    changed = calibrate(spec, type(setting)(**{**setting.__dict__, "wide": wide}), progress=False)
    np.testing.assert_array_equal(changed.holdout_fit.x, first.holdout_fit.x)
    assert not np.allclose(changed.fit.x, first.fit.x)
    assert changed.holdout.set_index("series").at["gdp", "mape"] > h.at["gdp", "mape"]


# -- end to end -------------------------------------------------------------------------------
def test_calibrate_a_province_end_to_end(tmp_path, capsys):
    out = tmp_path / "gz"
    assert cli.main(["calibrate", "--region", "guizhou", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "calibrate 'guizhou'" in printed and "out of sample" in printed
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit.columns[:6]) == ["series", "r2", "mape", "um", "us", "uc"]
    assert np.allclose(fit[["um", "us", "uc"]].sum(axis=1), 1)
    params = pd.read_csv(out / "parameters.csv")
    assert list(params.columns[:5]) == ["parameter", "estimate", "method", "lower", "upper"]
    assert (params["lower"] <= params["estimate"] + 1e-12).all()
    assert (params["estimate"] <= params["upper"] + 1e-12).all()
    corr = pd.read_csv(out / "correlation.csv", index_col=0)
    assert np.allclose(np.diag(corr.to_numpy()), 1) and np.allclose(corr, corr.T)
    for name in ("history", "profiles", "correlation"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 20_000
    ident = pd.read_csv(out / "identifiability.csv")
    assert set(ident["identifiable"]) <= {"yes", "weak", "at bound", "no"}
    # nothing at a bound, or with an interval clipped at one, is called identifiable
    assert not ((ident["identifiable"] == "yes") & (ident["at_bound"] | ident["clipped"])).any()

    # the region file is the calibrated model: PySD reproduces the fitted history from it
    region = Scenario.from_file(out / "guizhou.toml")
    from regionsoft_sd.simulate import run

    df = run(region, engine="pysd")
    hist = pd.read_csv(out / "history.csv")
    for series, var in [("gdp", "GDP"), ("population", "Population")]:
        h = hist[hist["series"] == series].set_index("year")["fitted"]
        model = df[var].loc[h.index.to_numpy(dtype=float)].to_numpy()
        np.testing.assert_allclose(model, h.to_numpy(), rtol=1e-5)  # file values: 6 digits

    # ... and any strategy can be based on it
    (out / "plan.toml").write_text(
        'name = "plan"\ndescription = "A programme in Guizhou."\nbased_on = "guizhou"\n'
        "[policy]\nprogramme_budget = 5\nprogramme_education_share = 1.0\n"
        "programme_public_service_share = 0.0\nprogramme_culture_share = 0.0\n"
        "programme_image_share = 0.0\n",
        encoding="utf-8",
    )
    plan = Scenario.from_file(out / "plan.toml")
    assert plan.constants["Initial population"] == region.constants["Initial population"]
    assert plan.constants["Policy programme budget"] == 5


def test_posterior_sampling_runs_the_walkers_as_batches():
    pytest.importorskip("emcee")
    spec = spec_with(
        **{
            **LIGHT,
            "holdout": {"enabled": False},
            "intervals": {"samples": 20},
            "mcmc": {"walkers": 22, "steps": 12, "burn": 2},
        }
    )
    result = calibrate(spec, prepare(spec, "hubei"), progress=False)
    post = result.posterior
    assert post.samples.shape == (22 * 10, 10)
    assert (
        (post.samples >= result.uncertainty.low) & (post.samples <= result.uncertainty.high)
    ).all()
    assert 0 < post.acceptance < 1
    assert any(n.startswith("posterior:") for n in result.notes)  # 10 steps is a short chain
    cols = result.parameters.columns
    assert {"posterior_lower", "posterior_median", "posterior_upper"} <= set(cols)
