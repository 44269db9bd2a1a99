"""Each Vensim builtin, in its own small model, matches PySD within 1e-9 in the batch engine."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from regionsoft_sd.batch import UnsupportedConstructError, compile_model, simulate
from regionsoft_sd.model import abstract_model, load_model

MODELS = Path(__file__).parent / "batch_models"
BUILTIN_MODELS = sorted(
    p
    for p in MODELS.glob("*.mdl")
    if not p.stem.startswith(("unsupported", "invalid", "pysd_defect"))
)


def ranged_samples(path: Path, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """n values per constant, drawn uniformly from its [min,max] range in the .mdl."""
    rng = np.random.default_rng(seed)
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
            out[element.name] = rng.uniform(lo, hi, n)
    return out


def pysd_runs(path: Path, samples: dict[str, np.ndarray]):
    model = load_model(path)
    n = len(next(iter(samples.values())))
    for i in range(n):
        model.reload()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield model.run(params={k: float(v[i]) for k, v in samples.items()})


@pytest.mark.parametrize("path", BUILTIN_MODELS, ids=lambda p: p.stem)
@pytest.mark.parametrize("chunk_size", [None, 1], ids=["vector", "scalar"])
def test_builtin_matches_pysd(path: Path, chunk_size: int | None) -> None:
    compiled = compile_model(path)
    record = [n for n in compiled.names if compiled.graph.nodes[compiled.key(n)].kind != "lookup"]
    samples = ranged_samples(path, 6)
    res = simulate(samples, record=record, mdl_path=path, chunk_size=chunk_size)
    for i, ref in enumerate(pysd_runs(path, samples)):
        np.testing.assert_allclose(res.times, ref.index.to_numpy(), rtol=0, atol=1e-12)
        for name in record:
            np.testing.assert_allclose(
                res.data[name][:, i],
                ref[name].to_numpy(dtype=float),
                rtol=1e-9,
                atol=1e-12,
                err_msg=f"{path.stem}: {name}, run {i}",
            )


@pytest.mark.parametrize(
    ("stem", "construct", "variable"),
    [
        ("unsupported_random", "RANDOM NORMAL", "Noise"),
        ("unsupported_trend", "TREND", "Trend out"),
        ("unsupported_subscripts", "subscripts", "Population"),
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
