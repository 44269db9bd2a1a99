"""The provinces' game on model version 3: batch payoffs from the batch engine.

A strategy is a province's four budget shares (`Policy education/service/
culture/image share[Province]`); what the four lines leave of the local budget
goes to other government consumption (the model's own accounting). Provinces
that are not players keep the strategies they are given (status quo unless
set). Each call of `payoff` runs every profile of the batch through the
NumPy batch engine (compiled once per process), in chunks of `chunk_size`.

Objectives (computed here from the model's variables, per province):

- `consumption_pv`: present value of `Household consumption per person[p]`,
  yearly values from the policy start year to FINAL TIME, discounted at
  `discount_rate` per year to the start year (thousand yuan of 2005).
- `soft_power_end`: `Dominant Soft Power[p]` at FINAL TIME.

National welfare is the population-weighted mean of all 31 provinces'
objectives, with each province's population in the policy start year as its
weight: the levers act only from that year, so the weights are the same in
every profile and a planner cannot raise welfare by moving people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regionsoft_sd.common.resources import root

MODEL_V3 = root() / "models" / "regional_soft_power_v3.mdl"
"""Model version 3 (31 provinces), the model the provinces' game runs on."""
LEVERS = (
    "Policy education share",
    "Policy service share",
    "Policy culture share",
    "Policy image share",
)
LEVER_KEYS = ("education", "service", "culture", "image")
OBJECTIVES = ("consumption_pv", "soft_power_end")
CONSUMPTION = "Household consumption per person"
SOFT_POWER = "Dominant Soft Power"
POPULATION = "Population"
START_YEAR = "Budget split policy start year"
CAP = "Maximum soft power share"


def provinces(mdl_path: Path | str = MODEL_V3) -> tuple[str, ...]:
    """The model's provinces, in subscript order."""
    from regionsoft_sd.batch import compile_model

    model = compile_model(mdl_path)
    return tuple(model.name(k).split("[", 1)[1].rstrip("]") for k in model.keys(LEVERS[0]))


def status_quo(mdl_path: Path | str = MODEL_V3) -> np.ndarray:
    """Every province's model value of each lever, (31, 4)."""
    from regionsoft_sd.batch import compile_model

    consts = compile_model(mdl_path).constants
    return np.array([[consts[f"{lv}[{p}]"] for lv in LEVERS] for p in provinces(mdl_path)])


def model_constant(name: str, mdl_path: Path | str = MODEL_V3) -> float:
    """A scalar constant's model value."""
    from regionsoft_sd.batch import compile_model

    return float(compile_model(mdl_path).constants[name])


@dataclass
class ModelGame:
    """Batch payoffs of the players (a subset of the provinces) on model version 3."""

    players: tuple[str, ...]
    objective: str = "consumption_pv"
    discount_rate: float = 0.03
    constants: Mapping[str, float] = field(default_factory=dict)
    """Scalar settings for every run (e.g. Rival response mode, Leader[p])."""
    others: np.ndarray | None = None
    """(31, 4) strategies of every province (players' rows are replaced), None: status quo."""
    mdl_path: Path = MODEL_V3
    chunk_size: int = 1024
    on_batch: Callable[[int], None] | None = None
    """Called with the number of runs after each chunk (progress)."""
    runs: int = 0

    def __post_init__(self) -> None:
        self.names = provinces(self.mdl_path)
        self.index = np.array([self.names.index(p) for p in self.players], dtype=int)
        self.base = status_quo(self.mdl_path) if self.others is None else np.array(self.others)
        self.start_year = float(self.constants.get(START_YEAR, model_constant(START_YEAR)))
        self._weights: np.ndarray | None = None

    def full(self, profiles: np.ndarray) -> np.ndarray:
        """Players' strategies (M, P, 4) placed into every province's strategies (M, 31, 4)."""
        out = np.repeat(self.base[None], profiles.shape[0], axis=0)
        out[:, self.index, :] = profiles
        return out

    def outcomes(self, profiles: np.ndarray) -> dict[str, np.ndarray]:
        """Run the profiles; per province: objective, consumption_pv, soft_power_end (M, 31).

        Also `population_start` (M, 31): population in the policy start year.
        Failed runs (NaN, infinite or negative stocks) give NaN.
        """
        from regionsoft_sd.batch import simulate
        from regionsoft_sd.runs import plan

        full = self.full(np.asarray(profiles, dtype=float))
        m = full.shape[0]
        rec = [f"{v}[{p}]" for v in (CONSUMPTION, SOFT_POWER, POPULATION) for p in self.names]
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("c", "s", "pop")}
        for a, b in plan(m, self.chunk_size):
            samples = {
                f"{lv}[{p}]": full[a:b, i, j]
                for i, p in enumerate(self.names)
                for j, lv in enumerate(LEVERS)
            }
            for k, v in self.constants.items():
                samples[k] = np.full(b - a, float(v))
            res = simulate(samples, record=rec, mdl_path=self.mdl_path, backend="numpy")
            t = np.asarray(res.times, dtype=float)
            cons = np.stack([res.data[f"{CONSUMPTION}[{p}]"] for p in self.names], axis=-1)
            soft = np.stack([res.data[f"{SOFT_POWER}[{p}]"] for p in self.names], axis=-1)
            pop = np.stack([res.data[f"{POPULATION}[{p}]"] for p in self.names], axis=-1)
            keep = t >= self.start_year - 1e-9
            disc = (1 + self.discount_rate) ** -(t[keep] - self.start_year)
            pv = np.einsum("t,tnp->np", disc, cons[keep])
            # a run whose consumption turns NaN, infinite or negative failed: NaN payoffs
            ok = np.isfinite(cons).all(axis=(0, 2)) & (cons >= 0).all(axis=(0, 2))
            ok &= np.isfinite(soft).all(axis=(0, 2))
            pv[~ok] = np.nan
            parts["c"].append(pv)
            parts["s"].append(np.where(ok[:, None], soft[-1], np.nan))
            i0 = int(np.argmin(np.abs(t - self.start_year)))
            parts["pop"].append(pop[i0])
            self.runs += b - a
            if self.on_batch is not None:
                self.on_batch(b - a)
        c = np.concatenate(parts["c"])
        s = np.concatenate(parts["s"])
        objective = c if self.objective == "consumption_pv" else s
        return {
            "objective": objective,
            "consumption_pv": c,
            "soft_power_end": s,
            "population_start": np.concatenate(parts["pop"]),
        }

    def weights(self) -> np.ndarray:
        """Population shares in the policy start year (31,), the same in every profile."""
        if self._weights is None:
            pop = self.outcomes(self.base[self.index][None])["population_start"][0]
            self._weights = pop / pop.sum()
        return self._weights

    def payoff(self, profiles: np.ndarray) -> np.ndarray:
        """The players' objectives (M, P)."""
        return self.outcomes(profiles)["objective"][:, self.index]

    def welfare(self, profiles: np.ndarray) -> np.ndarray:
        """National welfare (M,): the population-weighted mean of all provinces' objectives."""
        return self.outcomes(profiles)["objective"] @ self.weights()

    def both(self, profiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(payoffs (M, P), welfare (M,)) from one batch."""
        obj = self.outcomes(profiles)["objective"]
        return obj[:, self.index], obj @ self.weights()


def bounds(
    players: Sequence[str], low: Mapping[str, float], high: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) arrays (P, 4) from per-lever bounds keyed by `LEVER_KEYS`."""
    lo = np.array([[low[k] for k in LEVER_KEYS]] * len(players), dtype=float)
    hi = np.array([[high[k] for k in LEVER_KEYS]] * len(players), dtype=float)
    return lo, hi
