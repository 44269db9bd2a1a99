"""Compiled model and the integration loop over one chunk of runs.

`CompiledModel` holds the expression graph of one `.mdl` file and the generated
programs (one per choice of overridden names and recorded variables). `run_chunk`
integrates one chunk: Euler exactly as PySD (`state + ddt * dt`, time advanced by
repeated addition of TIME STEP, stopping when `t + dt * 1e-5 >= FINAL TIME`) or
classic RK4 as an option.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from regionsoft_sd.batch import builtins, cbackend, cgen, cloops
from regionsoft_sd.batch.codegen import Program, generate, plan
from regionsoft_sd.batch.compiler import Graph, build_graph
from regionsoft_sd.batch.names import canon, unknown_name_error
from regionsoft_sd.model.translate import MODEL_PATH, _digest, abstract_model

RPREC = 1e-5  # PySD's relative precision for final and save times
ENV_LAYOUT = "REGIONSOFT_C_LAYOUT"
LOOPS_FROM = 2000  # init + step statements from which the C kernel loops over array axes
SCALAR_MAX = 4  # chunks this small run one float at a time (less overhead than NumPy)


class CompiledModel:
    """A model ready for batch runs: its graph, control values and generated programs."""

    def __init__(self, graph: Graph, path: Path) -> None:
        self.graph = graph
        self.path = path
        c = graph.control
        self.initial_time = c["initial time"]
        self.final_time = c["final time"]
        self.time_step = c["time step"]
        self.saveper = c.get("saveper", self.time_step)
        self._programs: dict[tuple, tuple[Program, dict, dict]] = {}
        self.steps = self._time_axis()

    # -- names ------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Vensim names of all model variables (constants, auxiliaries, stocks, lookups)."""
        return [self.graph.nodes[k].name for k in self.graph.element_keys()]

    def key(self, name: str) -> str:
        """Canonical key of `name`; a KeyError lists the closest names when unknown."""
        key = canon(name)
        if key not in self.graph.nodes or key.startswith("#"):
            if key in self.graph.arrays:
                elements = [self.graph.nodes[k].name for k in self.graph.arrays[key][:3]]
                raise KeyError(
                    f"{name!r} is subscripted; name its elements, e.g. {', '.join(elements)}"
                )
            if key in self.graph.control:
                raise KeyError(f"{name!r} is a control variable; it cannot be set per run")
            raise unknown_name_error(name, self.names)
        return key

    def keys(self, name: str) -> list[str]:
        """Keys `name` stands for: every element of a subscripted variable, or one key."""
        key = canon(name)
        if key in self.graph.arrays and key not in self.graph.nodes:
            return list(self.graph.arrays[key])
        return [self.key(name)]

    def name(self, key: str) -> str:
        return self.graph.nodes[key].name

    @property
    def constants(self) -> dict[str, float]:
        """Constants (the parameters a batch can vary) and their model values."""
        return {n.name: n.value for n in self.graph.nodes.values() if n.kind == "const"}

    @property
    def stocks(self) -> list[str]:
        """Names of the INTEG elements, in model order (the default recorded set)."""
        out = []
        for sf in self.graph.statefuls:
            node = self.graph.nodes.get(canon(sf.owner))
            if sf.kind == "integ" and node is not None and node.code == sf.ident:
                out.append(node.name)
        return out

    def units(self, key: str) -> str:
        return self.graph.nodes[key].units

    # -- time -------------------------------------------------------------------------------
    def _time_axis(self) -> np.ndarray:
        t, dt, out = self.initial_time, self.time_step, [self.initial_time]
        while t + dt * RPREC < self.final_time:
            t = t + dt
            out.append(t)
        return np.array(out)

    def save_steps(self, times=None) -> tuple[np.ndarray, np.ndarray]:
        """Step indices to record and the times reported for them (PySD's rules)."""
        ts, dt = self.steps, self.time_step
        prec = dt * RPREC
        if times is None:
            delay = ts - self.initial_time
            keep = (np.mod(delay, self.saveper) < prec) | (np.mod(-delay, self.saveper) < prec)
            idx = np.flatnonzero(keep)
            return idx, np.round(ts[idx], -int(np.log10(prec)))
        req = np.atleast_1d(np.asarray(times, dtype=float))
        if req.ndim != 1 or not np.isfinite(req).all():
            raise ValueError("times must be a flat sequence of finite numbers")
        idx = np.abs(ts[None, :] - req[:, None]).argmin(axis=1)
        bad = ~np.isclose(ts[idx], req, rtol=0, atol=prec)
        if bad.any():
            raise ValueError(
                f"times {req[bad][:5].tolist()} are not on the TIME STEP grid "
                f"({self.initial_time} + k * {dt}, up to {self.final_time})"
            )
        if len(np.unique(idx)) != len(idx) or (np.diff(idx) < 0).any():
            raise ValueError(f"times must increase strictly, got {req[:10].tolist()}")
        return idx, np.round(ts[idx], -int(np.log10(prec)))

    # -- programs ---------------------------------------------------------------------------
    def program(self, records: tuple[str, ...], params: frozenset, series: frozenset):
        """Generated program and its two namespaces (vector, scalar), cached per signature."""
        sig = (records, params, series)
        if sig not in self._programs:
            prog = generate(self.graph, list(records), set(params), set(series))
            spaces = []
            for base, source, num in (
                (builtins.VECTOR, prog.source, np.float64),
                (builtins.SCALAR, prog.scalar_source, float),
            ):
                ns = dict(base)
                ns.update(builtins.CONSTANTS)
                ns.update(
                    _t0=num(self.initial_time),
                    _tf=num(self.final_time),
                    _dt=num(self.time_step),
                    _saveper=num(self.saveper),
                    _check_delay=builtins.check_delay,
                    _check_order=builtins.check_order,
                    _DelayFixed=builtins.DelayFixed,
                )
                code = compile(source, f"<batch:{self.path.name}>", "exec")
                exec(code, ns)  # noqa: S102 - our own generated source
                spaces.append(ns)
            self._programs[sig] = (prog, spaces[0], spaces[1])
        return self._programs[sig]

    def c_program(
        self, records: tuple[str, ...], params: frozenset, series: frozenset, method: str
    ) -> tuple[cgen.CKernel, object]:
        """The C kernel and its loaded entry point, built at first use (cached on disk).

        Every model constant is a run-time input of the kernel, so setting other
        constants (a scenario, a sample) reuses the same compiled library.
        Raises `CBackendUnsupported` (a construct the C renderer lacks) or
        `cbackend.CompilerUnavailable` (no compiler, or the build failed).
        """
        consts = frozenset(k for k, n in self.graph.nodes.items() if n.kind == "const")
        forced = os.environ.get(ENV_LAYOUT, "")  # part of the signature: see `layout`
        sig = ("c", records, frozenset(params) - consts, series, method, forced)
        if sig not in self._programs:
            p = plan(self.graph, list(records), set(params | consts) - series, set(series))
            try:
                kern = _c_kernel(p, self.graph.control, self.tables(), method)
            except cgen.Unsupported as err:
                raise CBackendUnsupported(str(err)) from None
            self._programs[sig] = (kern, cbackend.load(kern.source))
        return self._programs[sig]

    def tables(self) -> dict[str, tuple]:
        """Lookup tables, as (x, y, kind) with NumPy arrays for the vector helpers."""
        out = {}
        for key, node in self.graph.nodes.items():
            if node.kind == "lookup":
                xs, ys, kind = node.lookup
                out[key] = (np.array(xs), np.array(ys), kind)
        for tid, (xs, ys, kind) in self.graph.tables.items():
            out[tid] = (np.array(xs), np.array(ys), kind)
        return out


def layout(p, method: str) -> str:
    """The C layout for plan `p`: "loops" (values in arrays, a loop per equation over its
    elements, see `cloops`) for large Euler plans, else "locals" (one lane loop, a local
    per value, see `cgen`). $REGIONSOFT_C_LAYOUT set to either name forces it."""
    forced = os.environ.get(ENV_LAYOUT, "")
    if forced in ("loops", "locals"):
        return forced
    size = len(p.init_order) + len(p.step_order)
    return "loops" if method == "euler" and size >= LOOPS_FROM and not p.discrete else "locals"


def _c_kernel(p, control: dict, tables: dict, method: str) -> cgen.CKernel:
    """The kernel in the layout `layout` picks; a plan the loop layout cannot take
    (RK4, DELAY N, DELAY FIXED, a value written twice) gets the flattened one."""
    if layout(p, method) == "loops" and method == "euler" and not p.discrete:
        try:
            return cloops.loop_kernel(p, control, tables)
        except cgen.Unsupported:
            pass  # the flattened layout below raises it again if it is no layout's
    return cgen.c_kernel(p, control, tables, method)


@lru_cache(maxsize=8)
def _compile_cached(path: str, digest: str) -> CompiledModel:
    return CompiledModel(build_graph(abstract_model(path)), Path(path))


def compile_model(mdl_path: Path | str = MODEL_PATH) -> CompiledModel:
    """Compile a Vensim model for batch runs (cached per file content).

    Raises `UnsupportedConstructError` when the model uses a construct outside the
    supported subset, naming the construct and the variable.
    """
    path = Path(mdl_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: model file not found")
    return _compile_cached(str(path), _digest(path))


def run_chunk(model: CompiledModel, prog_ns, P: dict, n: int, save_idx, out: list, method: str):
    """Integrate one chunk of `n` runs; write recorded rows into `out[v][row, :]`."""
    prog, vec_ns, sca_ns = prog_ns
    tables = model.tables()
    if n > SCALAR_MAX:
        P = {k: (np.float64(v) if isinstance(v, float) else v) for k, v in P.items()}
        P.update({"#n": n, "#scalar": False})
        _integrate(vec_ns["_make"], P, tables, model, save_idx, out, slice(None), method)
        return
    for j in range(n):
        Pj = {k: _take(v, j) for k, v in P.items()}
        Pj.update({"#n": 1, "#scalar": True})
        try:
            _integrate(sca_ns["_make"], Pj, tables, model, save_idx, out, j, method)
        except (ArithmeticError, ValueError, TypeError) as err:
            if isinstance(err, builtins.ModelValueError):
                raise
            # float arithmetic raised where NumPy gives inf/nan: rerun this run with arrays
            Pj = {k: (np.float64(v) if isinstance(v, float) else v) for k, v in Pj.items()}
            Pj["#scalar"] = False
            _integrate(vec_ns["_make"], Pj, tables, model, save_idx, out, slice(j, j + 1), method)


class CBackendUnsupported(NotImplementedError):
    """The model uses something the C backend does not translate; NumPy runs it."""


def run_chunk_c(model: CompiledModel, c_prog, P: dict, n: int, save_idx, out: list, method: str):
    """Integrate one chunk of `n` runs with the C kernel; same contract as `run_chunk`.

    A failed initial-value check (a delay order, a DELAY N order) is reported by
    rerunning the chunk on NumPy, which raises the same `ModelValueError` as always.
    """
    kern, fn = c_prog
    nodes = model.graph.nodes
    values = {key: P[key] if key in P else nodes[key].value for key in kern.params}
    values.update({key: P[key] for key in kern.series})
    evt = cbackend.eval_times(model.steps, model.time_step, method)
    save_row = np.full(len(model.steps), -1, dtype=np.int64)
    save_row[save_idx] = np.arange(len(save_idx))
    direct = [b.dtype == np.float64 and b.strides[1] == 8 for b in out]
    bufs = [b if ok else np.empty(b.shape) for b, ok in zip(out, direct, strict=True)]
    if cbackend.run(kern, fn, values, n, evt, save_row, bufs):
        prog = model.program(
            tuple(kern.records), frozenset(P) - set(kern.series), frozenset(kern.series)
        )
        run_chunk(model, prog, P, n, save_idx, out, method)
        return
    for b, buf, ok in zip(out, bufs, direct, strict=True):
        if not ok:
            b[...] = buf


def _take(value, j: int):
    if isinstance(value, np.ndarray):
        return float(value[j])
    if isinstance(value, builtins.Series):
        return value.take(j)
    return value


def _integrate(make, P, tables, model: CompiledModel, save_idx, out, cols, method: str) -> None:
    steps, dt = model.steps, model.time_step
    rows = dict(zip(save_idx.tolist(), range(len(save_idx)), strict=True))
    last = len(steps) - 1
    with np.errstate(all="ignore"):
        states, aux, commit = make(P, tables)
        states = list(states)
        for k in range(last + 1):
            t = steps[k]
            deriv, recs, disc = aux(t, *states)
            row = rows.get(k)
            if row is not None:
                for buf, value in zip(out, recs, strict=True):
                    buf[row, cols] = value
            if k == last:
                break
            if method == "euler":
                states = [s + d * dt for s, d in zip(states, deriv, strict=True)]
            else:
                states = _rk4(aux, t, dt, states, deriv)
            if disc:
                commit(disc)


def _rk4(aux, t, dt, states, k1):
    h = dt / 2
    k2 = aux(t + h, *[s + h * d for s, d in zip(states, k1, strict=True)])[0]
    k3 = aux(t + h, *[s + h * d for s, d in zip(states, k2, strict=True)])[0]
    k4 = aux(t + dt, *[s + dt * d for s, d in zip(states, k3, strict=True)])[0]
    return [
        s + dt / 6 * (a + 2 * b + 2 * c + e)
        for s, a, b, c, e in zip(states, k1, k2, k3, k4, strict=True)
    ]
