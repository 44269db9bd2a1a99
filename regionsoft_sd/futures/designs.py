"""Samples of the uncertain parameters, made block by block: memory does not grow with n.

Each method draws points in the unit hypercube [0, 1]^k, seeded, so one spec
always gives the same samples. Then each column goes through the inverse CDF of
its parameter's distribution (`scipy.stats`): uniform, triangular, normal
truncated to [low, high], log-uniform. Working in the unit cube keeps the
analysis independent of the distributions (Morris effects are per unit of
probability).

`Design(k, method, n, seed, ...).unit(start, stop)` makes rows start .. stop - 1
of the design without making the others, so a sweep of any size holds one chunk
of samples at a time. The samplers take plain arguments (the number of
parameters, the method, n, the seed), not an experiment's spec: the sweep,
discovery, optimisation and the explorer all draw their futures here. Every
method can do that:

- **Sobol**: Saltelli's scheme on a scrambled Sobol' sequence, row for row the
  design of `SALib.sample.sobol.sample` (same seed, same numbers; the sequence
  is fast-forwarded to the base samples a block needs).
- **Monte Carlo**: NumPy's PCG64 stream of `default_rng(seed)`, advanced to the
  block's first draw (the same numbers as one big draw).
- **Latin hypercube**: stratum of run i in column j is a keyed pseudo-random
  permutation of 0 .. n - 1 (a Feistel network with cycle walking: a
  bijection computed per index, never stored), plus a uniform jitter inside
  the stratum from an advanced PCG64 stream. Every column hits every one of
  the n strata exactly once, as in McKay et al. (1979).
- **Morris**: `SALib.sample.morris`'s trajectories, number for number (same
  seed, same draws in the same order, B* = x* + delta/2 ((2 B P* - J) D* + J)),
  made one trajectory after another from a cursor that remembers where it is:
  a sweep asks for its blocks in order, so nothing is made twice (a block
  before the cursor restarts the stream, costing time, never memory).
- **One-at-a-time** (the tornado): a base row at the model's values, then each
  parameter alone at its low and high quantile (`oat_quantiles`); in the unit
  design, NaN marks "the parameter's base value". Small (1 + 2k rows).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from regionsoft_sd.futures.params import Parameter, ppf

_LHS_STREAM = 0x4C4853  # "LHS": keeps this stream apart from the seed's own
_FEISTEL_ROUNDS = 6


METHODS = ("sobol", "montecarlo", "lhs", "morris", "oat")


def unit_problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib's `problem` dict over the unit hypercube, one dimension per parameter name."""
    k = len(names)
    return {"num_vars": k, "names": list(names), "bounds": [[0.0, 1.0]] * k}


def main_rows(method: str, k: int, n: int, second_order: bool = False) -> int:
    """Rows of the method's design for k parameters and n (base) samples."""
    if method == "sobol":
        return n * (2 * k + 2 if second_order else k + 2)
    if method == "morris":
        return n * (k + 1)
    if method == "oat":
        return 1 + 2 * k
    return n


def oat_rows(method: str, k: int, tornado: bool) -> int:
    """Extra one-at-a-time rows appended for the tornado (0 if the method is OAT)."""
    if method == "oat" or not tornado:
        return 0
    return 1 + 2 * k


def morris_delta(levels: int) -> float:
    """The Morris step on a `levels`-level grid: p / (2 (p - 1))."""
    return levels / (2.0 * (levels - 1))


class Design:
    """A unit design, any block of rows on demand (NaN = base value).

    Rows 0 .. n_main - 1 are the method's design (`main_rows`); with `tornado`,
    the one-at-a-time block (`oat_rows`, at `oat_quantiles`) follows.
    """

    def __init__(
        self,
        k: int,
        method: str,
        n: int,
        seed: int,
        *,
        second_order: bool = False,
        levels: int = 4,
        oat_quantiles: tuple[float, float] = (0.05, 0.95),
        tornado: bool = False,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown sampling method {method!r}")
        self.k, self.method, self.n, self.seed = k, method, n, seed
        self.second_order = second_order
        self.n_main = main_rows(method, k, n, second_order)
        self.n_runs = self.n_main + oat_rows(method, k, tornado)
        self._oat = oat_design(self.k, oat_quantiles)
        self._morris = MorrisCursor(self.k, levels, seed) if method == "morris" else None

    def unit(self, start: int, stop: int) -> np.ndarray:
        """Rows start .. stop - 1 of the unit design, shape (stop - start, k)."""
        if not 0 <= start <= stop <= self.n_runs:
            raise IndexError(f"rows {start}:{stop} outside 0:{self.n_runs}")
        parts = []
        a, b = start, min(stop, self.n_main)
        if a < b:
            parts.append(self._method_rows(a, b))
        a, b = max(start, self.n_main), stop
        if a < b:
            parts.append(self._oat[a - self.n_main : b - self.n_main])
        if not parts:
            return np.empty((0, self.k))
        return np.vstack(parts) if len(parts) > 1 else parts[0]

    def _method_rows(self, a: int, b: int) -> np.ndarray:
        if self.method == "sobol":
            return sobol_rows(self.k, self.n, self.second_order, self.seed, a, b)
        if self.method == "montecarlo":
            gen = np.random.Generator(np.random.PCG64(self.seed))
            gen.bit_generator.advance(a * self.k)
            return gen.random((b - a, self.k))
        if self.method == "lhs":
            return lhs_rows(self.k, self.n, self.seed, a, b)
        if self.method == "morris":
            assert self._morris is not None
            return self._morris.rows(a, b)
        return self._oat[a:b]  # "oat"


def sobol_rows(k: int, n: int, second_order: bool, seed: int, a: int, b: int) -> np.ndarray:
    """Rows a .. b - 1 of SALib's Saltelli design (A, AB_1..k, [BA_1..k,] B per base sample)."""
    from scipy.stats import qmc

    size = 2 * k + 2 if second_order else k + 2
    first, last = a // size, (b - 1) // size
    q = qmc.Sobol(d=2 * k, scramble=True, seed=seed)
    if first:
        q.fast_forward(first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # balance warning: a block need not be a power of 2
        base = q.random(last - first + 1)
    A, B = base[:, :k], base[:, k:]
    block = np.empty((len(base), size, k))
    block[:, 0] = A
    eye = np.eye(k, dtype=bool)
    block[:, 1 : k + 1] = np.where(eye, B[:, None, :], A[:, None, :])
    if second_order:
        block[:, k + 1 : 2 * k + 1] = np.where(eye, A[:, None, :], B[:, None, :])
    block[:, -1] = B
    flat = block.reshape(-1, k)
    return flat[a - first * size : b - first * size]


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a fast, well-mixed hash of uint64 values."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def permute(idx: np.ndarray, n: int, keys: np.ndarray) -> np.ndarray:
    """A keyed bijection of 0 .. n - 1, applied to `idx` (Feistel network, cycle walking).

    The network permutes 0 .. 2^(2h) - 1 with 2^(2h) >= n; values that land
    outside 0 .. n - 1 are sent through again until they land inside, which
    keeps it a bijection of 0 .. n - 1. Nothing of size n is stored.
    """
    half = max(1, (max(n - 1, 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    shift = np.uint64(half)

    def rounds(x: np.ndarray) -> np.ndarray:
        left, right = x >> shift, x & mask
        for key in keys:
            left, right = right, left ^ (_mix64(right ^ key) & mask)
        return (left << shift) | right

    out = rounds(np.asarray(idx, dtype=np.uint64))
    outside = out >= np.uint64(n)
    while outside.any():
        out[outside] = rounds(out[outside])
        outside = out >= np.uint64(n)
    return out.astype(np.int64)


def lhs_rows(k: int, n: int, seed: int, a: int, b: int) -> np.ndarray:
    """Rows a .. b - 1 of a Latin hypercube of n points in [0, 1]^k."""
    keys = np.random.SeedSequence([seed, _LHS_STREAM]).generate_state(
        k * _FEISTEL_ROUNDS, dtype=np.uint64
    )
    idx = np.arange(a, b, dtype=np.uint64)
    strata = np.column_stack(
        [permute(idx, n, keys[j * _FEISTEL_ROUNDS : (j + 1) * _FEISTEL_ROUNDS]) for j in range(k)]
    ).reshape(b - a, k)
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _LHS_STREAM])))
    gen.bit_generator.advance(a * k)
    return (strata + gen.random((b - a, k))) / n


class MorrisCursor:
    """SALib's Morris trajectories, made in order, any block on demand (memory: one block).

    Draws exactly what `SALib.sample.morris.sample(problem, N, num_levels=p,
    seed=seed)` draws (without optimal-trajectory selection): per trajectory,
    a shuffled identity (the order parameters move in), k directions, then k
    starting levels, from one `np.random.default_rng(seed)` stream.
    """

    def __init__(self, k: int, levels: int, seed: int) -> None:
        self.k, self.levels, self.seed = k, levels, seed
        self.delta = morris_delta(levels)
        self.grid = np.linspace(0, 1 - self.delta, int(levels / 2))
        self.B = np.tril(np.ones([k + 1, k], dtype=int), -1)
        self.J = np.ones((k + 1, k))
        self._restart()
        self._last: tuple[int, int, np.ndarray] | None = None

    def _restart(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.position = 0

    def _one(self) -> np.ndarray:
        k, rng = self.k, self.rng
        p_star = np.eye(k, k)
        rng.shuffle(p_star)
        d_star = np.diag(rng.choice([-1, 1], k))
        x_star = np.zeros((1, k))
        x_star[0, :] = rng.choice(self.grid, k)
        # SALib's _compute_b_star, operation for operation (so the floats are the same)
        element_a = self.J[0, :] * x_star
        element_b = np.matmul(np.eye(k), p_star).T
        element_c = np.matmul(2.0 * self.B, element_b)
        element_d = np.matmul((element_c - self.J), d_star)
        return element_a + (self.delta / 2.0) * (element_d + self.J)

    def trajectories(self, first: int, last: int) -> np.ndarray:
        """Trajectories first .. last - 1, shape (last - first, k + 1, k)."""
        if self._last is not None and self._last[:2] == (first, last):
            return self._last[2]
        if first < self.position:
            self._restart()
        while self.position < first:  # skip ahead: made and dropped, one at a time
            self._one()
            self.position += 1
        block = np.array([self._one() for _ in range(last - first)]).reshape(-1, self.k + 1, self.k)
        self.position = last
        self._last = (first, last, block)
        return block

    def rows(self, a: int, b: int) -> np.ndarray:
        """Design rows a .. b - 1 (k + 1 rows per trajectory)."""
        size = self.k + 1
        first, last = a // size, (b - 1) // size + 1
        flat = self.trajectories(first, last).reshape(-1, self.k)
        return flat[a - first * size : b - first * size]


def oat_design(k: int, quantiles: tuple[float, float]) -> np.ndarray:
    """Base row (all NaN), then parameter i at the low quantile, then at the high one."""
    x = np.full((1 + 2 * k, k), np.nan)
    for i in range(k):
        x[1 + 2 * i, i] = quantiles[0]
        x[2 + 2 * i, i] = quantiles[1]
    return x


def unit_design(k: int, method: str, n: int, seed: int, **options: Any) -> np.ndarray:
    """All rows of a design in [0, 1]^k (NaN = base value); `options` as for `Design`.

    "lhs" and "montecarlo" give n rows; "sobol" Saltelli's n (k + 2) (or
    n (2k + 2) with second_order), "morris" n (k + 1), "oat" 1 + 2k.
    """
    d = Design(k, method, n, seed, **options)
    return d.unit(0, d.n_runs)


def saltelli_design(parameters: Sequence[Parameter], n: int, seed: int) -> np.ndarray:
    """Saltelli's design for first-order and total Sobol indices: n * (k + 2) points
    (row for row SALib's)."""
    return unit_design(len(parameters), "sobol", n, seed)


def to_values(parameters: Sequence[Parameter], unit: np.ndarray, start: int = 0) -> pd.DataFrame:
    """Map unit-design rows to parameter values: one column per parameter, index `run`."""
    cols = {p.name: ppf(p, unit[:, i]) for i, p in enumerate(parameters)}
    return pd.DataFrame(cols, index=pd.RangeIndex(start, start + len(unit), name="run"))


def sample(
    parameters: Sequence[Parameter], n: int, method: str, seed: int, **options: Any
) -> pd.DataFrame:
    """A design's parameter sets as values (deterministic for a given seed).

    `n` futures for "lhs" and "montecarlo"; the other methods as in `unit_design`.
    """
    return to_values(parameters, unit_design(len(parameters), method, n, seed, **options))
