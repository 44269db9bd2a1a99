"""Scenario files for the 31-province model (version 3): levers per province.

A version-3 scenario is a TOML file (see `scenarios/v3/`)::

    name = "culture_first"
    description = "Two more points of the local budget on culture."

    [policy.culture_share]        # the chosen region (`--region`, default sichuan)
    shift = 0.02                  # points added to the region's own status quo ...
    start = 2024                  # ... (or `value = 0.04`, the share itself)
    ramp = 5

    [province.zhejiang.policy.image_share]   # another province, by key or name
    value = 0.004

    [parameters]                  # any constant; one province's element as Name[key]
    "Imitation lag" = 8
    "Policy openness[beijing]" = 0.5

`[policy]` applies to the region a command is asked about, so one file serves
every region. A `shift` is relative to that province's status quo, which makes a
fair comparison: every shipped strategy moves the same two points of the local
budget into one element. The money comes out of other government consumption,
the part of the budget the four element lines leave (`1 - the four shares`); a
file may say so with `other_share` (then the five shares must sum to 1 within
SPLIT_TOLERANCE). Whatever it says, the four shares of every province may not
exceed `Maximum soft power share`, where the model would scale them down.

`Leader` and `Rival response mode` are not set here: `--region` and `--rivals`
choose them, so the same file runs unilaterally and with rivals responding.
Every problem raises `InputError` naming the file, the key and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regionsoft_sd.common.errors import InputError, load_toml, normalise, unknown_name
from regionsoft_sd.common.fields import known_keys, number, text
from regionsoft_sd.scenarios.models import Lever, ProvinceModel, region_key

SPLIT_GROUP = "Budget split"
OTHER = "other share"
"""The pseudo-lever for other government consumption (the rest of the budget)."""
SPLIT_TOLERANCE = 1e-6
MAX_SHARE = "Maximum soft power share"
CHOSEN_BY_FLAGS = {"leader": "--region", "rival response mode": "--rivals"}
"""Constants a scenario may not set: the command-line options choose them."""

_TOP_KEYS = ("name", "description", "policy", "province", "parameters")
_LEVER_KEYS = ("value", "shift", "start", "ramp")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ELEMENT_RE = re.compile(r"^(.*?)\s*\[\s*([^\]]+?)\s*\]$")


@dataclass(frozen=True)
class Setting:
    """One lever setting: `kind` "value" (the share itself) or "shift" (added to the status quo)."""

    kind: str
    amount: float
    key: str


@dataclass(eq=False)
class ProvinceScenario:
    """A validated version-3 scenario (structure checked; values checked per region).

    `region` holds the `[policy]` settings for whichever region a command chooses;
    `provinces` the `[province.KEY.policy]` settings by (province, lever);
    `parameters` constants by element name (`Name` or `Name[key]`) with the key
    that set them; `timing` the group start/ramp constants set by lever tables.
    """

    name: str
    description: str
    model: ProvinceModel
    source: Path | None = None
    region: dict[str, Setting] = field(default_factory=dict)
    provinces: dict[tuple[str, str], Setting] = field(default_factory=dict)
    parameters: dict[str, tuple[float, str]] = field(default_factory=dict)
    timing: dict[str, tuple[float, str]] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path, model: ProvinceModel) -> ProvinceScenario:
        """Read and check a version-3 scenario file."""
        return cls.from_dict(load_toml(path), model, source=Path(path))

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], model: ProvinceModel, *, source: str | Path | None = None
    ) -> ProvinceScenario:
        """Check a scenario given as parsed TOML (`source` names the file in messages)."""
        return _build(data, model, None if source is None else Path(source))

    def overrides(self, region: str) -> dict[str, float]:
        """The constants this scenario sets when `region` is the chosen region, by element
        name (`Policy culture share[sichuan]`); InputError if a value is out of range or
        the budget split does not add up for some province."""
        return _overrides(self, region)

    @property
    def file(self) -> str:
        """The file name for messages."""
        return str(self.source) if self.source is not None else "<scenario>"


def load_province_scenario(path: str | Path, model: ProvinceModel) -> ProvinceScenario:
    """Read and check a version-3 scenario file (a path; names are resolved by the caller)."""
    return ProvinceScenario.from_file(path, model)


def _build(data: Any, model: ProvinceModel, src: Path | None) -> ProvinceScenario:
    file = src if src is not None else "<scenario>"
    if not isinstance(data, dict):
        raise InputError(file, None, "a scenario must be a table of keys", "see scenarios/v3/")
    if "based_on" in data:
        raise InputError(
            file,
            "based_on",
            "version-3 scenarios do not inherit",
            "copy the parent's tables into this file (they are short)",
        )
    known_keys(data, _TOP_KEYS, file, "top-level key", hint="see scenarios/v3/")
    name = text(data, "name", file, required=True)
    if not _NAME_RE.match(name) or len(name) > 100:
        raise InputError(
            file, "name", f"{name!r} is not a simple name", "use letters, digits, '_', '-' or '.'"
        )
    s = ProvinceScenario(name, text(data, "description", file, required=True), model, src)
    for lever, spec in _table(data, "policy", file).items():
        key = f"policy.{lever}"
        short, setting = _setting(lever, spec, key, file, model, s)
        s.region[short] = setting
    for prov, body in _table(data, "province", file).items():
        pkey = f"province.{prov}"
        p = _province(prov, pkey, file, model)
        if not isinstance(body, dict):
            raise InputError(file, pkey, "expected a table", f"write [{pkey}.policy.<lever>]")
        known_keys(body, ("policy",), file, "key", prefix=f"{pkey}.")
        for lever, spec in _table(body, "policy", file, prefix=f"{pkey}.").items():
            key = f"{pkey}.policy.{lever}"
            short, setting = _setting(lever, spec, key, file, model, s)
            if (p, short) in s.provinces:
                raise InputError(file, key, f"{p}'s {short} is set twice", "keep one")
            s.provinces[(p, short)] = setting
    for pname, value in _table(data, "parameters", file).items():
        key = f"parameters.{pname}"
        element = _element(pname, key, file, model)
        s.parameters[element] = (_number_in_range(value, key, file, model, element), key)
    return s


def _table(data: dict[str, Any], key: str, file: Any, prefix: str = "") -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(
            file, f"{prefix}{key}", f"expected a table, got {value!r}", f"write [{prefix}{key}]"
        )
    return value


def _province(text_key: str, key: str, file: Any, model: ProvinceModel) -> str:
    try:
        return region_key(text_key, model.provinces, key=key)
    except InputError as exc:
        raise InputError(file, key, exc.problem, exc.fix) from None


def _lever(lever: str, key: str, file: Any, model: ProvinceModel) -> Lever | None:
    """The lever `lever` names (short or full name); None for the `other_share` pseudo-lever."""
    folded = normalise(lever)
    folded = folded.removeprefix("policy ")
    if folded == OTHER:
        return None
    if folded in model.levers:
        return model.levers[folded]
    raise unknown_name(
        file,
        key,
        lever,
        [lv.short.replace(" ", "_") for lv in model.levers.values()] + ["other_share"],
        "policy lever",
        "run `regionsoft params --model v3 --search policy`",
    )


def _setting(
    lever: str, spec: Any, key: str, file: Any, model: ProvinceModel, s: ProvinceScenario
) -> tuple[str, Setting]:
    """Parse one lever table: (short lever name, its setting); timing goes to `s.timing`."""
    lv = _lever(lever, key, file, model)
    if not isinstance(spec, dict):
        spec = {"value": spec}
    known_keys(spec, _LEVER_KEYS, file, "lever key", prefix=f"{key}.")
    if ("value" in spec) == ("shift" in spec):
        raise InputError(
            file,
            key,
            "needs exactly one of value or shift",
            "give `value = 0.05` or `shift = 0.02`",
        )
    kind = "value" if "value" in spec else "shift"
    amount = number(spec[kind], f"{key}.{kind}", file)
    if lv is None:
        if "start" in spec or "ramp" in spec:
            raise InputError(
                file,
                key,
                "other_share follows the budget split's timing",
                "give start and ramp on one of the four element shares",
            )
        return OTHER, Setting(kind, amount, f"{key}.{kind}")
    for sub, param in (("start", lv.start_param), ("ramp", lv.ramp_param)):
        if sub not in spec:
            continue
        sub_key = f"{key}.{sub}"
        v = _number_in_range(spec[sub], sub_key, file, model, param)
        if sub == "start" and v < model.policy_start:
            raise InputError(
                file,
                sub_key,
                f"year {v:g} is in history (before {model.policy_start:g})",
                f"use a year from {model.policy_start:g}",
            )
        if param in s.timing and s.timing[param][0] != v:
            raise InputError(
                file,
                sub_key,
                f"{sub} {v:g} differs from {s.timing[param][0]:g} set by {s.timing[param][1]} "
                f"(the levers of group {lv.group!r} share one {sub}, in every province)",
                f"use the same {sub} for both",
            )
        s.timing[param] = (v, sub_key)
    return lv.short, Setting(kind, amount, f"{key}.{kind}")


def _element(name: str, key: str, file: Any, model: ProvinceModel) -> str:
    """The canonical element name of a `[parameters]` key: `Name` or `Name[key]`."""
    m = _ELEMENT_RE.match(name)
    base, prov = (m.group(1), m.group(2)) if m else (name, None)
    const = model.constant(base)
    if const is None:
        raise unknown_name(
            file,
            key,
            base,
            [c.name for c in model.constants.values()],
            "model constant",
            "run `regionsoft params --model v3`",
        )
    if normalise(const.name) in CHOSEN_BY_FLAGS:
        flag = CHOSEN_BY_FLAGS[normalise(const.name)]
        raise InputError(
            file, key, f"{const.name!r} is chosen on the command line", f"remove it and use {flag}"
        )
    if prov is None:
        return const.name
    if const.by_province is None:
        raise InputError(
            file, key, f"{const.name!r} is one value for the nation", f'write "{const.name}"'
        )
    return f"{const.name}[{_province(prov, key, file, model)}]"


def _number_in_range(value: Any, key: str, file: Any, model: ProvinceModel, element: str) -> float:
    v = number(value, key, file)
    base = _ELEMENT_RE.match(element)
    const = model.constant(base.group(1) if base else element)
    assert const is not None
    if not const.in_range(v):
        raise InputError(
            file,
            key,
            f"{v:g} is outside the model's range {const.range_text()} for {const.name!r}",
            f"use a value within {const.range_text()}",
        )
    return v


def _overrides(s: ProvinceScenario, region: str) -> dict[str, float]:
    model, file = s.model, s.file
    out: dict[str, float] = {}
    where: dict[str, str] = {}

    def put(element: str, value: float, key: str) -> None:
        if element in where and where[element] != key:
            raise InputError(
                file, key, f"{element!r} is also set by {where[element]}", "keep one of the two"
            )
        out[element], where[element] = value, key

    for element, (value, key) in s.parameters.items():
        const = model.constant(element)
        if const is not None and const.by_province is not None:  # a whole array
            for p in model.provinces:
                put(f"{const.name}[{p}]", value, key)
        else:
            put(element, value, key)
    for param, (value, key) in s.timing.items():
        put(param, value, key)
    settings = [((region, lv), st) for lv, st in s.region.items()]
    settings += list(s.provinces.items())
    others: dict[str, Setting] = {}
    for (prov, short), st in settings:
        if short == OTHER:
            if prov in others:
                raise InputError(file, st.key, f"{prov}'s other share is set twice", "keep one")
            others[prov] = st
            continue
        lv = model.levers[normalise(short)]
        value = st.amount + (model.status_quo(lv, prov) if st.kind == "shift" else 0.0)
        const = model.constants[normalise(lv.name)]
        if not const.in_range(value):
            raise InputError(
                file,
                st.key,
                f"{prov}'s {short} would be {value:.6g}, outside {const.range_text()}",
                f"choose a value within {const.range_text()}",
            )
        put(f"{lv.name}[{prov}]", value, st.key)
    _check_split(s, out, others)
    return out


def _check_split(s: ProvinceScenario, out: dict[str, float], others: dict[str, Setting]) -> None:
    """Per province: the four shares within the cap; with `other_share`, the five sum to 1."""
    model, file = s.model, s.file
    split = [lv for lv in model.levers.values() if lv.group == SPLIT_GROUP]
    cap_const = model.constant(MAX_SHARE)
    cap = out.get(cap_const.name, cap_const.value) if cap_const is not None else 1.0
    assert cap is not None
    for prov in model.provinces:
        shares = {
            lv.short: out.get(f"{lv.name}[{prov}]", model.status_quo(lv, prov)) for lv in split
        }
        total = sum(shares.values())
        parts = " + ".join(f"{k.removesuffix(' share')} {v:.6g}" for k, v in shares.items())
        if prov in others:
            st = others[prov]
            other = st.amount + (
                (1.0 - sum(model.status_quo(lv, prov) for lv in split))
                if st.kind == "shift"
                else 0.0
            )
            if abs(total + other - 1.0) > SPLIT_TOLERANCE:
                raise InputError(
                    file,
                    st.key,
                    f"{prov}'s budget shares sum to {total + other:.9g}, not 1: {parts} + "
                    f"other {other:.6g}",
                    f"change them so they sum to 1 (tolerance {SPLIT_TOLERANCE:g})",
                )
        if total > cap + SPLIT_TOLERANCE:
            key = next((st.key for (p, _), st in _all(s) if p in (prov, None)), "policy")
            raise InputError(
                file,
                key,
                f"{prov}'s four element shares sum to {total:.6g}, above {MAX_SHARE} {cap:g}: "
                f"{parts}",
                "take the money from another element, or lower the shares",
            )


def _all(s: ProvinceScenario) -> list[tuple[tuple[str | None, str], Setting]]:
    return [((None, k), v) for k, v in s.region.items()] + list(s.provinces.items())
