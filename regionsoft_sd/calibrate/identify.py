"""Which parameters the data pin down: one verdict per parameter, with its reasons.

A parameter is **not identifiable** when it weighs in a direction of the
Jacobian the data do not see (singular value below `NULL_RATIO` of the largest),
or when its profile is flat (the fit stays within the threshold across its
range). It is **weak** when its profile rises above the threshold on one side
only. A profile refits the other parameters at each point (bounds included), so
it settles the question for a profiled parameter. Without a profile, the
Jacobian interval decides: covering nearly all the range (over 90 %) is **no**,
over half, or a correlation beyond ±0.95 with another estimate (the data fix a
combination, not each), is **weak**. Otherwise it is identifiable (**yes**).

An estimate at a bound, or an interval clipped at a bound (the Jacobian's
estimate ± t·se reaching past it, or a profile interval ending on it), is never
called identifiable: its verdict is **at bound** unless it is **no**. The data
push such a parameter beyond the range the model declares, so its interval is
the range's edge, not what the data allow; that says more about the model than
about the parameter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionsoft_sd.calibrate.profile import Profile
from regionsoft_sd.calibrate.uncertainty import WIDE, Uncertainty

HALF = 0.5
EDGE = 1e-9
"""An interval end this close to a bound (as a share of the range) is clipped at it."""
AT_BOUND = "at bound"


def clipped(unc: Uncertainty, i: int, prof: Profile | None) -> bool:
    """Whether parameter i's interval is cut by a bound of its range.

    The profile's interval where there is one (it respects the bounds), else the
    Jacobian's unclipped estimate ± t·se.
    """
    width = unc.high[i] - unc.low[i]
    tol = EDGE * width if width > 0 else 0.0
    if prof is not None:
        lo, hi = prof.lower, prof.upper
    else:
        lo = unc.estimate[i] - unc.t * unc.se[i]
        hi = unc.estimate[i] + unc.t * unc.se[i]
    return bool(lo <= unc.low[i] + tol or hi >= unc.high[i] - tol)


def identifiability(unc: Uncertainty, profiles: dict[str, Profile]) -> pd.DataFrame:
    """parameter, verdict (yes/weak/at bound/no), reasons, share, profile, unseen, at_bound.

    `clipped` says whether the interval is cut by a bound (see `clipped`).
    """
    unseen = unc.unseen()
    pairs = unc.strong_pairs()
    rows = []
    for i, name in enumerate(unc.names):
        width = unc.high[i] - unc.low[i]
        share = float((unc.upper[i] - unc.lower[i]) / width) if width > 0 else np.nan
        prof = profiles.get(name)
        verdict_p = prof.verdict if prof is not None else ""
        partners = [f"{b if a == name else a} ({r:+.2f})" for a, b, r in pairs if name in (a, b)]
        no, weak = [], []
        if name in unseen:
            no.append(
                f"in a direction the data do not see (singular value {unseen[name]:.1e} "
                "of the largest)"
            )
        if prof is not None:  # the profile refits the others: it speaks for itself
            if verdict_p == "flat":
                no.append("its profile is flat across the range")
            elif verdict_p == "one-sided":
                weak.append("its profile rises on one side only")
        else:
            if share >= WIDE:
                no.append(f"its interval covers {share:.0%} of the range")
            elif share >= HALF:
                weak.append(f"its interval covers {share:.0%} of the range")
            if partners:
                weak.append("strongly correlated with " + ", ".join(partners))
        edge = clipped(unc, i, prof)
        bound = []
        if unc.at_bound[i]:
            bound.append("the estimate is at a bound of the range")
        elif edge:
            bound.append("its interval is clipped at a bound of the range")
        verdict = "no" if no else (AT_BOUND if bound else ("weak" if weak else "yes"))
        rows.append(
            {
                "parameter": name,
                "identifiable": verdict,
                "reasons": "; ".join(no + bound + weak),
                "interval_share": share,
                "profile": verdict_p,
                "unseen": name in unseen,
                "at_bound": bool(unc.at_bound[i]),
                "clipped": edge,
            }
        )
    return pd.DataFrame(rows)
