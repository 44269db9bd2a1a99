"""Sweep spec files: TOML in, a validated `SweepSpec` out, or one clear `InputError`.

A spec names the uncertain parameters and their distributions, the sampling
method, its size and seed, the outcome metrics and the strategies (scenario
files) to evaluate under every sample::

    name = "strategy_robustness"
    description = "..."
    method = "sobol"          # sobol | morris | lhs | montecarlo | oat
    n = 256                   # base samples (Sobol: a power of 2), trajectories (Morris)
    seed = 20250
    metrics = ["dominant_soft_power_end", "consumption_per_capita_end"]
    strategies = ["baseline", "culture_first"]   # shipped names, or paths relative to this file
    futures = "declared"      # or "history": ensemble members (lhs/montecarlo, tornado = false)

    [parameters."Capital share"]
    distribution = "triangular"   # uniform | triangular | normal | loguniform
    low = 0.35                    # optional: the model's declared range by default
    high = 0.45
    mode = 0.4                    # triangular: the model's value by default

Bounds default to the range the `.mdl` declares, and may only narrow it; a
normal is truncated to [low, high]. Validation happens here, once: everything
downstream trusts the spec. See `scenarios/sweeps/` for commented examples.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regionsoft_sd.common.errors import InputError, load_toml, unknown_name
from regionsoft_sd.common.fields import (
    FLOAT,
    boolean,
    check_count,
    choice,
    integer,
    known_keys,
    listing,
    number,
    scenario_path,
    text,
)
from regionsoft_sd.futures.designs import main_rows, oat_rows
from regionsoft_sd.futures.ensemble import check_source, load_ensemble
from regionsoft_sd.futures.params import Parameter, parse_parameters
from regionsoft_sd.model.catalogue import Catalogue, catalogue
from regionsoft_sd.model.metrics import METRIC_NAMES, METRICS
from regionsoft_sd.model.translate import MODEL_PATH
from regionsoft_sd.runs.chunks import MAX_CHUNK_SIZE
from regionsoft_sd.runs.types import Strategy
from regionsoft_sd.scenarios.scenario import Scenario

METHODS = ("sobol", "morris", "lhs", "montecarlo", "oat")
DEFAULT_FAN_VARIABLES = (
    "Dominant Soft Power",
    "GDP",
    "Consumption per capita",
    "Human Quality",
)
DEFAULT_FAN_RUNS = 2000
"""Runs (the first ones, in run order) whose trajectories are kept for fan charts."""
MAX_FAN_RUNS = 20_000
"""Fan-chart runs are held in memory for their quantiles: this bounds that memory."""
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
    "futures",
)


__all__ = ["Parameter", "Strategy", "SweepSpec", "load_spec", "parse_spec"]


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
    futures: str = "declared"
    """"declared" (the parameters' ranges) or "history" (`futures.ensemble` members)."""

    @property
    def names(self) -> list[str]:
        """Parameter names, in the order of the sample columns."""
        return [p.name for p in self.parameters]

    @property
    def n_main(self) -> int:
        """Parameter sets the method draws (each is run once per strategy)."""
        return main_rows(self.method, len(self.parameters), self.n, self.second_order)

    @property
    def n_oat(self) -> int:
        """Extra one-at-a-time runs appended for the tornado (0 if the method is OAT)."""
        return oat_rows(self.method, len(self.parameters), self.tornado)

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
    """Read and validate a sweep spec (a file, or a shipped spec by name); InputError if bad."""
    from regionsoft_sd.common.resources import spec_file

    p = spec_file(path)
    return parse_spec(load_toml(p), source=p)


def parse_spec(data: dict[str, Any], *, source: str | Path | None = None) -> SweepSpec:
    """Validate a parsed spec (`source` names the file and anchors relative paths)."""
    src = None if source is None else Path(source)
    file: Any = src if src is not None else "<sweep spec>"
    base = src.parent if src is not None else Path.cwd()
    known_keys(data, _TOP_KEYS, file, "top-level key", hint="see scenarios/sweeps/")
    name = text(data, "name", file, required=True)
    description = text(data, "description", file, required=False)
    method = choice(data.get("method"), "method", file, METHODS)
    seed = integer(data, "seed", file, required=True, low=0)
    n = integer(data, "n", file, required=method != "oat", low=1) or 1
    least = {"sobol": 4, "oat": 1}.get(method, 2)  # fewer gives no usable indices or spread
    if n < least:
        raise InputError(
            file, "n", f"{method} needs at least {least} base samples, got {n}", f"use n >= {least}"
        )
    if method == "sobol" and n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        raise InputError(
            file, "n", f"Sobol needs a power of 2 base samples, got {n}", f"use {lo} or {lo * 2}"
        )
    model_path = _model_path(data, file, base)
    cat = _catalogue(model_path, file)
    strategies = _strategies(data, file, base, model_path)
    params = parse_parameters(data, file, cat, strategies)
    metrics = _metrics(data, file)
    _check_metric_variables(cat, file, model_path, metrics)
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
        chunk_size=integer(data, "chunk_size", file, low=1, high=MAX_CHUNK_SIZE)
        or DEFAULT_CHUNK_SIZE,
        levels=_levels(data, file),
        second_order=boolean(data, "second_order", file, True),
        oat_quantiles=q,
        fan_variables=fan,
        fan_runs=integer(
            data, "fan_runs", file, low=0, default=DEFAULT_FAN_RUNS, high=MAX_FAN_RUNS
        ),
        tornado=boolean(data, "tornado", file, True),
        model=model_path,
        futures=_futures(data, file, method, model_path),
    )
    if spec.n_runs > MAX_RUNS:
        raise InputError(
            file, "n", f"{spec.n_runs:,} runs is more than {MAX_RUNS:,}", "use a smaller n"
        )
    if method != "oat":
        # the per-run table (inputs and metrics of every run of every strategy, float64)
        # is written chunk by chunk and read back chunk by chunk; bounded like the
        # sizes of the other specs, so that one sweep's table fits in the memory budget
        per_base = spec.n_main // n + spec.n_oat / n
        row = FLOAT * (len(params) + len(metrics) + 1) * len(strategies)
        check_count(n, "n", file, bytes_per_item=per_base * row, per=f"base samples of {method}")
    return _with_digest(spec, data)


def _futures(data: dict[str, Any], file: Any, method: str, model_path: Path) -> str:
    """The `futures` key: "declared" (default) or "history", with what history needs."""
    source = check_source(data.get("futures", "declared"), file)
    if source != "history":
        return source
    if method not in ("lhs", "montecarlo"):
        raise InputError(
            file,
            "futures",
            f'"history" futures are ensemble members, which a {method} design cannot use '
            "(it draws each parameter on its own)",
            'use method = "lhs" or "montecarlo", or futures = "declared"',
        )
    if boolean(data, "tornado", file, True):
        raise InputError(
            file,
            "tornado",
            "a tornado moves one parameter at a time around the model's values, "
            "not between ensemble members",
            'set tornado = false with futures = "history"',
        )
    if Path(model_path).resolve() != Path(MODEL_PATH).resolve():
        raise InputError(
            file, "futures", "the ensemble is made for the shipped model only", "remove model"
        )
    return source


def _with_digest(spec: SweepSpec, data: dict[str, Any]) -> SweepSpec:
    """Fingerprint the parsed spec, the strategies' overrides and any ensemble used."""
    h = hashlib.sha256(repr(sorted(data.items(), key=lambda kv: kv[0])).encode())
    if spec.futures == "history":
        h.update(str(load_ensemble().meta["sha256"]).encode())
    for s in spec.strategies:
        if s.scenario is not None:
            h.update(repr(s.scenario.to_dict()).encode())
    h.update(Path(spec.model).read_bytes())
    return dataclasses.replace(spec, digest=h.hexdigest()[:16])


def _model_path(data: dict[str, Any], file: Any, base: Path) -> Path:
    if "model" not in data:
        return Path(MODEL_PATH)
    p = base / text(data, "model", file, required=True)
    try:
        found = p.is_file() and p.suffix.lower() == ".mdl"
    except OSError:  # a name too long, a symlink loop
        found = False
    if not found:
        raise InputError(file, "model", f"no Vensim model at {str(p)!r}", "give a .mdl path")
    return p


def _catalogue(model_path: Path, file: Any) -> Catalogue:
    """The model's catalogue; a model PySD cannot read is bad input, not a crash."""
    try:
        return catalogue(model_path)
    except InputError:
        raise
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - PySD raises many kinds
        raise InputError(
            file,
            "model",
            f"cannot read the model {str(model_path)!r} ({type(exc).__name__})",
            "check that it opens in Vensim or PySD",
        ) from exc


def _check_metric_variables(
    cat: Catalogue, file: Any, model_path: Path, metrics: tuple[str, ...]
) -> None:
    """The model must define the variables the spec's metrics are computed from (and only
    those: a small model may be swept on the metrics it supports)."""
    from regionsoft_sd.model.metrics import required_variables

    if Path(model_path).resolve() != Path(MODEL_PATH).resolve():
        from regionsoft_sd.batch import UnsupportedConstructError, compile_model

        try:
            compile_model(model_path)
        except UnsupportedConstructError as exc:
            raise InputError(
                file, "model", f"the batch engine cannot run it: {exc}", "simplify that equation"
            ) from exc
    missing = [v for v in required_variables(metrics) if v not in cat]
    if missing:
        raise InputError(
            file,
            "metrics",
            f"the model {Path(model_path).name!r} lacks "
            + ", ".join(repr(v) for v in missing)
            + f", which the metrics {', '.join(metrics)} are computed from",
            "use a model that defines them, or ask for other metrics",
        )


def _levels(data: dict[str, Any], file: Any) -> int:
    """Morris grid levels: an even number (the trajectories' start grid is half of it)."""
    levels = integer(data, "levels", file, low=2, high=1000) or 4
    if levels % 2:
        raise InputError(
            file,
            "levels",
            f"Morris needs an even number of levels, got {levels}",
            f"use {levels - 1} or {levels + 1}",
        )
    return levels


def _strategies(data: dict[str, Any], file: Any, base: Path, model: Path) -> tuple[Strategy, ...]:
    raw = listing(data, "strategies", file)
    if not raw:
        return (Strategy("model", None),)
    if Path(model).resolve() != Path(MODEL_PATH).resolve():
        raise InputError(
            file, "strategies", "strategies need the shipped model", "remove model or strategies"
        )
    out: list[Strategy] = []
    for i, item in enumerate(raw):
        key = f"strategies[{i}]"
        path = scenario_path(item, key, file, base)  # a shipped name or a path
        scenario = Scenario.from_file(path)
        if any(s.name == scenario.name for s in out):
            raise InputError(file, key, f"strategy {scenario.name!r} is listed twice", "drop one")
        out.append(Strategy(scenario.name, scenario, path))
    return tuple(out)


def _metrics(data: dict[str, Any], file: Any) -> tuple[str, ...]:
    raw = listing(data, "metrics", file)
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
    lo, hi = (number(v, key, file) for v in raw)
    if not 0 <= lo < 0.5 < hi <= 1:
        raise InputError(
            file,
            key,
            f"[{lo:g}, {hi:g}] are not quantiles around the median",
            "use 0 <= low < 0.5 < high <= 1, e.g. [0.05, 0.95]",
        )
    return lo, hi
