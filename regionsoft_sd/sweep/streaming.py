"""Sobol and Morris statistics, win counts and quantiles over outcomes streamed in chunks.

A sweep reads its per-run outcomes back chunk by chunk; these accumulators
take them in run order and keep only running sums, so memory does not grow
with the number of runs.

- `SobolStream`: Saltelli et al. (2010) first-order and Jansen total-order
  estimators, Saltelli (2002) second order, exactly the estimators of
  `SALib.analyze.sobol` (outputs normalised by their global mean, which enters
  through an algebraic correction at the end), accumulated per base sample.
- `MorrisStream`: elementary effects per trajectory (as `SALib.analyze.morris`
  computes them); mu, mu* and sigma by Chan's parallel merge of means and
  squared deviations.
- Confidence intervals: a *Poisson bootstrap* (Hanley & MacGibbon 2006;
  Chamandy et al. 2012): each resample weights each base sample (Sobol) or
  trajectory (Morris) by an independent Poisson(1) count, the streaming
  equivalent of resampling with replacement; the half-width is z * the
  standard deviation of the resampled estimates, as in SALib. Weights come
  from a PCG64 stream advanced to the sample's index, so they do not depend on
  chunking.
- `exact_quantiles`: the same numbers as `np.quantile` (linear interpolation),
  from a few passes over the data when it does not fit in `keep` values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

CONF_LEVEL = 0.95
NUM_RESAMPLES = 100
_EPS = np.finfo(float).eps
_POISSON_CDF = np.cumsum([np.exp(-1.0) / np.prod(np.arange(1, i + 1)) for i in range(25)])
_SOBOL_STREAM, _MORRIS_STREAM = 0x534F42, 0x4D4F52


def poisson_weights(seed: int, stream: int, first: int, count: int, resamples: int) -> np.ndarray:
    """Poisson(1) bootstrap weights (count, resamples) for items first .. first + count - 1."""
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream])))
    gen.bit_generator.advance(first * resamples)
    u = gen.random((count, resamples))
    return np.searchsorted(_POISSON_CDF, u, side="right").astype(float)


class Blocks:
    """Cut values arriving in run order into blocks of `size` consecutive runs."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.carry = np.empty(0)
        self.next_block = 0

    def feed(self, y: np.ndarray) -> tuple[int, np.ndarray]:
        """Add values; return (index of the first complete block, blocks (nb, size))."""
        y = np.concatenate([self.carry, np.asarray(y, dtype=float)])
        nb = len(y) // self.size
        self.carry = y[nb * self.size :]
        first = self.next_block
        self.next_block += nb
        return first, y[: nb * self.size].reshape(nb, self.size)


class SobolStream:
    """Sobol indices (S1, ST, S2 and bootstrap CIs) from Saltelli blocks fed in order."""

    def __init__(
        self,
        names: Sequence[str],
        *,
        second_order: bool,
        seed: int,
        resamples: int = NUM_RESAMPLES,
        conf_level: float = CONF_LEVEL,
    ) -> None:
        self.names = list(names)
        k = self.k = len(self.names)
        self.second_order = second_order
        self.seed, self.R, self.conf_level = seed, resamples, conf_level
        self.blocks = Blocks(2 * k + 2 if second_order else k + 2)
        self.shift: float | None = None
        self.has_nan = False
        self.n = 0
        self.all_n = 0
        self.all_sum = 0.0
        self.all_sq = 0.0
        self.lo, self.hi = np.inf, -np.inf
        R = resamples
        self.s = {  # plain sums
            "a": 0.0, "b": 0.0, "aa": 0.0, "bb": 0.0, "ab": 0.0,
            "s1": np.zeros(k), "d": np.zeros(k), "st": np.zeros(k),
            "ba": np.zeros(k), "s2": np.zeros((k, k)),
        }  # fmt: skip
        self.w = {  # Poisson-weighted sums, one per resample
            "n": np.zeros(R), "a": np.zeros(R), "b": np.zeros(R), "aa": np.zeros(R),
            "bb": np.zeros(R), "ab": np.zeros(R), "s1": np.zeros((R, k)), "d": np.zeros((R, k)),
            "st": np.zeros((R, k)), "ba": np.zeros((R, k)), "s2": np.zeros((R, k, k)),
        }  # fmt: skip

    def feed(self, y: np.ndarray) -> None:
        """Outcomes of the next runs of the design, in run order (any number)."""
        first, blocks = self.blocks.feed(y)
        if self.has_nan or not len(blocks):
            return
        if np.isnan(blocks).any():
            self.has_nan = True
            return
        if self.shift is None:
            self.shift = float(blocks.mean())
        k = self.k
        u = blocks - self.shift
        self.all_n += u.size
        self.all_sum += float(u.sum())
        self.all_sq += float((u * u).sum())
        self.lo, self.hi = min(self.lo, float(blocks.min())), max(self.hi, float(blocks.max()))
        A, B, AB = u[:, 0], u[:, -1], u[:, 1 : k + 1]
        d = AB - A[:, None]
        terms = {
            "a": A, "b": B, "aa": A * A, "bb": B * B, "ab": A * B,
            "s1": B[:, None] * d, "d": d, "st": d * d,
        }  # fmt: skip
        if self.second_order:
            BA = u[:, k + 1 : 2 * k + 1]
            terms["ba"] = BA
            terms["s2"] = BA[:, :, None] * AB[:, None, :]
        W = poisson_weights(self.seed, _SOBOL_STREAM, first, len(u), self.R)
        self.n += len(u)
        self.w["n"] += W.sum(axis=0)
        for key, t in terms.items():
            self.s[key] = self.s[key] + t.sum(axis=0)
            self.w[key] += np.tensordot(W, t, axes=(0, 0))

    def _indices(self, s: dict, n, d: float, scale: float):
        """S1, ST (and S2) from (weighted) sums; `n` may be an array of resample sizes."""
        n = np.asarray(n, dtype=float)
        mean_ab = (s["a"] + s["b"]) / (2 * n)
        var = (s["aa"] + s["bb"]) / (2 * n) - mean_ab**2
        ok = var / scale > _EPS
        safe = np.where(ok, var, 1.0)
        v = safe[..., None]
        s1 = np.where(ok[..., None], (s["s1"] - d * s["d"]) / n[..., None] / v, 0.0)
        st = np.where(ok[..., None], 0.5 * s["st"] / n[..., None] / v, 0.0)
        s2 = None
        if self.second_order:
            # V_jk = mean((BA_j - m)(AB_k - m) - (A - m)(B - m)) / var, with m = shift + d
            sab = s["d"] + s["a"][..., None]  # sums of AB_k (shifted)
            cross = s["s2"] - s["ab"][..., None, None]
            lin = s["ba"][..., :, None] + sab[..., None, :] - (s["a"] + s["b"])[..., None, None]
            vjk = (cross - d * lin) / n[..., None, None] / v[..., None]
            s2 = np.where(ok[..., None, None], vjk - s1[..., :, None] - s1[..., None, :], 0.0)
        return s1, st, s2, ok

    def result(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(S1, S1_conf, ST, ST_conf by parameter; S2 pairs), as `analysis.sobol_indices`."""
        names, k = self.names, self.k
        cols = ["S1", "S1_conf", "ST", "ST_conf"]
        if self.has_nan:
            raise ValueError("outcomes hold NaN: no Sobol indices")
        first = pd.DataFrame(0.0, index=pd.Index(names, name="parameter"), columns=cols)
        pairs = [(names[i], names[j]) for i in range(k) for j in range(i + 1, k)]
        s2_rows = [(a, b, 0.0, 0.0) for a, b in pairs] if self.second_order else []
        second = pd.DataFrame(s2_rows, columns=["parameter_1", "parameter_2", "S2", "S2_conf"])
        if self.n == 0 or self.hi - self.lo == 0:
            return first, second
        d = self.all_sum / self.all_n
        scale = self.all_sq / self.all_n - d * d  # variance of every outcome (SALib normalises)
        z = stats.norm.ppf(0.5 + self.conf_level / 2)
        s1, st, s2, _ = self._indices(self.s, self.n, d, scale)
        # a resample that drew no base sample at all (all weights 0) estimates nothing
        drawn = self.w["n"] > 0
        w = {key: v[drawn] for key, v in self.w.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            b1, bt, b2, bok = self._indices(w, w["n"], d, scale)
        boot = bok.all() and drawn.sum() > 1
        first["S1"], first["ST"] = s1, st
        if boot:
            first["S1_conf"] = z * b1.std(axis=0, ddof=1)
            first["ST_conf"] = z * bt.std(axis=0, ddof=1)
        if self.second_order and s2 is not None and b2 is not None:
            iu = np.triu_indices(k, 1)
            second["S2"] = s2[iu]
            second["S2_conf"] = z * b2.std(axis=0, ddof=1)[iu] if boot else 0.0
        return first, second


class MorrisStream:
    """Morris mu, mu*, sigma and mu* CI from trajectories fed in order."""

    def __init__(
        self,
        names: Sequence[str],
        *,
        levels: int,
        seed: int,
        resamples: int = NUM_RESAMPLES,
        conf_level: float = CONF_LEVEL,
    ) -> None:
        self.names = list(names)
        self.k = len(self.names)
        self.delta = levels / (2.0 * (levels - 1))
        self.seed, self.R, self.conf_level = seed, resamples, conf_level
        self.blocks = Blocks(self.k + 1)
        self.x_blocks = Blocks((self.k + 1) * self.k)
        self.has_nan = False
        self.n = 0
        self.mean = np.zeros(self.k)
        self.m2 = np.zeros(self.k)
        self.abs_sum = np.zeros(self.k)
        self.w_n = np.zeros(resamples)
        self.w_abs = np.zeros((resamples, self.k))

    def feed(self, y: np.ndarray, x: np.ndarray) -> None:
        """Outcomes and unit-design rows (len(y), k) of the next runs, in run order."""
        first, yb = self.blocks.feed(y)
        _, xb = self.x_blocks.feed(np.asarray(x, dtype=float).reshape(-1))
        if self.has_nan or not len(yb):
            return
        if np.isnan(yb).any():
            self.has_nan = True
            return
        xb = xb.reshape(len(yb), self.k + 1, self.k)
        step = np.sign(np.diff(xb, axis=1))  # (nb, k steps, k params): +1 up, -1 down, 0
        ee = np.einsum("nr,nrj->nj", np.diff(yb, axis=1), step) / self.delta
        nb = len(ee)
        mean_b = ee.mean(axis=0)
        m2_b = ((ee - mean_b) ** 2).sum(axis=0)
        tot = self.n + nb
        delta = mean_b - self.mean
        self.mean = self.mean + delta * nb / tot
        self.m2 = self.m2 + m2_b + delta**2 * self.n * nb / tot
        self.n = tot
        self.abs_sum += np.abs(ee).sum(axis=0)
        W = poisson_weights(self.seed, _MORRIS_STREAM, first, nb, self.R)
        self.w_n += W.sum(axis=0)
        self.w_abs += W.T @ np.abs(ee)

    def result(self) -> pd.DataFrame:
        """mu, mu_star, sigma, mu_star_conf by parameter, as `analysis.morris_indices`."""
        if self.has_nan:
            raise ValueError("outcomes hold NaN: no Morris indices")
        z = stats.norm.ppf(0.5 + self.conf_level / 2)
        drawn = self.w_n > 0  # a resample that drew no trajectory estimates nothing
        with np.errstate(invalid="ignore", divide="ignore"):
            sigma = np.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else np.full(self.k, np.nan)
            boot = self.w_abs[drawn] / self.w_n[drawn][:, None]
        return pd.DataFrame(
            {
                "mu": self.mean,
                "mu_star": self.abs_sum / max(self.n, 1),
                "sigma": sigma,
                "mu_star_conf": z * boot.std(axis=0, ddof=1),
            },
            index=pd.Index(self.names, name="parameter"),
        )


def exact_quantiles(
    read: Callable[[], Iterable[np.ndarray]],
    qs: Sequence[float],
    *,
    keep: int = 1 << 20,
) -> tuple[np.ndarray, float, int, int]:
    """Quantiles (np.quantile, linear), mean, count and NaN count of streamed values.

    `read()` yields the values again on every call (a pass). Memory stays
    below `keep` values: when more are finite, each needed order statistic is
    found by a radix selection on the values' bit patterns, 16 bits per pass
    (at most four passes), until few enough candidates are left to sort.
    """
    n = nan = 0
    total = 0.0
    for part in read():
        part = np.asarray(part, dtype=float)
        fin = part[~np.isnan(part)]
        nan += part.size - fin.size
        n += fin.size
        total += float(fin.sum())
    if n == 0:
        return np.full(len(qs), np.nan), np.nan, 0, nan
    if n <= keep:
        allv = np.concatenate([np.asarray(p, dtype=float) for p in read()] or [np.empty(0)])
        allv = allv[~np.isnan(allv)]
        return np.quantile(allv, qs), float(allv.mean()), n, nan
    pos = [(n - 1) * q for q in qs]
    ranks = sorted({int(np.floor(p)) for p in pos} | {int(np.ceil(p)) for p in pos})
    value = {r: _order_statistic(read, r, keep) for r in ranks}
    out = []
    for p in pos:
        a, b = int(np.floor(p)), int(np.ceil(p))
        va, vb = value[a], value[b]
        out.append(va + (vb - va) * (p - a))  # np.quantile's linear interpolation
    return np.asarray(out), total / n, n, nan


_SIGN = np.uint64(1 << 63)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def _sort_keys(v: np.ndarray) -> np.ndarray:
    """uint64 keys that sort like the (finite) floats `v`."""
    bits = np.ascontiguousarray(v, dtype=np.float64).view(np.uint64)
    return bits ^ np.where(bits & _SIGN, _ALL, _SIGN)


def _order_statistic(read: Callable[[], Iterable[np.ndarray]], rank: int, keep: int) -> float:
    """The rank-th smallest finite value (0-based), by radix selection over passes."""
    prefix = np.uint64(0)
    below = 0  # finite values whose key is below the current prefix
    for level in range(4):
        shift = np.uint64(48 - 16 * level)
        counts = np.zeros(1 << 16, dtype=np.int64)
        for part in read():
            k = _sort_keys(_finite(part))
            if level:
                k = k[(k >> (shift + np.uint64(16))) == prefix]
            counts += np.bincount(
                ((k >> shift) & np.uint64(0xFFFF)).astype(np.int64), minlength=1 << 16
            )
        cum = np.cumsum(counts)
        c = int(np.searchsorted(cum, rank - below, side="right"))
        below += int(cum[c - 1]) if c else 0
        prefix = (prefix << np.uint64(16)) | np.uint64(c) if level else np.uint64(c)
        if counts[c] <= keep or level == 3:
            vals = np.concatenate(
                [v[(_sort_keys(v) >> shift) == prefix] for v in (_finite(part) for part in read())]
            )
            return float(np.partition(vals, rank - below)[rank - below])
    raise AssertionError("unreachable")  # pragma: no cover


def _finite(part) -> np.ndarray:
    v = np.asarray(part, dtype=float)
    return v[~np.isnan(v)]
