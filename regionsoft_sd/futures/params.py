"""Uncertain parameters of a sweep spec: the `Parameter` record and its validation.

Bounds default to the range the `.mdl` declares and may only narrow it. A spec may
not sample what a strategy sets (a decision is not an uncertainty), nor one share
of a split group alone (`scenario.SPLIT_GROUPS`: the shares sum to 1). A sampled
`Initial X` drags its lever `Policy X` along in strategies that leave the lever
alone (see `Parameter.linked`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.common.fields import choice, known_keys, number
from regionsoft_sd.model.catalogue import Catalogue, Entry
from regionsoft_sd.runs.types import Strategy
from regionsoft_sd.scenarios.scenario import SPLIT_GROUPS

DISTRIBUTIONS = ("uniform", "triangular", "normal", "loguniform")
MAX_SD_RATIO = 1e3
"""A normal truncated to [low, high] with sd above this many widths is a uniform there."""
MIN_SD_RATIO = 1e-6
"""... and with sd below this many widths, every sample is its mean."""
_PROBES = np.array([1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 1 - 1e-3])
_DIST_KEYS = {
    "uniform": ("distribution", "low", "high"),
    "triangular": ("distribution", "low", "high", "mode"),
    "normal": ("distribution", "low", "high", "mean", "sd"),
    "loguniform": ("distribution", "low", "high"),
}


@dataclass(frozen=True)
class Parameter:
    """One uncertain parameter: its canonical model name and its distribution.

    `low`/`high` bound every distribution (the normal is truncated to them);
    `mode` is the triangular peak, `mean`/`sd` the normal's before truncation.
    `default` is the model's own value, the base point of one-at-a-time runs.
    `linked` names the policy lever (`Policy X`) that follows this parameter
    (`Initial X`) in strategies that do not set it: see `sampling.overrides`.
    """

    name: str
    distribution: str
    low: float
    high: float
    default: float
    units: str = ""
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    linked: str | None = None


def parse_parameters(
    data: dict[str, Any], file: Any, cat: Catalogue, strategies: tuple[Strategy, ...]
) -> tuple[Parameter, ...]:
    table = data.get("parameters")
    if not isinstance(table, dict) or not table:
        raise InputError(
            file,
            "parameters",
            "no uncertain parameters",
            'add [parameters."Capital depreciation rate"] with distribution = "uniform"',
        )
    groups = cat.lever_groups()
    split = {
        n: group
        for group in SPLIT_GROUPS
        for e in groups.get(group, [])
        for n in (e.name, f"Initial {e.lever}")
        if n in cat
    }
    out: list[Parameter] = []
    for raw_name, body in table.items():
        key = f"parameters.{raw_name}"
        canon = cat.resolve(raw_name, file=file, key=key, kinds=("constant",))
        if any(p.name == canon for p in out):
            raise InputError(file, key, f"{canon!r} is listed twice", "keep one entry")
        if canon in split:
            raise InputError(
                file,
                key,
                f"{canon!r} is a share of the {split[canon].lower()}; the shares of a split "
                "must sum to 1, so one cannot vary alone",
                "sample other parameters, or compare split strategies instead",
            )
        for s in strategies:
            if s.scenario is not None and (
                canon in s.scenario.constants or canon in s.scenario.series
            ):
                raise InputError(
                    file,
                    key,
                    f"strategy {s.name!r} sets {canon!r}; a sample must not override "
                    "a strategy's decision",
                    "sample a parameter no strategy sets",
                )
        out.append(_parameter(body, key, file, cat[canon], cat))
    _check_links(out, file)
    return tuple(out)


def _check_links(params: list[Parameter], file: Any) -> None:
    """A sampled `Initial X` drives `Policy X`; sampling both would drop one of them."""
    sampled = {p.name for p in params}
    for p in params:
        if p.linked in sampled:
            raise InputError(
                file,
                f"parameters.{p.linked}",
                f"{p.name!r} is sampled too, and its samples set {p.linked!r} "
                "(the status quo carried forward), so these samples would be ignored",
                f"sample one of {p.name!r} and {p.linked!r}",
            )


def _parameter(body: Any, key: str, file: Any, entry: Entry, cat: Catalogue) -> Parameter:
    if isinstance(body, str):
        body = {"distribution": body}
    if not isinstance(body, dict):
        raise InputError(
            file, key, f"expected a table, got {body!r}", 'write [parameters."<name>"]'
        )
    dist = choice(body.get("distribution"), f"{key}.distribution", file, DISTRIBUTIONS)
    known_keys(body, _DIST_KEYS[dist], file, f"key for {dist}", prefix=f"{key}.")
    vals = {k: number(v, f"{key}.{k}", file) for k, v in body.items() if k != "distribution"}
    declared = f"{entry.range_text() or '(none)'} {entry.units}".strip()
    low = vals.get("low", entry.low)
    high = vals.get("high", entry.high)
    if low is None or high is None:
        raise InputError(file, key, f"{entry.name!r} has no declared range", "give low and high")
    for k, v in (("low", low), ("high", high)):
        if not entry.in_range(v):
            raise InputError(
                file,
                f"{key}.{k}",
                f"{v:g} is outside the model's declared range {declared}",
                f"use a value within {entry.range_text()}",
            )
    if not low < high:
        raise InputError(
            file, key, f"low {low:g} must be below high {high:g}", "widen the interval"
        )
    default = entry.default if entry.default is not None else (low + high) / 2
    if not low <= default <= high:
        default = (low + high) / 2
    mode = mean = sd = None
    if dist == "triangular":
        mode = vals.get("mode", default)
        if not low <= mode <= high:
            raise InputError(
                file,
                f"{key}.mode",
                f"{mode:g} is outside [{low:g}, {high:g}]",
                "put the mode between low and high",
            )
    if dist == "normal":
        mean = vals.get("mean", default)
        if "sd" not in vals:
            raise InputError(file, f"{key}.sd", "missing", "give the standard deviation, sd = ...")
        sd = vals["sd"]
        if sd <= 0:
            raise InputError(file, f"{key}.sd", f"{sd:g} is not positive", "use sd > 0")
        if not low <= mean <= high:
            raise InputError(
                file,
                f"{key}.mean",
                f"{mean:g} is outside [{low:g}, {high:g}]",
                "put the mean between low and high",
            )
    if dist == "loguniform" and low <= 0:
        raise InputError(
            file, f"{key}.low", f"a log-uniform needs low > 0, got {low:g}", "set low above 0"
        )
    if dist == "normal":
        assert sd is not None
        width = high - low
        if sd > MAX_SD_RATIO * width:
            raise InputError(
                file,
                f"{key}.sd",
                f"sd {sd:g} is over {MAX_SD_RATIO:g} times the interval [{low:g}, {high:g}]: "
                "truncated there, this normal is a uniform",
                'write distribution = "uniform"',
            )
        if sd < MIN_SD_RATIO * width:
            raise InputError(
                file,
                f"{key}.sd",
                f"sd {sd:g} is under {MIN_SD_RATIO:g} times the interval [{low:g}, {high:g}]: "
                "every sample would be the mean",
                "widen sd, or fix the value in a scenario instead of sampling it",
            )
    param = Parameter(
        entry.name,
        dist,
        float(low),
        float(high),
        float(default),
        entry.units,
        mode,
        mean,
        sd,
        _linked_lever(entry, low, high, key, file, cat),
    )
    _check_sampling(param, key, file)
    return param


def _check_sampling(p: Parameter, key: str, file: Any) -> None:
    """Refuse a distribution whose inverse CDF is numerically degenerate.

    Probes the quantiles a sweep uses: they must be finite, inside [low, high]
    and strictly increasing (no collapse onto one value, as a truncated normal
    with an extreme sd or mean would do in floating point).
    """
    with np.errstate(all="ignore"):
        v = ppf(p, _PROBES)
    if not (np.isfinite(v).all() and (np.diff(v) > 0).all()):
        raise InputError(
            file,
            key,
            f"the {p.distribution} over [{p.low:g}, {p.high:g}] cannot be sampled: "
            "its quantiles collapse in floating point",
            "use a mean and sd closer to the interval, or another distribution",
        )


def _linked_lever(
    entry: Entry, low: float, high: float, key: str, file: Any, cat: Catalogue
) -> str | None:
    """`Policy X` for a sampled `Initial X`, checked to hold every sampled value."""
    if not entry.name.lower().startswith("initial "):
        return None
    lever = "Policy " + entry.name[len("Initial ") :]
    if lever not in cat or not cat[lever].is_lever:
        return None
    lev = cat[lever]
    if not (lev.in_range(low) and lev.in_range(high)):
        raise InputError(
            file,
            key,
            f"[{low:g}, {high:g}] is outside {lev.name!r}'s range {lev.range_text()}",
            "narrow the interval",
        )
    return lev.name


def ppf(p: Parameter, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of the parameter's distribution at probabilities `u` (NaN -> default)."""
    from scipy import stats  # imported here: keeps `import regionsoft_sd` light

    u = np.asarray(u, dtype=float)
    q = np.clip(np.nan_to_num(u, nan=0.5), 0.0, 1.0)
    width = p.high - p.low
    if p.distribution == "uniform":
        v = p.low + q * width
    elif p.distribution == "triangular":
        assert p.mode is not None
        v = stats.triang.ppf(q, (p.mode - p.low) / width, loc=p.low, scale=width)
    elif p.distribution == "normal":
        assert p.mean is not None and p.sd is not None
        a, b = (p.low - p.mean) / p.sd, (p.high - p.mean) / p.sd
        v = stats.truncnorm.ppf(q, a, b, loc=p.mean, scale=p.sd)
    elif p.distribution == "loguniform":
        v = np.exp(np.log(p.low) + q * (np.log(p.high) - np.log(p.low)))
    else:  # pragma: no cover - the spec validated the distribution
        raise ValueError(p.distribution)
    v = np.clip(np.asarray(v, dtype=float), p.low, p.high)
    return np.where(np.isnan(u), p.default, v)
