"""Each Vensim builtin, in its own small model, matches PySD within 1e-9 in the batch engine."""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from regionsoft_sd.batch import UnsupportedConstructError, compile_model, simulate
from regionsoft_sd.batch.cbackend import compiler
from regionsoft_sd.batch.engine import CBackendUnsupported
from regionsoft_sd.batch.names import canon
from regionsoft_sd.model.translate import abstract_model, load_model
from tests.fuzz_models import pysd_params

MODELS = Path(__file__).parent / "batch_models"
BUILTIN_MODELS = sorted(
    p
    for p in MODELS.glob("*.mdl")
    if not p.stem.startswith(("unsupported", "invalid", "pysd_defect"))
)


def ranged_samples(path: Path, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """n values per constant, drawn uniformly from its [min,max] range in the .mdl.

    A subscripted constant gets one draw per element (`Birth rate[North]`, ...).
    """
    rng = np.random.default_rng(seed)
    arrays = compile_model(path).graph.arrays
    nodes = compile_model(path).graph.nodes
    out = {}
    for element in abstract_model(path).sections[0].elements:
        lo, hi = element.limits
        if (
            lo is not None
            and hi is not None
            and element.name.strip().upper()
            not in (
                "SAVEPER",
                "TIME STEP",
            )
        ):
            keys = arrays.get(canon(element.name))
            for name in [nodes[k].name for k in keys] if keys else [element.name]:
                out[name] = rng.uniform(lo, hi, n)
    return out


def pysd_runs(path: Path, samples: dict[str, np.ndarray]):
    model = load_model(path)
    n = len(next(iter(samples.values())))
    for i in range(n):
        model.reload()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield model.run(params=pysd_params(model, {k: float(v[i]) for k, v in samples.items()}))


PATHS = {"numpy-arrays": ("numpy", None), "numpy-floats": ("numpy", 1), "c": ("c", None)}
C_UNSUPPORTED = {"vector_select": "VECTOR SELECT"}  # the NumPy engine runs these


@cache
def reference(path: Path) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
    """6 draws from the model's ranges and PySD's run of each (every non-lookup variable)."""
    compiled = compile_model(path)
    record = [n for n in compiled.names if compiled.graph.nodes[compiled.key(n)].kind != "lookup"]
    samples = ranged_samples(path, 6)
    refs = []
    for ref in pysd_runs(path, samples):
        np.testing.assert_allclose(
            compiled.save_steps()[1], ref.index.to_numpy(), rtol=0, atol=1e-12
        )
        refs.append({name: ref[name].to_numpy(dtype=float) for name in record})
    return samples, refs


@pytest.mark.parametrize("path", BUILTIN_MODELS, ids=lambda p: p.stem)
@pytest.mark.parametrize("route", PATHS)
def test_builtin_matches_pysd(path: Path, route: str) -> None:
    """Every variable at every saved time, 6 runs, each batch path against PySD.

    NumPy repeats PySD's arithmetic: within 1e-9 point by point. The C kernel
    (exp/log powers, libmvec): within 1e-9 of each trajectory's largest magnitude.
    """
    backend, chunk_size = PATHS[route]
    if backend == "c" and compiler() is None:
        pytest.skip("no C compiler on this machine")
    samples, refs = reference(path)
    record = list(refs[0])
    if backend == "c" and path.stem in C_UNSUPPORTED:
        with pytest.raises(CBackendUnsupported):
            simulate(samples, record=record, mdl_path=path, backend="c")
        return
    res = simulate(samples, record=record, mdl_path=path, chunk_size=chunk_size, backend=backend)
    for i, ref in enumerate(refs):
        for name, want in ref.items():
            finite = np.abs(want[np.isfinite(want)])
            scale = max(float(finite.max()) if finite.size else 0.0, 1e-12)
            scale = scale if backend == "c" else 1e-3
            np.testing.assert_allclose(
                res.data[name][:, i],
                want,
                rtol=1e-9,
                atol=1e-9 * scale,
                err_msg=f"{path.stem}: {name}, run {i}",
            )


@pytest.mark.parametrize(
    ("stem", "construct", "variable"),
    [
        ("unsupported_random", "RANDOM NORMAL", "Noise"),
        ("unsupported_trend", "TREND", "Trend out"),
        ("unsupported_subscript_mismatch", "subscripts", "Spread[North]"),
        ("unsupported_xls", "GET DATA", "Sales"),
    ],
)
def test_unsupported_construct_names_construct_and_variable(
    stem: str, construct: str, variable: str
) -> None:
    with pytest.raises(UnsupportedConstructError) as err:
        compile_model(MODELS / f"{stem}.mdl")
    assert construct in str(err.value)
    assert variable in str(err.value)


def test_series_take_shared_and_per_run() -> None:
    """A shared series is returned as is; a per-run one gives one run's or a slice's columns."""
    from regionsoft_sd.batch.builtins import Series

    shared = Series([0.0, 10.0], [1.0, 3.0])
    assert shared.take(slice(0, 2)) is shared and shared.take(1) is shared
    per_run = Series([10.0, 0.0], [[3.0, 30.0, 300.0], [1.0, 10.0, 100.0]])  # sorted by time
    one = per_run.take(1)
    assert one.values.shape == (2,) and one(5.0) == 20.0
    part = per_run.take(slice(1, 3))
    np.testing.assert_array_equal(part(5.0), [20.0, 200.0])
    np.testing.assert_array_equal(part.times, [0.0, 10.0])
