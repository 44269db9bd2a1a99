"""History-conditioned futures: parameter sets that agree with the region's 2005-2022 data.

Sampling the uncertain parameters from their declared ranges gives futures that
contradict history (a sizeable share of them miss 2022 GDP by more than 20 %). The
ensemble keeps only the sets that the data allow, by one stated rule:

1. A Latin hypercube of `n_prior` sets over the declared ranges of the
   parameters (the union of the shipped sweep specs' uncertain parameters), plus
   the model file's own values, runs the shipped model (Sichuan) through its
   history.
2. Each set's cost is half the sum of squared weighted log errors against the
   observed series (`SERIES`: the calibration's seven series and error scales)
   in every year 2005-2022 that has an observation.
3. The residual scale s² = 2 cost_best / (m - q) comes from the best set (m
   observations, q parameters); a set is accepted when its likelihood-ratio
   statistic Δ = 2 (cost - cost_best) / s² is at most the chi-squared quantile
   of q degrees of freedom at `level` (the joint 95 % likelihood region).

The accepted sets are the ensemble. It is shipped as a CSV in `data/` with a JSON
file beside it that records the rule, the counts and the CSV's SHA-256;
`load_ensemble` checks that hash before any use, so an edited or truncated file is
refused instead of silently conditioning the futures on something else.

`history_values` turns the ensemble into futures for an experiment: each future
is one member (all its parameters together, the joint set the data accepted);
a parameter the experiment samples that the ensemble does not hold is drawn from
its own distribution, as before. The data constrain the observed series, not
everything: the element weights of soft power have no observed series, so they
stay nearly as wide as their ranges.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.common.io import write_text
from regionsoft_sd.common.observed_data import observed
from regionsoft_sd.common.resources import data_dir
from regionsoft_sd.futures.designs import sample
from regionsoft_sd.futures.params import Parameter
from regionsoft_sd.runs import Task, stream

ENSEMBLE_FILE = "history_ensemble_v2.csv"
"""The shipped ensemble (in `data/`); its provenance and hash are in the .json beside it."""
SOURCES = ("declared", "history")
"""Where futures come from: the declared ranges, or the history-conditioned ensemble."""
REGION = "sichuan"
"""The region the shipped model (version 2) describes."""
START, END = 2005, 2022
"""The years whose observations decide acceptance."""
LEVEL = 0.95
SERIES: tuple[tuple[str, str, float], ...] = (
    ("gdp", "GDP", 0.03),
    ("capital", "Total capital", 0.05),
    ("population", "Population", 0.03),
    ("mean_schooling", "Human Quality", 0.05),
    ("expected_schooling", "Indicated cohort schooling", 0.1),
    ("budget_total", "Government budget", 0.1),
    ("budget_education", "Education spending", 0.1),
)
"""(data series, model variable, error scale on the log scale): the default calibration's."""
CHUNK = 2048


@dataclass
class Ensemble:
    """The accepted parameter sets (member x parameter) and their provenance (`meta`)."""

    values: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The parameters every member sets."""
        return list(self.values.columns)

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class HistoryFit:
    """Every set's cost against the data, Δ, acceptance, and the recorded runs."""

    cost: np.ndarray
    delta: np.ndarray
    accepted: np.ndarray
    s2: float
    threshold: float
    m: int
    q: int
    times: np.ndarray
    data: dict[str, np.ndarray]


def run_history(values: pd.DataFrame, variables: Sequence[str]) -> tuple[np.ndarray, dict]:
    """Run the parameter sets (rows) on the batch engine; times and variable -> (N, T)."""
    task = Task(record=tuple(variables), record_runs=None, check=True)
    n = len(values)
    data: dict[str, np.ndarray] = {}
    fault = np.full(n, "", dtype=object)
    times = np.array([])
    frame = values.reset_index(drop=True)
    for res in stream(frame, task, chunk_size=min(CHUNK, max(1, n)), progress=False):
        m = res.metrics
        fault[m["run"].to_numpy(dtype=int)] = m["fault"].to_numpy()
        traj = res.trajectories
        if traj is None:
            continue
        cols = [c for c in traj.columns if c not in ("run", "strategy", "variable")]
        times = np.array([float(c) for c in cols])
        for var in variables:
            sub = traj[traj["variable"] == var]
            arr = data.setdefault(var, np.full((n, len(cols)), np.nan))
            arr[sub["run"].to_numpy(dtype=int)] = sub[cols].to_numpy(dtype=float)
    for arr in data.values():
        arr[fault != ""] = np.nan
    return times, data


def history_fit(values: pd.DataFrame, *, level: float = LEVEL, region: str = REGION) -> HistoryFit:
    """Cost, Δ and acceptance of each row of `values` under the module's rule."""
    wide = observed(region)
    times, data = run_history(values, [v for _, v, _ in SERIES])
    cost = np.zeros(len(values))
    m = 0
    for series, var, sigma in SERIES:
        col = wide[series].loc[START:END].dropna()
        years = col.index.to_numpy(dtype=float)
        model = data[var][:, np.searchsorted(times, years)]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (np.log(model) - np.log(col.to_numpy(dtype=float))) / sigma
        cost += 0.5 * np.sum(r * r, axis=1)
        m += len(years)
    cost = np.where(np.isfinite(cost), cost, np.inf)
    q = values.shape[1]
    best = float(cost.min())
    s2 = 2 * best / (m - q)
    delta = 2 * (cost - best) / s2
    threshold = float(stats.chi2.ppf(level, q))
    return HistoryFit(cost, delta, delta <= threshold, s2, threshold, m, q, times, data)


def generate(
    parameters: Sequence[Parameter], n_prior: int, seed: int, *, level: float = LEVEL
) -> tuple[Ensemble, HistoryFit, pd.DataFrame]:
    """The ensemble from `n_prior` Latin-hypercube sets (and the model's values).

    Returns the ensemble, the fit of every prior set, and the prior sets (row 0:
    the model file's values).
    """
    prior = sample(parameters, n_prior, "lhs", seed)
    own = pd.DataFrame([{p.name: p.default for p in parameters}])
    values = pd.concat([own, prior], ignore_index=True)
    hf = history_fit(values, level=level)
    kept = values[hf.accepted].reset_index(drop=True)
    kept.index.name = "member"
    meta = {
        "what": "parameter sets of the shipped model that agree with its region's history",
        "model": "models/regional_soft_power.mdl (version 2, Sichuan)",
        "region": REGION,
        "years": [START, END],
        "series": [{"data": s, "variable": v, "sigma": g} for s, v, g in SERIES],
        "rule": (
            "accepted when 2 (cost - cost_best) / s2 <= chi2(q, level); cost = half the sum of "
            "squared (log model - log observed) / sigma over every observed year; "
            "s2 = 2 cost_best / (m - q)"
        ),
        "level": level,
        "m": hf.m,
        "q": hf.q,
        "s2": hf.s2,
        "threshold": hf.threshold,
        "cost_best": float(hf.cost.min()),
        "prior": {"method": "lhs", "n": n_prior, "seed": seed, "plus": "the model file's values"},
        "tried": len(values),
        "accepted": int(hf.accepted.sum()),
        "bounds": {p.name: [p.low, p.high, p.distribution] for p in parameters},
    }
    return Ensemble(kept, meta), hf, values


def meta_path(csv: str | Path) -> Path:
    """The provenance file beside an ensemble CSV."""
    return Path(csv).with_suffix(".json")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_ensemble(ens: Ensemble, path: str | Path) -> Path:
    """Write the CSV and its provenance (with the CSV's SHA-256), each atomically."""
    text = ens.values.to_csv(float_format="%.10g", lineterminator="\n")
    write_text(path, text)
    meta = {**ens.meta, "file": Path(path).name, "sha256": _digest(text.encode("utf-8"))}
    write_text(meta_path(path), json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return Path(path)


def default_path() -> Path:
    """The shipped ensemble file."""
    return data_dir() / ENSEMBLE_FILE


def load_ensemble(path: str | Path | None = None) -> Ensemble:
    """Read an ensemble after checking its hash against its provenance file.

    Raises InputError (one line: the file, what is wrong, the fix) when either file
    is missing or unreadable, or the CSV is not the one the provenance describes.
    """
    csv = default_path() if path is None else Path(path)
    regen = "regenerate it: python data/make_history_ensemble.py"
    try:
        raw = csv.read_bytes()
        meta = json.loads(meta_path(csv).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(csv, None, f"cannot read the ensemble ({exc})", regen) from None
    if not isinstance(meta, dict) or meta.get("sha256") != _digest(raw):
        raise InputError(
            csv, "sha256", "the file is not the one its provenance (.json) describes", regen
        )
    values = pd.read_csv(csv, index_col="member")
    return Ensemble(values, meta)


def draw(ens: Ensemble, n: int, seed: int) -> pd.DataFrame:
    """n members, seeded: a random order of all of them, repeated as often as n needs."""
    rng = np.random.default_rng(seed)
    reps = -(-n // len(ens))
    idx = np.concatenate([rng.permutation(len(ens)) for _ in range(reps)])[:n]
    return ens.values.iloc[idx].reset_index(drop=True)


def history_values(
    ens: Ensemble,
    parameters: Sequence[Parameter],
    n: int,
    seed: int,
    method: str = "lhs",
    *,
    fixed: Sequence[str] = (),
) -> pd.DataFrame:
    """n futures: each one ensemble member, plus `parameters` the ensemble lacks, sampled.

    Columns: every ensemble parameter not in `fixed` (what a scenario sets itself
    stays its own), then the spec's parameters that the ensemble does not hold,
    drawn from their distributions by `method`. Index `run`, 0 .. n - 1.
    """
    members = draw(ens, n, seed).drop(columns=[c for c in fixed if c in ens.names])
    rest = [p for p in parameters if p.name not in ens.names and p.name not in fixed]
    if rest:
        extra = sample(rest, n, method, seed).reset_index(drop=True)
        members = pd.concat([members, extra], axis=1)
    members.index = pd.RangeIndex(n, name="run")
    return members


def check_source(value: Any, file: str | Path | None, key: str = "futures") -> str:
    """A spec's `futures` field: "declared" or "history" (InputError otherwise)."""
    if value not in SOURCES:
        raise InputError(
            file,
            key,
            f"{value!r} is not a source of futures",
            'use futures = "history" (sets that agree with 2005-2022) or "declared" (the ranges)',
        )
    return str(value)
