"""Calibration spec files: TOML in, a validated `CalibrationSpec` out, or one `InputError`.

A spec says what to fit, to which data, over which years (see
`scenarios/calibrate/default.toml` for the shipped one)::

    name = "my_fit"
    description = "GDP, capital and people of one province."
    region = "zhejiang"                 # optional; --region overrides it
    data = "my_data.csv"                # optional; default: the shipped provincial data

    [parameters]                        # what to fit; bounds default to the .mdl range
    "Historical frontier growth factor" = {}
    "Migration rate at par" = { low = 0.002, high = 0.03 }

    [[series]]                          # what to fit it to
    data = "gdp"                        # series name in the data
    variable = "GDP"                    # model variable
    sigma = 0.05                        # error scale (weight = 1/sigma), in transformed units
    transform = "log"                   # "log" (relative errors) or "none"

    [window]                            # years whose observations are fitted
    start = 2005
    end = 2019

    [holdout]                           # out of sample: fit to `cut`, forecast to `end`
    cut = 2016
    end = 2019

    [search]                            # multi-start least squares
    candidates = 256                    # Latin hypercube points screened in one batch
    starts = 8                          # best of them (plus the .mdl values) refined
    seed = 1

    [profile]                           # profile likelihood of the main parameters
    parameters = ["Historical frontier growth factor"]
    points = 13

    [mcmc]                              # optional posterior sampling (needs emcee)
    walkers = 32
    steps = 300

    [constants]                         # any other model constant, fixed for the fit
    "Initial tax share" = 0.12

Validation happens here, once; downstream code trusts the spec. The data-dependent
checks (region, series present, window inside the data) happen when the data are
read (`pipeline.prepare`), still before anything is written.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from regionsoft_sd.common.errors import InputError, load_toml, unknown_name
from regionsoft_sd.common.fields import (
    FLOAT,
    boolean,
    check_count,
    integer,
    known_keys,
    listing,
    number,
    text,
)
from regionsoft_sd.futures.params import Parameter, parse_parameters
from regionsoft_sd.model.catalogue import catalogue

TRANSFORMS = ("log", "none")
_TOP = (
    "name",
    "description",
    "region",
    "data",
    "parameters",
    "series",
    "window",
    "holdout",
    "search",
    "profile",
    "intervals",
    "mcmc",
    "constants",
)
_PARAM_KEYS = ("low", "high")
_SERIES_KEYS = ("data", "variable", "sigma", "weight", "transform")
_WINDOW_KEYS = ("start", "end")
_HOLDOUT_KEYS = ("enabled", "cut", "end")
_SEARCH_KEYS = ("candidates", "starts", "seed", "max_evaluations", "include_default")
_PROFILE_KEYS = ("parameters", "points")
_INTERVAL_KEYS = ("level", "samples")
_MCMC_KEYS = ("walkers", "steps", "burn", "seed")
DEFAULT_END = 2019
"""Default last fitted year: the last before the 2020 shock."""
DEFAULT_CUT = 2016
MAX_CANDIDATES = 100_000
MAX_STARTS = 256


@dataclass(frozen=True)
class Target:
    """One observed series mapped to a model variable, with its error scale."""

    data: str
    variable: str
    sigma: float
    transform: str = "log"

    @property
    def label(self) -> str:
        """How tables name the series: the data series' name."""
        return self.data


@dataclass(frozen=True)
class Search:
    """Multi-start settings: Latin-hypercube candidates screened, the best refined."""

    candidates: int = 256
    starts: int = 8
    seed: int = 1
    max_evaluations: int = 100
    include_default: bool = True


@dataclass(frozen=True)
class Holdout:
    """Out of sample: fit the years up to `cut`, report the error over `cut + 1 .. end`."""

    cut: int = DEFAULT_CUT
    end: int = DEFAULT_END


@dataclass(frozen=True)
class Mcmc:
    """Posterior sampling with emcee's affine-invariant ensemble."""

    walkers: int = 32
    steps: int = 300
    burn: int = 100
    seed: int = 1


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration: parameters, series, window and the analyses to run."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    start: int
    end: int
    region: str | None = None
    data: Path | None = None
    holdout: Holdout | None = field(default_factory=Holdout)
    search: Search = field(default_factory=Search)
    profile: tuple[str, ...] = ()
    profile_points: int = 13
    level: float = 0.95
    band_samples: int = 200
    mcmc: Mcmc | None = None
    constants: dict[str, float] = field(default_factory=dict)
    source: Path | None = None

    @property
    def names(self) -> list[str]:
        """Fitted parameters' model names, in spec order."""
        return [p.name for p in self.parameters]

    @property
    def follow(self) -> dict[str, str]:
        """`Policy X` -> `Initial X` for each fitted `Initial X` (the status quo carried on)."""
        return {p.linked: p.name for p in self.parameters if p.linked}

    def digest(self) -> str:
        """A fingerprint of everything that decides the result (for file headers)."""
        parts = [
            [(p.name, p.low, p.high) for p in self.parameters],
            [(t.data, t.variable, t.sigma, t.transform) for t in self.targets],
            self.start,
            self.end,
            self.region,
            None if self.data is None else str(self.data),
            self.search.__dict__,
            self.profile,
            self.profile_points,
            sorted(self.constants.items()),
        ]
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def load_spec(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration spec (a file or a shipped name)."""
    from regionsoft_sd.calibrate.shipped import spec_file

    p = spec_file(path)
    return parse_spec(load_toml(p), source=p)


def parse_spec(data: dict[str, Any], *, source: str | Path | None = None) -> CalibrationSpec:
    """Validate a parsed spec (`source` names the file and anchors a relative `data` path)."""
    src = None if source is None else Path(source)
    file: Any = src if src is not None else "<calibration spec>"
    folder = src.parent if src is not None else Path.cwd()
    known_keys(data, _TOP, file, "top-level key", hint="see scenarios/calibrate/")
    cat = catalogue()
    name = text(data, "name", file, required=True)
    description = text(data, "description", file, required=False)
    region = text(data, "region", file, required=False) or None
    data_file = text(data, "data", file, required=False) or None
    data_path = None if data_file is None else (folder / data_file)
    params = _parameters(data, file)
    targets = _targets(data, file)
    t0, _ = cat.horizon
    history_end = int(cat.policy_start) - 1
    window = _table(data, "window", file, _WINDOW_KEYS)
    start = _year(window, "window", "start", file, int(t0))
    end = _year(window, "window", "end", file, DEFAULT_END)
    if start < t0:
        raise InputError(
            file,
            "window.start",
            f"{start} is before the model's first year {t0:g}",
            f"start in {t0:g} or later",
        )
    if end > history_end:
        raise InputError(
            file,
            "window.end",
            f"{end} is after the model's history ({t0:g}-{history_end})",
            f"end in {history_end} or earlier",
        )
    if end - start < 2:
        raise InputError(
            file, "window", f"{start}-{end} is too short to fit", "fit at least three years"
        )
    holdout = _holdout(data, file, start, end)
    search = _search(data, file)
    profile, points = _profile(data, file, params)
    level, samples = _intervals(data, file)
    mcmc = _mcmc(data, file, len(params))
    constants = _constants(data, file, params)
    return CalibrationSpec(
        name=name,
        description=description,
        parameters=params,
        targets=targets,
        start=start,
        end=end,
        region=region,
        data=data_path,
        holdout=holdout,
        search=search,
        profile=profile,
        profile_points=points,
        level=level,
        band_samples=samples,
        mcmc=mcmc,
        constants=constants,
        source=src,
    )


def _table(data: dict[str, Any], key: str, file: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(file, key, f"expected a table, got {value!r}", f"write it as [{key}]")
    known_keys(value, keys, file, f"key of [{key}]", prefix=f"{key}.")
    return value


def _year(table: dict[str, Any], section: str, key: str, file: Any, default: int) -> int:
    """A year of [`section`] (1900..2100); messages name it `section.key`."""
    v = integer(
        {f"{section}.{key}": table[key]} if key in table else {},
        f"{section}.{key}",
        file,
        low=1900,
        default=default,
        high=2100,
    )
    assert v is not None
    return v


_F = TypeVar("_F", bound=Callable[..., Any])


def _in_section(section: str) -> Callable[[_F], _F]:
    """Decorate a reader of table [`section`]: its errors name keys as `section.key`.

    The shared field readers (`regionsoft_sd.common.fields`) see only the table, so they
    name a key without its table (`starts`); the user needs `search.starts`.
    """

    def wrap(fn: _F) -> _F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except InputError as exc:
                key = exc.key
                if key is None or key == section or key.startswith((f"{section}.", f"{section}[")):
                    raise
                raise InputError(exc.file, f"{section}.{key}", exc.problem, exc.fix) from None

        return inner  # type: ignore[return-value]

    return wrap


def _parameters(data: dict[str, Any], file: Any) -> tuple[Parameter, ...]:
    """Fitted parameters through the sweep's reader (ranges, split shares, linked levers)."""
    table = data.get("parameters")
    if not isinstance(table, dict) or not table:
        raise InputError(
            file,
            "parameters",
            "no parameters to fit",
            'add [parameters] with a line such as "Migration rate at par" = {}',
        )
    bodies: dict[str, dict[str, Any]] = {}
    for name, body in table.items():
        key = f"parameters.{name}"
        if not isinstance(body, dict):
            raise InputError(
                file,
                key,
                f"expected a table, got {body!r}",
                f'write "{name}" = {{}} (the .mdl range) or {{ low = ..., high = ... }}',
            )
        known_keys(body, _PARAM_KEYS, file, "bound", prefix=f"{key}.")
        bodies[name] = {"distribution": "uniform", **body}
    return parse_parameters({"parameters": bodies}, file, catalogue(), ())


def _targets(data: dict[str, Any], file: Any) -> tuple[Target, ...]:
    cat = catalogue()
    items = listing(data, "series", file)
    if not items:
        raise InputError(
            file,
            "series",
            "no observed series to fit",
            'add [[series]] with data = "gdp" and variable = "GDP"',
        )
    out: list[Target] = []
    for i, item in enumerate(items):
        key = f"series[{i}]"
        if not isinstance(item, dict):
            raise InputError(file, key, f"expected a table, got {item!r}", "write [[series]]")
        known_keys(item, _SERIES_KEYS, file, "series key", prefix=f"{key}.")
        series = text(item, "data", file, required=True)
        raw_var = text(item, "variable", file, required=True)
        variable = cat.resolve(
            raw_var, file=file, key=f"{key}.variable", kinds=("stock", "auxiliary")
        )
        if ("sigma" in item) == ("weight" in item):
            raise InputError(
                file,
                key,
                "needs exactly one of sigma (error scale) or weight (1/sigma)",
                "give one of them, e.g. sigma = 0.05",
            )
        which = "sigma" if "sigma" in item else "weight"
        v = number(item[which], f"{key}.{which}", file)
        if v <= 0:
            raise InputError(file, f"{key}.{which}", f"{v:g} is not positive", "use a value > 0")
        sigma = v if which == "sigma" else 1.0 / v
        transform = str(item.get("transform", "log")).lower()
        if transform not in TRANSFORMS:
            raise unknown_name(
                file, f"{key}.transform", transform, TRANSFORMS, "transform", "log or none"
            )
        if any(t.data == series for t in out):
            raise InputError(file, f"{key}.data", f"{series!r} is fitted twice", "list it once")
        out.append(Target(series, variable, sigma, transform))
    return tuple(out)


@_in_section("holdout")
def _holdout(data: dict[str, Any], file: Any, start: int, end: int) -> Holdout | None:
    table = _table(data, "holdout", file, _HOLDOUT_KEYS)
    if not boolean(table, "enabled", file, True):
        return None
    cut = _year(table, "holdout", "cut", file, DEFAULT_CUT)
    last = _year(table, "holdout", "end", file, max(end, DEFAULT_END))
    if not start + 2 <= cut < last:
        raise InputError(
            file,
            "holdout.cut",
            f"{cut} must leave at least three fitted years after {start} and come before "
            f"holdout.end {last}",
            f"use a cut year from {start + 2} to {last - 1}",
        )
    history_end = int(catalogue().policy_start) - 1
    if last > history_end:
        raise InputError(
            file,
            "holdout.end",
            f"{last} is after the model's history (ends {history_end})",
            f"use {history_end} or earlier",
        )
    return Holdout(cut, last)


@_in_section("search")
def _search(data: dict[str, Any], file: Any) -> Search:
    t = _table(data, "search", file, _SEARCH_KEYS)
    d = Search()
    starts = integer(t, "starts", file, low=1, default=d.starts, high=MAX_STARTS)
    candidates = integer(t, "candidates", file, low=1, default=d.candidates, high=MAX_CANDIDATES)
    assert starts is not None and candidates is not None
    if candidates < starts:
        raise InputError(
            file,
            "search.candidates",
            f"{candidates} candidates cannot give {starts} starts",
            "use at least as many candidates as starts",
        )
    return Search(
        candidates=candidates,
        starts=starts,
        seed=integer(t, "seed", file, low=0, default=d.seed, high=2**32 - 1) or 0,
        max_evaluations=integer(t, "max_evaluations", file, low=2, default=d.max_evaluations)
        or d.max_evaluations,
        include_default=boolean(t, "include_default", file, d.include_default),
    )


@_in_section("profile")
def _profile(
    data: dict[str, Any], file: Any, params: tuple[Parameter, ...]
) -> tuple[tuple[str, ...], int]:
    t = _table(data, "profile", file, _PROFILE_KEYS)
    names = [p.name for p in params]
    cat = catalogue()
    out: list[str] = []
    for i, raw in enumerate(listing(t, "parameters", file)):
        key = f"profile.parameters[{i}]"
        if not isinstance(raw, str):
            raise InputError(file, key, f"expected a name, got {raw!r}", "give a parameter name")
        canon = cat.resolve(raw, file=file, key=key, kinds=("constant",))
        if canon not in names:
            raise unknown_name(file, key, raw, names, "fitted parameter", "profile a fitted one")
        if canon not in out:
            out.append(canon)
    if out and len(params) < 2:
        raise InputError(
            file, "profile", "a profile needs at least two fitted parameters", "remove [profile]"
        )
    points = integer(t, "points", file, low=5, default=13, high=101)
    assert points is not None
    return tuple(out), points


@_in_section("intervals")
def _intervals(data: dict[str, Any], file: Any) -> tuple[float, int]:
    t = _table(data, "intervals", file, _INTERVAL_KEYS)
    level = number(t.get("level", 0.95), "intervals.level", file)
    if not 0.5 <= level < 1:
        raise InputError(
            file, "intervals.level", f"{level:g} is not a confidence level", "use e.g. 0.95"
        )
    samples = integer(t, "samples", file, low=0, default=200, high=100_000)
    assert samples is not None
    return level, samples


@_in_section("mcmc")
def _mcmc(data: dict[str, Any], file: Any, n_params: int) -> Mcmc | None:
    if "mcmc" not in data:
        return None
    t = _table(data, "mcmc", file, _MCMC_KEYS)
    if importlib.util.find_spec("emcee") is None:
        raise InputError(
            file,
            "mcmc",
            "needs the optional dependency 'emcee', which is not installed",
            "pip install 'regionsoft-sd[mcmc]', or remove [mcmc]",
        )
    d = Mcmc()
    walkers = integer(
        t, "walkers", file, low=2, default=max(d.walkers, 2 * n_params + 2), prefix="mcmc."
    )
    steps = integer(t, "steps", file, low=10, default=d.steps, high=1_000_000)
    burn = integer(t, "burn", file, low=0, default=d.burn)
    assert walkers is not None and steps is not None and burn is not None
    if walkers < 2 * n_params or walkers % 2:
        need = 2 * n_params + (2 * n_params) % 2
        raise InputError(
            file,
            "mcmc.walkers",
            f"{walkers} walkers for {n_params} parameters: emcee needs an even number, "
            f"at least twice the parameters",
            f"use {max(need, 2)} or more (even)",
        )
    if burn >= steps:
        raise InputError(
            file, "mcmc.burn", f"{burn} burn-in steps of {steps} leave none", "burn fewer"
        )
    # emcee keeps every walker's position and log-probability at every step (float64),
    # and the chain is copied once when it is flattened for the intervals
    check_count(
        walkers,
        "mcmc.walkers",
        file,
        bytes_per_item=2 * FLOAT * steps * (n_params + 1),
        per=f"walkers of {steps:,} steps and {n_params} parameters",
    )
    seed = integer(t, "seed", file, low=0, default=d.seed, high=2**32 - 1)
    return Mcmc(walkers, steps, burn, seed or 0)


def _constants(data: dict[str, Any], file: Any, params: tuple[Parameter, ...]) -> dict[str, float]:
    table = data.get("constants", {})
    if not isinstance(table, dict):
        raise InputError(file, "constants", f"expected a table, got {table!r}", "[constants]")
    cat = catalogue()
    fitted = {p.name for p in params}
    out: dict[str, float] = {}
    for raw, value in table.items():
        key = f"constants.{raw}"
        canon = cat.resolve(raw, file=file, key=key, kinds=("constant",))
        if canon in fitted:
            raise InputError(
                file, key, f"{canon!r} is fitted, so it cannot be fixed too", "keep one of the two"
            )
        v = number(value, key, file)
        entry = cat[canon]
        if not entry.in_range(v) or not math.isfinite(v):
            raise InputError(
                file,
                key,
                f"{v:g} is outside the model's range {entry.range_text()} for {canon!r}",
                f"use a value within {entry.range_text()}",
            )
        out[canon] = v
    return out
