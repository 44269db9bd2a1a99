"""Benchmark: one round of best responses, batch engine against pysimlin run by run.

The same solver code (`compete.solver.best_responses`) drives both: once with
the batch payoff of `compete.game.ModelGame` (all players' candidates of a
search step in one NumPy batch), once with a payoff that runs pysimlin (an
independent Rust implementation of Vensim) once per candidate. Both searches
must pick the same splits and their payoffs agree to 1e-6 before the times are
reported; the ratio pysimlin / batch is printed. The batch engine's cost per
call is large and its cost per run small, so the ratio grows with the players
(the candidates per batch): `--players 31` is the full game's round.

    .venv/bin/python benchmarks/bench_compete.py               # 6 players, one step
    .venv/bin/python benchmarks/bench_compete.py --players 1 --steps 2
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.compete.game import (  # noqa: E402
    CONSUMPTION,
    LEVERS,
    MODEL_V3,
    ModelGame,
    model_constant,
    status_quo,
)
from regionsoft_sd.compete.solver import Search, Space, best_responses  # noqa: E402
from regionsoft_sd.compete.spec import LEVER_RANGE  # noqa: E402

PLAYER = "sichuan"
OTHERS = ("chongqing", "guizhou", "yunnan", "shaanxi", "gansu", "hubei", "hunan")


def _ident(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip().lower())


def simlin_payoff(players: tuple[str, ...], rate: float = 0.03, start: float = 2024.0):
    """A payoff function that runs pysimlin once per profile."""
    import simlin

    model = simlin.load(str(MODEL_V3))
    model.project.set_sim_specs(sim_method="euler")
    cols = [_ident(f"{CONSUMPTION}[{p}]") for p in players]

    def payoff(profiles: np.ndarray) -> np.ndarray:
        out = np.empty(profiles.shape[:2])
        for m, prof in enumerate(profiles):
            over = {
                _ident(f"{lv}[{p}]"): float(v)
                for p, x in zip(players, prof, strict=True)
                for lv, v in zip(LEVERS, x, strict=True)
            }
            res = model.run(overrides=over, analyze_loops=False).results
            years = res.index.to_numpy(float)
            keep = years >= start - 1e-9
            disc = (1 + rate) ** -(years[keep] - start)
            for i, c in enumerate(cols):
                out[m, i] = float(np.sum(res[c].to_numpy(float)[keep] * disc))
        return out

    return payoff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1, help="pattern-search batches (default 1)")
    ap.add_argument("--players", type=int, default=6, help="players, Sichuan first (default 6)")
    args = ap.parse_args()
    from regionsoft_sd.compete.game import provinces

    rest = [p for p in (*OTHERS, *provinces()) if p != PLAYER]
    players = (PLAYER, *dict.fromkeys(rest))[: args.players]
    game = ModelGame(players)
    x0 = status_quo()[game.index]
    keys = ("education", "service", "culture", "image")
    lo = np.array([[LEVER_RANGE[k][0] for k in keys]] * len(players))
    hi = np.array([[LEVER_RANGE[k][1] for k in keys]] * len(players))
    space = Space(lo, hi, model_constant("Maximum soft power share"))
    search = Search(grid=0, step=0.25, min_step=1e-3, max_iter=args.steps)
    game.payoff(x0[None])  # warm: compile the model, build the program
    t = time.perf_counter()
    a = best_responses(game.payoff, x0, space, None, search)
    t_batch = time.perf_counter() - t
    sim = simlin_payoff(players)
    sim(x0[None])  # warm: load the model
    t = time.perf_counter()
    b = best_responses(sim, x0, space, None, search)
    t_simlin = time.perf_counter() - t
    np.testing.assert_allclose(a.values, b.values, rtol=1e-6)
    np.testing.assert_allclose(a.strategies, b.strategies, atol=1e-12)
    print(f"best responses of {len(players)} players: {a.runs} runs in {a.batches} batches")
    print(f"batch engine (NumPy): {t_batch:8.2f} s")
    print(f"pysimlin run by run:  {t_simlin:8.2f} s")
    print(f"ratio pysimlin / batch: {t_simlin / t_batch:.1f}")


if __name__ == "__main__":
    main()
