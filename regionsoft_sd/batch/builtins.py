"""Run-time helpers that generated code calls: Vensim builtins on floats or NumPy arrays.

Two namespaces hold the same names. `VECTOR` works on arrays of shape (N,), one
element per run; `SCALAR` works on Python floats and is used for very small
batches, where NumPy's per-call overhead would dominate. Each helper copies the
edge conventions of PySD (`pysd.py_backend.functions` and `statefuls`) so the two
engines agree to rounding: e.g. RAMP starts when `t + 1e-6 > start`, STEP when
`t + TIME STEP / 2 > start`, ZIDZ/XIDZ treat `abs(den) < 1e-6` as zero, INTEGER
truncates toward zero, MODULO follows Vensim's `x - QUANTUM(x, m)`.
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right

import numpy as np

SMALL = 1e-6  # PySD's SMALL_VENSIM: what Vensim treats as zero
TRIG = ("sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh")
CONSTANTS = {"_nan": math.nan, "_inf": math.inf}


class ModelValueError(ValueError):
    """A parameter value the batch engine cannot honour the way PySD would."""


# --- vector (NumPy) versions --------------------------------------------------------------
def _ramp(t, slope, start, finish):
    return (t + SMALL > start) * slope * (np.minimum(finish, t) - start)


def _step(t, dt, value, tstep):
    return value * (t + dt / 2 > tstep)


def _pulse(t, start, width):
    return np.logical_and(start - SMALL <= t, t < start + width) * 1


def _pulse_train(t, start, repeat, width, end):
    single = np.logical_and(start - SMALL <= t, t < start + width)
    active = np.logical_and(start <= t, t < end)
    train = np.logical_and(active, np.mod(t - start + SMALL, repeat) < width)
    return np.where(repeat == 0, single, train) * 1


def _xidz(num, den, x):
    # np.divide, not `/`: Python floats (unsampled inputs) would raise on a zero divisor
    return np.where(np.abs(den) < SMALL, x, np.divide(num, den))


def _zidz(num, den):
    return np.where(np.abs(den) < SMALL, 0.0, np.divide(num, den))


def _quantum(x, m):
    return np.where(m < SMALL, x, m * np.trunc(np.divide(x, m)))


def _modulo(x, m):
    return x - _quantum(x, m)


_VS_REDUCE = {0: np.nansum, 6: np.nansum, 1: np.nanprod, 5: np.nanprod, 7: np.nanprod}
_VS_REDUCE.update({2: np.nanmin, 8: np.nanmin, 3: np.nanmax, 9: np.nanmax})
_VS_REDUCE.update({4: np.nanmean, 10: np.nanmean})


def _vector_select(action, missing, sels, exprs):
    """VECTOR SELECT as PySD computes it: the chosen elements (selection != 0) of the
    weighted (actions 0-4), powered (5) or plain (6-10) expression, summed, multiplied,
    minimised, maximised or averaged; `missing` where nothing is selected."""
    kinds = np.unique(np.asarray(action, dtype=float))
    if len(kinds) != 1 or kinds[0] not in _VS_REDUCE:
        raise ModelValueError(
            f"VECTOR SELECT: the numerical action must be one of 0-10 and the same for "
            f"every run, got {kinds.tolist()}"
        )
    act = int(kinds[0])
    both = np.array(np.broadcast_arrays(*sels, *exprs), dtype=float)
    sel, expr = both[: len(sels)], both[len(sels) :]
    if act < 5:
        values = sel * expr
    elif act == 5:
        values = expr**sel
    else:
        values = expr
    none = np.all(sel == 0, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: `missing` below
        out = _VS_REDUCE[act](np.where(sel == 0, np.nan, values), axis=0)
    return np.where(none, missing, out)


def _all(cond) -> bool:
    """IF THEN ELSE: every run takes the first branch (only it is evaluated)."""
    return bool(np.all(cond))


def _none(cond) -> bool:
    """IF THEN ELSE: no run takes the first branch (only the second is evaluated)."""
    return not np.any(cond)


def _lookup(x, table):
    """A lookup table at x. NaN (`:NA:`, 0/0) gives the first y of an interpolated
    table, as PySD (xarray's interp) does and as Vensim does for :NA: (a large
    negative number); NaN for a WITH LOOKUP ("inline", PySD's np.interp); the last
    y of a hold-backward table (NumPy's searchsorted)."""
    xs, ys, kind = table
    if kind == "hold_backward":
        idx = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 1)
        return ys[idx]
    out = np.interp(x, xs, ys)
    if kind == "inline" or not np.isnan(out).any():
        return out
    return np.where(np.isnan(x), ys[0], out)


VECTOR = {
    "np": np,
    "_min": np.minimum,
    "_max": np.maximum,
    "_abs": np.abs,
    "_exp": np.exp,
    "_ln": np.log,
    "_log": lambda a, b: np.log(a) / np.log(b),
    "_sqrt": np.sqrt,
    "_integer": np.trunc,
    "_modulo": _modulo,
    "_quantum": _quantum,
    "_power": np.power,
    "_zidz": _zidz,
    "_xidz": _xidz,
    "_all": _all,
    "_none": _none,
    "_where": np.where,
    "_and": np.logical_and,
    "_or": np.logical_or,
    "_not": np.logical_not,
    "_step": _step,
    "_ramp": _ramp,
    "_pulse": _pulse,
    "_pulse_train": _pulse_train,
    "_lookup": _lookup,
    "_vector_select": _vector_select,
    "_F": np.float64,
    **{f"_{name}": getattr(np, name) for name in TRIG},
}


# --- scalar (float) versions ---------------------------------------------------------------
def _s_ramp(t, slope, start, finish):
    return (t + SMALL > start) * slope * (_s_min(finish, t) - start)


def _s_pulse(t, start, width):
    return 1 if start - SMALL <= t < start + width else 0


def _s_pulse_train(t, start, repeat, width, end):
    if repeat == 0:
        return 1 if start - SMALL <= t < start + width else 0
    if start <= t < end:
        return 1 if (t - start + SMALL) % repeat < width else 0
    return 0


def _s_quantum(x, m):
    return x if m < SMALL else m * math.trunc(x / m)


def _s_modulo(x, m):
    return x - _s_quantum(x, m)


def _s_min(a, b):
    """np.minimum on floats: a NaN on either side gives NaN (builtin `min` would not)."""
    return a if (a <= b or a != a) else b


def _s_max(a, b):
    """np.maximum on floats: a NaN on either side gives NaN (builtin `max` would not)."""
    return a if (a >= b or a != a) else b


def _s_lookup(x, table):
    xs, ys, kind = table
    if x != x:  # NaN: as `_lookup`
        return {"hold_backward": float(ys[-1]), "inline": math.nan}.get(kind, float(ys[0]))
    if x <= xs[0]:
        return float(ys[0])
    if x >= xs[-1]:
        return float(ys[-1])
    j = bisect_right(xs, x) - 1
    if kind == "hold_backward" or xs[j] == x:
        return float(ys[j])
    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
    return float(slope * (x - xs[j]) + ys[j])


SCALAR = {
    "np": np,
    "_min": _s_min,
    "_max": _s_max,
    "_abs": abs,
    "_exp": math.exp,
    "_ln": math.log,
    "_log": lambda a, b: math.log(a) / math.log(b),
    "_sqrt": math.sqrt,
    "_integer": math.trunc,
    "_modulo": _s_modulo,
    "_quantum": _s_quantum,
    "_power": math.pow,
    "_pow": math.pow,  # `**`: raises where Python floats would turn complex
    "_zidz": lambda n, d: 0 if abs(d) < SMALL else n / d,
    "_xidz": lambda n, d, x: x if abs(d) < SMALL else n / d,
    "_and": lambda a, b: bool(a) and bool(b),
    "_or": lambda a, b: bool(a) or bool(b),
    "_not": lambda a: not a,
    "_step": lambda t, dt, value, tstep: value * (t + dt / 2 > tstep),
    "_ramp": _s_ramp,
    "_pulse": _s_pulse,
    "_pulse_train": _s_pulse_train,
    "_lookup": _s_lookup,
    "_vector_select": lambda *a: float(_vector_select(*a)),
    "_F": float,
    **{f"_{name}": getattr(math, name.replace("arc", "a")) for name in TRIG},
}


# --- stateful helpers (shared) ---------------------------------------------------------------
def check_delay(order: int, delay_time, dt: float, name: str) -> None:
    """PySD lowers a delay's order when `order * TIME STEP > delay time`; we refuse instead."""
    if order * dt > np.min(delay_time):
        raise ModelValueError(
            f"{name}: delay time {float(np.min(delay_time))} is below order ({order}) x "
            f"TIME STEP ({dt}); PySD would lower the delay order, the batch engine does not"
        )


def check_order(value, expected: int, name: str) -> None:
    """The order of SMOOTH N / DELAY N is fixed when the code is generated."""
    if not np.all(np.trunc(value) == expected):
        raise ModelValueError(
            f"{name}: the order must stay {expected} in a batch (got {value!r}); "
            "change it in the model file instead"
        )


class DelayFixed:
    """DELAY FIXED as PySD implements it: a ring buffer of round(delay/TIME STEP) slots.

    The buffer length is fixed at initialisation, per run, so runs with different
    delay times keep their own lengths.
    """

    def __init__(self, initial, delay_time, dt: float, n: int, scalar: bool) -> None:
        order = np.round(np.maximum(np.asarray(delay_time, float) / dt, 1) + SMALL).astype(int)
        self.scalar = scalar
        self.order = np.broadcast_to(order, (n,)).copy()
        self.pipe = np.empty((int(self.order.max()), n))
        self.pipe[:] = initial
        self.ptr = np.zeros(n, dtype=int)
        self.cols = np.arange(n)
        self.state = float(initial) if scalar else initial

    def push(self, value) -> None:
        """Store this step's input and advance the pointer (PySD's `DelayFixed.update`)."""
        self.pipe[self.ptr, self.cols] = value
        self.ptr = (self.ptr + 1) % self.order
        value = self.pipe[self.ptr, self.cols]
        self.state = float(value[0]) if self.scalar else value


class Series:
    """A time-varying input: linear interpolation between points, end values held.

    `values` is (len(times),) for one series shared by all runs, or (len(times), N)
    for one series per run. This is how PySD treats a pandas Series passed as a
    parameter (`np.interp` over the index).
    """

    def __init__(self, times, values) -> None:
        self.times = np.asarray(times, dtype=float)
        self.values = np.asarray(values, dtype=float)
        if self.times.ndim != 1 or self.values.shape[0] != len(self.times):
            raise ValueError("series values must have one row per time point")
        order = np.argsort(self.times, kind="stable")
        self.times, self.values = self.times[order], self.values[order]

    def take(self, runs: slice | int) -> Series | float:
        """The part of the series for the given runs (itself when shared by all runs)."""
        if self.values.ndim == 1:
            return self
        return Series(self.times, self.values[:, runs])  # an int gives one run's 1-D series

    def __call__(self, t: float):
        if self.values.ndim == 1:
            return np.float64(np.interp(t, self.times, self.values))
        xs, fp = self.times, self.values
        if t <= xs[0]:
            return fp[0]
        if t >= xs[-1]:
            return fp[-1]
        j = int(np.searchsorted(xs, t, side="right")) - 1
        slope = (fp[j + 1] - fp[j]) / (xs[j + 1] - xs[j])
        return slope * (t - xs[j]) + fp[j]
