"""The decision space: which levers an optimiser sets, within which bounds, and how it sees them.

Decisions come in two kinds, both named by the model's catalogue (never by this
module):

- a `Simplex`: the levers of a share group (a budget or programme split), which must sum
  to 1, each within its own bounds;
- a `Scalar`: one continuous constant between two bounds: a lever such as the
  tax share, or a group's start year or ramp time.

`Space` turns a candidate into lever values two ways:

- the *unit* form, [0, 1]^d, for differential evolution and SLSQP: each
  simplex takes k - 1 coordinates through bounded stick breaking
  (`simplex.from_unit`), each scalar one coordinate scaled to its bounds;
- the *natural* form, the values themselves in their bounds, for the genetic
  algorithms: each simplex takes its k shares, and `repair` projects them
  back onto the simplex (`simplex.project`).

Both give a DataFrame with one column per model constant (`columns`), plus the
constants the spec fixes (`fixed`, e.g. a start year), ready to be run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regionsoft_sd.optimise import simplex


@dataclass(frozen=True)
class Simplex:
    """Levers that are shares summing to 1 (model names), each within [low, high]."""

    group: str
    levers: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]

    @property
    def k(self) -> int:
        return len(self.levers)


@dataclass(frozen=True)
class Scalar:
    """One continuous decision: a model constant between `low` and `high`.

    `role` is "lever", "start" or "ramp"; `group` the policy group it belongs to.
    """

    name: str
    low: float
    high: float
    role: str = "lever"
    group: str = ""


@dataclass(frozen=True)
class Space:
    """All decisions of an optimisation, in a fixed order (simplexes, then scalars)."""

    simplexes: tuple[Simplex, ...] = ()
    scalars: tuple[Scalar, ...] = ()
    fixed: dict[str, float] = field(default_factory=dict)

    @property
    def decided(self) -> list[str]:
        """Model constants the optimiser sets (in column order)."""
        return [n for s in self.simplexes for n in s.levers] + [s.name for s in self.scalars]

    @property
    def columns(self) -> list[str]:
        """Every constant a candidate sets: the decisions, then the fixed ones."""
        return self.decided + [n for n in self.fixed if n not in self.decided]

    @property
    def unit_dim(self) -> int:
        return sum(s.k - 1 for s in self.simplexes) + len(self.scalars)

    @property
    def natural_dim(self) -> int:
        return sum(s.k for s in self.simplexes) + len(self.scalars)

    def natural_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the natural form."""
        low = [v for s in self.simplexes for v in s.low] + [s.low for s in self.scalars]
        high = [v for s in self.simplexes for v in s.high] + [s.high for s in self.scalars]
        return np.asarray(low, dtype=float), np.asarray(high, dtype=float)

    # --- unit form -------------------------------------------------------------------
    def from_unit(self, U: np.ndarray) -> pd.DataFrame:
        """Lever values (one row per candidate) from unit-cube points (n, unit_dim)."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        parts, j = [], 0
        for s in self.simplexes:
            parts.append(simplex.from_unit(U[:, j : j + s.k - 1], s.low, s.high))
            j += s.k - 1
        for s in self.scalars:
            parts.append((s.low + np.clip(U[:, j], 0.0, 1.0) * (s.high - s.low))[:, None])
            j += 1
        return self._frame(np.hstack(parts) if parts else np.empty((len(U), 0)))

    def to_unit(self, levers: pd.DataFrame) -> np.ndarray:
        """Unit-cube points of lever values (the inverse of `from_unit`, clipped to bounds)."""
        X = self.to_natural(levers)
        parts, j = [], 0
        for s in self.simplexes:
            shares = simplex.project(X[:, j : j + s.k], s.low, s.high)
            parts.append(simplex.to_unit(shares, s.low, s.high))
            j += s.k
        for s in self.scalars:
            width = s.high - s.low
            parts.append(((X[:, j] - s.low) / width if width > 0 else 0.5 + 0 * X[:, j])[:, None])
            j += 1
        return np.clip(np.hstack(parts), 0.0, 1.0) if parts else np.empty((len(X), 0))

    # --- natural form ----------------------------------------------------------------
    def corners(self, limit: int = 4096) -> np.ndarray:
        """Natural-form points at the edges of the space, to seed a genetic algorithm.

        Each simplex contributes its vertices (as much as its bounds allow on one
        share) and the midpoints of its edges (two shares alike), each scalar its
        two bounds; the points are their product (the first `limit` of them). A
        front's extremes usually lie there (all the money on the element that
        buys most of one goal, the largest or smallest programme), and a random
        start seldom comes near them.
        """
        options: list[list[np.ndarray]] = []
        for s in self.simplexes:
            eye = np.eye(s.k)
            pulls = [2 * eye[i] for i in range(s.k)]
            pulls += [2 * (eye[i] + eye[j]) for i, j in itertools.combinations(range(s.k), 2)]
            pts = simplex.project(np.array(pulls), np.array(s.low), np.array(s.high))
            options.append(list(pts))
        for s in self.scalars:
            options.append([np.array([s.low]), np.array([s.high])])
        if not options:
            return np.empty((0, self.natural_dim))
        rows = itertools.islice(itertools.product(*options), limit)
        return np.array([np.concatenate(r) for r in rows])

    def repair(self, X: np.ndarray) -> np.ndarray:
        """Shares projected onto their simplex, scalars clipped to their bounds."""
        X = np.array(np.atleast_2d(X), dtype=float)
        j = 0
        for s in self.simplexes:
            X[:, j : j + s.k] = simplex.project(X[:, j : j + s.k], s.low, s.high)
            j += s.k
        for s in self.scalars:
            X[:, j] = np.clip(X[:, j], s.low, s.high)
            j += 1
        return X

    def from_natural(self, X: np.ndarray) -> pd.DataFrame:
        """Lever values from natural-form points (repaired first, so always feasible)."""
        return self._frame(self.repair(X))

    def to_natural(self, levers: pd.DataFrame) -> np.ndarray:
        """Natural-form points of lever values (columns by model name)."""
        return levers[self.decided].to_numpy(dtype=float)

    def _frame(self, X: np.ndarray) -> pd.DataFrame:
        df = pd.DataFrame(X, columns=self.decided)
        for name, value in self.fixed.items():
            if name not in df:
                df[name] = value
        return df
