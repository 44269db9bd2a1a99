"""PRIM: find a box of input space where the cases of interest concentrate.

The Patient Rule Induction Method (Friedman and Fisher, 1999), as the EMA
Workbench implements it for scenario discovery (Bryant and Lempert, 2010):

1. **Peeling.** Start from the box holding every case. For each input and each
   side, a candidate peel removes the `peel_alpha` share of the cases still in
   the box with the lowest (or highest) values of that input. The peel whose
   remaining box has the highest share of cases of interest (density) wins.
   Repeat while the box keeps at least `mass_min` of all cases. Each step is a
   point of the *peeling trajectory*: smaller boxes trade coverage (the share
   of all cases of interest inside) for density.
2. **Pasting.** From the last peeled box, try widening each limit to take in
   `paste_alpha` times the box's cases from just outside it; keep the widening
   that raises density most; repeat while density rises.

`prim(x, y)` returns a `PrimResult`: the trajectory (one `Box` per step, the
pasted box last) and the chosen box: the one with the highest coverage among
those whose density reaches `threshold` (the last box if none does). Each
restriction of a box gets the EMA Workbench's *quasi-p-value*: the binomial
probability of the box's density if that restriction were dropped (a small
value means the restriction matters). `PrimResult.box` is the chosen box with
restrictions whose quasi-p-value exceeds `max_qp` dropped, least significant
first, so that it names only the conditions that matter (its density may then
fall below the threshold; it is reported as it is).
Everything is plain NumPy on float inputs; a test plants a box and finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Box:
    """Limits per input (lower, upper), and what the box holds.

    `restricted` lists the inputs whose limits are inside the data's range.
    coverage: cases of interest inside / all cases of interest; density: cases
    of interest inside / cases inside; mass: cases inside / all cases.
    """

    lower: dict[str, float]
    upper: dict[str, float]
    coverage: float
    density: float
    mass: float
    restricted: tuple[str, ...]
    n: int = 0
    qp: dict[str, float] = field(default_factory=dict)

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of `x` inside the box."""
        inside = np.ones(len(x), dtype=bool)
        for name in self.lower:
            v = x[name].to_numpy(dtype=float)
            inside &= (v >= self.lower[name]) & (v <= self.upper[name])
        return inside

    def limits(self) -> pd.DataFrame:
        """The restricted inputs with their limits (the box as a table)."""
        rows = [(n, self.lower[n], self.upper[n], self.qp.get(n, np.nan)) for n in self.restricted]
        cols = ["parameter", "lower", "upper", "quasi_p"]
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

    def __init__(self, x: np.ndarray, y: np.ndarray, names: list[str]) -> None:
        self.x, self.y, self.names = x, y, names
        self.low0, self.high0 = x.min(axis=0), x.max(axis=0)
        self.n, self.total = len(y), max(float(y.sum()), 1e-300)

    def inside(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        return np.all((self.x >= low) & (self.x <= high), axis=1)

    def box(self, low: np.ndarray, high: np.ndarray) -> Box:
        m = self.inside(low, high)
        k = int(m.sum())
        hits = int(round(float(self.y[m].sum())))
        restricted = [
            j for j in range(len(self.names)) if low[j] > self.low0[j] or high[j] < self.high0[j]
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

    def quasi_p(self, low: np.ndarray, high: np.ndarray, j: int, hits: int, k: int) -> float:
        """P(density >= the box's | input j unrestricted): binomial, as in the EMA Workbench."""
        from scipy.stats import binomtest

        if k == 0:
            return 1.0
        lo, hi = low.copy(), high.copy()
        lo[j], hi[j] = self.low0[j], self.high0[j]
        p = float(self.y[self.inside(lo, hi)].mean())
        if p >= 1.0:
            return 1.0
        return float(binomtest(hits, k, p, alternative="greater").pvalue)

    def prune(self, box: Box, max_qp: float) -> Box:
        """Drop restrictions with quasi-p-value above `max_qp`, the least significant first.

        A dropped restriction's own data could not show that it matters; the box
        loses a little density, which its reported coverage and density show.
        """
        low = np.array([box.lower[n] for n in self.names])
        high = np.array([box.upper[n] for n in self.names])
        while box.qp:
            name, qp = max(box.qp.items(), key=lambda kv: kv[1])
            if qp <= max_qp:
                break
            j = self.names.index(name)
            low[j], high[j] = self.low0[j], self.high0[j]
            box = self.box(low, high)
        return box


def _peel(s: _State, low: np.ndarray, high: np.ndarray, alpha: float, mass_min: float):
    """The best single peel of the box, or None when none keeps `mass_min`."""
    m = s.inside(low, high)
    xs, ys = s.x[m], s.y[m]
    best = None
    for j in range(s.x.shape[1]):
        col = xs[:, j]
        for side in ("lower", "upper"):
            q = np.quantile(col, alpha if side == "lower" else 1 - alpha, method="linear")
            keep = col >= q if side == "lower" else col <= q
            if keep.all():  # ties: this peel removes nothing
                continue
            k = int(keep.sum())
            if k / s.n < mass_min or k == 0:
                continue
            density = float(ys[keep].mean())
            if best is None or density > best[0]:
                nl, nh = low.copy(), high.copy()
                if side == "lower":
                    nl[j] = col[keep].min()
                else:
                    nh[j] = col[keep].max()
                best = (density, nl, nh)
    return best


def _paste(s: _State, low: np.ndarray, high: np.ndarray, alpha: float):
    """The best single widening of one limit, or None when none raises density."""
    m = s.inside(low, high)
    n_in = int(m.sum())
    density = float(s.y[m].mean()) if n_in else 0.0
    take = max(1, int(alpha * n_in))
    best = None
    for j in range(s.x.shape[1]):
        others = np.ones(s.n, dtype=bool)
        for i in range(s.x.shape[1]):
            if i != j:
                others &= (s.x[:, i] >= low[i]) & (s.x[:, i] <= high[i])
        col = s.x[:, j]
        for side in ("lower", "upper"):
            out = others & ((col < low[j]) if side == "lower" else (col > high[j]))
            if not out.any():
                continue
            cand = np.sort(col[out])
            cand = cand[::-1][:take] if side == "lower" else cand[:take]
            nl, nh = low.copy(), high.copy()
            if side == "lower":
                nl[j] = cand[-1]
            else:
                nh[j] = cand[-1]
            mm = s.inside(nl, nh)
            d = float(s.y[mm].mean())
            if d > density and (best is None or d > best[0]):
                best = (d, nl, nh)
    return best


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    threshold: float = 0.8,
    max_qp: float = 0.05,
) -> PrimResult:
    """Run PRIM on inputs `x` (one column per uncertain parameter) and cases `y` (bool/0-1)."""
    if not 0 < peel_alpha < 0.5 or not 0 < paste_alpha < 0.5:
        raise ValueError("peel_alpha and paste_alpha must lie in (0, 0.5)")
    yy = np.asarray(y, dtype=float).reshape(-1)
    if len(yy) != len(x):
        raise ValueError(f"{len(x)} input rows but {len(yy)} outcomes")
    names = [str(c) for c in x.columns]
    s = _State(x.to_numpy(dtype=float), yy, names)
    low, high = s.low0.copy(), s.high0.copy()
    trajectory = [s.box(low, high)]
    while True:
        step = _peel(s, low, high, peel_alpha, mass_min)
        if step is None:
            break
        _, low, high = step
        trajectory.append(s.box(low, high))
    pasted = False
    while True:
        step = _paste(s, low, high, paste_alpha)
        if step is None:
            break
        _, low, high = step
        pasted = True
    if pasted:
        trajectory.append(s.box(low, high))
    ok = [i for i, b in enumerate(trajectory) if b.density >= threshold]
    chosen = max(ok, key=lambda i: (trajectory[i].coverage, -i)) if ok else len(trajectory) - 1
    pruned = s.prune(trajectory[chosen], max_qp)
    return PrimResult(trajectory, chosen, threshold, trajectory[0].density, names, pruned)
