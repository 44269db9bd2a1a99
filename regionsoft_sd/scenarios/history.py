"""The history guard, structural part: which of a scenario's values change 2005-2023.

Every scenario is meant to share its region's history (the calibrated years before
`Catalogue.policy_start`, 2024): policies act only from their group's start year.
A scenario can still break that, through `[parameters]`: a behavioural constant
(`"Capital depreciation rate" = 0.08`), a status-quo value (`Initial X`), or a
policy group's start year moved before 2024. `history_changes` names each value the
scenario sets that differs from its *reference* and that the history depends on by
the model's structure:

- a constant that is neither a policy lever nor a group's ramp time;
- a lever, or a group's start year, whose group starts before the first
  projection year (or a series lever with a year before it);
- the projection start year itself.

The reference is the region the scenario stands on: the calibrated region at the
root of its `based_on` chain (a shipped region, or a file `regionsoft calibrate`
wrote), whose own values are its history; else a shipped region all of whose
values the scenario holds (a flattened strategy the explorer wrote for it);
otherwise the `.mdl`'s values. The
measured check (a 2005-2023 run against the reference on the batch engine) sits
above the engine, in `regionsoft_sd.simulate.history_check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from regionsoft_sd.model.catalogue import PROJECTION_START, Catalogue, Entry, catalogue
from regionsoft_sd.scenarios.scenario import Scenario

CALIBRATED_MARK = "Written by `regionsoft calibrate`"
"""Header line of a region file that `regionsoft calibrate` wrote (its history is its own)."""
RELATIVE = 1e-9
"""Values closer than this (relative) to the reference's count as unchanged."""

__all__ = ["HistoryChange", "history_changes", "history_message", "history_reference"]


@dataclass(frozen=True)
class HistoryChange:
    """One value of a scenario that changes its region's history, and why."""

    name: str
    value: float | str  # a number, or "a series" for a time series
    reference: float | None
    why: str

    def describe(self) -> str:
        """`'Capital depreciation rate' = 0.08 (was 0.096; not a policy lever)`."""
        ref = "" if self.reference is None else f"was {self.reference:g}; "
        value = self.value if isinstance(self.value, str) else f"{self.value:g}"
        return f"{self.name!r} = {value} ({ref}{self.why})"


def _is_region(path: Path | None) -> bool:
    """True for a shipped region file or one `regionsoft calibrate` wrote."""
    if path is None:
        return False
    from regionsoft_sd.common.resources import shipped_regions

    try:
        if path.resolve() in {p.resolve() for p in shipped_regions().values()}:
            return True
        with path.open(encoding="utf-8", errors="replace") as f:
            return CALIBRATED_MARK in f.read(2000)
    except OSError:
        return False


def history_reference(scenario: Scenario) -> Scenario | None:
    """The calibrated region at the root of `scenario`'s `based_on` chain, or None.

    None means the `.mdl`'s own region (Sichuan in model version 2). A scenario that
    is itself a region is its own reference.
    """
    from regionsoft_sd.scenarios.scenario import _parent_path

    current = scenario
    for _ in range(64):  # the reader already bounds chains; this only guards a loop
        if _is_region(current.source):
            return current
        if not current.based_on or current.source is None:
            break
        current = Scenario.from_file(_parent_path(current.based_on, current.source, None))
    return _flattened_region(scenario)


def _flattened_region(scenario: Scenario) -> Scenario | None:
    """The shipped region whose every value `scenario` holds (a strategy the explorer or
    an experiment wrote for that region, flattened, without `based_on`), or None."""
    from regionsoft_sd.common.resources import shipped_regions

    for path in shipped_regions().values():
        region = Scenario.from_file(path)
        held = scenario.constants
        if region.constants and all(
            k in held and not _differs(float(held[k]), float(v))
            for k, v in region.constants.items()
        ):
            return region
    return None


def _entry(cat: Catalogue, name: str) -> Entry | None:
    """The catalogue entry of `name`, or None (the catalogue has no `get`)."""
    return cat[name] if name in cat else None  # noqa: SIM401


def _differs(value: float, ref: float | None) -> bool:
    if ref is None:
        return True
    return abs(value - ref) > RELATIVE * max(1.0, abs(ref))


def history_changes(scenario: Scenario, cat: Catalogue | None = None) -> list[HistoryChange]:
    """The values `scenario` sets that change its region's 2005-2023, by the model's structure.

    Empty for every shipped strategy. Order: as the scenario holds them.
    """
    cat = cat or catalogue()
    first = cat.policy_start
    ref = history_reference(scenario)
    ref_values = {} if ref is None else ref.constants
    starts: dict[str, str] = {}  # group start-year constant -> group
    ramps: set[str] = set()
    for group, levers in cat.lever_groups().items():
        for e in levers:
            if e.start_param:
                starts[e.start_param] = group
            if e.ramp_param:
                ramps.add(e.ramp_param)

    def start_of(entry_start: str | None) -> float | None:
        if entry_start is None:
            return None
        v = scenario.constants.get(entry_start, cat[entry_start].default)
        return None if v is None else float(v)

    out: list[HistoryChange] = []
    for name, value in scenario.constants.items():
        if ref is not None and name in ref.series:
            continue  # compared as a series below
        entry = _entry(cat, name)
        reference = ref_values.get(name, None if entry is None else entry.default)
        if not _differs(float(value), reference):
            continue
        if entry is not None and entry.is_lever:
            start = start_of(entry.start_param)
            if start is not None and start < first:
                why = f"its group {entry.group!r} starts in {start:g}, before {first:g}"
                out.append(HistoryChange(name, float(value), reference, why))
        elif name in starts:
            if float(value) < first:
                why = f"the {starts[name]!r} policies would start before {first:g}"
                out.append(HistoryChange(name, float(value), reference, why))
        elif name in ramps:
            continue
        elif name == PROJECTION_START or (entry is not None and entry.kind == "control"):
            out.append(HistoryChange(name, float(value), reference, "it moves the history's end"))
        else:
            out.append(HistoryChange(name, float(value), reference, "not a policy lever"))
    for name, series in scenario.series.items():
        if ref is not None and name in ref.series and ref.series[name].equals(series):
            continue
        entry = _entry(cat, name)
        early = pd.Index(series.index).min() < first
        if entry is not None and entry.is_lever and not early:
            continue
        why = (
            "not a policy lever"
            if entry is None or not entry.is_lever
            else (f"its series starts before {first:g}")
        )
        out.append(HistoryChange(name, "a series", None, why))
    return out


def history_message(label: str, changes: list[HistoryChange], limit: int = 3) -> str:
    """One line: which values of scenario `label` change 2005-2023, and the fix."""
    shown = "; ".join(c.describe() for c in changes[:limit])
    more = f"; and {len(changes) - limit} more" if len(changes) > limit else ""
    s = "" if len(changes) == 1 else "s"
    return (
        f"{label}: changes history (the years before the projection) through {len(changes)} "
        f"value{s}: {shown}{more}. Its results are not comparable with the other "
        "scenarios'; to change a policy, set a lever under [policy] (`regionsoft params`)"
    )
