"""The three defects an independent verification found in calibration, each pinned down.

- an estimate at a bound, or an interval clipped at a bound, is never called
  identifiable (the verdict is "at bound");
- the held-out fit uses no data after its cut year, region constants included;
- at a profile interval's end not at a bound, an exact refit of the other
  parameters gives the chi-squared threshold (3.84 at 95 %).

Independent references: verdicts on hand-built uncertainties whose intervals are
clipped by construction; the held-out constants recomputed with every value after
the cut changed (they must not move); the profile statistic at each interval end
recomputed by an independent multi-start least-squares refit (scipy alone).
"""

import numpy as np
import pandas as pd

from regionsoft_sd.calibrate.identify import identifiability
from regionsoft_sd.calibrate.profile import Profile
from regionsoft_sd.calibrate.uncertainty import Uncertainty


def _unc(estimate, lower, upper, se, at_bound):
    p = len(estimate)
    return Uncertainty(
        names=[f"p{i}" for i in range(p)],
        estimate=np.array(estimate, float),
        se=np.array(se, float),
        lower=np.array(lower, float),
        upper=np.array(upper, float),
        cov=np.diag(np.array(se, float) ** 2),
        s2=1.0,
        dof=20,
        level=0.95,
        singular=np.ones(p),
        directions=np.eye(p),
        at_bound=np.array(at_bound, bool),
        low=np.zeros(p),
        high=np.full(p, 10.0),
    )


def _profile(name, estimate, lower, upper, verdict):
    x = np.linspace(0, 10, 5)
    return Profile(name, x, x, x, 3.84, estimate, lower, upper, verdict, pd.DataFrame())


def test_an_estimate_at_a_bound_or_a_clipped_interval_is_never_identifiable():
    # p0 interior and well inside; p1 at its lower bound (Jacobian interval [0, 1]);
    # p2 interior, but its Jacobian interval reaches past the upper bound (clipped);
    # p3 at a bound with a profile that rises on the other side (the case:
    # estimate 2, interval [2, 5.75]); p4 interior, profiled, interval clipped at 10
    unc = _unc(
        estimate=[5, 0, 9.5, 0, 5],
        lower=[4, 0, 8.5, 0, 4],
        upper=[6, 1, 10, 3, 6],
        se=[0.5, 0.5, 0.8, 0.5, 0.5],
        at_bound=[False, True, False, True, False],
    )
    profs = {
        "p3": _profile("p3", 0.0, 0.0, 3.0, "bounded"),
        "p4": _profile("p4", 5.0, 3.0, 10.0, "bounded"),
    }
    ident = identifiability(unc, profs).set_index("parameter")["identifiable"]
    assert ident["p0"] == "yes"
    for name in ("p1", "p2", "p3", "p4"):
        assert ident[name] == "at bound", (name, ident.to_dict())


# -- out of sample: the fit to the cut year reads nothing after it ----------------------------
QUICK = {
    "search": {"candidates": 16, "starts": 1, "seed": 1, "max_evaluations": 15},
    "profile": {"parameters": []},
    "intervals": {"samples": 0},
}


def _spec(**changes):
    import tomllib

    from regionsoft_sd.calibrate.cli import default_spec
    from regionsoft_sd.calibrate.spec import parse_spec

    base = tomllib.loads(default_spec().read_text(encoding="utf-8"))
    return parse_spec({**base, **changes}, source=default_spec())


def _after_cut_changed(wide: pd.DataFrame, cut: int) -> pd.DataFrame:
    """Every value after `cut` changed (x 1.3), the verification's Jiangsu test and more."""
    out = wide.copy()
    out.loc[out.index > cut] *= 1.3
    return out


def test_the_held_out_constants_use_no_data_after_the_cut():
    from regionsoft_sd.calibrate.pipeline import prepare

    spec = _spec(**QUICK)
    cut = spec.holdout.cut
    setting = prepare(spec, "jiangsu")
    table = setting.wide
    changed = _after_cut_changed(table, cut)
    from regionsoft_sd.calibrate.region import region_constants

    skip = set(spec.names) | set(spec.constants)
    again = region_constants("jiangsu", changed, skip=skip, until=cut)
    assert again.values == setting.holdout_constants.values
    # the full fit's constants do read 2019 (the budget shares): they must move
    full = region_constants("jiangsu", changed, skip=skip)
    assert full.values != setting.constants.values
    # and the held-out scenario is what the held-out fit runs
    assert (
        setting.holdout_base.constants["Initial education share"]
        == setting.holdout_constants.values["Initial education share"]
    )


def test_scaling_a_2019_budget_line_leaves_the_held_out_fit_where_it_was():
    """The verification's test: Jiangsu's 2019 services budget x 1.3 moved the fit to 2016."""
    from regionsoft_sd.calibrate.pipeline import calibrate, prepare
    from regionsoft_sd.common.observed_data import observations

    spec = _spec(**QUICK)
    table = observations()
    first = calibrate(spec, prepare(spec, "jiangsu", data=table), progress=False)
    scaled = table.copy()
    row = (
        (scaled["region"] == "jiangsu")
        & (scaled["year"] == 2019)
        & (scaled["series"] == "budget_services")
    )
    assert row.sum() == 1
    scaled.loc[row, "value"] *= 1.3
    changed = calibrate(spec, prepare(spec, "jiangsu", data=scaled), progress=False)
    np.testing.assert_array_equal(changed.holdout_fit.x, first.holdout_fit.x)
    pd.testing.assert_frame_equal(changed.holdout, first.holdout)


# -- profile intervals: their ends are where an exact refit gives the threshold ---------------
PROFILE_SPEC = {
    "parameters": {
        "Historical frontier growth factor": {},
        "Initial domestic investment rate": {},
        "Initial tax share": {},
        "Transfer ratio": {},
    },
    "series": [
        {"data": "gdp", "variable": "GDP", "sigma": 0.03},
        {"data": "capital", "variable": "Total capital", "sigma": 0.05},
        {"data": "budget_total", "variable": "Government budget", "sigma": 0.1},
    ],
    "search": {"candidates": 32, "starts": 2, "seed": 1, "max_evaluations": 60},
    "profile": {"parameters": ["Historical frontier growth factor", "Transfer ratio"], "points": 9},
    "intervals": {"samples": 0},
    "holdout": {"enabled": False},
}


def exact_profile_cost(prob, j: int, uj: float, starts: list[np.ndarray]) -> float:
    """The least cost with parameter j fixed at uj (unit coordinates), the others refitted.

    Plain scipy least squares, one start after another, with its own central
    differences (step 1e-6, one batch per Jacobian) and tolerances far tighter than
    the calibration's: independent of the lockstep solver the profiles use.
    """
    from scipy.optimize import least_squares

    free = np.flatnonzero(np.arange(prob.n_params) != j)
    h = 1e-6

    def full(v):
        u = np.empty(prob.n_params)
        u[free], u[j] = v, uj
        return u

    def f(v):
        r = prob.residuals_u(full(v)[None, :])[0]
        return np.where(np.isfinite(r), r, 1e3)

    def jac(v):
        rows = []
        for k in range(len(free)):
            for sign in (1, -1):
                w = v.copy()
                w[k] = np.clip(w[k] + sign * h, 0, 1)
                rows.append(full(w))
        R = prob.residuals_u(np.array(rows))
        R = np.where(np.isfinite(R), R, 1e3)
        widths = [rows[2 * k][free[k]] - rows[2 * k + 1][free[k]] for k in range(len(free))]
        return np.column_stack([(R[2 * k] - R[2 * k + 1]) / widths[k] for k in range(len(free))])

    best = np.inf
    for s in starts:
        res = least_squares(
            f, np.clip(s[free], 0, 1), jac=jac, bounds=(0, 1),
            xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=200,
        )  # fmt: skip
        best = min(best, float(res.cost))
    return best


def test_an_exact_refit_at_each_profile_end_gives_the_chi_squared_threshold():
    """Gansu's transfer ratio: the verification found Δ = 1.62 and 2.23 at the ends (want 3.84)."""
    from regionsoft_sd.calibrate.pipeline import calibrate, prepare

    spec = _spec(**PROFILE_SPEC)
    result = calibrate(spec, prepare(spec, "gansu"), progress=False)
    prob, fit, s2 = result.fit.problem, result.fit, result.uncertainty.s2
    rng = np.random.default_rng(0)
    checked = []
    for name, prof in result.profiles.items():
        j = prob.names.index(name)
        for end in (prof.lower, prof.upper):
            if np.isclose(end, prob.low[j]) or np.isclose(end, prob.high[j]):
                continue  # an end at a bound need not reach the threshold
            uj = float(prob.to_u(np.where(np.arange(prob.n_params) == j, end, fit.x))[j])
            starts = [fit.u.copy(), rng.random(prob.n_params)]
            delta = 2 * (exact_profile_cost(prob, j, uj, starts) - fit.cost) / s2
            checked.append((name, end, delta))
    assert len(checked) >= 3, checked
    for name, end, delta in checked:
        assert abs(delta - 3.841) < 0.03, (name, end, delta)
