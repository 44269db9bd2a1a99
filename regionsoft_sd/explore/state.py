"""What the explorer's controls hold, as plain data: `Settings`, and the rules that move it.

No web framework here: everything the page can do to its settings (move a share of a
split, pick a region or a strategy, save, load) is a function of this module, so it
is tested without a browser.

- A **region** is the model's own values (the default region) or a region scenario
  file shipped under `scenarios/regions/`: its parameters are the base of every run.
- `Settings` holds every policy lever's value and each lever group's start year and
  ramp time (groups from the catalogue), the region, and any further model
  parameters a loaded file set (`extra`).
- `scenario(settings)` turns them into a validated `Scenario`; `settings_text`
  writes them as a self-contained scenario TOML that `regionsoft run` accepts; and
  `from_scenario` reads such a file back into the same settings (same settings,
  same scenario, same picture).
- `move_share` keeps the shares of a split group (`scenario.SPLIT_GROUPS`) on the
  simplex: the others shrink or grow in proportion as one moves.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import Catalogue, Entry, catalogue
from regionsoft_sd.scenarios.scenario import SPLIT_GROUPS, Scenario

DEFAULT_REGION = "default"
"""Name of the region whose parameters are the model's own (the `.mdl`'s values)."""
REGIONS_FOLDER = "regions"
"""Folder under the shipped scenarios that holds region scenario files."""
DEFAULT_NAME = "my_strategy"
SHARE_DECIMALS = 6
"""Shares of a split are kept to this many decimals, so a saved file reads cleanly."""

SeriesPoints = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Region:
    """A region the explorer can run: its name, a label for the picker, and its scenario.

    `scenario` is None for the default region (the model's own values).
    """

    name: str
    label: str
    scenario: Scenario | None = None

    def parameters(self) -> tuple[dict[str, float], dict[str, SeriesPoints]]:
        """The region's constants and series other than policy levers and their timing."""
        if self.scenario is None:
            return {}, {}
        policy = policy_names()
        consts = {k: v for k, v in self.scenario.constants.items() if k not in policy}
        series = {k: _points(s) for k, s in self.scenario.series.items() if k not in policy}
        return consts, series


@dataclass(frozen=True)
class Settings:
    """Everything the controls set: one value per lever, (start, ramp) per lever group.

    `levers` maps every lever's model name to its value; `timing` maps every lever
    group to its (start year, ramp time). `extra` and `extra_series` are further
    model parameters a loaded file set beyond its region's.
    """

    region: str
    levers: Mapping[str, float]
    timing: Mapping[str, tuple[float, float]]
    name: str = DEFAULT_NAME
    description: str = ""
    extra: Mapping[str, float] = field(default_factory=dict)
    extra_series: Mapping[str, SeriesPoints] = field(default_factory=dict)

    def with_lever(self, lever: str, value: float) -> Settings:
        """These settings with one lever moved (a share of a split moves the others too)."""
        entry = catalogue()[lever]
        group = entry.group or ""
        if group in SPLIT_GROUPS:
            names = [e.name for e in catalogue().lever_groups()[group]]
            moved = move_share({n: self.levers[n] for n in names}, entry.name, value)
            return replace(self, levers={**self.levers, **moved})
        return replace(self, levers={**self.levers, entry.name: float(value)})

    def with_timing(self, group: str, start: float | None = None, ramp: float | None = None):
        """These settings with a group's start year and/or ramp time changed."""
        old = self.timing[group]
        new = (old[0] if start is None else float(start), old[1] if ramp is None else float(ramp))
        return replace(self, timing={**self.timing, group: new})


# ---------------------------------------------------------------------------
# The catalogue's view: levers, groups, timing constants


def lever_groups(cat: Catalogue | None = None) -> dict[str, list[Entry]]:
    """Policy levers by group, in model order (from the catalogue)."""
    return (cat or catalogue()).lever_groups()


def timing_params(cat: Catalogue | None = None) -> dict[str, tuple[str, str]]:
    """Each group's (start year constant, ramp time constant)."""
    out = {}
    for group, levers in lever_groups(cat).items():
        first = levers[0]
        assert first.start_param is not None and first.ramp_param is not None
        out[group] = (first.start_param, first.ramp_param)
    return out


def policy_names(cat: Catalogue | None = None) -> frozenset[str]:
    """Model names of every lever and every timing constant."""
    cat = cat or catalogue()
    names = {e.name for e in cat.levers()}
    for start, ramp in timing_params(cat).values():
        names |= {start, ramp}
    return frozenset(names)


def _default(name: str) -> float:
    value = catalogue()[name].default
    assert value is not None
    return float(value)


# ---------------------------------------------------------------------------
# The simplex


def move_share(shares: Mapping[str, float], lever: str, value: float) -> dict[str, float]:
    """Set one share of a split to `value`; scale the others so that all sum to 1.

    The others keep their proportions to each other; if they were all 0, they share
    what is left equally. Every share stays in [0, 1]; the moved share keeps its value
    (clipped to [0, 1]) and the others are rounded to SHARE_DECIMALS places, with the
    rounding remainder on the largest of them, so the sum is 1 as a decimal.
    """
    if lever not in shares:
        raise KeyError(lever)
    if not math.isfinite(value):
        raise ValueError(f"a share must be a number, got {value!r}")
    scale = 10**SHARE_DECIMALS
    v = min(max(round(float(value) * scale), 0), scale)
    others = [k for k in shares if k != lever]
    if not others:
        return {lever: 1.0}
    left = scale - v
    rest = sum(max(float(shares[k]), 0.0) for k in others)
    if rest > 0:
        units = {k: round(max(float(shares[k]), 0.0) / rest * left) for k in others}
    else:
        units = {k: left // len(others) for k in others}
    largest = max(others, key=lambda k: (units[k], -others.index(k)))
    units[largest] += left - sum(units.values())
    out = {k: (v if k == lever else units[k]) / scale for k in shares}
    return out


# ---------------------------------------------------------------------------
# Regions


def regions_dir() -> Path:
    """Folder of the shipped region scenario files (may not exist)."""
    from regionsoft_sd.common.resources import scenarios_dir

    return scenarios_dir() / REGIONS_FOLDER


def default_region_label() -> str:
    """The picker's label of the default region."""
    return "Sichuan (the model's own values)"


def find_regions(folder: Path | None = None) -> tuple[dict[str, Region], list[str]]:
    """The default region, then every valid region file in `folder` (default: the shipped).

    Returns the regions by name and a note for each file that could not be read.
    """
    found = {DEFAULT_REGION: Region(DEFAULT_REGION, default_region_label())}
    notes: list[str] = []
    folder = regions_dir() if folder is None else folder
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            s = Scenario.from_file(path)
        except InputError as exc:
            notes.append(f"region file skipped: {exc}")
            continue
        if path.stem in found:
            notes.append(f"region file {path.name} skipped: the name {path.stem!r} is taken")
            continue
        label = path.stem.replace("_", " ").title()
        found[path.stem] = Region(path.stem, label, s)
    return found, notes


def region_file(path: str | Path) -> Region:
    """A region given as a scenario file (e.g. one a calibration wrote)."""
    s = Scenario.from_file(path)
    return Region(Path(path).stem, Path(path).stem, s)


# ---------------------------------------------------------------------------
# Settings <-> scenario


def default_settings(region: Region, name: str = DEFAULT_NAME) -> Settings:
    """The region's status quo: each lever at the region's value (else the model's)."""
    consts = region.scenario.constants if region.scenario is not None else {}
    levers = {e.name: float(consts.get(e.name, _default(e.name))) for e in catalogue().levers()}
    timing = {
        g: (float(consts.get(s, _default(s))), float(consts.get(r, _default(r))))
        for g, (s, r) in timing_params().items()
    }
    return Settings(region.name, levers, timing, name=name, description=_made_in(region))


def apply_strategy(
    strategy: Scenario, region: Region, name: str | None = None
) -> tuple[Settings, list[str]]:
    """A strategy's policy (levers, start years, ramps) on top of a region's status quo.

    Levers and timing the strategy does not set keep the region's values. The
    strategy's other model parameters are not applied (the region's stand); a note
    says so. A lever given as a time series cannot be shown by a slider: InputError.
    """
    _refuse_series_levers(strategy)
    base = default_settings(region, name or strategy.name)
    levers = dict(base.levers)
    timing = dict(base.timing)
    for lever in levers:
        if lever in strategy.constants:
            levers[lever] = float(strategy.constants[lever])
    for group, (s, r) in timing_params().items():
        start, ramp = timing[group]
        timing[group] = (
            float(strategy.constants.get(s, start)),
            float(strategy.constants.get(r, ramp)),
        )
    policy = policy_names()
    own, own_series = region.parameters()
    other = [k for k, v in strategy.constants.items() if k not in policy and own.get(k) != v] + [
        k for k, s in strategy.series.items() if k not in policy and own_series.get(k) != _points(s)
    ]
    notes = []
    if other:
        notes.append(
            f"{strategy.name} also sets {len(other)} model parameter(s) "
            f"({', '.join(other[:3])}{', ...' if len(other) > 3 else ''}); the region's values "
            "are kept. Load the file itself to use them."
        )
    out = Settings(region.name, levers, timing, base.name, strategy.description)
    return out, notes


def _refuse_series_levers(s: Scenario) -> None:
    policy = policy_names()
    series = [k for k in s.series if k in policy]
    if series:
        lever = catalogue()[series[0]]
        raise InputError(
            s.source,
            f"policy.{(lever.lever or lever.name).replace(' ', '_')}",
            "is a time series; the explorer sets each lever as a value with a start year "
            "and a ramp time",
            "give it as value = ..., start = ..., ramp = ... (or use `regionsoft run`)",
        )


def scenario_dict(settings: Settings, region: Region) -> dict[str, Any]:
    """The settings in the scenario file format (what `settings_text` writes)."""
    if settings.region != region.name:
        raise ValueError(f"settings are for region {settings.region!r}, not {region.name!r}")
    consts, series = region.parameters()
    params: dict[str, Any] = dict(consts)
    params.update({k: [list(p) for p in v] for k, v in series.items()})
    params.update(settings.extra)
    params.update({k: [list(p) for p in v] for k, v in settings.extra_series.items()})
    policy: dict[str, dict[str, float]] = {}
    for group, levers in lever_groups().items():
        start, ramp = settings.timing[group]
        for i, e in enumerate(levers):
            spec: dict[str, float] = {"value": float(settings.levers[e.name])}
            if i == 0:  # a group shares one start and ramp: written once
                spec.update(start=float(start), ramp=float(ramp))
            policy[_lever_key(e)] = spec
    data: dict[str, Any] = {"name": settings.name, "description": _description(settings, region)}
    data["policy"] = policy
    if params:
        data["parameters"] = params
    return data


def _lever_key(e: Entry) -> str:
    return (e.lever or e.name).replace(" ", "_")


def _made_in(region: Region) -> str:
    return f"Settings made in the explorer ({region.label})."


def _description(settings: Settings, region: Region) -> str:
    return settings.description or _made_in(region)


def scenario(settings: Settings, region: Region) -> Scenario:
    """The validated scenario of the settings (InputError: which key is wrong, and the fix)."""
    return Scenario.from_dict(scenario_dict(settings, region), source=None)


def settings_text(settings: Settings, region: Region) -> str:
    """The settings as scenario TOML: every lever, each group's timing, the region's values.

    Self-contained (no `based_on`): `regionsoft run` and `compare` accept it, and
    loading it back in the explorer restores the same settings. Numbers are written
    so that they read back bit for bit. The text is validated before it is returned.
    """
    data = scenario_dict(settings, region)
    lines = [
        "# Saved by `regionsoft explore`: every policy lever with its group's start year",
        f"# and ramp time, on top of the region's parameters ({region.label}).",
        "# Load it back in the explorer, or run it: `regionsoft run FILE`.",
        f"name = {_toml_str(data['name'])}",
        f"description = {_toml_str(data['description'])}",
        "",
    ]
    for key, spec in data["policy"].items():
        lines.append(f"[policy.{key}]")
        lines += [f"{k} = {_toml_num(v)}" for k, v in spec.items()]
        lines.append("")
    if "parameters" in data:
        lines.append("[parameters]")
        for k, v in data["parameters"].items():
            value = (
                "[" + ", ".join(f"[{_toml_num(y)}, {_toml_num(x)}]" for y, x in v) + "]"
                if isinstance(v, list)
                else _toml_num(v)
            )
            lines.append(f"{_toml_str(k)} = {value}")
        lines.append("")
    text = "\n".join(lines)
    Scenario.from_dict(tomllib.loads(text), source=None)  # raises if it is not valid
    return text


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _toml_num(v: float) -> str:
    """A TOML float that reads back as exactly the same double."""
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"cannot write {v!r} in a scenario file")
    text = repr(v)
    return text if any(c in text for c in ".en") else text + ".0"


def from_scenario(
    s: Scenario, regions: Mapping[str, Region], name: str | None = None
) -> tuple[Settings, list[str]]:
    """The settings of a scenario (a loaded file): its levers, timing, region and the rest.

    The region is the one whose parameters the file holds, all of them with the same
    values (the default region, which has none, when no other fits); any further
    parameters become `extra`. Levers and timing the file does not set take the
    model's values, as `regionsoft run` would. Returns the settings and notes.
    """
    _refuse_series_levers(s)
    policy = policy_names()
    consts = {k: float(v) for k, v in s.constants.items() if k not in policy}
    series = {k: _points(v) for k, v in s.series.items() if k not in policy}
    region = _best_region(consts, series, regions)
    own, own_series = region.parameters()
    extra = {k: v for k, v in consts.items() if k not in own}
    extra_series = {k: v for k, v in series.items() if k not in own_series}
    levers = {
        e.name: float(s.constants.get(e.name, _default(e.name))) for e in catalogue().levers()
    }
    timing = {
        g: (float(s.constants.get(st, _default(st))), float(s.constants.get(r, _default(r))))
        for g, (st, r) in timing_params().items()
    }
    notes = []
    if extra or extra_series:
        names = [*extra, *extra_series]
        notes.append(
            f"{s.name} sets {len(names)} model parameter(s) beyond the region's "
            f"({', '.join(names[:3])}{', ...' if len(names) > 3 else ''}); they are kept."
        )
    settings = Settings(
        region.name, levers, timing, name or s.name, s.description, extra, extra_series
    )
    return settings, notes


def _best_region(
    consts: Mapping[str, float],
    series: Mapping[str, SeriesPoints],
    regions: Mapping[str, Region],
) -> Region:
    """The region with the most parameters that the scenario holds all of, at equal values."""
    best, size = regions[DEFAULT_REGION], -1
    for r in regions.values():
        own, own_series = r.parameters()
        fits = all(consts.get(k) == v for k, v in own.items()) and all(
            series.get(k) == v for k, v in own_series.items()
        )
        if fits and len(own) + len(own_series) > size:
            best, size = r, len(own) + len(own_series)
    return best


def _points(s: pd.Series) -> SeriesPoints:
    return tuple((float(y), float(v)) for y, v in s.items())


# ---------------------------------------------------------------------------
# Strategies


@dataclass(frozen=True)
class StrategyFile:
    """A strategy the picker offers: its scenario and where it came from."""

    name: str
    scenario: Scenario
    origin: str  # "shipped", "optimised" or "loaded"


def shipped_strategies() -> dict[str, StrategyFile]:
    """The shipped scenarios (`scenarios/*.toml`), by name."""
    from regionsoft_sd.common.resources import shipped_scenarios

    return {
        name: StrategyFile(name, Scenario.from_file(path), "shipped")
        for name, path in shipped_scenarios().items()
    }


def strategy_files(folders: Iterable[str | Path]) -> tuple[dict[str, StrategyFile], list[str]]:
    """Scenario files in each folder (and its `scenarios/` subfolder, where an
    `regionsoft optimise` run writes its strategies).

    A folder that does not exist or holds no scenario file is InputError; a file that
    is not a valid scenario is skipped with a note (an optimise folder also holds
    its spec).
    """
    out: dict[str, StrategyFile] = {}
    notes: list[str] = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise InputError(
                None,
                "--strategies",
                f"{str(folder)!r} is not a folder",
                "give the folder an optimise run wrote (e.g. out/optimise-best_split)",
            )
        files = sorted({*folder.glob("*.toml"), *(folder / "scenarios").glob("*.toml")})
        found = 0
        for path in files:
            try:
                s = Scenario.from_file(path)
            except InputError as exc:
                notes.append(f"not a scenario, skipped: {exc}")
                continue
            name = s.name if s.name not in out else f"{s.name}-{path.parent.name}"
            out[name] = StrategyFile(name, s, "optimised")
            found += 1
        if not found:
            raise InputError(
                None,
                "--strategies",
                f"no scenario file in {str(folder)!r} or its scenarios/ folder",
                "give the folder an optimise run wrote (e.g. out/optimise-best_split)",
            )
    return out, notes
