"""The compiled backend: choice and fallback, the kernel cache, bit-reproducibility."""

from __future__ import annotations

import ctypes.util
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from regionsoft_sd.batch import cbackend, simulate
from regionsoft_sd.batch.api import BackendNote
from regionsoft_sd.model.translate import MODEL_PATH
from tests.test_batch_builtins import MODELS, ranged_samples

needs_cc = pytest.mark.skipif(cbackend.compiler() is None, reason="no C compiler")
SHOWN = ["Dominant Soft Power", "Hard Power Index", "GDP"]


def _swap_bytes(path: Path, data: bytes) -> None:
    """Put `data` at `path` as a new file (a swap), never rewriting the old file in place.

    This process may have the old library mapped (dlopen): rewriting those pages in
    place, or truncating them, makes the process die of SIGBUS when they are touched,
    for example at exit. A swapped file is also what a stranger replacing the cache's
    files would leave.
    """
    tmp = path.with_name(path.name + ".swap")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def test_without_a_compiler_auto_runs_numpy_with_a_one_line_note(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(cbackend, "compiler", lambda: None)
    monkeypatch.setattr("regionsoft_sd.batch.api._noted", set())
    monkeypatch.setattr(cbackend, "_loaded", {})  # nothing built earlier in this process
    path = tmp_path / "fresh.mdl"  # a model no other test has compiled in this process
    path.write_text((MODELS / "linear_forced.mdl").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.warns(BackendNote) as caught:
        auto = simulate({"K": [0.4, 0.5]}, record=["S"], mdl_path=path, method="rk4")
    (note,) = caught
    assert "\n" not in str(note.message) and "no C compiler" in str(note.message)
    ref = simulate({"K": [0.4, 0.5]}, record=["S"], mdl_path=path, method="rk4", backend="numpy")
    np.testing.assert_array_equal(auto.data["S"], ref.data["S"])
    with pytest.raises(cbackend.CompilerUnavailable, match="no C compiler"):
        simulate(record=["S"], mdl_path=path, backend="c")


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend must be one of auto, numpy, c"):
        simulate(backend="gpu")


@needs_cc
def test_kernel_cache_reuses_and_rebuilds_a_damaged_library(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(cbackend.ENV_CACHE, str(tmp_path))
    source = "int rs_run(void) { return 7; }\n"
    lib = cbackend.build(source)
    assert lib.parent == tmp_path / "kernels" and lib.suffix == ".so"
    built = lib.stat().st_mtime_ns
    assert cbackend.build(source) == lib and lib.stat().st_mtime_ns == built  # reused
    data = bytearray(lib.read_bytes())
    data[len(data) // 2] ^= 0xFF
    _swap_bytes(lib, bytes(data))  # a damaged file is never loaded: its digest differs
    assert cbackend.build(source) == lib
    assert lib.read_bytes() != bytes(data)
    assert [p.name for p in lib.parent.iterdir() if p.name.startswith(".build")] == []


def test_kernels_live_in_the_one_cache_folder_whichever_variable_names_it(
    tmp_path, monkeypatch
) -> None:
    """REGIONSOFT_SD_CACHE moves kernels and translations together; REGIONSOFT_CACHE too."""
    monkeypatch.delenv("REGIONSOFT_SD_CACHE", raising=False)
    monkeypatch.setenv("REGIONSOFT_CACHE", str(tmp_path / "alias"))
    assert cbackend.cache_dir() == tmp_path / "alias" / "kernels"
    monkeypatch.setenv("REGIONSOFT_SD_CACHE", str(tmp_path / "main"))
    assert cbackend.cache_dir() == tmp_path / "main" / "kernels"
    assert cbackend.ENV_CACHE == "REGIONSOFT_SD_CACHE"


@needs_cc
def test_a_runs_bits_do_not_depend_on_n_chunks_or_threads(monkeypatch) -> None:
    """The same run alone, in a batch of 37, in chunks of 5, on 1 or 2 threads."""
    samples = ranged_samples(MODEL_PATH, 37, seed=3)
    alone = simulate({k: v[11:12] for k, v in samples.items()}, record=SHOWN, backend="c")
    monkeypatch.setenv(cbackend.ENV_THREADS, "1")
    one = simulate(samples, record=SHOWN, backend="c", chunk_size=5)
    monkeypatch.setenv(cbackend.ENV_THREADS, "2")
    two = simulate(samples, record=SHOWN, backend="c")
    for name in SHOWN:
        np.testing.assert_array_equal(one.data[name], two.data[name])
        np.testing.assert_array_equal(alone.data[name][:, 0], two.data[name][:, 11])


@needs_cc
@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_c_agrees_with_numpy_on_every_builtin_and_method(method: str) -> None:
    """Each small model, 6 runs from its ranges, both integration methods."""
    for path in sorted(MODELS.glob("*.mdl")):
        if path.stem.startswith(("unsupported", "invalid", "vector_select")):
            continue
        samples = ranged_samples(path, 6, seed=5)
        with warnings.catch_warnings():
            warnings.simplefilter("error", BackendNote)
            res_c = simulate(samples, mdl_path=path, method=method, backend="c")
        res_n = simulate(samples, mdl_path=path, method=method, backend="numpy")
        for name, want in res_n.data.items():
            scale = max(float(np.nanmax(np.abs(want), initial=0.0)), 1e-12)
            np.testing.assert_allclose(
                res_c.data[name], want, rtol=1e-9, atol=1e-9 * scale, err_msg=path.stem
            )


@needs_cc
def test_float32_results_and_streamed_chunks_on_c() -> None:
    samples = ranged_samples(MODEL_PATH, 20, seed=8)
    full = simulate(samples, record=SHOWN, backend="c")
    small = simulate(samples, record=SHOWN, backend="c", dtype=np.float32)
    from regionsoft_sd.batch import simulate_chunks

    parts = list(simulate_chunks(samples, record=SHOWN, backend="c", chunk_size=7))
    for name in SHOWN:
        assert small.data[name].dtype == np.float32
        np.testing.assert_array_equal(small.data[name], full.data[name].astype(np.float32))
        joined = np.concatenate([p.data[name] for p in parts], axis=1)
        np.testing.assert_array_equal(joined, full.data[name])


SIGNED_ZERO = """{UTF-8}
Zero= RAMP(-1, 0, 3) ~ Dmnl ~ At INITIAL TIME: -1 * 0 = -0, then negative. |
Minus one= -1 ~ Dmnl ~ |
Three= 3 ~ Dmnl ~ |
Half= 0.5 ~ Dmnl ~ |
Reciprocal= Zero ^ -1 ~ Dmnl ~ |
Reciprocal by name= Zero ^ Minus one ~ Dmnl ~ |
Cube= Zero ^ 3 ~ Dmnl ~ |
Cube by name= Zero ^ Three ~ Dmnl ~ |
Root= Zero ^ Half ~ Dmnl ~ |
Product= Zero ^ 2 * Zero ^ Minus one ~ Dmnl ~ |
INITIAL TIME = 0 ~ ~ |
FINAL TIME = 2 ~ ~ |
TIME STEP = 0.5 ~ ~ |
SAVEPER = TIME STEP ~ ~ |
"""


@needs_cc
def test_powers_keep_the_sign_of_zero_and_nan_as_numpy(tmp_path) -> None:
    """pow(-0, -1) = -inf, pow(-0, 3) = -0, pow(-0, 0.5) = +0, pow(x < 0, 0.5) = NaN.

    The kernel computes x^a as exp(a ln|x|) and restores the sign; a fuzz case once
    gave +inf for (-0)^-1 written with a named exponent. PySD (Python floats) raises
    ZeroDivisionError here, so NumPy's IEEE results are the reference.
    """
    path = tmp_path / "signed_zero.mdl"
    path.write_text(SIGNED_ZERO, encoding="utf-8")
    names = ["Reciprocal", "Reciprocal by name", "Cube", "Cube by name", "Root", "Product"]
    res_c = simulate(record=names, mdl_path=path, backend="c")
    res_n = simulate(record=names, mdl_path=path, backend="numpy")
    first = {name: res_n.data[name][0, 0] for name in names}
    assert first["Reciprocal"] == first["Reciprocal by name"] == -np.inf
    assert first["Cube"] == 0 and np.signbit(first["Cube"])
    assert first["Root"] == 0 and not np.signbit(first["Root"])
    assert np.isnan(res_n.data["Root"][1:, 0]).all()
    for name in names:
        want, got = res_n.data[name], res_c.data[name]
        assert (np.isnan(want) == np.isnan(got)).all(), name
        assert (np.signbit(want) == np.signbit(got))[~np.isnan(want)].all(), name
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)


@needs_cc
@pytest.mark.skipif(ctypes.util.find_library("mvec") is None, reason="no libmvec")
def test_project_kernel_stays_vectorised() -> None:
    """The step loop must compile to SIMD: a scalar fallback is 5x slower and silent.

    gcc calls libmvec's vector exp/log (`_ZGV...`) only from a vectorised loop; one
    helper written with int-valued selects once made it fall back to scalar calls.
    """
    samples = ranged_samples(MODEL_PATH, 2, seed=1)
    from regionsoft_sd.batch import compile_model

    model = compile_model()
    keys = tuple(k for s in model.stocks for k in model.keys(s))
    kern, _ = model.c_program(keys, frozenset(model.key(k) for k in samples), frozenset(), "euler")
    library = cbackend.build(kern.source).read_bytes()
    assert re.search(rb"_ZGV\w+_exp", library) and re.search(rb"_ZGV\w+_log", library)


def _fresh_process(monkeypatch) -> None:
    """Forget what this process built and loaded, as a new process would."""
    monkeypatch.setattr(cbackend, "_built", {})
    monkeypatch.setattr(cbackend, "_loaded", {})
    monkeypatch.setattr(cbackend, "_warned", set())


def _returns(value: int) -> str:
    return f"int rs_run(void) {{ return {value}; }}\n"


@needs_cc
@pytest.mark.parametrize("new_process", [False, True])
def test_a_library_swapped_in_with_its_own_stamp_is_rebuilt_never_loaded(
    tmp_path, monkeypatch, new_process: bool
) -> None:
    """The audit's hole: another kernel's library and its (valid) stamp copied over a pair."""
    monkeypatch.setenv(cbackend.ENV_CACHE, str(tmp_path))
    _fresh_process(monkeypatch)
    seven, eight = cbackend.build(_returns(7)), cbackend.build(_returns(8))
    intruder = eight.read_bytes()
    _swap_bytes(seven, intruder)
    seven.with_suffix(".sha256").write_bytes(eight.with_suffix(".sha256").read_bytes())
    if new_process:
        _fresh_process(monkeypatch)  # only the files on disk speak for the library now
    lib = cbackend._library(_returns(7))
    lib.rs_run.restype = ctypes.c_int
    assert lib.rs_run() == 7  # the code that was built from this source ran, not the swap
    assert seven.read_bytes() != intruder


@needs_cc
def test_a_forged_stamp_truncated_or_garbage_library_is_rebuilt(tmp_path, monkeypatch) -> None:
    import hashlib

    monkeypatch.setenv(cbackend.ENV_CACHE, str(tmp_path))
    _fresh_process(monkeypatch)
    lib = cbackend.build(_returns(5))
    stamp = lib.with_suffix(".sha256")
    good = lib.read_bytes()
    for damage in (good[: len(good) // 3], b"\x7fELF garbage" * 100, b""):
        _swap_bytes(lib, damage)
        name, _, mac = stamp.read_text(encoding="ascii").split()
        # a stamp rewritten for the new bytes, without the folder's secret
        stamp.write_text(f"{name} {hashlib.sha256(damage).hexdigest()} {mac}\n", "ascii")
        _fresh_process(monkeypatch)
        loaded = cbackend._library(_returns(5))
        loaded.rs_run.restype = ctypes.c_int
        assert loaded.rs_run() == 5
        assert lib.read_bytes() != damage


@needs_cc
@pytest.mark.parametrize("broken", ["a file", "below a file", "read-only"])
def test_an_unusable_kernel_cache_folder_builds_privately_with_one_line(
    tmp_path, monkeypatch, broken: str
) -> None:
    import os

    root = tmp_path / "cache"  # what the variable names; kernels go to its `kernels` folder
    folder = root / "kernels"
    if broken == "a file":
        root.mkdir()
        folder.write_text("not a folder", encoding="utf-8")
    elif broken == "below a file":
        root = tmp_path / "file"
        root.write_text("x", encoding="utf-8")
        folder = root / "kernels"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        folder.mkdir(parents=True)
        folder.chmod(0o500)
    monkeypatch.setenv(cbackend.ENV_CACHE, str(root))
    _fresh_process(monkeypatch)
    path = tmp_path / "model.mdl"  # a model this process has not compiled yet
    path.write_text((MODELS / "linear_forced.mdl").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.warns(cbackend.KernelCacheNote) as caught:
        res_c = simulate({"K": [0.4, 0.5]}, record=["S"], mdl_path=path, backend="c")
    (note,) = caught
    assert str(folder) in str(note.message) and "\n" not in str(note.message)
    res_n = simulate({"K": [0.4, 0.5]}, record=["S"], mdl_path=path, backend="numpy")
    np.testing.assert_allclose(res_c.data["S"], res_n.data["S"], rtol=1e-12)


@needs_cc
def test_a_model_kernel_swapped_for_another_models_gives_the_right_results(
    tmp_path, monkeypatch
) -> None:
    """The swap at the level of `simulate`: a new process must not run the other kernel."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(cbackend.ENV_CACHE, str(cache))
    _fresh_process(monkeypatch)

    def model(name: str, source: str) -> Path:
        path = tmp_path / name / f"{source}.mdl"
        path.parent.mkdir(exist_ok=True)
        path.write_text((MODELS / f"{source}.mdl").read_text(encoding="utf-8"), "utf-8")
        return path

    def libs() -> set:
        return set((cache / "kernels").glob("rs_*.so"))

    k = {"K": [0.4, 0.5]}
    simulate(k, record=["S"], mdl_path=model("a", "linear_forced"), backend="c")
    mine = libs()
    simulate(k, record=["Outflow"], mdl_path=model("a", "linear_forced"), backend="c")
    (other,) = libs() - mine  # same inputs and shape, another variable: it would run
    (target,) = mine
    _swap_bytes(target, other.read_bytes())
    target.with_suffix(".sha256").write_bytes(other.with_suffix(".sha256").read_bytes())
    _fresh_process(monkeypatch)
    path = model("b", "linear_forced")
    got = simulate(k, record=["S"], mdl_path=path, backend="c")
    want = simulate(k, record=["S"], mdl_path=path, backend="numpy")
    np.testing.assert_allclose(got.data["S"], want.data["S"], rtol=1e-9)
    assert target.read_bytes() != other.read_bytes()


def test_repeated_one_run_calls_share_nothing_a_caller_can_change(tmp_path) -> None:
    """Names, programs and the save grid are remembered per model; results stay the caller's."""
    path = tmp_path / "model.mdl"
    path.write_text((MODELS / "linear_forced.mdl").read_text(encoding="utf-8"), encoding="utf-8")
    first = simulate({"k": [0.4]}, record=["S"], mdl_path=path, backend="numpy")
    want_times = first.times.copy()
    first.times[:] = -1.0
    first.units.clear()
    again = simulate({"K ": [0.7]}, record=["S"], mdl_path=path, backend="numpy")
    np.testing.assert_array_equal(again.times, want_times)
    assert again.units == {"S": "Widget"}
    with pytest.raises(ValueError, match="stock or a lookup"):
        simulate({"S": [1.0]}, mdl_path=path, backend="numpy")
    with pytest.raises(KeyError):
        simulate({"No such thing": [1.0]}, mdl_path=path, backend="numpy")
    with pytest.raises(KeyError):  # an unknown name is refused every time, not remembered
        simulate({"No such thing": [1.0]}, mdl_path=path, backend="numpy")
    # dS/dt = a t - k S with S(0) = 10: one Euler step from t = 0 gives 10 (1 - k dt)
    dt = want_times[1] - want_times[0]
    assert first.data["S"][1, 0] == pytest.approx(10 * (1 - 0.4 * dt), rel=1e-12)
    assert again.data["S"][1, 0] == pytest.approx(10 * (1 - 0.7 * dt), rel=1e-12)


@needs_cc
def test_the_cache_name_depends_on_the_cpu_and_the_version(monkeypatch) -> None:
    """-march=native code from another CPU may not run here: its library is not reused."""
    cc = cbackend.compiler()
    base = cbackend._key("int x;", cc)
    monkeypatch.setattr(cbackend.platform, "machine", lambda: "another-cpu")
    cbackend._toolchain_id.cache_clear()
    try:
        assert cbackend._key("int x;", cc) != base
    finally:
        cbackend._toolchain_id.cache_clear()
    monkeypatch.undo()
    monkeypatch.setattr("regionsoft_sd.__version__", "0.0.0-other")
    assert cbackend._key("int x;", cc) != base


@needs_cc
def test_loop_layout_agrees_with_numpy_on_every_builtin(monkeypatch) -> None:
    """The layout for large models (values in a working array, loops over axes), forced
    on every small model: the same values as the NumPy engine."""
    from regionsoft_sd.batch.engine import ENV_LAYOUT

    monkeypatch.setenv(ENV_LAYOUT, "loops")
    for path in sorted(MODELS.glob("*.mdl")):
        if path.stem.startswith(("unsupported", "invalid", "vector_select")):
            continue
        samples = ranged_samples(path, 6, seed=7)
        res_c = simulate(samples, mdl_path=path, backend="c")
        res_n = simulate(samples, mdl_path=path, backend="numpy")
        for name, want in res_n.data.items():
            scale = max(float(np.nanmax(np.abs(want), initial=0.0)), 1e-12)
            np.testing.assert_allclose(
                res_c.data[name], want, rtol=1e-9, atol=1e-9 * scale, err_msg=path.stem
            )


def _v3_plan():
    from regionsoft_sd.batch import codegen, compile_model
    from tests.test_model_v3_support import MDL

    model = compile_model(MDL)
    consts = {k for k, n in model.graph.nodes.items() if n.kind == "const"}
    keys = [k for s in model.stocks for k in model.keys(s)]
    return model, codegen.plan(model.graph, keys, consts, set())


def test_v3_kernel_loops_over_provinces_instead_of_one_statement_per_element() -> None:
    """Model version 3 has its 31 provinces on a subscript: the kernel's size must follow
    its equations, not their elements. Flattened, every element is one statement."""
    from regionsoft_sd.batch import cloops
    from regionsoft_sd.batch.engine import layout

    model, p = _v3_plan()
    assert layout(p, "euler") == "loops"
    source = cloops.loop_kernel(p, model.graph.control, model.tables()).source
    flat = len(p.init_order) + len(p.hoisted) + len(p.step_order)  # statements, flattened
    axis_loops = source.count("for (int e = 0; e < 31; e++)")
    lane_loops = source.count("for (int l = 0; l < LANES; l++) {")
    assert axis_loops > 150  # the province equations are loops over the axis
    assert lane_loops < flat / 5, (lane_loops, flat)
    assert "static const int IX" not in source  # equations read each other at base + e


@needs_cc
@pytest.mark.skipif(os.environ.get("REGIONSOFT_SLOW") != "1", reason="REGIONSOFT_SLOW=1")
def test_v3_on_the_loop_layout_agrees_with_numpy() -> None:
    """Compiles the v3 kernel (about 15 s of CPU): C loops against NumPy, 1e-9."""
    from tests.test_model_v3_random import draw
    from tests.test_model_v3_support import MDL, provinces

    samples = draw(9, seed=4)
    record = [f"{n}[{p}]" for n in ("GDP", "Population", "Awareness") for p in provinces()]
    res_c = simulate(samples, record=record, mdl_path=MDL, backend="c")
    res_n = simulate(samples, record=record, mdl_path=MDL, backend="numpy")
    for name in record:
        np.testing.assert_allclose(res_c.data[name], res_n.data[name], rtol=1e-9, err_msg=name)
