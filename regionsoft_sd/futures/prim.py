"""PRIM: find a box of input space where the cases of interest concentrate.

The Patient Rule Induction Method (Friedman and Fisher, 1999), following the EMA
Workbench's `ema_workbench.analysis.prim` for numeric inputs (Bryant and Lempert,
2010); docs/decisions.md lists where this module differs from it and why.

1. **Peeling.** Start from the box of the data's minimum and maximum of each
   input. For each input and each side, a candidate peel moves that limit to
   the `peel_alpha` quantile of the cases still in the box (`sd_quantile`, the
   quantile rule of EMA and sdtoolkit: with repeated values it moves on to the
   next distinct value and puts the limit halfway between two data values, so
   all cases with one value stay or go together). Each candidate is scored by
   the objective, EMA's `lenient1` by default: the gain in density divided by
   the number of cases removed (`original`: the density of the new box;
   `lenient2`: lenient1 times the cases kept). The best wins; ties go to the
   candidate that leaves more inputs unrestricted, then to the first input in
   column order, upper side before lower (EMA's stable sort). Peeling stops
   when the best peel would leave less than `mass_min` of all cases, removes
   nothing, or does not improve the objective (score <= 0).
2. **Pasting.** For each restricted input and side, a candidate moves the limit
   outwards to the `paste_alpha` quantile of the cases in the slab between the
   limit and the data's extreme (within the box's other limits). The best by the
   same objective is kept while it adds cases, keeps `mass_min`, scores > 0
   and raises density. Every peel and paste is a step of the trajectory.

Limits are the peel and paste values themselves (box limits, between data
values), or the data's extremes where an input is not restricted.

`prim(x, y)` returns a `PrimResult`: the trajectory (one `Box` per step) and the
chosen box: the one with the highest coverage among those whose density reaches
`threshold` (the last box if none does). Each restricted *side* of a box gets the
EMA Workbench's quasi-p-value: the one-sided binomial probability of the box's
hits if that side's limit were dropped (a small value means the limit matters).
`PrimResult.box` is the chosen box with the sides whose quasi-p-value exceeds
`max_qp` dropped, least significant first, so that it names only the limits
that matter (its density may then fall below the threshold; it is reported as
it is). Plain NumPy on float inputs; tests plant boxes and find them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

OBJECTIVES = ("lenient1", "lenient2", "original")
"""Peeling and pasting objectives, as the EMA Workbench names them (lenient1 its default)."""


def sd_quantile(data: np.ndarray, q: float) -> float:
    """The `q` quantile by the EMA Workbench's (and sdtoolkit's) rule, for 0 < q < 1.

    Position (n - 1) q in the sorted data; if the two data values around it are
    equal, move away from the median to the next distinct value; the quantile is
    halfway between the two. So a peel never splits cases with the same value.
    """
    d = np.sort(np.asarray(data, dtype=float))
    i = (len(d) - 1) * q
    lo, hi = int(math.floor(i)), int(math.ceil(i))
    if q > 0.5:
        while d[lo] == d[hi] and lo > 0:
            lo -= 1
    else:
        while d[lo] == d[hi] and hi < len(d) - 1:
            hi += 1
    return float((d[lo] + d[hi]) / 2)


def peel_score(kind: str, y_old: np.ndarray, y_new: np.ndarray) -> float:
    """Score of moving from a box with cases `y_old` to one with `y_new` (EMA's functions)."""
    mean_new = float(y_new.mean()) if len(y_new) else 0.0
    if kind == "original":
        return mean_new if len(y_new) else -1.0
    mean_old = float(y_old.mean()) if len(y_old) else 0.0
    change = abs(len(y_old) - len(y_new))
    if mean_new == mean_old or change == 0:
        return 0.0
    gain = (mean_new - mean_old) / change
    return gain if kind == "lenient1" else len(y_new) * gain


@dataclass(frozen=True)
class Box:
    """Limits per input (lower, upper), and what the box holds.

    `restricted` lists the inputs whose limits are inside the data's range.
    coverage: cases of interest inside / all cases of interest; density: cases
    of interest inside / cases inside; mass: cases inside / all cases.
    `qp`: per restricted input, the quasi-p-values of its lower and upper
    limit (NaN for a side left at the data's extreme).
    """

    lower: dict[str, float]
    upper: dict[str, float]
    coverage: float
    density: float
    mass: float
    restricted: tuple[str, ...]
    n: int = 0
    qp: dict[str, tuple[float, float]] = field(default_factory=dict)

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of `x` inside the box."""
        inside = np.ones(len(x), dtype=bool)
        for name in self.lower:
            v = x[name].to_numpy(dtype=float)
            inside &= (v >= self.lower[name]) & (v <= self.upper[name])
        return inside

    def limits(self) -> pd.DataFrame:
        """The restricted inputs with their limits and each side's quasi-p-value."""
        nan = (np.nan, np.nan)
        rows = [(n, self.lower[n], self.upper[n], *self.qp.get(n, nan)) for n in self.restricted]
        cols = ["parameter", "lower", "upper", "qp_lower", "qp_upper"]
        return pd.DataFrame(rows, columns=cols).set_index("parameter")


@dataclass
class PrimResult:
    """The peeling-and-pasting trajectory and the chosen box."""

    trajectory: list[Box]
    chosen: int
    threshold: float
    base_density: float
    names: list[str] = field(default_factory=list)
    pruned: Box | None = None
    peeled: int = 0
    """Steps of the trajectory that are peels (after the first box); the rest are pastes."""

    @property
    def status(self) -> str:
        """What the box means: "box", "no cases" or "everywhere".

        "no cases": no case is of interest, so there is nothing to describe.
        "everywhere": the share of cases of interest over all the data already
        reaches the threshold, so the unrestricted box qualifies and any box
        PRIM reports says less than that share itself. Only "box" is a finding.
        """
        if self.base_density <= 0:
            return "no cases"
        if self.base_density >= self.threshold:
            return "everywhere"
        return "box"

    @property
    def reached(self) -> bool:
        """True if some box on the trajectory reached the density threshold."""
        return self.trajectory[self.chosen].density >= self.threshold

    @property
    def box(self) -> Box:
        """The chosen box with its insignificant restrictions dropped."""
        return self.pruned if self.pruned is not None else self.trajectory[self.chosen]

    def table(self) -> pd.DataFrame:
        """The trajectory as a table: step, coverage, density, mass, restricted inputs."""
        return pd.DataFrame(
            {
                "step": range(len(self.trajectory)),
                "coverage": [b.coverage for b in self.trajectory],
                "density": [b.density for b in self.trajectory],
                "mass": [b.mass for b in self.trajectory],
                "restricted": [len(b.restricted) for b in self.trajectory],
                "inputs": [", ".join(b.restricted) for b in self.trajectory],
                "chosen": [i == self.chosen for i in range(len(self.trajectory))],
            }
        ).set_index("step")


class _State:
    """Data and bookkeeping shared by the peeling and pasting steps."""

    def __init__(self, x: np.ndarray, y: np.ndarray, names: list[str], kind: str) -> None:
        self.x, self.y, self.names, self.kind = x, y, names, kind
        self.low0, self.high0 = x.min(axis=0), x.max(axis=0)
        self.n, self.total = len(y), max(float(y.sum()), 1e-300)

    def inside(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        return np.all((self.x >= low) & (self.x <= high), axis=1)

    def n_restricted(self, low: np.ndarray, high: np.ndarray) -> int:
        return int(np.sum((low != self.low0) | (high != self.high0)))

    def box(self, low: np.ndarray, high: np.ndarray) -> Box:
        m = self.inside(low, high)
        k = int(m.sum())
        hits = int(round(float(self.y[m].sum())))
        restricted = [
            j for j in range(len(self.names)) if low[j] != self.low0[j] or high[j] != self.high0[j]
        ]
        qp = {self.names[j]: self.quasi_p(low, high, j, hits, k) for j in restricted}
        return Box(
            dict(zip(self.names, map(float, low), strict=True)),
            dict(zip(self.names, map(float, high), strict=True)),
            hits / self.total,
            hits / k if k else 0.0,
            k / self.n,
            tuple(self.names[j] for j in restricted),
            k,
            qp,
        )

    def quasi_p(
        self, low: np.ndarray, high: np.ndarray, j: int, hits: int, k: int
    ) -> tuple[float, float]:
        """Quasi-p-values of input j's lower and upper limit (EMA: one binomial test a side).

        For each side moved off the data's extreme: P(hits or more of the box's k
        cases | the density of the box with that side reset), one-sided.
        """
        out = []
        for side, (limits, init) in enumerate(((low, self.low0), (high, self.high0))):
            if limits[j] == init[j] or k == 0:
                out.append(np.nan if limits[j] == init[j] else 1.0)
                continue
            lo, hi = low.copy(), high.copy()
            (lo if side == 0 else hi)[j] = init[j]
            p = float(self.y[self.inside(lo, hi)].mean())
            out.append(1.0 if p >= 1.0 else _binom_greater(hits, k, p))
        return out[0], out[1]

    def prune(self, box: Box, max_qp: float) -> Box:
        """Drop limits with quasi-p-value above `max_qp`, the least significant side first.

        A dropped limit's own data could not show that it matters; the box loses
        a little density, which its reported coverage and density show.
        """
        low = np.array([box.lower[n] for n in self.names])
        high = np.array([box.upper[n] for n in self.names])
        while True:
            sides = [
                (q, name, side)
                for name, qs in box.qp.items()
                for side, q in enumerate(qs)
                if not np.isnan(q)
            ]
            if not sides:
                break
            q, name, side = max(sides, key=lambda t: t[0])
            if q <= max_qp:
                break
            j = self.names.index(name)
            if side == 0:
                low[j] = self.low0[j]
            else:
                high[j] = self.high0[j]
            box = self.box(low, high)
        return box


def _binom_greater(hits: int, k: int, p: float) -> float:
    from scipy.stats import binomtest

    return float(binomtest(hits, k, p, alternative="greater").pvalue)


def _best(cands: list[tuple[float, int, np.ndarray, np.ndarray, np.ndarray]]):
    """EMA's choice: the highest score, then the most unrestricted inputs, then the first."""
    return max(enumerate(cands), key=lambda t: (t[1][0], t[1][1], -t[0]))[1]


def _peel(s: _State, low: np.ndarray, high: np.ndarray, alpha: float, mass_min: float):
    """The next peel (new limits), or None when EMA's stopping rule holds."""
    idx = np.flatnonzero(s.inside(low, high))
    xs, y_old = s.x[idx], s.y[idx]
    d = s.x.shape[1]
    cands = []
    for j in range(d):
        col = xs[:, j]
        for side in ("upper", "lower"):  # EMA's order, which decides exact ties
            nl, nh = low.copy(), high.copy()
            if side == "upper":
                nh[j] = sd_quantile(col, 1 - alpha)
                keep = col <= nh[j]
            else:
                nl[j] = sd_quantile(col, alpha)
                keep = col >= nl[j]
            score = peel_score(s.kind, y_old, y_old[keep])
            cands.append((score, d - s.n_restricted(nl, nh), nl, nh, keep))
    if not cands:
        return None
    score, _, nl, nh, keep = _best(cands)
    n_new = int(keep.sum())
    if n_new / s.n >= mass_min and n_new < len(idx) and score > 0:
        return nl, nh
    return None


def _paste(s: _State, low: np.ndarray, high: np.ndarray, alpha: float, mass_min: float):
    """The next paste (new limits), or None when none qualifies (EMA's rule)."""
    m = s.inside(low, high)
    y_old = s.y[m]
    d = s.x.shape[1]
    cands = []
    for j in range(d):
        if low[j] == s.low0[j] and high[j] == s.high0[j]:
            continue  # EMA pastes restricted inputs only
        for side in ("lower", "upper"):
            slab_l, slab_h = low.copy(), high.copy()
            nl, nh = low.copy(), high.copy()
            if side == "lower":
                slab_l[j], slab_h[j] = s.low0[j], low[j]
                data = s.x[s.inside(slab_l, slab_h), j]
                nl[j] = sd_quantile(data, 1 - alpha) if data.size else s.low0[j]
            else:
                slab_l[j], slab_h[j] = high[j], s.high0[j]
                data = s.x[s.inside(slab_l, slab_h), j]
                nh[j] = sd_quantile(data, alpha) if data.size else s.high0[j]
            y_new = s.y[s.inside(nl, nh)]
            cands.append(
                (peel_score(s.kind, y_old, y_new), d - s.n_restricted(nl, nh), nl, nh, y_new)
            )
    if not cands:
        return None
    score, _, nl, nh, y_new = _best(cands)
    mean_old = float(y_old.mean()) if len(y_old) else 0.0
    ok = len(y_new) / s.n >= mass_min and len(y_new) > len(y_old) and score > 0
    if ok and float(y_new.mean()) > mean_old:
        return nl, nh
    return None


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    threshold: float = 0.8,
    max_qp: float = 0.05,
    objective: str = "lenient1",
) -> PrimResult:
    """Run PRIM on inputs `x` (one column per uncertain parameter) and cases `y` (bool/0-1)."""
    if not 0 < peel_alpha < 0.5 or not 0 < paste_alpha < 0.5:
        raise ValueError("peel_alpha and paste_alpha must lie in (0, 0.5)")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
    yy = np.asarray(y, dtype=float).reshape(-1)
    if len(yy) != len(x):
        raise ValueError(f"{len(x)} input rows but {len(yy)} outcomes")
    names = [str(c) for c in x.columns]
    s = _State(x.to_numpy(dtype=float), yy, names, objective)
    low, high = s.low0.copy(), s.high0.copy()
    trajectory = [s.box(low, high)]
    while (step := _peel(s, low, high, peel_alpha, mass_min)) is not None:
        low, high = step
        trajectory.append(s.box(low, high))
    peeled = len(trajectory) - 1
    while (step := _paste(s, low, high, paste_alpha, mass_min)) is not None:
        low, high = step
        trajectory.append(s.box(low, high))
    ok = [i for i, b in enumerate(trajectory) if b.density >= threshold]
    chosen = max(ok, key=lambda i: (trajectory[i].coverage, -i)) if ok else len(trajectory) - 1
    pruned = s.prune(trajectory[chosen], max_qp)
    return PrimResult(
        trajectory, chosen, threshold, trajectory[0].density, names, pruned, peeled=peeled
    )
