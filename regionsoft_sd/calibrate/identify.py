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

A parameter at a bound is reported separately: the data push it beyond the range
the model declares, which says more about the model than about the parameter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionsoft_sd.calibrate.profile import Profile
from regionsoft_sd.calibrate.uncertainty import WIDE, Uncertainty

HALF = 0.5


def identifiability(unc: Uncertainty, profiles: dict[str, Profile]) -> pd.DataFrame:
    """parameter, verdict (yes/weak/no), reasons, interval_share, profile, unseen, at_bound."""
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
        verdict = "no" if no else ("weak" if weak else "yes")
        rows.append(
            {
                "parameter": name,
                "identifiable": verdict,
                "reasons": "; ".join(no + weak),
                "interval_share": share,
                "profile": verdict_p,
                "unseen": name in unseen,
                "at_bound": bool(unc.at_bound[i]),
            }
        )
    return pd.DataFrame(rows)
