"""Parameter catalogue: every model element's name, units, range and documentation.

All of it is read from the `.mdl` through PySD's abstract model, never copied into
Python. On top of the raw facts the catalogue derives, from the equations:

- the *kind* of each element: constant, stock, auxiliary or simulation control;
- the policy *levers* (`Policy X`) and, for each, its policy *group* and the two
  timing constants of that group (`<Group> policy start year`, `... ramp time`),
  found by following the references `X = Initial X + (Policy X - Initial X) *
  <Group> policy progress` and `progress = RAMP(..., start year, ramp time)`;
- which stocks feed back into the model (the others, like cumulative spending,
  are accounting stocks).

`resolve()` maps a user-typed name to the canonical one, insensitive to case,
spaces and underscores (as Vensim is), or raises InputError with suggestions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from regionsoft_sd.common.errors import InputError, normalise, unknown_name
from regionsoft_sd.model.translate import MODEL_PATH, abstract_model

CONTROL_NAMES = ("INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER")  # Vensim's own
PROJECTION_START = "Projection start year"
"""The constant that marks the end of history, where models that run through history have it."""
_POLICY_PREFIX = "policy "


@dataclass(frozen=True)
class Entry:
    """One model element as the user sees it.

    `low`/`high` are the declared range (None = unbounded); `default` is the
    value in the `.mdl` for constants, None otherwise. For policy levers,
    `group`, `start_param` and `ramp_param` name the group and its timing
    constants; `lever` is the short lever name (`culture share`).
    """

    name: str
    kind: str  # "constant", "stock", "auxiliary", "lookup" or "control"
    units: str
    low: float | None
    high: float | None
    default: float | None
    documentation: str
    group: str | None = None
    start_param: str | None = None
    ramp_param: str | None = None
    feedback: bool = True

    @property
    def is_lever(self) -> bool:
        """A `Policy X` constant that a scenario changes over time."""
        return self.group is not None

    @property
    def lever(self) -> str | None:
        """Short lever name: `Policy culture share` -> `culture share`."""
        return self.name[len(_POLICY_PREFIX) :] if self.is_lever else None

    def range_text(self) -> str:
        """The declared range as text, e.g. `[0, 1]` or `[0, ?]`."""
        if self.low is None and self.high is None:
            return ""
        return f"[{_num(self.low)}, {_num(self.high)}]"

    def in_range(self, value: float) -> bool:
        """True if `value` lies inside the declared range (bounds included)."""
        lo_ok = self.low is None or value >= self.low
        hi_ok = self.high is None or value <= self.high
        return lo_ok and hi_ok


def _num(x: float | None) -> str:
    return "?" if x is None else f"{x:g}"


def _references(node: object) -> set[str]:
    """Python-safe names referenced anywhere in a PySD abstract-syntax tree."""
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple | list):
            stack.extend(n)
        elif dataclasses.is_dataclass(n) and not isinstance(n, type):
            ref = getattr(n, "reference", None)
            if isinstance(ref, str):
                found.add(normalise(ref))
            stack.extend(getattr(n, f.name) for f in dataclasses.fields(n))
    return found


class Catalogue:
    """All elements of one model, in model order, looked up by any spelling."""

    def __init__(self, entries: list[Entry]) -> None:
        self._entries = {e.name: e for e in entries}
        self._by_key = {normalise(e.name): e.name for e in entries}

    @classmethod
    def from_model(cls, mdl_path: Path | str = MODEL_PATH) -> Catalogue:
        """Build the catalogue from the `.mdl` via PySD's abstract model."""
        elements = [e for s in abstract_model(mdl_path).sections for e in s.elements]
        asts = {normalise(e.name): e.components[0].ast for e in elements}
        names = {normalise(e.name): e.name for e in elements}
        refs = {k: _references(a) for k, a in asts.items()}
        referenced = set().union(*refs.values())
        timing = _lever_timing(names, refs)
        entries = []
        for el in elements:
            key = normalise(el.name)
            ast = asts[key]
            kind = _kind(el.name, ast)
            low, high = el.limits if el.limits else (None, None)
            group, start, ramp = timing.get(key, (None, None, None))
            entries.append(
                Entry(
                    name=el.name,
                    kind=kind,
                    units=el.units or "",
                    low=low,
                    high=high,
                    default=float(ast) if kind in ("constant", "control") else None,
                    documentation=" ".join((el.documentation or "").split()),
                    group=group,
                    start_param=start,
                    ramp_param=ramp,
                    feedback=kind != "stock" or key in referenced,
                )
            )
        return cls(entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalise(name) in self._by_key

    def __getitem__(self, name: str) -> Entry:
        return self._entries[self._by_key[normalise(name)]]

    def resolve(
        self,
        name: str,
        *,
        file: str | Path | None = None,
        key: str | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> str:
        """Return the canonical model name for `name`, or raise InputError.

        With `kinds`, the name must also be of one of those kinds (e.g. only
        constants can be set by a scenario); the error then says what it is.
        """
        canon = self._by_key.get(normalise(name))
        if canon is None:
            pool = [e.name for e in self if kinds is None or e.kind in kinds]
            raise unknown_name(file, key, name, pool, "model parameter", "run `regionsoft params`")
        entry = self._entries[canon]
        if kinds is not None and entry.kind not in kinds:
            if entry.kind == "control":
                what, fix = "a simulation control setting", "leave it as the model file sets it"
            else:
                what = (
                    f"{'an' if entry.kind[0] in 'aeiou' else 'a'} {entry.kind} the model computes"
                )
                fix = "set one of the constants it depends on (see `regionsoft params`)"
            raise InputError(file, key, f"{canon!r} is {what}, not a parameter you can set", fix)
        return canon

    def constants(self) -> list[Entry]:
        """Constants a scenario may set (simulation controls excluded)."""
        return [e for e in self if e.kind == "constant"]

    def levers(self) -> list[Entry]:
        """Policy levers (`Policy X`), in model order."""
        return [e for e in self if e.is_lever]

    def lever_groups(self) -> dict[str, list[Entry]]:
        """Levers by policy group, e.g. `Budget split` -> its four share levers."""
        groups: dict[str, list[Entry]] = {}
        for e in self.levers():
            groups.setdefault(e.group or "", []).append(e)
        return groups

    def stocks(self, *, include_accounting: bool = False) -> list[Entry]:
        """Stocks (INTEG), without accounting stocks that feed nothing back."""
        return [e for e in self if e.kind == "stock" and (include_accounting or e.feedback)]

    def units(self) -> dict[str, str]:
        """Units of every element, by canonical name."""
        return {e.name: e.units for e in self}

    def control(self, name: str) -> float:
        """Value of a simulation control constant such as `INITIAL TIME`."""
        value = self[name].default
        assert value is not None
        return value

    @property
    def horizon(self) -> tuple[float, float]:
        """(INITIAL TIME, FINAL TIME) of the simulation."""
        return self.control("INITIAL TIME"), self.control("FINAL TIME")

    @property
    def policy_start(self) -> float:
        """First year a policy may change: the model's `Projection start year` if it has one
        (so history is the same in every scenario), else INITIAL TIME."""
        key = normalise(PROJECTION_START)
        if key in self._by_key:
            entry = self._entries[self._by_key[key]]
            if entry.default is not None:
                return float(entry.default)
        return self.horizon[0]

    def search(self, word: str) -> list[Entry]:
        """Entries whose name, units or documentation contain `word` (case-insensitive)."""
        w = normalise(word)
        return [e for e in self if w in normalise(f"{e.name} {e.units} {e.documentation}")]

    def to_frame(self, entries: list[Entry] | None = None) -> pd.DataFrame:
        """The catalogue (or `entries`) as a DataFrame indexed by name."""
        rows = [dataclasses.asdict(e) for e in (self if entries is None else entries)]
        return pd.DataFrame(rows).set_index("name")


def _kind(name: str, ast: object) -> str:
    if name in CONTROL_NAMES:
        return "control"
    if isinstance(ast, int | float):
        return "constant"
    kind = type(ast).__name__
    if kind == "LookupsStructure":
        return "lookup"  # a table the equations call, not a variable of the run
    return "stock" if kind == "IntegStructure" else "auxiliary"


def _lever_timing(
    names: dict[str, str], refs: dict[str, set[str]]
) -> dict[str, tuple[str, str, str]]:
    """Map each `Policy X` key to (group, start-year name, ramp-time name).

    Follows the equations: the effective variable references the lever and a
    `... policy progress` variable, which references the group's start year and
    ramp time.
    """
    out: dict[str, tuple[str, str, str]] = {}
    for used in refs.values():
        levers = [r for r in used if r.startswith(_POLICY_PREFIX) and r in names]
        progress = [r for r in used if r.endswith(" policy progress") and r in names]
        if len(levers) != 1 or len(progress) != 1:
            continue
        timing = refs[progress[0]]
        start = [r for r in timing if r.endswith("start year")]
        ramp = [r for r in timing if r.endswith("ramp time")]
        if len(start) == 1 and len(ramp) == 1:
            group = names[progress[0]][: -len(" policy progress")]
            out[levers[0]] = (group, names[start[0]], names[ramp[0]])
    return out


@lru_cache(maxsize=4)
def _catalogue_cached(path: str) -> Catalogue:
    return Catalogue.from_model(path)


def catalogue(mdl_path: Path | str = MODEL_PATH) -> Catalogue:
    """The (cached) catalogue of the shipped model; treat it as read-only."""
    return _catalogue_cached(str(Path(mdl_path).resolve()))
