"""Best responses, equilibria and planner optima of any game whose payoffs come in batches.

The solver knows nothing about the model. A game is a batch payoff function

    payoff(profiles) -> values

with `profiles` of shape (M, P, L) (M strategy profiles, P players, L levers
each) and `values` of shape (M, P) (each player's payoff in each profile), and
a `Space` of allowed strategies (bounds per player and lever, and at most
`max_total` for the sum of a player's levers). The same code solves the
regional model (`compete.game`) and the analytic games of the tests.

Every step puts all players' candidate strategies into ONE call of `payoff`:
the batch engine's cost per run falls with the batch size, and 31 players'
candidates of one round are one batch.

Best response (`best_responses`): a coarse grid over the box (optional), then
a pattern search: from the best point so far, try +-step on each lever and
every transfer of step from one lever to another (it keeps the total); move
to the best improvement, halve the step where none is found, stop below
`min_step`. A candidate better by no more than the tie tolerance
(`futures.ties`) is a tie and the incumbent strategy stays: noise never wins.

Equilibrium (`equilibrium`): iterated best response, Jacobi style: every
player answers the same profile in the same round, so the round is one batch
(Gauss-Seidel would need one batch per player and round, 31 times the calls).
Jacobi converges where the best-response map contracts (weak cross effects,
as between provinces coupled through national pools); `damping` < 1 moves
only part of the way when it oscillates. Convergence: no player gains more
than the tie tolerance by answering alone. The residual gains are reported.

Cooperative optimum (`cooperative`): one planner maximises a welfare function
of the payoffs; solved as the game in which every player's payoff is welfare,
with a guard that makes each round improve welfare: when the joint move of
all players does worse than the best single player's move, only that one is
taken (block coordinate ascent).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from regionsoft_sd.futures.ties import tolerance

PayoffFn = Callable[[np.ndarray], np.ndarray]
"""profiles (M, P, L) -> payoffs (M, P); NaN (a failed run) counts as the worst payoff."""
WelfareFn = Callable[[np.ndarray], np.ndarray]
"""profiles (M, P, L) -> national welfare (M,)."""

GAIN_RTOL = 1e-6
"""Convergence: no player gains more than this share of its payoff (plus the tie tolerance).

A payoff is flat at a best response (a lever off by d loses about d^2), so the
tie tolerance alone would ask for strategies exact to sqrt(1e-9); a millionth
of the payoff is far below what the model's inputs can resolve."""

SAME_EQUILIBRIUM = 0.02
"""Two equilibria are the same when every lever differs by at most this share of its range."""


@dataclass(frozen=True)
class Space:
    """Each player's strategy set: a box (`low`, `high`, each (P, L)) and a cap on the sum."""

    low: np.ndarray
    high: np.ndarray
    max_total: float = np.inf

    @property
    def shape(self) -> tuple[int, int]:
        """(players, levers)."""
        return tuple(np.shape(self.low))  # type: ignore[return-value]

    def feasible(self, x: np.ndarray, player: int) -> np.ndarray:
        """Which rows of `x` (K, L) lie in `player`'s set (a tiny slack for rounding)."""
        lo, hi = self.low[player], self.high[player]
        eps = 1e-12 * np.maximum(1.0, np.abs(hi - lo))
        ok = np.all((x >= lo - eps) & (x <= hi + eps), axis=1)
        return ok & (x.sum(axis=1) <= self.max_total + 1e-12)


@dataclass(frozen=True)
class Search:
    """How a best response is searched (shares of each lever's range)."""

    grid: int = 3
    """Points per lever of the first coarse grid (0 or 1: no grid)."""
    step: float = 0.25
    """First step of the pattern search."""
    min_step: float = 1e-3
    """The search stops when the step falls below this."""
    max_iter: int = 40
    """Most pattern-search batches per best response."""


@dataclass
class Responses:
    """Best responses of some players to one profile."""

    players: np.ndarray
    """Player indices, (K,)."""
    strategies: np.ndarray
    """Each player's best strategy, (K, L)."""
    values: np.ndarray
    """Its payoff, (K,)."""
    base_values: np.ndarray
    """The payoff of the strategy the player had in the profile, (K,)."""
    runs: int = 0
    """Profiles evaluated."""
    batches: int = 0
    """Calls of the payoff function."""

    @property
    def gains(self) -> np.ndarray:
        """What each player gains by answering alone (0 where the gain is a tie)."""
        g = self.values - self.base_values
        return np.where(np.abs(g) <= tolerance(self.values, self.base_values), 0.0, g)


@dataclass
class Round:
    """One round of an equilibrium or planner search."""

    round: int
    max_gain: float
    """Largest unilateral gain at the round's profile."""
    max_move: float
    """Largest lever change the round makes (share of the lever's range)."""
    runs: int


@dataclass
class Solution:
    """Where an equilibrium or planner search ended."""

    profile: np.ndarray
    """(P, L) strategies."""
    payoffs: np.ndarray
    """(P,) payoffs at `profile`."""
    residual_gains: np.ndarray
    """(P,) what each player could still gain alone (planner: welfare gain), ties as 0."""
    converged: bool
    rounds: list[Round] = field(default_factory=list)
    runs: int = 0
    batches: int = 0
    start: str = ""


def _clean(v: np.ndarray) -> np.ndarray:
    """Payoffs with NaN (failed runs) as -inf, so that no failed run is chosen."""
    v = np.asarray(v, dtype=float)
    return np.where(np.isnan(v), -np.inf, v)


def grid_points(space: Space, player: int, n: int) -> np.ndarray:
    """The coarse grid: `n` points per lever over the player's box, inside the cap."""
    lo, hi = space.low[player], space.high[player]
    axes = [np.linspace(a, b, n) for a, b in zip(lo, hi, strict=True)]
    pts = np.array(list(itertools.product(*axes)), dtype=float)
    return pts[space.feasible(pts, player)]


def neighbours(space: Space, player: int, x: np.ndarray, step: float) -> np.ndarray:
    """Pattern-search moves from `x`: +-step on each lever and every transfer between two."""
    span = space.high[player] - space.low[player]
    n = len(x)
    moves = []
    for i in range(n):
        for sign in (1.0, -1.0):
            d = np.zeros(n)
            d[i] = sign * step * span[i]
            moves.append(d)
    for i, j in itertools.permutations(range(n), 2):
        d = np.zeros(n)
        h = step * min(span[i], span[j])
        d[i], d[j] = h, -h
        moves.append(d)
    pts = np.clip(x + np.array(moves), space.low[player], space.high[player])
    pts = pts[space.feasible(pts, player)]
    keep = np.any(np.abs(pts - x) > 0, axis=1)
    return pts[keep]


def _evaluate(
    payoff: PayoffFn, profile: np.ndarray, blocks: Sequence[tuple[int, np.ndarray]]
) -> list[np.ndarray]:
    """Each block's candidates (player p, strategies (K, L)) against `profile`, in one batch.

    Returns, per block, player p's payoff of each candidate.
    """
    sizes = [len(c) for _, c in blocks]
    rows = np.repeat(profile[None], sum(sizes), axis=0)
    off = 0
    for (p, cands), k in zip(blocks, sizes, strict=True):
        rows[off : off + k, p, :] = cands
        off += k
    values = _clean(payoff(rows))
    out, off = [], 0
    for (p, _), k in zip(blocks, sizes, strict=True):
        out.append(values[off : off + k, p])
        off += k
    return out


def best_responses(
    payoff: PayoffFn,
    profile: np.ndarray,
    space: Space,
    players: Sequence[int] | None = None,
    search: Search = Search(),
    *,
    step: float | None = None,
    grid: bool = True,
) -> Responses:
    """Each of `players`' best strategy against the others' strategies in `profile`.

    All players' candidates of a search step go into one call of `payoff`.
    `step` overrides the first pattern step (a warm start needs a small one);
    `grid` False skips the coarse grid.
    """
    profile = np.asarray(profile, dtype=float)
    ps = np.arange(profile.shape[0]) if players is None else np.asarray(players, dtype=int)
    best_x = profile[ps].copy()
    blocks = []
    for k, p in enumerate(ps):
        cands = best_x[k][None]
        if grid and search.grid > 1:
            cands = np.vstack([cands, grid_points(space, p, search.grid)])
        blocks.append((p, cands))
    vals = _evaluate(payoff, profile, blocks)
    runs, batches = sum(len(c) for _, c in blocks), 1
    base = np.array([v[0] for v in vals])
    best_v = base.copy()
    for k, ((_, cands), v) in enumerate(zip(blocks, vals, strict=True)):
        i = int(np.argmax(v))
        if v[i] - best_v[k] > tolerance(v[i], best_v[k]):
            best_x[k], best_v[k] = cands[i], v[i]
    steps = np.full(len(ps), search.step if step is None else step)
    for _ in range(search.max_iter):
        active = [k for k in range(len(ps)) if steps[k] >= search.min_step]
        blocks = [(ps[k], neighbours(space, ps[k], best_x[k], steps[k])) for k in active]
        live = [(k, b) for k, b in zip(active, blocks, strict=True) if len(b[1])]
        for k in active:
            if not any(k == j for j, _ in live):
                steps[k] /= 2
        if not live:
            if not active:
                break
            continue
        vals = _evaluate(payoff, profile, [b for _, b in live])
        runs += sum(len(b[1]) for _, b in live)
        batches += 1
        for (k, (_, cands)), v in zip(live, vals, strict=True):
            i = int(np.argmax(v))
            if v[i] - best_v[k] > tolerance(v[i], best_v[k]):
                best_x[k], best_v[k] = cands[i], v[i]
            else:
                steps[k] /= 2
    return Responses(ps, best_x, best_v, base, runs, batches)


def _settled(gains: np.ndarray, values: np.ndarray, gain_rtol: float) -> bool:
    """True when no gain exceeds `gain_rtol` of the payoff (ties already count as 0)."""
    return bool(np.all(gains <= gain_rtol * np.abs(values)))


def _range_move(space: Space, a: np.ndarray, b: np.ndarray) -> float:
    span = np.where(space.high > space.low, space.high - space.low, 1.0)
    return float(np.max(np.abs(a - b) / span)) if a.size else 0.0


def equilibrium(
    payoff: PayoffFn,
    start: np.ndarray,
    space: Space,
    search: Search = Search(),
    *,
    max_rounds: int = 20,
    damping: float = 1.0,
    warm_step: float = 0.05,
    gain_rtol: float = GAIN_RTOL,
    start_name: str = "",
    on_round: Callable[[Round], None] | None = None,
) -> Solution:
    """Iterated best response (Jacobi) from `start` until no player gains alone.

    Round 0 searches from the coarse grid; later rounds start the pattern
    search from each player's strategy with `warm_step`. Returns the last
    profile, its payoffs and each player's residual unilateral gain (measured
    by the last round's best responses at that profile).
    """
    x = np.array(start, dtype=float)
    rounds: list[Round] = []
    runs = batches = 0
    converged = False
    br = None
    for r in range(max_rounds + 1):
        br = best_responses(
            payoff, x, space, None, search, step=None if r == 0 else warm_step, grid=r == 0
        )
        runs, batches = runs + br.runs, batches + br.batches
        gains = br.gains
        converged = _settled(gains, br.base_values, gain_rtol)
        new = x + damping * (br.strategies - x)
        rd = Round(
            r, float(np.max(gains)), 0.0 if converged else _range_move(space, new, x), br.runs
        )
        rounds.append(rd)
        if on_round is not None:
            on_round(rd)
        if converged or r == max_rounds:
            break
        x = new
    assert br is not None
    return Solution(x, br.base_values, br.gains, converged, rounds, runs, batches, start_name)


def cooperative(
    payoff: PayoffFn,
    welfare: WelfareFn,
    start: np.ndarray,
    space: Space,
    search: Search = Search(),
    *,
    max_rounds: int = 20,
    warm_step: float = 0.05,
    gain_rtol: float = GAIN_RTOL,
    on_round: Callable[[Round], None] | None = None,
) -> Solution:
    """The planner's optimum: maximise `welfare` over every player's strategy.

    Block coordinate ascent over players with all players' blocks in one batch;
    a round takes the joint move when it beats the best single move, else that
    single move, so welfare never falls. `Solution.payoffs` are the players'
    own payoffs at the optimum; `residual_gains` are welfare gains.
    """
    n_players = np.shape(start)[0]

    def common(rows: np.ndarray) -> np.ndarray:
        w = np.asarray(welfare(rows), dtype=float).reshape(-1, 1)
        return np.repeat(w, n_players, axis=1)

    x = np.array(start, dtype=float)
    rounds: list[Round] = []
    runs = batches = 0
    converged = False
    br = None
    for r in range(max_rounds + 1):
        br = best_responses(
            common, x, space, None, search, step=None if r == 0 else warm_step, grid=r == 0
        )
        runs, batches = runs + br.runs, batches + br.batches
        gains = br.gains
        converged = _settled(gains, br.base_values, gain_rtol)
        new = x
        if not converged and r < max_rounds:
            joint = br.strategies.copy()
            w_joint = _clean(welfare(joint[None]))[0]
            runs, batches = runs + 1, batches + 1
            k = int(np.argmax(br.values))
            if w_joint >= br.values[k] - tolerance(w_joint, br.values[k]):
                new = joint
            else:
                new = x.copy()
                new[k] = br.strategies[k]
        rd = Round(r, float(np.max(gains)), _range_move(space, new, x), br.runs)
        rounds.append(rd)
        if on_round is not None:
            on_round(rd)
        if converged or r == max_rounds:
            break
        x = new
    assert br is not None
    own = _clean(payoff(x[None]))[0]
    return Solution(x, own, br.gains, converged, rounds, runs + 1, batches + 1, "planner")


def distinct(solutions: Sequence[Solution], space: Space) -> list[int]:
    """Index of the first solution of each distinct profile (`SAME_EQUILIBRIUM` apart)."""
    keep: list[int] = []
    for i, s in enumerate(solutions):
        if all(
            _range_move(space, s.profile, solutions[j].profile) > SAME_EQUILIBRIUM for j in keep
        ):
            keep.append(i)
    return keep
