"""Competition specs: players, levers and bounds, objective, solution concepts.

A spec (`scenarios/compete/*.toml`)::

    name = "southwest"
    description = "Sichuan and its neighbours compete for people and investment"
    players = ["sichuan", "chongqing", "guizhou", "yunnan"]   # a list, one name, or "all"
    objective = "consumption_pv"      # consumption_pv | soft_power_end
    discount_rate = 0.03              # per year, for consumption_pv
    concepts = ["best_response", "equilibrium", "cooperative", "price_of_anarchy", "imitation"]
    leader = "sichuan"                # who answers alone and who leads the imitation
    starts = ["status_quo", "middle"] # equilibrium starts: status_quo | low | middle | high
    max_rounds = 8                    # rounds of iterated best response (and of the planner)
    damping = 1.0                     # share of the way to the best responses per round
    imitation_lag = 5                 # years before rivals copy the leader (Imitation lag)

    [bounds]                          # per lever, [low, high] (default: the model's ranges)
    culture = [0.0, 0.1]

    [search]                          # the best-response search (shares of each range)
    grid = 3                          # points per lever of the first coarse grid
    step = 0.25                       # first pattern step
    min_step = 0.01                   # the search stops below this
    max_iter = 12                     # most pattern batches per best response
    warm_step = 0.05                  # first step after round 0

Provinces that are not players keep their status-quo levers. The four shares
of a player together stay at or below the model's `Maximum soft power share`
(the rest of the local budget is other government consumption).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regionsoft_sd.common.errors import InputError, load_toml
from regionsoft_sd.common.fields import boolean, integer, known_keys, listing, number, text
from regionsoft_sd.common.fields import name as name_field
from regionsoft_sd.compete.game import LEVER_KEYS, MODEL_V3, OBJECTIVES, provinces

CONCEPTS = ("best_response", "equilibrium", "cooperative", "price_of_anarchy", "imitation")
STARTS = ("status_quo", "low", "middle", "high")
LEVER_RANGE = {
    "education": (0.0, 0.4),
    "service": (0.0, 0.7),
    "culture": (0.0, 0.2),
    "image": (0.0, 0.1),
}
"""The model's ranges of the four lever shares (their Vensim [min, max])."""
_TOP = (
    "name",
    "description",
    "players",
    "objective",
    "discount_rate",
    "concepts",
    "leader",
    "starts",
    "max_rounds",
    "damping",
    "imitation_lag",
    "bounds",
    "search",
    "progress",
)
_SEARCH = ("grid", "step", "min_step", "max_iter", "warm_step")


@dataclass(frozen=True)
class SearchSpec:
    """Best-response search settings (shares of each lever's range)."""

    grid: int = 3
    step: float = 0.25
    min_step: float = 0.01
    max_iter: int = 12
    warm_step: float = 0.05


@dataclass(frozen=True)
class CompeteSpec:
    """A validated competition spec."""

    name: str
    description: str
    players: tuple[str, ...]
    objective: str
    discount_rate: float
    concepts: tuple[str, ...]
    leader: str
    starts: tuple[str, ...]
    max_rounds: int
    damping: float
    imitation_lag: float
    bounds: dict[str, tuple[float, float]]
    search: SearchSpec = field(default_factory=SearchSpec)
    path: Path | None = None


def _fraction(value: Any, key: str, file: Any, low: float, high: float) -> float:
    v = number(value, key, file)
    if not low <= v <= high:
        raise InputError(
            file,
            key,
            f"{v:g} is outside [{low:g}, {high:g}]",
            f"use a value in [{low:g}, {high:g}]",
        )
    return v


def _province(value: Any, key: str, file: Any, names: tuple[str, ...]) -> str:
    from regionsoft_sd.common.errors import unknown_name

    if not isinstance(value, str) or value.lower() not in names:
        raise unknown_name(
            file, key, str(value), names, "province", "use a province key such as sichuan"
        )
    return value.lower()


def _players(raw: Any, file: Any, names: tuple[str, ...]) -> tuple[str, ...]:
    if raw is None:
        raise InputError(
            file, "players", "missing", 'add players = ["sichuan", "chongqing"] or "all"'
        )
    if isinstance(raw, str):
        return names if raw.lower() == "all" else (_province(raw, "players", file, names),)
    if not isinstance(raw, list) or not raw:
        raise InputError(
            file,
            "players",
            f"expected a list of provinces, got {raw!r}",
            'write players = ["sichuan"]',
        )
    out = [_province(v, f"players[{i}]", file, names) for i, v in enumerate(raw)]
    if len(set(out)) != len(out):
        raise InputError(file, "players", "names a province twice", "list each province once")
    return tuple(out)


def _bounds(raw: Any, file: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(raw, dict):
        raise InputError(
            file,
            "bounds",
            f"expected a table, got {raw!r}",
            "write [bounds] with culture = [0.0, 0.1]",
        )
    known_keys(raw, LEVER_KEYS, file, "lever", prefix="bounds.")
    out = dict(LEVER_RANGE)
    for k, v in raw.items():
        key = f"bounds.{k}"
        lo_m, hi_m = LEVER_RANGE[k]
        if not isinstance(v, list) or len(v) != 2:
            raise InputError(
                file, key, f"expected [low, high], got {v!r}", f"write {k} = [{lo_m:g}, {hi_m:g}]"
            )
        lo = _fraction(v[0], key, file, lo_m, hi_m)
        hi = _fraction(v[1], key, file, lo_m, hi_m)
        if lo >= hi:
            raise InputError(file, key, f"low {lo:g} is not below high {hi:g}", "give low < high")
        out[k] = (lo, hi)
    return out


def _search(raw: Any, file: Any) -> SearchSpec:
    if not isinstance(raw, dict):
        raise InputError(
            file, "search", f"expected a table, got {raw!r}", "write [search] with grid = 3"
        )
    known_keys(raw, _SEARCH, file, "search setting", prefix="search.")
    d = SearchSpec()
    step = _fraction(raw.get("step", d.step), "search.step", file, 1e-6, 1.0)
    min_step = _fraction(raw.get("min_step", d.min_step), "search.min_step", file, 1e-6, 1.0)
    if min_step > step:
        raise InputError(
            file, "search.min_step", f"{min_step:g} is above step {step:g}", "make min_step <= step"
        )
    return SearchSpec(
        grid=integer(raw, "grid", file, low=0, high=9, default=d.grid, prefix="search."),  # type: ignore[arg-type]
        step=step,
        min_step=min_step,
        max_iter=integer(
            raw, "max_iter", file, low=1, high=1000, default=d.max_iter, prefix="search."
        ),  # type: ignore[arg-type]
        warm_step=_fraction(raw.get("warm_step", d.warm_step), "search.warm_step", file, 1e-6, 1.0),
    )


def parse_spec(
    data: dict[str, Any], file: Path | str | None = None, mdl_path: Path = MODEL_V3
) -> CompeteSpec:
    """Validate a spec's TOML table (InputError naming the file, the key and the fix)."""
    known_keys(data, _TOP, file, "spec key")
    names = provinces(mdl_path)
    players = _players(data.get("players"), file, names)
    objective = data.get("objective", "consumption_pv")
    if not isinstance(objective, str) or objective not in OBJECTIVES:
        from regionsoft_sd.common.errors import unknown_name

        raise unknown_name(
            file,
            "objective",
            str(objective),
            OBJECTIVES,
            "objective",
            f"use one of {', '.join(OBJECTIVES)}",
        )
    concepts = listing(data, "concepts", file) or list(CONCEPTS)
    for i, c in enumerate(concepts):
        if c not in CONCEPTS:
            from regionsoft_sd.common.errors import unknown_name

            raise unknown_name(
                file, f"concepts[{i}]", str(c), CONCEPTS, "concept", f"use {', '.join(CONCEPTS)}"
            )
    if "price_of_anarchy" in concepts and not {"equilibrium", "cooperative"} <= set(concepts):
        raise InputError(
            file, "concepts", "price_of_anarchy needs equilibrium and cooperative", "add both"
        )
    leader = _province(data.get("leader", players[0]), "leader", file, names)
    if leader not in players:
        raise InputError(file, "leader", f"{leader!r} is not a player", "name one of the players")
    starts = listing(data, "starts", file) or ["status_quo", "middle"]
    for i, s in enumerate(starts):
        if s not in STARTS:
            from regionsoft_sd.common.errors import unknown_name

            raise unknown_name(
                file, f"starts[{i}]", str(s), STARTS, "start", f"use {', '.join(STARTS)}"
            )
    if "equilibrium" in concepts and len(players) < 2:
        raise InputError(
            file,
            "players",
            "an equilibrium needs two players or more",
            "add players or drop equilibrium",
        )
    boolean(data, "progress", file, True)
    return CompeteSpec(
        name=name_field(data, "name", file),
        description=text(data, "description", file, required=False),
        players=players,
        objective=objective,
        discount_rate=_fraction(data.get("discount_rate", 0.03), "discount_rate", file, 0.0, 0.5),
        concepts=tuple(dict.fromkeys(concepts)),
        leader=leader,
        starts=tuple(dict.fromkeys(starts)),
        max_rounds=integer(data, "max_rounds", file, low=0, high=200, default=8),  # type: ignore[arg-type]
        damping=_fraction(data.get("damping", 1.0), "damping", file, 0.05, 1.0),
        imitation_lag=_fraction(data.get("imitation_lag", 5.0), "imitation_lag", file, 1.0, 20.0),
        bounds=_bounds(data.get("bounds", {}), file),
        search=_search(data.get("search", {}), file),
        path=None if file is None else Path(file),
    )


def load_spec(path: Path | str) -> CompeteSpec:
    """Read and validate a spec file."""
    return parse_spec(load_toml(path), path)
