"""`run_compete`: a spec's solution concepts on model version 3, as tables.

Concepts (each optional, in this order):

- `best_response`: the leader's best split with every other province at its
  status quo (rivals do not respond).
- `imitation`: the leader's best split when every other province copies the
  leader's lever deviations after `imitation_lag` years (the model's
  `Rival response mode` = 1 with `Leader[leader]` = 1).
- `equilibrium`: iterated best response of all players (Jacobi) from each
  start; residual unilateral gains; distinct equilibria.
- `cooperative`: one planner sets every player's split to maximise national
  welfare (population-weighted mean of the provinces' objectives).
- `price_of_anarchy`: national welfare at the (first) equilibrium against the
  optimum, with each province's gain or loss.

Tables: `strategies.csv` (one row per concept, start and province: the four
shares and the outcomes; `residual_gain` is, for an equilibrium, what the
player could still gain alone there, and for `best_response` and `imitation`,
what the leader gains over its status-quo split), `convergence.csv` (one row
per round), `welfare.csv` (national welfare per solution) and
`price_of_anarchy.csv` (per province).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.compete.game import CAP as CAP_NAME
from regionsoft_sd.compete.game import LEVER_KEYS, ModelGame, model_constant, status_quo
from regionsoft_sd.compete.solver import (
    Search,
    Solution,
    Space,
    best_responses,
    cooperative,
    distinct,
    equilibrium,
)
from regionsoft_sd.compete.spec import CompeteSpec, load_spec

TABLES = ("strategies", "convergence", "welfare", "price_of_anarchy")


@dataclass
class CompeteResult:
    """What `run_compete` found; `tables` hold everything the CSV files hold."""

    spec: CompeteSpec
    tables: dict[str, pd.DataFrame]
    solutions: dict[str, Solution]
    """Concept label (best_response, imitation, equilibrium:<start>, cooperative) -> solution."""
    distinct_equilibria: int = 0
    price_of_anarchy: float = float("nan")
    """Welfare at the optimum over welfare at the equilibrium (>= 1: the race costs)."""
    runs: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)


def _search(spec: CompeteSpec) -> Search:
    s = spec.search
    return Search(grid=s.grid, step=s.step, min_step=s.min_step, max_iter=s.max_iter)


def _space(spec: CompeteSpec, n: int) -> Space:
    lo = np.array([[spec.bounds[k][0] for k in LEVER_KEYS]] * n, dtype=float)
    hi = np.array([[spec.bounds[k][1] for k in LEVER_KEYS]] * n, dtype=float)
    return Space(lo, hi, max_total=model_constant(CAP_NAME))


def _start(kind: str, sq: np.ndarray, space: Space) -> np.ndarray:
    if kind == "status_quo":
        return np.clip(sq, space.low, space.high)
    x = {"low": space.low, "high": space.high, "middle": (space.low + space.high) / 2}[kind].copy()
    total = x.sum(axis=1, keepdims=True)
    return np.where(total > space.max_total, x * space.max_total / total, x)


def run_compete(
    spec: CompeteSpec | Path | str,
    out_dir: Path | str | None = None,
    *,
    progress: bool = True,
    on_note: Callable[[str], None] | None = None,
) -> CompeteResult:
    """Solve the spec's concepts; write the tables into `out_dir` (None: nothing written)."""
    t0 = time.perf_counter()
    if not isinstance(spec, CompeteSpec):
        spec = load_spec(spec)
    search = _search(spec)
    bar = _bar(progress)
    game = ModelGame(spec.players, spec.objective, spec.discount_rate, on_batch=bar.update)
    sq_all = status_quo(game.mdl_path)
    sq = sq_all[game.index]
    space = _space(spec, len(spec.players))
    solutions: dict[str, Solution] = {}
    conv: list[dict] = []
    notes: list[str] = []
    li = spec.players.index(spec.leader)
    leader_space = Space(space.low[[li]], space.high[[li]], space.max_total)

    def rounds_of(label: str, sol: Solution) -> None:
        for r in sol.rounds:
            conv.append(
                {
                    "solution": label,
                    "round": r.round,
                    "max_gain": r.max_gain,
                    "max_move": r.max_move,
                    "runs": r.runs,
                }
            )

    def single(label: str, constants: dict[str, float]) -> None:
        g = ModelGame(
            (spec.leader,),
            spec.objective,
            spec.discount_rate,
            constants=constants,
            on_batch=bar.update,
        )
        br = best_responses(g.payoff, sq[[li]], leader_space, None, search)
        own = g.payoff(br.strategies[None])[0]
        solutions[label] = Solution(
            br.strategies, own, br.gains, True, [], br.runs, br.batches, "status_quo"
        )
        game.runs += g.runs

    if "best_response" in spec.concepts:
        single("best_response", {})
    if "imitation" in spec.concepts:
        names = game.names
        single(
            "imitation",
            {
                "Rival response mode": 1.0,
                "Imitation lag": spec.imitation_lag,
                **{f"Leader[{p}]": float(p == spec.leader) for p in names},
            },
        )
    eq_labels: list[str] = []
    if "equilibrium" in spec.concepts:
        found = []
        for s in spec.starts:
            sol = equilibrium(
                game.payoff,
                _start(s, sq, space),
                space,
                search,
                max_rounds=spec.max_rounds,
                damping=spec.damping,
                warm_step=spec.search.warm_step,
                start_name=s,
            )
            label = f"equilibrium:{s}"
            solutions[label] = sol
            eq_labels.append(label)
            rounds_of(label, sol)
            found.append(sol)
            if not sol.converged:
                notes.append(
                    f"equilibrium from {s} did not converge in {spec.max_rounds} rounds "
                    f"(largest residual gain {float(np.max(sol.residual_gains)):.4g})"
                )
        n_distinct = len(distinct(found, space))
    else:
        n_distinct = 0
    if "cooperative" in spec.concepts:
        sol = cooperative(
            game.payoff,
            game.welfare,
            _start("status_quo", sq, space),
            space,
            search,
            max_rounds=spec.max_rounds,
            warm_step=spec.search.warm_step,
        )
        solutions["cooperative"] = sol
        rounds_of("cooperative", sol)
        if not sol.converged:
            notes.append(f"the planner's search did not converge in {spec.max_rounds} rounds")
    bar.close()
    tables = _tables(spec, game, sq_all, solutions, eq_labels)
    poa = float("nan")
    if "price_of_anarchy" in spec.concepts and eq_labels:
        w = tables["welfare"].set_index("solution")["welfare"]
        poa = float(w["cooperative"] / w[eq_labels[0]])
    tables["convergence"] = pd.DataFrame(
        conv, columns=["solution", "round", "max_gain", "max_move", "runs"]
    )
    if "price_of_anarchy" not in spec.concepts:
        tables.pop("price_of_anarchy", None)
    result = CompeteResult(spec, tables, solutions, n_distinct, poa, game.runs, 0.0, notes)
    if out_dir is not None:
        result.out_dir, result.files = write_tables(tables, out_dir)
    result.seconds = time.perf_counter() - t0
    return result


def _tables(
    spec: CompeteSpec,
    game: ModelGame,
    sq_all: np.ndarray,
    solutions: dict[str, Solution],
    eq_labels: list[str],
) -> dict[str, pd.DataFrame]:
    """Outcomes of every solution (and the status quo) for all provinces, from one batch."""
    labels = ["status_quo", *solutions]
    full = np.repeat(sq_all[None], len(labels), axis=0)
    for k, label in enumerate(labels[1:], start=1):
        sol = solutions[label]
        if label in ("best_response", "imitation"):
            full[k, game.names.index(spec.leader)] = sol.profile[0]
        else:
            full[k, game.index] = sol.profile
    # imitation outcomes need the rivals' response switched on: run that row apart
    plain = ModelGame(game.names, spec.objective, spec.discount_rate)
    out = plain.outcomes(full)
    if "imitation" in solutions:
        k = labels.index("imitation")
        imit = ModelGame(
            game.names,
            spec.objective,
            spec.discount_rate,
            constants={
                "Rival response mode": 1.0,
                "Imitation lag": spec.imitation_lag,
                **{f"Leader[{p}]": float(p == spec.leader) for p in game.names},
            },
        )
        o2 = imit.outcomes(full[[k]])
        for key in out:
            out[key][k] = o2[key][0]
        game.runs += imit.runs
    game.runs += plain.runs
    weights = game.weights()
    rows = []
    for k, label in enumerate(labels):
        sol = solutions.get(label)
        for i, p in enumerate(game.names):
            player = (
                p in spec.players
                if label not in ("best_response", "imitation")
                else p == spec.leader
            )
            resid = np.nan
            if sol is not None and player and label != "cooperative":
                j = 0 if label in ("best_response", "imitation") else spec.players.index(p)
                resid = float(sol.residual_gains[j])
            rows.append(
                {
                    "solution": label,
                    "province": p,
                    "player": bool(player and label != "status_quo"),
                    **{f"{lv}_share": full[k, i, j] for j, lv in enumerate(LEVER_KEYS)},
                    "objective": out["objective"][k, i],
                    "consumption_pv": out["consumption_pv"][k, i],
                    "soft_power_end": out["soft_power_end"][k, i],
                    "residual_gain": resid,
                }
            )
    strategies = pd.DataFrame(rows)
    welfare = pd.DataFrame(
        {
            "solution": labels,
            "welfare": out["objective"] @ weights,
            "converged": [True if lb == "status_quo" else solutions[lb].converged for lb in labels],
        }
    )
    tables = {"strategies": strategies, "welfare": welfare}
    if eq_labels and "cooperative" in solutions:
        e, c = labels.index(eq_labels[0]), labels.index("cooperative")
        d = out["objective"][c] - out["objective"][e]
        tables["price_of_anarchy"] = pd.DataFrame(
            {
                "province": game.names,
                "player": [p in spec.players for p in game.names],
                "equilibrium": out["objective"][e],
                "cooperative": out["objective"][c],
                "difference": d,
                "population_weight": weights,
                "outcome": np.where(d > 0, "gains", np.where(d < 0, "loses", "same")),
            }
        )
    return tables


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path | str) -> tuple[Path, list[Path]]:
    """Write each table as CSV, atomically, into an output folder this command owns."""
    from regionsoft_sd.common.io import write_csv
    from regionsoft_sd.common.outdir import OutputFolder

    with OutputFolder(out_dir, kind="compete") as folder:
        for name, df in tables.items():
            write_csv(df, folder.stage(f"{name}.csv"), index=False)
        files, _ = folder.commit(remove_stale=True)
        return folder.path, files


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(enabled: bool):
    if not enabled:
        return _NoBar()
    import sys

    from tqdm.auto import tqdm

    return tqdm(unit="run", desc="compete", file=sys.stderr)
