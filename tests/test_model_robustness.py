"""Robustness: 1,000 random parameter sets over the documented ranges stay finite and sane.

Run in pysimlin (about 3 ms a run), which tests/test_model_engines.py cross-checks
against PySD.
"""

import numpy as np

from tests.model_helpers import STOCKS, random_parameter_sets, run_simlin

FRACTIONS = ["Value Identity", "Identity balance point"]


def test_1000_random_parameter_sets_give_no_nan_inf_or_negative_stock():
    failures = []
    for i, params in enumerate(random_parameter_sets(1000, seed=42)):
        run = run_simlin(params)
        values = run[STOCKS + FRACTIONS].to_numpy()
        if not np.isfinite(values).all():
            failures.append((i, "not finite"))
        elif (run[STOCKS].to_numpy() < 0).any():
            failures.append((i, "negative stock"))
        elif ((run[FRACTIONS] < 0) | (run[FRACTIONS] > 1)).any().any():
            failures.append((i, "fraction outside [0, 1]"))
    assert failures == [], failures[:10]
