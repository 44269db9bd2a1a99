"""Loop dominance: which feedback loops drive the model, year by year (Loops That Matter).

pysimlin's `Model.analyze()` enumerates every feedback loop of the model (about 13,000)
and scores each one's contribution to the behaviour at every saved time (the "Loops
That Matter" method of Schoenberg, Davidsen and Eberlein, 2020). This module groups the
loops into the named loops of `docs/model.md`, by the one link each named loop owns
(the link its switch cuts), and returns each family's share of the total absolute
loop score per year.

A scenario is analysed by writing its constants into a copy of the `.mdl` (pysimlin's
analysis runs a model's base configuration); time-series levers cannot be written that
way and are refused.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from regionsoft_sd.errors import InputError
from regionsoft_sd.model import MODEL_PATH

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.scenario import Scenario


@dataclass(frozen=True)
class LoopFamily:
    """A named loop (or family of loops sharing its defining link)."""

    code: str
    name: str
    polarity: str  # "R" or "B"
    article: str
    test: Callable[[frozenset[str], str], bool]


def _has(*names: str) -> Callable[[frozenset[str], str], bool]:
    return lambda v, _p: all(n in v for n in names)


def _any(*names: str) -> Callable[[frozenset[str], str], bool]:
    return lambda v, _p: any(n in v for n in names)


FAMILIES: tuple[LoopFamily, ...] = (
    LoopFamily(
        "R1",
        "soft power attracts people and capital",
        "R",
        "§1.1, §3.2 first point",
        lambda v, _p: (
            "dominant_soft_power_relative" in v
            and ("people_attractiveness" in v or "investment_attractiveness" in v)
        ),
    ),
    LoopFamily(
        "R3", "hard power carries soft power", "R", "§3.2 first point", _has("carrier_effect")
    ),
    LoopFamily("R4", "talent attracts talent", "R", "§4.3", _has("in_migrant_schooling")),
    LoopFamily("R6", "human quality drives innovation", "R", "§2", _has("technology_position")),
    LoopFamily("R8", "culture and image bring tourists", "R", "§1.1, §2", _has("tourism_appeal")),
    LoopFamily(
        "R7",
        "word of mouth",
        "R",
        "§3.2",
        lambda v, p: {"value_identity", "identity_adoption"} <= v and len(v) <= 3 and p == "R",
    ),
    LoopFamily(
        "B1",
        "identity balance point",
        "B",
        "Figure 1",
        lambda v, p: "identity_balance_point" in v or ("identity_adoption" in v and p == "B"),
    ),
    LoopFamily(
        "R5",
        "education pays for itself",
        "R",
        "§4.3, §4.5",
        _has("cohort_schooling", "gdp"),
    ),
    LoopFamily(
        "R2",
        "the economy funds the elements",
        "R",
        "§4.5",
        _any("tax_base", "government_budget"),
    ),
    LoopFamily(
        "B4",
        "migration meets congestion and a finite pool",
        "B",
        "§1.1, §4.3",
        _any("population_share_relative", "outside_talent_pool", "migration_pull"),
    ),
    LoopFamily(
        "B3",
        "capital earns less as it piles up",
        "B",
        "§4.5",
        _any("relative_return_on_capital", "capital_output_ratio"),
    ),
    LoopFamily(
        "B2",
        "depreciation, erosion, catch-up and goal-seeking",
        "B",
        "§2",
        lambda v, p: p == "B",
    ),
)
OTHER = "other"


def classify(variables: frozenset[str], polarity: str) -> str:
    """The code of the first family whose defining link the loop contains, else 'other'."""
    for fam in FAMILIES:
        if fam.test(variables, polarity):
            return fam.code
    return OTHER


def with_constants(text: str, constants: dict[str, float]) -> str:
    """The `.mdl` text with each named constant's equation replaced by its new value."""
    out = text
    for name, value in constants.items():
        pattern = re.compile(
            r"(^|\n)(" + re.escape(name) + r")\s*=\s*\n?\s*[-+0-9.eE]+\s*\n", re.IGNORECASE
        )
        out, n = pattern.subn(lambda m, v=value: f"{m.group(1)}{m.group(2)}=\n\t{v!r}\n", out, 1)
        if n != 1:
            raise InputError(None, name, "not a constant of the model", "set only constants")
    return out


def scenario_model(scenario: Scenario | None, mdl_path: Path | str = MODEL_PATH) -> Path:
    """A temporary copy of the `.mdl` holding the scenario's constants."""
    text = Path(mdl_path).read_text(encoding="utf-8")
    if scenario is not None:
        if scenario.series:
            raise InputError(
                scenario.source,
                ", ".join(scenario.series),
                "loop analysis cannot take time-series levers",
                "give those levers as values with start and ramp",
            )
        text = with_constants(text, scenario.constants)
    tmp = Path(tempfile.mkdtemp(prefix="regionsoft-loops-")) / Path(mdl_path).name
    tmp.write_text(text, encoding="utf-8")
    return tmp


def loop_dominance(
    scenario: Scenario | None = None,
    *,
    mdl_path: Path | str = MODEL_PATH,
    timeout: float = 120.0,
) -> pd.DataFrame:
    """Share of the total absolute loop score held by each named loop, per saved year.

    Rows: saved times; columns: family codes (and 'other'); rows sum to 1 where any loop
    is active. `attrs` holds the analysis's completeness (`enumeration_complete`,
    `universe_loops`, `retained_loops`) and the family names.
    """
    import simlin

    path = scenario_model(scenario, mdl_path)
    model = simlin.load(str(path))
    analysis = model.analyze(timeout=timeout)
    if analysis.analysis_error:
        raise RuntimeError(f"loop analysis failed: {analysis.analysis_error}")
    times = model.run(analyze_loops=False).results.index.to_numpy(dtype=float)
    codes = [f.code for f in FAMILIES] + [OTHER]
    scores = pd.DataFrame(0.0, index=pd.Index(times, name="time"), columns=codes)
    for loop in analysis.loops:
        series = np.abs(np.nan_to_num(np.asarray(loop.behavior_time_series, dtype=float)))
        code = classify(frozenset(loop.variables), str(loop.polarity))
        scores[code] += series[: len(times)]
    total = scores.sum(axis=1).replace(0.0, np.nan)
    shares = scores.div(total, axis=0).fillna(0.0)
    shares.attrs.update(
        enumeration_complete=bool(analysis.enumeration_complete),
        universe_loops=analysis.universe_loops,
        retained_loops=analysis.retained_loops,
        names={f.code: f.name for f in FAMILIES} | {OTHER: "other loops"},
    )
    return shares
