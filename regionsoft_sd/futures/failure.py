"""Failures: when a strategy counts as failing in a future, read from a spec table.

A failure is either losing to another strategy on a metric (by more than a
margin), or a metric on the wrong side of a threshold; `prim` holds PRIM's
settings and `sobol` the base samples for the Sobol indices of the difference.
A discovery spec's top level and an optimisation spec's `[discover]` table
share these keys; there, `against = "runner-up"` (`RUNNER_UP`) means the best
compared strategy in the re-evaluation. Shared by `discover` and by optimise's
discovery step, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regionsoft_sd.common.errors import InputError, unknown_name
from regionsoft_sd.common.fields import integer, known_keys, number, scenario_path
from regionsoft_sd.futures.prim import OBJECTIVES
from regionsoft_sd.futures.ties import DECISION_RTOL
from regionsoft_sd.model.metrics import METRIC_NAMES, METRICS
from regionsoft_sd.runs.types import Strategy
from regionsoft_sd.scenarios.scenario import Scenario

RUNNER_UP = "runner-up"
FAILURE_KEYS = ("against", "metric", "margin", "tie", "below", "above", "sobol", "prim")
_PRIM_KEYS = ("threshold", "peel_alpha", "paste_alpha", "mass_min")


@dataclass(frozen=True)
class PrimSettings:
    """PRIM's parameters (see `prim.prim`)."""

    threshold: float = 0.8
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05
    objective: str = "lenient1"


@dataclass(frozen=True)
class Failure:
    """When a strategy fails: it loses to `against`, or `metric` crosses `below`/`above`.

    `against` is a `Strategy`, `RUNNER_UP` (optimisation specs only), or None
    (then `below` or `above` is set). `better` is the metric's direction.
    `tie`: the relative difference that is still a tie, on top of `margin`
    (`ties.decision_tolerance`). A spec that does not set it gets
    `ties.DECISION_RTOL` (0.1 %); built directly, a `Failure` ties only
    rounding differences (0), so that code asking for an exact comparison
    gets one.
    """

    metric: str
    better: str
    against: Strategy | str | None = None
    margin: float = 0.0
    below: float | None = None
    above: float | None = None
    sobol: int = 0
    prim: PrimSettings = PrimSettings()
    tie: float = 0.0

    def describe(self, strategy: str, against: str | None = None) -> str:
        """The failure in words, e.g. `balanced does worse than education_first on ...`."""
        if self.below is not None:
            return f"{strategy}'s {self.metric} is below {self.below:g}"
        if self.above is not None:
            return f"{strategy}'s {self.metric} is above {self.above:g}"
        other = against or (self.against.name if isinstance(self.against, Strategy) else "")
        tie = f"{self.tie * 100:g} %"
        if self.margin and self.tie:
            by = f" by more than {self.margin:g} plus {tie} of the outcome"
        elif self.margin or self.tie:
            by = f" by more than {f'{self.margin:g}' if self.margin else tie}"
        else:
            by = ""
        return f"{strategy} does worse than {other} on {self.metric}{by}"


def parse_failure(
    raw: Any,
    key: str,
    file: Any,
    folder: Path,
    *,
    default_metric: str | None = None,
    allow_runner_up: bool = True,
) -> Failure:
    """Validate the failure keys of `raw` (a table); `key` prefixes error keys."""
    if not isinstance(raw, dict):
        raise InputError(file, key or None, f"expected a table, got {raw!r}", f"write [{key}]")

    def k(name: str) -> str:
        return f"{key}.{name}" if key else name

    if key:
        known_keys(raw, FAILURE_KEYS, file, "key", prefix=k(""))
    metric = raw.get("metric", default_metric)
    if not isinstance(metric, str) or metric not in METRIC_NAMES:
        raise unknown_name(
            file, k("metric"), str(metric), METRIC_NAMES, "metric", "use a metric name"
        )
    better = next(m.better for m in METRICS if m.name == metric) or "higher"
    below = number(raw["below"], k("below"), file) if "below" in raw else None
    above = number(raw["above"], k("above"), file) if "above" in raw else None
    against: Strategy | str | None = None
    if "against" in raw:
        a = raw["against"]
        if allow_runner_up and a == RUNNER_UP:
            against = RUNNER_UP
        else:
            also = f', or "{RUNNER_UP}"' if allow_runner_up else ""
            path = scenario_path(a, k("against"), file, folder, also=also)
            sc = Scenario.from_file(path)
            against = Strategy(sc.name, sc, path)
    elif below is None and above is None:
        against = RUNNER_UP if allow_runner_up else None
    given = sum(x is not None for x in (against, below, above))
    if given != 1:
        raise InputError(
            file,
            key or None,
            "give exactly one failure condition: against, below or above",
            "keep one of them",
        )
    margin = number(raw.get("margin", 0.0), k("margin"), file)
    if margin < 0:
        raise InputError(file, k("margin"), f"{margin:g} is negative", "use margin >= 0")
    tie = number(raw.get("tie", DECISION_RTOL), k("tie"), file)
    if not 0 <= tie < 0.1:
        raise InputError(file, k("tie"), f"{tie:g} is not in [0, 0.1)", "use e.g. 0.001 (0.1 %)")
    sobol = integer(raw, "sobol", file, low=0, default=0, prefix=k("")) or 0
    if sobol and sobol & (sobol - 1):
        raise InputError(file, k("sobol"), f"{sobol} is not a power of 2", "use e.g. 256")
    prim_settings = _prim(raw, k, file)
    return Failure(metric, better, against, margin, below, above, sobol, prim_settings, tie)


def _prim(raw: dict, k, file: Any) -> PrimSettings:
    table = raw.get("prim", {})
    if not isinstance(table, dict):
        raise InputError(file, k("prim"), f"expected a table, got {table!r}", "write [prim]")
    known_keys(table, (*_PRIM_KEYS, "objective"), file, "PRIM setting", prefix=k("prim."))
    d = PrimSettings()
    obj = table.get("objective", d.objective)
    if obj not in OBJECTIVES:
        raise InputError(
            file,
            k("prim.objective"),
            f"unknown objective {obj!r}",
            "use " + " or ".join(OBJECTIVES),
        )
    vals = {n: number(table.get(n, getattr(d, n)), k(f"prim.{n}"), file) for n in _PRIM_KEYS}
    if not 0 < vals["threshold"] <= 1:
        raise InputError(file, k("prim.threshold"), "must lie in (0, 1]", "use e.g. 0.8")
    for n in ("peel_alpha", "paste_alpha", "mass_min"):
        if not 0 < vals[n] < 0.5:
            raise InputError(file, k(f"prim.{n}"), f"{vals[n]:g} is not in (0, 0.5)", "use 0.05")
    return PrimSettings(**vals, objective=obj)
