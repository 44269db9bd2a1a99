"""Scenario-discovery specs: which strategy, which failure, which futures.

A discovery asks *in which futures does a strategy fail?* A failure is either
losing to another strategy on a metric, or a metric on the wrong side of a
threshold::

    name = "balanced_loses_to_education"
    description = "When does the balanced split lose to education first on soft power?"
    strategy = "balanced"                 # shipped names, or paths relative to this spec
    against = "education_first"           # fails where it does worse than this ...
    metric = "dominant_soft_power_end"
    margin = 0.0                          # ... by more than this (metric units)
    tie = 0.001                           # ... plus this share of the outcome (a tie)
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
    objective = "lenient1"                # lenient1 (EMA's default) | lenient2 | original

    [parameters]                          # the uncertain parameters, as in a sweep spec
    "Long run reference income growth" = "uniform"

The same failure keys, without the sample and strategy keys, form the
`[discover]` table of an optimisation spec, where `against = "runner-up"`
means the best compared strategy in the re-evaluation.

`futures` and `sobol` may ask for at most `fields.MEMORY_BUDGET` (8 GiB) of the
memory their items need (`futures.sizes`), checked here, before any run; `seed` is
any whole number >= 0 (`fields.seed32` derives the 32-bit seeds scikit-learn and
SALib need); `name` is one line without control characters.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regionsoft_sd.common.errors import InputError, load_toml
from regionsoft_sd.common.fields import (
    check_count,
    choice,
    integer,
    known_keys,
    scenario_path,
    seed,
    text,
)
from regionsoft_sd.common.fields import name as name_field
from regionsoft_sd.futures.failure import FAILURE_KEYS as _FAILURE_KEYS
from regionsoft_sd.futures.failure import (  # noqa: F401 - re-exported: the failure keys
    RUNNER_UP,
    Failure,
    PrimSettings,
    parse_failure,
)
from regionsoft_sd.futures.params import Parameter, parse_parameters
from regionsoft_sd.futures.sizes import case_bytes, run_bytes, sobol_bytes
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.runs.types import Strategy
from regionsoft_sd.scenarios.scenario import Scenario

SAMPLING = ("lhs", "montecarlo")
_TOP = ("name", "description", "strategy", "futures", "method", "seed", "parameters")


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


def load_spec(path: str | Path) -> DiscoverSpec:
    """Read and validate a discovery spec (a file, or a shipped spec by name); InputError if bad."""
    from regionsoft_sd.common.resources import optimise_spec_file

    p = optimise_spec_file(path, "discovery spec")
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
        raise InputError(file, "strategy", "missing", 'add strategy = "balanced"')
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
