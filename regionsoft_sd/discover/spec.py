"""Scenario-discovery specs: which strategy, which failure, which futures.

A discovery asks *in which futures does a strategy fail?* A failure is either
losing to another strategy on a metric, or a metric on the wrong side of a
threshold::

    name = "balanced_loses_to_education"
    description = "When does the balanced split lose to education first on soft power?"
    strategy = "../balanced.toml"         # scenario files, relative to this spec
    against = "../education_first.toml"   # fails where it does worse than this ...
    metric = "dominant_soft_power_end"
    margin = 0.0                          # ... by more than this (metric units)
    # below = 2.0                         # or: fails where the metric is below 2.0
    futures = 2000                        # sample of the uncertain parameters
    method = "lhs"                        # lhs | montecarlo
    seed = 7
    sobol = 256                           # Sobol base samples for the difference (0: none)

    [prim]                                # optional PRIM settings
    threshold = 0.8                       # density the chosen box must reach
    peel_alpha = 0.05
    paste_alpha = 0.05
    mass_min = 0.05

    [parameters]                          # the uncertain parameters, as in a sweep spec
    "Long run reference income growth" = "uniform"

The same failure keys, without the sample and strategy keys, form the
`[discover]` table of an optimisation spec, where `against = "runner-up"`
means the best compared strategy in the re-evaluation.

`futures` and `sobol` may ask for at most `fields.MEMORY_BUDGET` (8 GiB) of the
memory their items need (`discover.sizes`), checked here, before any run; `seed` is
any whole number >= 0 (`fields.seed32` derives the 32-bit seeds scikit-learn and
SALib need); `name` is one line without control characters.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regionsoft_sd.catalogue import catalogue
from regionsoft_sd.discover.sizes import case_bytes, run_bytes, sobol_bytes
from regionsoft_sd.errors import InputError, load_toml, unknown_name
from regionsoft_sd.fields import check_count, choice, integer, known_keys, number, seed, text
from regionsoft_sd.fields import name as name_field
from regionsoft_sd.metrics import METRIC_NAMES, METRICS
from regionsoft_sd.runs.types import Strategy
from regionsoft_sd.scenario import Scenario
from regionsoft_sd.sweep.params import Parameter, parse_parameters

RUNNER_UP = "runner-up"
SAMPLING = ("lhs", "montecarlo")
_FAILURE_KEYS = ("against", "metric", "margin", "below", "above", "sobol", "prim")
_PRIM_KEYS = ("threshold", "peel_alpha", "paste_alpha", "mass_min")
_TOP = ("name", "description", "strategy", "futures", "method", "seed", "parameters")


@dataclass(frozen=True)
class PrimSettings:
    """PRIM's parameters (see `prim.prim`)."""

    threshold: float = 0.8
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05


@dataclass(frozen=True)
class Failure:
    """When a strategy fails: it loses to `against`, or `metric` crosses `below`/`above`.

    `against` is a `Strategy`, `RUNNER_UP` (optimisation specs only), or None
    (then `below` or `above` is set). `better` is the metric's direction.
    """

    metric: str
    better: str
    against: Strategy | str | None = None
    margin: float = 0.0
    below: float | None = None
    above: float | None = None
    sobol: int = 0
    prim: PrimSettings = PrimSettings()

    def describe(self, strategy: str, against: str | None = None) -> str:
        """The failure in words, e.g. `balanced does worse than education_first on ...`."""
        if self.below is not None:
            return f"{strategy}'s {self.metric} is below {self.below:g}"
        if self.above is not None:
            return f"{strategy}'s {self.metric} is above {self.above:g}"
        other = against or (self.against.name if isinstance(self.against, Strategy) else "")
        by = f" by more than {self.margin:g}" if self.margin else ""
        return f"{strategy} does worse than {other} on {self.metric}{by}"


@dataclass(frozen=True)
class DiscoverSpec:
    """A validated discovery: the strategy, the failure and the futures."""

    name: str
    description: str
    strategy: Strategy
    failure: Failure
    parameters: tuple[Parameter, ...]
    futures: int
    method: str
    seed: int
    source: Path | None = None
    digest: str = ""


def scenario_path(raw: Any, key: str, file: Any, folder: Path, *, also: str = "") -> Path:
    """The scenario file a spec names at `key` (relative to the spec's `folder`).

    Not text, missing, a folder or something else that is not a file: an
    InputError that says which (`also` adds to the fix, e.g. `or "runner-up"`).
    """
    fix = f"give the path of a scenario .toml file, relative to the spec{also}"
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(file, key, f"expected a scenario file path, got {raw!r}", fix)
    path = folder / raw
    try:
        if path.is_dir():
            problem = f"{str(path)!r} is a folder, not a scenario file"
        elif path.is_file():
            return path
        elif path.is_symlink():
            problem = f"{str(path)!r} is a symlink to a missing file"
        else:
            problem = f"no scenario file {str(path)!r}"
    except (OSError, ValueError) as exc:  # a name too long, a symlink loop, a NUL byte
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        problem = f"cannot read {str(path)!r} ({why})"
    raise InputError(file, key, problem, fix)


def parse_failure(
    raw: Any,
    key: str,
    file: Any,
    folder: Path,
    *,
    default_metric: str | None = None,
    allow_runner_up: bool = True,
) -> Failure:
    """Validate the failure keys of `raw` (a table); `key` prefixes error keys."""
    if not isinstance(raw, dict):
        raise InputError(file, key or None, f"expected a table, got {raw!r}", f"write [{key}]")

    def k(name: str) -> str:
        return f"{key}.{name}" if key else name

    if key:
        known_keys(raw, _FAILURE_KEYS, file, "key", prefix=k(""))
    metric = raw.get("metric", default_metric)
    if not isinstance(metric, str) or metric not in METRIC_NAMES:
        raise unknown_name(
            file, k("metric"), str(metric), METRIC_NAMES, "metric", "use a metric name"
        )
    better = next(m.better for m in METRICS if m.name == metric) or "higher"
    below = number(raw["below"], k("below"), file) if "below" in raw else None
    above = number(raw["above"], k("above"), file) if "above" in raw else None
    against: Strategy | str | None = None
    if "against" in raw:
        a = raw["against"]
        if allow_runner_up and a == RUNNER_UP:
            against = RUNNER_UP
        else:
            also = f', or "{RUNNER_UP}"' if allow_runner_up else ""
            path = scenario_path(a, k("against"), file, folder, also=also)
            sc = Scenario.from_file(path)
            against = Strategy(sc.name, sc, path)
    elif below is None and above is None:
        against = RUNNER_UP if allow_runner_up else None
    given = sum(x is not None for x in (against, below, above))
    if given != 1:
        raise InputError(
            file,
            key or None,
            "give exactly one failure condition: against, below or above",
            "keep one of them",
        )
    margin = number(raw.get("margin", 0.0), k("margin"), file)
    if margin < 0:
        raise InputError(file, k("margin"), f"{margin:g} is negative", "use margin >= 0")
    sobol = integer(raw, "sobol", file, low=0, default=0, prefix=k("")) or 0
    if sobol and sobol & (sobol - 1):
        raise InputError(file, k("sobol"), f"{sobol} is not a power of 2", "use e.g. 256")
    return Failure(metric, better, against, margin, below, above, sobol, _prim(raw, k, file))


def _prim(raw: dict, k, file: Any) -> PrimSettings:
    table = raw.get("prim", {})
    if not isinstance(table, dict):
        raise InputError(file, k("prim"), f"expected a table, got {table!r}", "write [prim]")
    known_keys(table, _PRIM_KEYS, file, "PRIM setting", prefix=k("prim."))
    d = PrimSettings()
    vals = {n: number(table.get(n, getattr(d, n)), k(f"prim.{n}"), file) for n in _PRIM_KEYS}
    if not 0 < vals["threshold"] <= 1:
        raise InputError(file, k("prim.threshold"), "must lie in (0, 1]", "use e.g. 0.8")
    for n in ("peel_alpha", "paste_alpha", "mass_min"):
        if not 0 < vals[n] < 0.5:
            raise InputError(file, k(f"prim.{n}"), f"{vals[n]:g} is not in (0, 0.5)", "use 0.05")
    return PrimSettings(**vals)


def load_spec(path: str | Path) -> DiscoverSpec:
    """Read and validate a discovery spec file; raise InputError on any problem."""
    p = Path(path)
    return parse_spec(load_toml(p), source=p)


def parse_spec(data: dict[str, Any], *, source: str | Path | None = None) -> DiscoverSpec:
    """Validate a parsed discovery spec."""
    src = None if source is None else Path(source)
    file: Any = src if src is not None else "<discover spec>"
    folder = src.parent if src is not None else Path.cwd()
    known_keys(data, (*_TOP, *_FAILURE_KEYS), file, "top-level key", hint="see scenarios/optimise/")
    name = name_field(data, "name", file)
    raw = data.get("strategy")
    if raw is None:
        raise InputError(file, "strategy", "missing", 'add strategy = "../balanced.toml"')
    path = scenario_path(raw, "strategy", file, folder)
    sc = Scenario.from_file(path)
    strategy = Strategy(sc.name, sc, path)
    failure = parse_failure(
        {k: v for k, v in data.items() if k in _FAILURE_KEYS},
        "",
        file,
        folder,
        allow_runner_up=False,
    )
    if isinstance(failure.against, Strategy) and failure.against.name == strategy.name:
        raise InputError(file, "against", "a strategy cannot fail against itself", "pick another")
    strategies = (strategy,) + ((failure.against,) if isinstance(failure.against, Strategy) else ())
    params = parse_parameters(data, file, catalogue(), strategies)
    k = len(params)
    futures = integer(data, "futures", file, low=10, default=1000) or 1000
    check_count(
        futures,
        "futures",
        file,
        bytes_per_item=len(strategies) * run_bytes(k, 1) + case_bytes(k),
        per=f"futures ({k} uncertain parameters)",
    )
    if failure.sobol:
        check_count(
            failure.sobol,
            "sobol",
            file,
            bytes_per_item=sobol_bytes(k, len(strategies), 1),
            per=f"Sobol base samples ({k} uncertain parameters)",
        )
    spec = DiscoverSpec(
        name=name,
        description=text(data, "description", file, required=False),
        strategy=strategy,
        failure=failure,
        parameters=params,
        futures=futures,
        method=choice(data.get("method", "lhs"), "method", file, SAMPLING),
        seed=seed(data, "seed", file),
        source=src,
    )
    h = hashlib.sha256(repr(sorted(data.items(), key=lambda kv: kv[0])).encode())
    for s in strategies:
        h.update(repr(s.scenario.to_dict() if s.scenario else None).encode())
    return dataclasses.replace(spec, digest=h.hexdigest()[:16])
