"""Which model a command runs: `v2`, `v3`, a shipped model's name or a `.mdl` path.

`resolve_model()` turns what the user typed into a `ModelChoice`: the file and the
structure it has. Version 2 is one region against a fixed rest of China; version 3
has 31 provinces on a `Province` subscript, shared national pools and rivals that
can respond. The structure is read from the file itself (never guessed from its
name), so a foreign model is refused with one line naming what it lacks.

`ProvinceModel` is what the version-3 commands need to know about such a model:
its provinces, its constants (scalar, or one value per province) and its levers.
`region_key()` reads a region typed as a pinyin key or a name, in any case.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from regionsoft_sd.common.errors import InputError, normalise, suggest, unknown_name
from regionsoft_sd.common.resources import root

SHIPPED = {"v2": "regional_soft_power.mdl", "v3": "regional_soft_power_v3.mdl"}
"""Short names of the shipped models; `v2` is what the commands run by default."""
DEFAULT_MODEL = "v2"
DEFAULT_REGION = "sichuan"
SUBSCRIPT = "Province"

V3_NAMES = (
    "Leader",
    "Rival response mode",
    "Imitation lag",
    "Policy education share",
    "Policy service share",
    "Policy culture share",
    "Policy image share",
    "Initial culture share",
    "Budget split policy start year",
    "Dominant Soft Power",
    "Relative soft power",
    "GDP",
    "Population",
    "Household consumption",
    "Government consumption",
    "Household consumption per person",
    "Government consumption per person",
    "Net migration",
    "National GDP",
    "National population",
    "National household consumption",
    "National household consumption per person",
    "National government consumption",
)
"""Names the version-3 commands read (levers, rival response, outcomes)."""
V2_NAMES = (
    "Policy culture share",
    "Dominant Soft Power",
    "Dominant soft power relative",
    "Consumption per capita",
    "Projection start year",
)
"""Names that mark the version-2 structure (one region against the rest of China)."""

NAMES = {"neimenggu": ("inner mongolia", "nei menggu"), "xizang": ("tibet",)}
"""Region names in English that are not their pinyin key (others match their key)."""


@dataclass(frozen=True)
class ModelChoice:
    """A model file and its structure: `version` is "v2", "v3" or "other"."""

    path: Path
    version: str
    label: str

    def require(self, version: str, what: str) -> None:
        """Raise InputError unless this model has the structure `version` (a command needs it)."""
        if self.version == version:
            return
        if self.version == "other":
            missing = missing_names(self.path)
            raise InputError(
                self.path,
                "--model",
                f"{what} needs the regional model's names, and this model lacks "
                + ", ".join(repr(m) for m in missing[:4])
                + (f" and {len(missing) - 4} more" if len(missing) > 4 else ""),
                "use --model v2 or v3, or a model with their variables",
            )
        raise InputError(
            self.path,
            "--model",
            f"{what} runs model {version}, not {self.version}",
            f"use --model {version}",
        )


def shipped_models() -> dict[str, Path]:
    """The shipped models by short name (`v2`, `v3`)."""
    return {k: root() / "models" / f for k, f in SHIPPED.items()}


def resolve_model(spec: str | Path | None = None, *, key: str = "--model") -> ModelChoice:
    """The model `spec` names: None or "v2" (the default), "v3", a shipped file's name
    (`regional_soft_power_v3`, with or without `.mdl`) or the path of a `.mdl` file."""
    text = DEFAULT_MODEL if spec is None else str(spec)
    shipped = shipped_models()
    by_stem = {p.stem: k for k, p in shipped.items()} | {p.name: k for k, p in shipped.items()}
    short = text.lower() if text.lower() in shipped else by_stem.get(text)
    if short is not None:
        return ModelChoice(shipped[short], short, short)
    path = Path(text)
    if path.suffix.lower() != ".mdl":
        raise unknown_name(
            None, key, text, [*shipped, *by_stem], "model", "give v2, v3 or the path of a .mdl file"
        )
    try:
        found = path.is_file()
    except OSError:
        found = False
    if not found:
        raise InputError(path, key, "no such model file", "give v2, v3 or an existing .mdl file")
    data = path.read_bytes()
    for short, shipped_path in shipped.items():
        if path.resolve() == shipped_path.resolve() or data == shipped_path.read_bytes():
            return ModelChoice(shipped_path, short, short)  # the shipped model itself
    return ModelChoice(path, structure(path), str(path))


def _element_names(path: Path) -> tuple[set[str], set[str]]:
    """(normalised element names, subscript range names) of a `.mdl`; InputError if unreadable."""
    import warnings

    from regionsoft_sd.model.translate import abstract_model

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PySD's note on a file without an encoding line
            model = abstract_model(path)
    except Exception as exc:  # noqa: BLE001 - PySD's parser raises many kinds
        raise InputError(
            path,
            "--model",
            f"cannot read it as a Vensim model ({type(exc).__name__})",
            "fix the file",
        ) from exc
    names = {normalise(e.name) for s in model.sections for e in s.elements}
    ranges = {normalise(r.name) for s in model.sections for r in s.subscripts}
    return names, ranges


def missing_names(path: Path) -> list[str]:
    """The version-3 names (and the `Province` subscript) the model at `path` lacks."""
    names, ranges = _element_names(path)
    missing = [n for n in V3_NAMES if normalise(n) not in names]
    return ([SUBSCRIPT] if normalise(SUBSCRIPT) not in ranges else []) + missing


def structure(path: Path) -> str:
    """ "v3" if the model has every name of V3_NAMES and the `Province` subscript,
    "v2" if it has version 2's, else "other"."""
    names, _ = _element_names(path)
    if not missing_names(path):
        return "v3"
    if all(normalise(n) in names for n in V2_NAMES):
        return "v2"
    return "other"


@dataclass(frozen=True)
class Constant:
    """A constant of a province model: one value, or one per province (`by_province`)."""

    name: str
    units: str
    low: float | None
    high: float | None
    documentation: str
    value: float | None
    by_province: dict[str, float] | None

    def in_range(self, v: float) -> bool:
        """True if `v` lies within the declared range (bounds included)."""
        return (self.low is None or v >= self.low) and (self.high is None or v <= self.high)

    def range_text(self) -> str:
        """The declared range as text, e.g. `[0, 0.2]`."""

        def num(x: float | None) -> str:
            return "?" if x is None else f"{x:g}"

        return (
            f"[{num(self.low)}, {num(self.high)}]" if (self.low, self.high) != (None, None) else ""
        )


@dataclass(frozen=True)
class Lever:
    """A per-province policy lever: `Policy <short>[Province]`, its group and timing."""

    short: str
    name: str
    group: str
    start_param: str
    ramp_param: str


class ProvinceModel:
    """What the version-3 commands know of a province model (read from the `.mdl`)."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        from regionsoft_sd.model.catalogue import catalogue
        from regionsoft_sd.model.translate import abstract_model

        self.path = path
        model = abstract_model(path)
        ranges = {r.name: list(r.subscripts) for s in model.sections for r in s.subscripts}
        self.provinces: tuple[str, ...] = tuple(ranges[SUBSCRIPT])
        self.constants: dict[str, Constant] = {}
        for el in (e for s in model.sections for e in s.elements):
            comp = el.components[0]
            ast = comp.ast
            subs = comp.subscripts[0] if comp.subscripts else []
            if isinstance(ast, np.ndarray) and list(subs) == [SUBSCRIPT]:
                by = dict(zip(self.provinces, map(float, ast.ravel()), strict=True))
            elif isinstance(ast, int | float) and list(subs) == [SUBSCRIPT]:
                by = dict.fromkeys(self.provinces, float(ast))
            elif isinstance(ast, int | float) and not subs:
                by = None
            else:
                continue
            low, high = el.limits if el.limits else (None, None)
            self.constants[normalise(el.name)] = Constant(
                el.name,
                el.units or "",
                low,
                high,
                " ".join((el.documentation or "").split()),
                None if by is not None else float(ast),
                by,
            )
        self.levers: dict[str, Lever] = {}
        for e in catalogue(path).levers():
            assert e.lever is not None and e.group and e.start_param and e.ramp_param
            self.levers[normalise(e.lever)] = Lever(
                e.lever, e.name, e.group, e.start_param, e.ramp_param
            )
        start = self.constants[normalise("Budget split policy start year")]
        self.policy_start = float(start.low if start.low is not None else start.value or 0.0)
        self.final_time = float(self.constants.get(normalise("FINAL TIME"), start).value or 0)

    def constant(self, name: str) -> Constant | None:
        """The constant `name` (any spelling), or None."""
        return self.constants.get(normalise(name))

    def status_quo(self, lever: Lever, province: str) -> float:
        """The province's status-quo value of `lever` (`Initial X`, or the lever's own value)."""
        initial = self.constant(f"Initial {lever.short}")
        src = initial if initial is not None else self.constants[normalise(lever.name)]
        assert src.by_province is not None
        return src.by_province[province]


@lru_cache(maxsize=4)
def _province_model(path: str) -> ProvinceModel:
    return ProvinceModel(Path(path))


def province_model(path: str | Path | None = None) -> ProvinceModel:
    """The (cached) `ProvinceModel` of `path` (default: the shipped version 3)."""
    return _province_model(str(Path(path or shipped_models()["v3"]).resolve()))


def region_key(region: str, provinces: tuple[str, ...], *, key: str = "--region") -> str:
    """The province key `region` names: a pinyin key or a name, any case, spaces ignored."""
    folded = normalise(region).replace(" ", "")
    for p in provinces:
        aliases = [p, *NAMES.get(p, ())]
        if folded in {a.replace(" ", "") for a in aliases}:
            return p
    close = suggest(region, provinces) or list(provinces[:4])
    raise InputError(
        None,
        key,
        f"unknown region {region!r}",
        f"give a pinyin key or name such as {', '.join(close)} "
        f"({len(provinces)} in all; see the Province subscript of the model)",
    )
