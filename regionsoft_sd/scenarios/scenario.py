"""Scenario files: what a user changes, validated once, at the boundary.

A scenario is a TOML file (see `scenarios/` and the README)::

    name = "culture_first"
    description = "Shift the budget toward culture (§4.1)."
    based_on = "baseline"            # optional: a file beside it, or a shipped scenario

    [policy.culture_share]           # a lever, short or full model name
    value = 0.17                     # the policy target ...
    start = 2027                     # ... from this year (the group's start year)
    ramp = 5                         # ... phased in over these years

    [policy.image_share]
    series = [[2025, 0.03], [2030, 0.10]]   # or an explicit path, linearly interpolated

    [parameters]                     # any model constant, by its model name
    "Capital depreciation rate" = 0.07

Names are matched like Vensim's (case, spaces and underscores ignored). Every
problem raises `InputError` naming the file, the key and the fix. The result is
a `Scenario` holding plain data: constants by canonical model name, and
time series (pandas Series indexed by year) that PySD interpolates.

Levers of one policy group share one start year and ramp time (the model has
one `<Group> policy progress` per group), so different timings within a group
are rejected. A lever given as a series takes effect from the first projection
year (`Catalogue.policy_start`, so history stays the same in every scenario):
its group's start is set to that year and its ramp to 0, so the series *is* the
policy path from then on. The shares of each split group (the budget split and
the programme split) must sum to 1 within SPLIT_TOLERANCE.

With `based_on`, timing a parent's series only implied is derived again for the
child (a child that gives the lever as a value gets the `.mdl`'s timing back);
a child's series that conflicts with a start/ramp the chain set explicitly for
the group is an error. Setting `Initial X` without `Policy X` anywhere in the
chain sets `Policy X` to the same value: the new status quo is carried forward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regionsoft_sd.common.errors import InputError, load_toml, unknown_name
from regionsoft_sd.common.fields import known_keys, number, text
from regionsoft_sd.model.catalogue import Catalogue, Entry, catalogue

SPLIT_GROUP = "Budget split"
SPLIT_GROUPS = (SPLIT_GROUP, "Programme split")
"""Lever groups whose shares split one amount of money, so they must sum to 1."""
SPLIT_TOLERANCE = 1e-6
"""Largest allowed |sum of the shares of a split group - 1| (absorbs decimal rounding)."""
MAX_CHAIN = 32
"""Longest `based_on` chain (files), so that inheritance can never exhaust the stack."""
MAX_NAME = 100
"""Longest scenario name: it becomes part of output file names (255 bytes at most)."""

_TOP_KEYS = ("name", "description", "based_on", "policy", "parameters")
_LEVER_KEYS = ("value", "series", "start", "ramp")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(eq=False)
class Scenario:
    """A validated scenario: constant overrides and time series, by model name.

    `constants` and `series` hold the full, inherited set of overrides; both
    keys are canonical `.mdl` names. `source` is the file it came from.
    """

    name: str
    description: str = ""
    constants: dict[str, float] = field(default_factory=dict)
    series: dict[str, pd.Series] = field(default_factory=dict)
    source: Path | None = None
    based_on: str | None = None
    implied: frozenset[str] = field(default_factory=frozenset, repr=False)
    """Constants no file set but the scenario derived (a series lever's group timing).

    A child scenario drops these from its parent and derives them again, so
    changing a lever's form (series <-> value) does not keep stale timing.
    """

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Read and validate a scenario file (following `based_on`)."""
        return _load(Path(path), chain=())

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | Path | None = None) -> Scenario:
        """Validate a scenario given as a dict (the parsed TOML).

        `source` names the file in messages and anchors a relative `based_on`
        (the current directory when None).
        """
        src = None if source is None else Path(source)
        return _build(data, src, chain=() if src is None else (src.resolve(),))

    def pysd_params(self) -> dict[str, float | pd.Series]:
        """Parameters for `pysd` `Model.run(params=...)`."""
        return {**self.constants, **self.series}

    def to_dict(self) -> dict[str, Any]:
        """The scenario, flattened (no `based_on`), in the file format."""
        params: dict[str, Any] = dict(self.constants)
        for k, s in self.series.items():
            params[k] = [[float(y), float(v)] for y, v in s.items()]
        return {"name": self.name, "description": self.description, "parameters": params}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return (
            (self.name, self.description, self.constants)
            == (other.name, other.description, other.constants)
            and self.series.keys() == other.series.keys()
            and all(self.series[k].equals(other.series[k]) for k in self.series)
        )


def _load(path: Path, chain: tuple[Path, ...]) -> Scenario:
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError) as exc:  # a symlink loop, a name too long
        raise InputError(
            path,
            None,
            "cannot resolve the path (a symlink loop or a name too long)",
            "fix the path",
        ) from exc
    if len(chain) >= MAX_CHAIN:
        raise InputError(
            chain[-1],
            "based_on",
            f"the based_on chain is longer than {MAX_CHAIN} files",
            "inherit from fewer files (flatten the chain)",
        )
    if resolved in chain:
        loop = " -> ".join(p.name for p in (*chain[chain.index(resolved) :], resolved))
        raise InputError(
            chain[-1], "based_on", f"inheritance cycle {loop}", "remove based_on from one of them"
        )
    return _build(load_toml(path), path, (*chain, resolved))


def _build(data: dict[str, Any], src: Path | None, chain: tuple[Path, ...]) -> Scenario:
    cat = catalogue()
    file = src if src is not None else "<scenario>"
    if not isinstance(data, dict):
        raise InputError(file, None, "a scenario must be a table of keys", "see scenarios/")
    known_keys(data, _TOP_KEYS, file, "top-level key", hint="see the README")
    name = text(data, "name", file, required=True)
    if not _NAME_RE.match(name):
        raise InputError(
            file, "name", f"{name!r} is not a simple name", "use letters, digits, '_', '-' or '.'"
        )
    if len(name) > MAX_NAME:
        raise InputError(
            file,
            "name",
            f"the name is {len(name)} characters long; output file names are built from it",
            f"use at most {MAX_NAME} characters",
        )
    description = text(data, "description", file, required=True)
    based_on = text(data, "based_on", file, required=False) or None

    consts: dict[str, float] = {}
    series: dict[str, pd.Series] = {}
    inherited: dict[str, str] = {}  # timing constant the parent chain set explicitly -> file
    if based_on:
        parent = _load(_parent_path(based_on, src, file), chain)
        consts = {k: v for k, v in parent.constants.items() if k not in parent.implied}
        series = dict(parent.series)
        origin = parent.source.name if parent.source is not None else based_on
        inherited = {p: origin for p in _timing_params(cat) if p in consts}

    own_c, own_s, timing, where = _parse_sections(data, file, cat)
    for k, v in own_c.items():
        series.pop(k, None)
        consts[k] = v
    for k, s in own_s.items():
        consts.pop(k, None)
        series[k] = s
    for p in timing:
        inherited.pop(p, None)
    _inherited_timing(consts, series, inherited, where, file, cat)
    derived = _time_series_levers(consts, series, timing, file, cat)
    derived |= _carry_initial_forward(consts, series, file, cat)
    implied = frozenset(derived - timing.keys() - inherited.keys())
    _check_split(consts, series, file, cat)
    return Scenario(name, description, consts, series, src, based_on, implied)


def _timing_params(cat: Catalogue) -> set[str]:
    return {p for e in cat.levers() for p in (e.start_param, e.ramp_param) if p is not None}


def _inherited_timing(
    consts: dict[str, float],
    series: dict[str, pd.Series],
    inherited: dict[str, str],
    where: dict[str, str],
    file: Any,
    cat: Catalogue,
) -> None:
    """Reconcile timing the parent chain set explicitly with this file's series levers.

    A series applies from the policy start with no ramp. If a lever of the group is
    still given as a value, the parent's start/ramp applies to it and conflicts:
    that is an error. If every lever of the group set in the chain is now a
    series, the parent's timing applies to nothing and is dropped.
    """
    t0 = cat.policy_start
    for group, levers in cat.lever_groups().items():
        in_series = [e for e in levers if e.name in series and e.name in where]
        if not group or not in_series:
            continue
        first = levers[0]
        for param, needed, what in (
            (first.start_param, t0, "start"),
            (first.ramp_param, 0.0, "ramp"),
        ):
            if param not in inherited or consts.get(param) == needed:
                continue
            values = [e for e in levers if e.name in consts]
            if values:
                e = in_series[0]
                raise InputError(
                    file,
                    where[e.name],
                    f"{e.name!r} is a series (from {t0:g}, no ramp), but {inherited[param]} "
                    f"gives group {group!r} {what} {consts[param]:g} for "
                    f"{len(values)} other lever(s) set as values",
                    "give the other levers of the group as series too, or give this one a value",
                )
            del inherited[param]


def _carry_initial_forward(
    consts: dict[str, float], series: dict[str, pd.Series], file: Any, cat: Catalogue
) -> set[str]:
    """Set `Policy X` to `Initial X` where only the latter is set (the status quo carried on).

    Otherwise the lever would ramp from the new initial value back to the
    `.mdl`'s policy target: a policy change nobody asked for. Returns the
    levers it set (derived, so a child that changes `Initial X` derives again).
    """
    done: set[str] = set()
    for e in cat.levers():
        initial = f"Initial {e.lever}"
        if initial not in cat or e.name in consts or e.name in series:
            continue
        initial = cat[initial].name
        if initial not in consts:
            continue
        v = consts[initial]
        if not e.in_range(v):
            raise InputError(
                file,
                initial,
                f"{v:g} carried forward as {e.name!r} is outside its range {e.range_text()}",
                f"also set {e.name!r} (policy.{e.lever.replace(' ', '_')})",
            )
        consts[e.name] = v
        done.add(e.name)
    return done


def _parent_path(based_on: str, src: Path | None, file: Any) -> Path:
    """The parent file: a name in the child's own folder (`.toml` optional), or else a
    shipped scenario or region of that name; never a path (`resources.resolve_file`)."""
    from regionsoft_sd.common.resources import resolve_file, shipped_bases

    folder = src.parent if src is not None else Path.cwd()
    return resolve_file(
        based_on, shipped_bases(), "scenario", file=file, key="based_on", folder=folder, paths=False
    )


def _parse_sections(
    data: dict[str, Any], file: Any, cat: Catalogue
) -> tuple[dict[str, float], dict[str, pd.Series], dict[str, tuple[str, float]], dict[str, str]]:
    """Parse [parameters] and [policy]; return constants, series, timing set here and keys.

    `timing` maps each timing constant set by a lever's start/ramp to (key, value),
    so that conflicts between levers of one group can name both keys; `where`
    maps each canonical name set here to the key that set it.
    """
    consts: dict[str, float] = {}
    series: dict[str, pd.Series] = {}
    where: dict[str, str] = {}  # canonical name -> key that set it

    def put(canon: str, value: float | pd.Series, key: str) -> None:
        if canon in where and where[canon] != key:
            raise InputError(
                file, key, f"{canon!r} is already set by {where[canon]}", "keep one of the two"
            )
        where[canon] = key
        (series if isinstance(value, pd.Series) else consts)[canon] = value

    timing: dict[str, tuple[str, float]] = {}
    timing_params = {p for e in cat.levers() for p in (e.start_param, e.ramp_param)}
    for name, value in _table(data, "parameters", file).items():
        key = f"parameters.{name}"
        canon = cat.resolve(name, file=file, key=key, kinds=("constant",))
        put(canon, _value(value, key, file, cat[canon], cat), key)
        if canon in timing_params and canon in consts:
            timing[canon] = (key, consts[canon])

    for lever, spec in _table(data, "policy", file).items():
        key = f"policy.{lever}"
        entry = _lever(lever, key, file, cat)
        spec = (
            spec
            if isinstance(spec, dict)
            else {"series" if isinstance(spec, list) else "value": spec}
        )
        known_keys(spec, _LEVER_KEYS, file, "lever key", prefix=f"{key}.")
        if ("value" in spec) == ("series" in spec):
            raise InputError(file, key, "needs exactly one of value or series", "give one of them")
        sub = "value" if "value" in spec else "series"
        raw = spec[sub]
        if sub == "series" and not isinstance(raw, list):
            raise InputError(
                file,
                f"{key}.series",
                f"expected [[year, value], ...], got {raw!r}",
                "write series = [[2025, 0.1], [2035, 0.2]]",
            )
        put(entry.name, _value(raw, f"{key}.{sub}", file, entry, cat), f"{key}.{sub}")
        for sub, param in (("start", entry.start_param), ("ramp", entry.ramp_param)):
            if sub not in spec:
                continue
            assert param is not None
            sub_key = f"{key}.{sub}"
            v = number(spec[sub], sub_key, file)
            if sub == "start":
                _check_year(v, sub_key, file, cat)
            _check_range(v, sub_key, file, cat[param])
            if param in timing and timing[param][1] != v:
                raise InputError(
                    file,
                    sub_key,
                    f"{sub} {v:g} differs from {timing[param][1]:g} set by "
                    f"{timing[param][0]} (levers of group {entry.group!r} share one {sub})",
                    f"use the same {sub} for both",
                )
            timing[param] = (sub_key, v)
            put(param, v, where.get(param, sub_key))
    return consts, series, timing, where


def _table(data: dict[str, Any], key: str, file: Any) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(file, key, f"expected a table, got {value!r}", f"write it as [{key}]")
    return value


def _lever(lever: str, key: str, file: Any, cat: Catalogue) -> Entry:
    for candidate in (f"Policy {lever}", lever):
        if candidate in cat and cat[candidate].is_lever:
            return cat[candidate]
    names = [e.lever or "" for e in cat.levers()]
    raise unknown_name(
        file, key, lever, names, "policy lever", "run `regionsoft params --search policy`"
    )


def _value(value: Any, key: str, file: Any, entry: Entry, cat: Catalogue) -> float | pd.Series:
    """A number, or a [[year, value], ...] list turned into a checked pandas Series."""
    if not isinstance(value, list):
        v = number(value, key, file)
        _check_range(v, key, file, entry)
        return v
    if len(value) < 2 or not all(isinstance(p, list) and len(p) == 2 for p in value):
        raise InputError(
            file,
            key,
            "a series must be a list of at least two [year, value] pairs",
            "write [[2025, 0.1], [2035, 0.2]] (for a constant, give a number)",
        )
    years = [number(p[0], f"{key}[{i}] year", file) for i, p in enumerate(value)]
    values = [number(p[1], f"{key}[{i}] value", file) for i, p in enumerate(value)]
    for i, y in enumerate(years):
        _check_year(y, f"{key}[{i}]", file, cat)
        if i and y <= years[i - 1]:
            raise InputError(
                file,
                f"{key}[{i}]",
                f"years must increase, but {y:g} follows {years[i - 1]:g}",
                "sort the points by year and remove repeated years",
            )
    for i, v in enumerate(values):
        _check_range(v, f"{key}[{i}]", file, entry)
    return pd.Series(values, index=pd.Index(years, dtype=float, name="time"), name=entry.name)


def _check_year(year: float, key: str, file: Any, cat: Catalogue) -> None:
    """A policy year (a start, a series point) must lie in the projection: from the
    policy start (`Catalogue.policy_start`) to the final time; no policy changes history."""
    t0, t1 = cat.policy_start, cat.horizon[1]
    if not t0 <= year <= t1:
        where = (
            f"the simulation horizon {t0:g}-{t1:g}"
            if t0 == cat.horizon[0]
            else f"the policy years {t0:g}-{t1:g} (history before {t0:g} is the same "
            "in every scenario)"
        )
        raise InputError(
            file,
            key,
            f"year {year:g} is outside {where}",
            f"use a year from {t0:g} to {t1:g}",
        )


def _check_range(value: float, key: str, file: Any, entry: Entry) -> None:
    if not entry.in_range(value):
        raise InputError(
            file,
            key,
            f"{value:g} is outside the model's range {entry.range_text()} "
            f"for {entry.name!r} ({entry.units})",
            f"use a value within {entry.range_text()}",
        )


def _time_series_levers(
    consts: dict[str, float],
    series: dict[str, pd.Series],
    timing: dict[str, tuple[str, float]],
    file: Any,
    cat: Catalogue,
) -> set[str]:
    """Make a lever given as a series take effect from the policy start, without a ramp.

    Returns the timing constants it set.
    """
    t0 = cat.policy_start
    done: set[str] = set()
    for name in series:
        entry = cat[name]
        if not entry.is_lever:
            continue
        for param, needed in ((entry.start_param, t0), (entry.ramp_param, 0.0)):
            assert param is not None
            if param in timing and timing[param][1] != needed:
                raise InputError(
                    file,
                    timing[param][0],
                    f"{name!r} is a series, which applies from {t0:g} "
                    f"with no ramp, so group {entry.group!r} cannot have its own start or ramp",
                    "remove start/ramp from that group, or give the lever as a value",
                )
            if param in series:
                raise InputError(
                    file, param, "a timing constant cannot be a series", "give a number"
                )
            consts[param] = needed
            done.add(param)
    return done


def _check_split(
    consts: dict[str, float], series: dict[str, pd.Series], file: Any, cat: Catalogue
) -> None:
    """The shares of every split group, policy and initial, must each sum to 1."""
    for group in SPLIT_GROUPS:
        levers = cat.lever_groups().get(group, [])
        if levers:
            _check_one_split(group, levers, consts, series, file, cat)


def _check_one_split(
    group: str,
    levers: list[Entry],
    consts: dict[str, float],
    series: dict[str, pd.Series],
    file: Any,
    cat: Catalogue,
) -> None:
    for prefix, names in (
        ("policy", [e.name for e in levers]),
        ("initial", [f"Initial {e.lever}" for e in levers]),
    ):
        names = [n for n in names if n in cat]
        if not names or (
            prefix == "initial" and not any(n in consts or n in series for n in names)
        ):
            continue
        years = sorted({float(y) for n in names if n in series for y in series[n].index}) or [
            cat.horizon[0]
        ]
        paths = {
            n: np.interp(years, series[n].index, series[n].to_numpy())
            if n in series
            else np.full(len(years), consts.get(n, cat[n].default or 0.0))
            for n in names
        }
        total = sum(paths.values())
        bad = np.flatnonzero(np.abs(total - 1.0) > SPLIT_TOLERANCE)
        if bad.size:
            i = int(bad[0])
            parts = " + ".join(f"{_share_label(n)} {paths[n][i]:.12g}" for n in names)
            when = f" in {years[i]:g}" if len(years) > 1 or any(n in series for n in names) else ""
            raise InputError(
                file,
                f"{prefix} {group.lower()}",
                f"the shares sum to {total[i]:.12g}{when}, not 1 (off by {total[i] - 1:+.3g}): "
                f"{parts}",
                f"change them so they sum to 1 (tolerance {SPLIT_TOLERANCE:g})",
            )


def _share_label(name: str) -> str:
    """`Policy culture share` / `Initial culture share` -> `culture` (short, for messages)."""
    short = name.split(" ", 1)[1] if name.split(" ", 1)[0] in ("Policy", "Initial") else name
    return short.removesuffix(" share")
