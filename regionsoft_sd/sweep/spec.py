"""Sweep spec files: TOML in, a validated `SweepSpec` out, or one clear `InputError`.

A spec names the uncertain parameters and their distributions, the sampling
method, its size and seed, the outcome metrics and the strategies (scenario
files) to evaluate under every sample::

    name = "strategy_robustness"
    description = "..."
    method = "sobol"          # sobol | morris | lhs | montecarlo | oat
    n = 256                   # base samples (Sobol: a power of 2), trajectories (Morris)
    seed = 20250
    metrics = ["dominant_soft_power_end", "hard_power_index_end"]
    strategies = ["../baseline.toml", "../culture_first.toml"]   # relative to this file

    [parameters."Capital share of output"]
    distribution = "triangular"   # uniform | triangular | normal | loguniform
    low = 0.35                    # optional: the model's declared range by default
    high = 0.6
    mode = 0.45                   # triangular: the model's value by default

Bounds default to the range the `.mdl` declares, and may only narrow it; a
normal is truncated to [low, high]. Validation happens here, once: everything
downstream trusts the spec. See `scenarios/sweeps/` for commented examples.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regionsoft_sd.catalogue import Catalogue, Entry, catalogue
from regionsoft_sd.errors import InputError, load_toml, unknown_name
from regionsoft_sd.metrics import METRIC_NAMES, METRICS
from regionsoft_sd.model import MODEL_PATH
from regionsoft_sd.scenario import SPLIT_GROUP, Scenario

METHODS = ("sobol", "morris", "lhs", "montecarlo", "oat")
DISTRIBUTIONS = ("uniform", "triangular", "normal", "loguniform")
DEFAULT_FAN_VARIABLES = (
    "Dominant Soft Power",
    "Hard Power Index",
    "Human Quality",
    "Regional Culture",
)
DEFAULT_FAN_RUNS = 2000
"""Runs (the first ones, in run order) whose trajectories are kept for fan charts."""
DEFAULT_CHUNK_SIZE = 1024
MAX_RUNS = 50_000_000

_TOP_KEYS = (
    "name",
    "description",
    "method",
    "n",
    "seed",
    "metrics",
    "strategies",
    "parameters",
    "chunk_size",
    "levels",
    "second_order",
    "oat_quantiles",
    "fan_variables",
    "fan_runs",
    "tornado",
    "model",
)
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
    (`Initial X`) in strategies that do not set it: see `SweepSpec.linked`.
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


@dataclass(frozen=True)
class Strategy:
    """A strategy to evaluate under every sample: a validated scenario and its file."""

    name: str
    scenario: Scenario | None  # None: the model as it is (no overrides)
    path: Path | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: everything the sampler, runner and analysis need.

    `n` is the method's base size (Sobol: base samples; Morris: trajectories;
    LHS and Monte Carlo: runs; one-at-a-time: ignored). Unless `tornado` is
    false, a one-at-a-time block (1 + 2k runs) follows the method's design, so
    every sweep can draw a tornado. `digest` fingerprints
    the spec and every strategy file, so `--resume` can refuse a changed sweep.
    """

    name: str
    description: str
    method: str
    n: int
    seed: int
    parameters: tuple[Parameter, ...]
    metrics: tuple[str, ...]
    strategies: tuple[Strategy, ...]
    source: Path | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    levels: int = 4
    second_order: bool = True
    oat_quantiles: tuple[float, float] = (0.05, 0.95)
    fan_variables: tuple[str, ...] = DEFAULT_FAN_VARIABLES
    fan_runs: int = DEFAULT_FAN_RUNS
    tornado: bool = True
    model: Path = field(default=MODEL_PATH)
    digest: str = ""

    @property
    def names(self) -> list[str]:
        """Parameter names, in the order of the sample columns."""
        return [p.name for p in self.parameters]

    @property
    def n_main(self) -> int:
        """Parameter sets the method draws (each is run once per strategy)."""
        k = len(self.parameters)
        if self.method == "sobol":
            return self.n * (2 * k + 2 if self.second_order else k + 2)
        if self.method == "morris":
            return self.n * (k + 1)
        if self.method == "oat":
            return 1 + 2 * k
        return self.n

    @property
    def n_oat(self) -> int:
        """Extra one-at-a-time runs appended for the tornado (0 if the method is OAT)."""
        if self.method == "oat" or not self.tornado:
            return 0
        return 1 + 2 * len(self.parameters)

    @property
    def n_runs(self) -> int:
        """All runs per strategy: the method's design, then the tornado's OAT block."""
        return self.n_main + self.n_oat

    @property
    def fan_limit(self) -> int:
        """Runs 0 .. fan_limit - 1 keep their trajectories for fan charts."""
        return min(self.fan_runs, self.n_main)

    @property
    def ranked_metrics(self) -> list[str]:
        """The spec's metrics that have a better direction (used for win shares)."""
        better = {m.name: m.better for m in METRICS}
        return [m for m in self.metrics if better.get(m)]


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec file; raise InputError on any problem."""
    p = Path(path)
    return parse_spec(load_toml(p), source=p)


def parse_spec(data: dict[str, Any], *, source: str | Path | None = None) -> SweepSpec:
    """Validate a parsed spec (`source` names the file and anchors relative paths)."""
    src = None if source is None else Path(source)
    file: Any = src if src is not None else "<sweep spec>"
    base = src.parent if src is not None else Path.cwd()
    for key in data:
        if key not in _TOP_KEYS:
            raise unknown_name(file, key, key, _TOP_KEYS, "top-level key", "see scenarios/sweeps/")
    name = _text(data, "name", file, required=True)
    description = _text(data, "description", file, required=False)
    method = _choice(data.get("method"), "method", file, METHODS)
    seed = _int(data, "seed", file, required=True, low=0)
    n = _int(data, "n", file, required=method != "oat", low=1) or 1
    if method == "sobol" and n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        raise InputError(
            file, "n", f"Sobol needs a power of 2 base samples, got {n}", f"use {lo} or {lo * 2}"
        )
    model_path = _model_path(data, file, base)
    cat = catalogue(model_path)
    strategies = _strategies(data, file, base, model_path)
    params = _parameters(data, file, cat, strategies)
    metrics = _metrics(data, file)
    fan = _fan_variables(data, file, cat)
    q = _quantiles(data, file)
    spec = SweepSpec(
        name=name,
        description=description,
        method=method,
        n=n,
        seed=seed,
        parameters=params,
        metrics=metrics,
        strategies=strategies,
        source=src,
        chunk_size=_int(data, "chunk_size", file, low=1) or DEFAULT_CHUNK_SIZE,
        levels=_int(data, "levels", file, low=2) or 4,
        second_order=_bool(data, "second_order", file, True),
        oat_quantiles=q,
        fan_variables=fan,
        fan_runs=_int(data, "fan_runs", file, low=0, default=DEFAULT_FAN_RUNS),
        tornado=_bool(data, "tornado", file, True),
        model=model_path,
    )
    if spec.n_runs > MAX_RUNS:
        raise InputError(
            file, "n", f"{spec.n_runs:,} runs is more than {MAX_RUNS:,}", "use a smaller n"
        )
    return _with_digest(spec, data)


def _with_digest(spec: SweepSpec, data: dict[str, Any]) -> SweepSpec:
    """Fingerprint the parsed spec and the strategies' resolved overrides."""
    h = hashlib.sha256(repr(sorted(data.items(), key=lambda kv: kv[0])).encode())
    for s in spec.strategies:
        if s.scenario is not None:
            h.update(repr(s.scenario.to_dict()).encode())
    h.update(Path(spec.model).read_bytes())
    return dataclasses.replace(spec, digest=h.hexdigest()[:16])


def _text(data: dict[str, Any], key: str, file: Any, *, required: bool) -> str:
    if key not in data:
        if required:
            raise InputError(file, key, "missing", f'add a line such as {key} = "..."')
        return ""
    value = data[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(file, key, f"expected text, got {value!r}", f'write {key} = "..."')
    return value.strip()


def _choice(value: Any, key: str, file: Any, options: tuple[str, ...]) -> str:
    if value is None:
        raise InputError(file, key, "missing", f"add {key} = one of {', '.join(options)}")
    if not isinstance(value, str) or value.lower() not in options:
        raise unknown_name(file, key, str(value), options, key, f"use one of {', '.join(options)}")
    return value.lower()


def _int(
    data: dict[str, Any],
    key: str,
    file: Any,
    *,
    required: bool = False,
    low: int = 0,
    default: int | None = None,
) -> int | None:
    if key not in data:
        if required:
            raise InputError(file, key, "missing", f"add {key} = <a whole number>")
        return default
    v = data[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(
            file, key, f"expected a whole number, got {v!r}", "write it without quotes or decimals"
        )
    if v < low:
        raise InputError(file, key, f"{v} is below {low}", f"use a number >= {low}")
    return v


def _number(value: Any, key: str, file: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            file, key, f"expected a finite number, got {value!r}", "write a plain number"
        )
    return float(value)


def _bool(data: dict[str, Any], key: str, file: Any, default: bool) -> bool:
    v = data.get(key, default)
    if not isinstance(v, bool):
        raise InputError(file, key, f"expected true or false, got {v!r}", "write true or false")
    return v


def _list(data: dict[str, Any], key: str, file: Any) -> list[Any]:
    v = data.get(key, [])
    if not isinstance(v, list):
        raise InputError(file, key, f"expected a list, got {v!r}", f'write {key} = ["...", "..."]')
    return v


def _model_path(data: dict[str, Any], file: Any, base: Path) -> Path:
    if "model" not in data:
        return Path(MODEL_PATH)
    p = base / _text(data, "model", file, required=True)
    if not p.is_file() or p.suffix.lower() != ".mdl":
        raise InputError(file, "model", f"no Vensim model at {str(p)!r}", "give a .mdl path")
    return p


def _strategies(data: dict[str, Any], file: Any, base: Path, model: Path) -> tuple[Strategy, ...]:
    raw = _list(data, "strategies", file)
    if not raw:
        return (Strategy("model", None),)
    if Path(model).resolve() != Path(MODEL_PATH).resolve():
        raise InputError(
            file, "strategies", "strategies need the shipped model", "remove model or strategies"
        )
    out: list[Strategy] = []
    for i, item in enumerate(raw):
        key = f"strategies[{i}]"
        if not isinstance(item, str):
            raise InputError(file, key, f"expected a file path, got {item!r}", "write a path")
        path = base / item
        if not path.is_file():
            raise InputError(
                file, key, f"no scenario file {str(path)!r}", "paths are relative to the spec file"
            )
        scenario = Scenario.from_file(path)
        if any(s.name == scenario.name for s in out):
            raise InputError(file, key, f"strategy {scenario.name!r} is listed twice", "drop one")
        out.append(Strategy(scenario.name, scenario, path))
    return tuple(out)


def _parameters(
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
    split = {
        n
        for e in cat.lever_groups().get(SPLIT_GROUP, [])
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
                f"{canon!r} is a budget-split share; the four shares must sum to 1, "
                "so one cannot vary alone",
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
    return tuple(out)


def _parameter(body: Any, key: str, file: Any, entry: Entry, cat: Catalogue) -> Parameter:
    if isinstance(body, str):
        body = {"distribution": body}
    if not isinstance(body, dict):
        raise InputError(
            file, key, f"expected a table, got {body!r}", 'write [parameters."<name>"]'
        )
    dist = _choice(body.get("distribution"), f"{key}.distribution", file, DISTRIBUTIONS)
    for k in body:
        if k not in _DIST_KEYS[dist]:
            raise unknown_name(file, f"{key}.{k}", k, _DIST_KEYS[dist], f"key for {dist}")
    vals = {k: _number(v, f"{key}.{k}", file) for k, v in body.items() if k != "distribution"}
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
    return Parameter(
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


def _metrics(data: dict[str, Any], file: Any) -> tuple[str, ...]:
    raw = _list(data, "metrics", file)
    if not raw:
        raise InputError(
            file, "metrics", "no outcome metrics", f"list some of {', '.join(METRIC_NAMES)}"
        )
    out: list[str] = []
    for i, m in enumerate(raw):
        if not isinstance(m, str) or m not in METRIC_NAMES:
            raise unknown_name(
                file,
                f"metrics[{i}]",
                str(m),
                METRIC_NAMES,
                "metric",
                f"use one of {', '.join(METRIC_NAMES)}",
            )
        if m not in out:
            out.append(m)
    return tuple(out)


def _fan_variables(data: dict[str, Any], file: Any, cat: Catalogue) -> tuple[str, ...]:
    raw = data.get("fan_variables")
    if raw is None:
        return tuple(v for v in DEFAULT_FAN_VARIABLES if v in cat)
    if not isinstance(raw, list):
        raise InputError(file, "fan_variables", f"expected a list, got {raw!r}", "write a list")
    return tuple(
        cat.resolve(str(v), file=file, key=f"fan_variables[{i}]", kinds=("stock", "auxiliary"))
        for i, v in enumerate(raw)
    )


def _quantiles(data: dict[str, Any], file: Any) -> tuple[float, float]:
    raw = data.get("oat_quantiles", [0.05, 0.95])
    key = "oat_quantiles"
    if not isinstance(raw, list) or len(raw) != 2:
        raise InputError(file, key, f"expected [low, high], got {raw!r}", "write [0.05, 0.95]")
    lo, hi = (_number(v, key, file) for v in raw)
    if not 0 <= lo < 0.5 < hi <= 1:
        raise InputError(
            file,
            key,
            f"[{lo:g}, {hi:g}] are not quantiles around the median",
            "use 0 <= low < 0.5 < high <= 1, e.g. [0.05, 0.95]",
        )
    return lo, hi
