"""The `[decisions]` table of an optimisation spec: which levers to set, and within what.

Each key names a share group or one lever, spelt as in scenario files::

    [decisions.budget_split]            # a share group: its levers sum to 1 (also
                                        # programme_split, the programme's shares)
    education_share = [0.2, 0.8]        # optional bounds of a share (default: its range)
    start = 2027                        # the group's start year: fixed ...
    ramp = [0, 10]                      # ... or decided within [low, high]

    [decisions.tax_share]               # one lever, decided within `range`
    range = [0.05, 0.15]                # default: the range the model declares
    start = [2024, 2035]

Groups, levers and their timing constants come from the model's catalogue; the
share groups are the groups whose levers must sum to 1 (`share_groups`). Every
problem is an InputError naming the key: bounds outside the model's range,
shares whose bounds cannot sum to 1, a share decided alone, timing set twice.
"""

from __future__ import annotations

from typing import Any

from regionsoft_sd.common.errors import InputError, normalise, unknown_name
from regionsoft_sd.common.fields import known_keys, number
from regionsoft_sd.model.catalogue import Catalogue, Entry
from regionsoft_sd.optimise.decisions import Scalar, Simplex, Space
from regionsoft_sd.optimise.simplex import feasible
from regionsoft_sd.scenarios.scenario import SPLIT_GROUPS

_TIMING = ("start", "ramp")


def share_groups(cat: Catalogue) -> dict[str, list[Entry]]:
    """Lever groups whose levers are shares that must sum to 1 (`scenario.SPLIT_GROUPS`:
    the budget split and the programme split), as the model declares them."""
    return {g: ls for g, ls in cat.lever_groups().items() if g in SPLIT_GROUPS and len(ls) > 1}


def parse_decisions(data: dict[str, Any], file: Any, cat: Catalogue) -> Space:
    """Validate `[decisions]` into a `Space`; raise InputError on any problem."""
    table = data.get("decisions")
    if not isinstance(table, dict) or not table:
        raise InputError(
            file,
            "decisions",
            "no decisions to optimise",
            "add [decisions.programme_split] (shares) or [decisions.<lever>] with range = "
            "[low, high]",
        )
    shares = share_groups(cat)
    groups = {normalise(g): g for g in shares}
    levers = {normalise(e.lever or ""): e for e in cat.levers()}
    levers.update({normalise(e.name): e for e in cat.levers()})
    simplexes: list[Simplex] = []
    scalars: list[Scalar] = []
    fixed: dict[str, float] = {}
    timing_keys: dict[str, str] = {}
    seen: dict[str, str] = {}  # model name of a group or lever -> the key that decided it
    for raw, body in table.items():
        key = f"decisions.{raw}"
        if not isinstance(body, dict):
            raise InputError(file, key, f"expected a table, got {body!r}", f"write [{key}]")
        name = normalise(raw)
        decided = groups.get(name) or (levers[name].name if name in levers else None)
        if decided is not None and decided in seen:
            raise InputError(
                file,
                key,
                f"{decided!r} is decided twice, here and by {seen[decided]} (spelt differently)",
                "keep one of the two tables",
            )
        if decided is not None:
            seen[decided] = key
        if name in groups:
            group = groups[name]
            simplexes.append(_simplex(group, shares[group], body, key, file))
            first = shares[group][0]
        elif name in levers:
            entry = levers[name]
            if entry.group in shares:
                raise InputError(
                    file,
                    key,
                    f"{entry.name!r} is a share of {entry.group!r}; its shares sum to 1, "
                    "so one cannot be decided alone",
                    f"decide the group: [decisions.{entry.group.lower().replace(' ', '_')}]",
                )
            scalars.append(_scalar(entry, body.get("range"), f"{key}.range", file))
            known_keys(body, ("range", *_TIMING), file, "key", prefix=f"{key}.")
            first = entry
        else:
            pool = [*shares, *(e.lever or "" for e in cat.levers())]
            raise unknown_name(
                file, key, raw, pool, "lever or share group", "run `regionsoft params`"
            )
        for role, param in (("start", first.start_param), ("ramp", first.ramp_param)):
            if role not in body or param is None:
                continue
            if param in timing_keys:
                raise InputError(
                    file,
                    f"{key}.{role}",
                    f"{param!r} is already set by {timing_keys[param]} (one {role} per group)",
                    "set it once",
                )
            timing_keys[param] = f"{key}.{role}"
            value = body[role]
            if isinstance(value, list):
                s = _scalar(cat[param], value, f"{key}.{role}", file)
                scalars.append(Scalar(s.name, s.low, s.high, role, first.group or ""))
            else:
                v = number(value, f"{key}.{role}", file)
                _in_range(cat[param], v, f"{key}.{role}", file)
                fixed[param] = v
    return Space(tuple(simplexes), tuple(scalars), fixed)


def _simplex(group: str, members: list[Entry], body: dict, key: str, file: Any) -> Simplex:
    by_name = {normalise(e.lever or ""): e for e in members}
    by_name.update({normalise(e.name): e for e in members})
    bounds = {e.name: (e.low or 0.0, 1.0 if e.high is None else e.high) for e in members}
    given: dict[str, str] = {}  # model name of a share -> the key that bounded it
    for k, v in body.items():
        if k in _TIMING:
            continue
        entry = by_name.get(normalise(k))
        if entry is None:
            pool = [e.lever or e.name for e in members] + list(_TIMING)
            raise unknown_name(file, f"{key}.{k}", k, pool, f"share of {group!r}")
        if entry.name in given:
            raise InputError(
                file,
                f"{key}.{k}",
                f"{entry.name!r} is bounded twice, here and by {given[entry.name]} "
                "(spelt differently)",
                "keep one of the two lines",
            )
        given[entry.name] = f"{key}.{k}"
        s = _scalar(entry, v, f"{key}.{k}", file)
        bounds[entry.name] = (s.low, s.high)
    low = tuple(bounds[e.name][0] for e in members)
    high = tuple(bounds[e.name][1] for e in members)
    if not feasible(low, high):
        text = ", ".join(
            f"{e.lever} [{lo:g}, {hi:g}]" for e, lo, hi in zip(members, low, high, strict=True)
        )
        raise InputError(
            file,
            key,
            f"the shares cannot sum to 1 within their bounds ({text}: lows sum to "
            f"{sum(low):.4g}, highs to {sum(high):.4g})",
            "widen the bounds so that the lows sum to at most 1 and the highs to at least 1",
        )
    return Simplex(group, tuple(e.name for e in members), low, high)


def _scalar(entry: Entry, raw: Any, key: str, file: Any) -> Scalar:
    """A decided constant within [low, high] (default: its declared range)."""
    if raw is None:
        if entry.low is None or entry.high is None:
            raise InputError(file, key, f"{entry.name!r} has no declared range", "give [low, high]")
        return Scalar(entry.name, float(entry.low), float(entry.high), "lever", entry.group or "")
    if not isinstance(raw, list) or len(raw) != 2:
        raise InputError(file, key, f"expected [low, high], got {raw!r}", "write [0.1, 0.3]")
    low, high = (number(v, key, file) for v in raw)
    for v in (low, high):
        _in_range(entry, v, key, file)
    if low > high:
        raise InputError(file, key, f"low {low:g} is above high {high:g}", "swap them")
    return Scalar(entry.name, low, high, "lever", entry.group or "")


def _in_range(entry: Entry, v: float, key: str, file: Any) -> None:
    if not entry.in_range(v):
        raise InputError(
            file,
            key,
            f"{v:g} is outside {entry.name!r}'s range {entry.range_text()} {entry.units}".rstrip(),
            f"use values within {entry.range_text()}",
        )
