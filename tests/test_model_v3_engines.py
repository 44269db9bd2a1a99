"""Model version 3 in three engines: PySD (the reference), pysimlin and the batch engine.

pysimlin is an independent (Rust) implementation of Vensim and the batch engine is
compiled from PySD's abstract model, so agreement within 1e-6 is evidence that none
of them misreads the subscripted model. A full PySD run of the 31 provinces takes
minutes, so PySD runs once, to 2008 (12 steps of every equation, initial values
and the INITIAL() calibrations included).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from regionsoft_sd.batch import simulate
from tests.test_model_v3_random import draw
from tests.test_model_v3_support import MDL, ident, provinces, run

KEY = [
    "GDP",
    "Population",
    "Mean schooling",
    "Dominant Soft Power",
    "Potential Soft Power",
    "Household consumption per person",
    "Government consumption per person",
    "Awareness",
    "Credibility",
    "Net migration",
    "Productive Capital",
    "Outside owned capital",
]
SCALARS = {
    **{k: float(v[0]) for k, v in draw(1, seed=5).items() if "[" not in k},
    "Budget split policy start year": 2006,  # outside its range: levers act in the run
    "Budget split policy ramp time": 1,
    "Rival response mode": 1,
}
ARRAYS = {"Policy culture share": {"sichuan": 0.05}, "Policy image share": {"sichuan": 0.006}}
SCENARIO = {
    **SCALARS,
    **{f"{n}[{p}]": v for n, vals in ARRAYS.items() for p, v in vals.items()},
}


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-9)
    return float(np.max(np.abs(a - b) / scale))


@pytest.fixture(scope="module")
def pysd_run():
    import pysd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.read_vensim(str(MDL))
        params: dict = dict(SCALARS)
        for name, values in ARRAYS.items():
            array = model[name].copy()
            for province, v in values.items():
                array.loc[province] = v
            params[name] = array
        return model.run(params=params, final_time=2008)


def test_pysd_and_pysimlin_agree_within_1e_6(pysd_run):
    ref = run(SCENARIO)
    worst = 0.0
    for name in KEY:
        for p in provinces():
            a = pysd_run[f"{name}[{p}]"].to_numpy()
            b = ref[ident(f"{name}[{p}]")].loc[pysd_run.index].to_numpy()
            if name == "Net migration":  # a difference of near-equal flows
                worst = max(worst, float(np.max(np.abs(a - b))) / 1e-3)
            else:
                worst = max(worst, _rel(a, b))
    assert worst < 1e-6
    # the scenario acts within the run: Sichuan's culture spending has moved
    base = run({"Budget split policy start year": 2006})
    assert (
        abs(
            ref[ident("Culture spending[sichuan]")].loc[2008]
            / base[ident("Culture spending[sichuan]")].loc[2008]
            - 1
        )
        > 0.5
    )


def test_batch_engine_agrees_with_pysimlin_on_random_sets():
    samples = draw(3, seed=21)
    record = [f"{n}[{p}]" for n in KEY for p in provinces()]
    res = simulate(samples, record=record, mdl_path=MDL, backend="numpy")
    for i in range(3):
        ref = run({k: float(v[i]) for k, v in samples.items()})
        worst = max(
            _rel(res.data[r][:, i], ref[ident(r)]) for r in record if "Net migration" not in r
        )
        assert worst < 1e-6
