"""Public entry points: `simulate` (whole batch in memory) and `simulate_chunks` (streamed).

Inputs, from weakest to strongest:

1. the model's own constants;
2. `base`, any object with `constants` (Vensim name -> float) and `series`
   (Vensim name -> pandas Series indexed by time), e.g. a workflow `Scenario`;
3. `samples`, one value per run: a DataFrame (one column per name) or a dict
   name -> array of shape (N,);
4. `series`, time-varying inputs per batch: name -> (times, values) with values of
   shape (len(times),) (shared by all runs) or (len(times), N) (one column per run).
   Between the given times values are interpolated linearly; outside, the end values
   are held (PySD's treatment of a pandas Series parameter).

Names are matched the way Vensim does (case, spaces and underscores ignored).

Backends: "numpy" (the reference implementation, arrays of shape (N,)), "c" (a
generated C kernel compiled at first use, see `cbackend`) and "auto" (the
default: C when a compiler is available and the model is within its subset, else
NumPy with a one-line warning). The choice never depends on N, so a given run
gives the same bits whatever the batch or chunk it is in.
"""

from __future__ import annotations

import os
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regionsoft_sd.batch import cbackend
from regionsoft_sd.batch.builtins import Series
from regionsoft_sd.batch.engine import (
    ENV_LAYOUT,
    CBackendUnsupported,
    CompiledModel,
    compile_model,
    run_chunk,
    run_chunk_c,
)
from regionsoft_sd.batch.result import BatchResult
from regionsoft_sd.model.translate import MODEL_PATH

DEFAULT_CHUNK = 10_000  # runs per chunk: arrays stay in cache, temporaries stay small
BACKENDS = ("auto", "numpy", "c")
_noted: set[str] = set()


class BackendNote(RuntimeWarning):
    """The fast C backend is not used for this batch (the NumPy engine runs it)."""


def _note(message: str) -> None:
    """Warn once per process and message: the batch still runs, on NumPy."""
    if message not in _noted:
        _noted.add(message)
        warnings.warn(f"regionsoft-sd: {message}; the NumPy engine runs it", BackendNote, 4)


def _chunk_size(chunk_size: int | None) -> int:
    """`chunk_size` checked: None means the default; otherwise an integer of at least 1."""
    if chunk_size is None:
        return DEFAULT_CHUNK
    if isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a whole number of runs >= 1, got {chunk_size!r}")
    return int(chunk_size)


class _Names:
    """What every call asks of a model, computed once per compiled model.

    At N = 1 the kernel's own work is under a millisecond, so name matching, the
    settable check (a loop over every stateful per name) and the program look-up
    must not cost more.
    """

    def __init__(self, model: CompiledModel) -> None:
        self.model = model
        self.keys: dict[str, str] = {}
        self.programs: dict[tuple, tuple] = {}
        self.grid: tuple[np.ndarray, np.ndarray] | None = None
        nodes, statefuls = model.graph.nodes, model.graph.statefuls
        stocks = {sf.ident for sf in statefuls if sf.kind == "integ"}
        self.fixed = frozenset(
            k for k, node in nodes.items() if node.kind == "lookup" or node.code in stocks
        )

    def key(self, name: str) -> str:
        """`model.key(name)`, remembered (an unknown name raises every time)."""
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = self.model.key(name)
        return key


_names: weakref.WeakKeyDictionary[CompiledModel, _Names] = weakref.WeakKeyDictionary()


def _names_of(model: CompiledModel) -> _Names:
    found = _names.get(model)
    if found is None:
        found = _names[model] = _Names(model)
    return found


def _samples(model: CompiledModel, samples) -> tuple[dict[str, np.ndarray], int]:
    if samples is None:
        return {}, 1
    if isinstance(samples, pd.DataFrame):
        items = {c: samples[c].to_numpy(dtype=float) for c in samples.columns}
    elif isinstance(samples, Mapping):
        items = {k: np.asarray(v, dtype=float) for k, v in samples.items()}
        flat = [k for k, v in items.items() if v.ndim > 1]
        if flat:
            raise ValueError(f"samples must be 1-D arrays (one value per run): {flat[:3]}")
        items = {k: v.reshape(-1) for k, v in items.items()}
    else:
        raise TypeError("samples must be a pandas DataFrame or a dict name -> array")
    lengths = {len(v) for v in items.values()}
    if len(lengths) > 1:
        raise ValueError(f"all sample columns need the same length, got {sorted(lengths)}")
    if items and not np.isfinite(np.concatenate(list(items.values()))).all():
        bad = [k for k, v in items.items() if not np.isfinite(v).all()]
        raise ValueError(f"samples hold NaN or infinite values: {bad[:3]}")
    n = lengths.pop() if lengths else 1
    if n == 0:
        raise ValueError("samples hold no runs")
    key = _names_of(model).key
    return {key(k): v for k, v in items.items()}, n


def _check_settable(model: CompiledModel, keys) -> None:
    fixed = _names_of(model).fixed
    for key in keys:
        if key in fixed:
            name = model.graph.nodes[key].name
            raise ValueError(f"{name!r} is a stock or a lookup; it cannot be set per run")


def prepare(model: CompiledModel, samples, base, series) -> tuple[dict[str, Any], int]:
    """Merge model constants, base scenario, samples and series into `P` (key -> value)."""
    values, n = _samples(model, samples)
    key_of = _names_of(model).key
    P: dict[str, Any] = {}
    if base is not None:
        for name, value in getattr(base, "constants", {}).items():
            P[key_of(name)] = float(value)
        for name, s in getattr(base, "series", {}).items():
            s = pd.Series(s).sort_index()
            P[key_of(name)] = Series(s.index.to_numpy(float), s.to_numpy(float))
    P.update(values)
    for name, (times, vals) in (series or {}).items():
        key = key_of(name)
        if key in values:
            raise ValueError(f"{name!r} is both sampled and given as a series")
        vals = np.asarray(vals, dtype=float)
        if vals.ndim == 2 and vals.shape[1] != n:
            raise ValueError(f"series {name!r} has {vals.shape[1]} columns for {n} runs")
        P[key] = Series(times, vals)
    _check_settable(model, P)
    return P, n


def _chunk(P: dict, sl: slice, n: int) -> dict:
    """The inputs of the runs `sl` of `n` (P itself when the chunk is the whole batch)."""
    if sl.start == 0 and sl.stop >= n:
        return P
    out = {}
    for key, value in P.items():
        if isinstance(value, np.ndarray):
            out[key] = value[sl]
        elif isinstance(value, Series):
            out[key] = value.take(sl)
        else:
            out[key] = value
    return out


def _setup(samples, base, series, record, times, method, mdl_path, backend):
    if method not in ("euler", "rk4"):
        raise ValueError(f"method must be 'euler' or 'rk4', not {method!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    model = compile_model(mdl_path)
    P, n = prepare(model, samples, base, series)
    if times is None:  # the model's own grid: computed once, copied for each result
        names = _names_of(model)
        if names.grid is None:
            names.grid = model.save_steps(None)
        save_idx, save_times = names.grid[0], names.grid[1].copy()
    else:
        save_idx, save_times = model.save_steps(times)
    series_keys = frozenset(k for k, v in P.items() if isinstance(v, Series))
    params = frozenset(P) - series_keys
    prog, c_prog, names, units = _programs(model, record, params, series_keys, method, backend)
    return model, P, n, (prog, c_prog), list(names), dict(units), save_idx, save_times


def _programs(model: CompiledModel, record, params, series_keys, method: str, backend: str):
    """(NumPy program, C kernel or None, recorded names, their units) for this signature.

    Remembered per compiled model, so a repeated call (one run at a time) does not
    resolve names or look programs up again; a C backend that fell back to NumPy
    is not remembered, so a later call tries it again.
    """
    cache = _names_of(model).programs
    layout = os.environ.get(ENV_LAYOUT, "")  # a forced C layout is another program
    sig = (None if record is None else tuple(record), params, series_keys, method, backend, layout)
    if sig in cache:
        return cache[sig]
    wanted = record if record is not None else model.stocks
    keys = [k for r in wanted for k in model.keys(r)]
    if len(set(keys)) != len(keys):
        raise ValueError("record names a variable twice")
    prog = model.program(tuple(keys), params, series_keys)
    c_prog = None
    if backend != "numpy":
        try:
            c_prog = model.c_program(tuple(keys), params, series_keys, method)
        except (cbackend.CompilerUnavailable, CBackendUnsupported) as err:
            if backend == "c":
                raise
            _note(f"the C backend is not available ({err})")
    names = tuple(model.name(k) for k in keys)
    units = {model.name(k): model.units(k) for k in keys}
    found = (prog, c_prog, names, units)
    if c_prog is not None or backend == "numpy":
        cache[sig] = found
    return found


def simulate_chunks(
    samples=None,
    *,
    base=None,
    series: Mapping[str, tuple] | None = None,
    record: list[str] | None = None,
    times=None,
    method: str = "euler",
    chunk_size: int | None = None,
    mdl_path: Path | str = MODEL_PATH,
    dtype=np.float64,
    progress: Callable[[int, int], None] | None = None,
    backend: str = "auto",
) -> Iterator[BatchResult]:
    """Run the batch chunk by chunk, yielding one `BatchResult` per chunk.

    Memory stays bounded by one chunk's working set plus its recorded values, so
    any N can be streamed (reduce each chunk, or write it to disk). Each result's
    `run_offset` says which runs it holds. Arguments as in `simulate`.
    """
    model, P, n, prog, names, units, save_idx, save_times = _setup(
        samples, base, series, record, times, method, mdl_path, backend
    )

    def fresh(start: int, stop: int) -> list[np.ndarray]:
        return [np.empty((len(save_idx), stop - start), dtype=dtype) for _ in names]

    for start, out in _run_chunks(model, prog, P, n, save_idx, method, chunk_size, fresh, progress):
        yield BatchResult(save_times.copy(), dict(zip(names, out, strict=True)), units, start)


def simulate(
    samples=None,
    *,
    base=None,
    series: Mapping[str, tuple] | None = None,
    record: list[str] | None = None,
    times=None,
    method: str = "euler",
    chunk_size: int | None = None,
    mdl_path: Path | str = MODEL_PATH,
    dtype=np.float64,
    progress: Callable[[int, int], None] | None = None,
    backend: str = "auto",
) -> BatchResult:
    """Run N parameter sets at once and return every recorded trajectory.

    samples: DataFrame or dict name -> array (N,), one value per run (None: one run
        of the base). Any constant (or auxiliary, replaced by the value) can be set.
    base: object with `constants` and `series` (a workflow `Scenario`), under samples.
    series: time-varying inputs, name -> (times, values (T,) or (T, N)).
    record: variable names to record (default: the stocks). A subscripted name
        records each of its elements, under PySD's column names (`Pop[north]`).
    times: times to record (default: the model's SAVEPER grid); must lie on the
        TIME STEP grid.
    method: "euler" (PySD's method, the reference) or "rk4".
    chunk_size: runs integrated together (default 10,000).
    dtype: dtype of recorded arrays; float32 halves the result's memory (values are
        still computed in float64).
    progress: called as progress(done, total) after each chunk.
    backend: "auto" (default: the compiled C kernel when a C compiler is present,
        else NumPy with a one-line warning), "c" (raise if it cannot be used) or
        "numpy". Both agree with PySD within 1e-9; each is bit-reproducible.

    Returns a `BatchResult` whose arrays have shape (len(times), N). Memory is the
    recorded arrays plus one chunk's working set: chunks write straight into them.
    """
    model, P, n, prog, names, units, save_idx, save_times = _setup(
        samples, base, series, record, times, method, mdl_path, backend
    )
    data = {name: np.empty((len(save_idx), n), dtype=dtype) for name in names}

    def views(start: int, stop: int) -> list[np.ndarray]:
        return [data[name][:, start:stop] for name in names]

    for _ in _run_chunks(model, prog, P, n, save_idx, method, chunk_size, views, progress):
        pass
    return BatchResult(save_times, data, units)


def _run_chunks(
    model: CompiledModel,
    prog,
    P: dict,
    n: int,
    save_idx: np.ndarray,
    method: str,
    chunk_size: int | None,
    buffers: Callable[[int, int], list[np.ndarray]],
    progress: Callable[[int, int], None] | None,
) -> Iterator[tuple[int, list[np.ndarray]]]:
    """Integrate the runs chunk by chunk into `buffers(start, stop)`; yield each chunk.

    The one loop behind `simulate` (buffers are views of the whole result) and
    `simulate_chunks` (buffers are fresh arrays per chunk).
    """
    size = _chunk_size(chunk_size)
    py_prog, c_prog = prog
    for start in range(0, n, size):
        stop = min(n, start + size)
        out = buffers(start, stop)
        part = _chunk(P, slice(start, stop), n)
        if c_prog is not None:
            run_chunk_c(model, c_prog, part, stop - start, save_idx, out, method)
        else:
            run_chunk(model, py_prog, part, stop - start, save_idx, out, method)
        yield start, out
        if progress is not None:
            progress(stop, n)
