"""Optimisation spec files: TOML in, a validated `OptimiseSpec` out, or one clear `InputError`.

A spec says what to decide, what to aim for, under which constraints and which
uncertainty (see `scenarios/optimise/` for commented examples)::

    name = "best_split"
    description = "The programme split that maximises soft power at equal money."
    base = "current_mix"               # decisions apply on top of this scenario
    compare = ["balanced"]             # shipped strategies: marked, seeded, re-evaluated
    seed = 1

    [decisions.programme_split]        # see `levers.py`
    programme_image_share = [0, 0.3]

    [[objectives]]
    metric = "dominant_soft_power_end"  # any metric; sense defaults to its direction
    robustness = "mean"                 # mean | percentile | regret | satisficing

    [[constraints]]
    metric = "consumption_per_capita_end"
    min = 30

    [search]                           # algorithm = "auto" | "de" | "nsga2" | "nsga3"
    population = 40
    generations = 60

    [uncertainty]                      # with [parameters]: the futures
    futures = 200                      # shared sample every candidate is scored on
    fresh = 1000                       # new sample for the re-evaluation
    source = "declared"                # or "history": sets that agree with 2005-2022
    [parameters]                       # exactly as in a sweep spec
    "Long run reference income growth" = "uniform"

Validation happens here, once; downstream code trusts the spec. That includes the
sizes: population, generations, futures, fresh and `[discover] sobol` may ask for at
most `fields.MEMORY_BUDGET` (8 GiB) of the memory their items need (`check_sizes`,
with the costs of `futures.sizes`); `seed` is any whole number >= 0; `name` is a
scenario name (letters, digits, `_ - .`: the found strategies' files are named after
it) that no compared strategy has.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regionsoft_sd.common.errors import InputError, load_toml, unknown_name
from regionsoft_sd.common.fields import (
    FLOAT,
    SIMPLE_NAME,
    boolean,
    check_count,
    choice,
    integer,
    known_keys,
    listing,
    number,
    scenario_path,
    seed,
    text,
)
from regionsoft_sd.common.fields import name as name_field
from regionsoft_sd.futures.ensemble import check_source
from regionsoft_sd.futures.failure import Failure, parse_failure
from regionsoft_sd.futures.params import Parameter, parse_parameters
from regionsoft_sd.futures.sizes import case_bytes, run_bytes, sobol_bytes
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import METRIC_NAMES, METRICS
from regionsoft_sd.optimise.decisions import Space
from regionsoft_sd.optimise.levers import parse_decisions
from regionsoft_sd.optimise.robust import DEFAULT_PERCENTILE, SCORERS, score_direction
from regionsoft_sd.runs.chunks import MAX_CHUNK_SIZE
from regionsoft_sd.runs.types import Strategy
from regionsoft_sd.scenarios.scenario import MAX_NAME, Scenario

ALGORITHMS = ("auto", "de", "nsga2", "nsga3")
SAMPLING = ("lhs", "montecarlo")
SENSES = ("max", "min")
_TOP = (
    "name",
    "description",
    "base",
    "compare",
    "seed",
    "decisions",
    "objectives",
    "constraints",
    "search",
    "uncertainty",
    "parameters",
    "discover",
)
_OBJ_KEYS = ("metric", "sense", "robustness", "percentile", "threshold")
_CON_KEYS = ("metric", "min", "max", "robustness", "percentile")
_SEARCH_KEYS = ("algorithm", "population", "generations", "polish", "tol", "chunk_size")
_UNC_KEYS = ("futures", "method", "fresh", "source")
MAX_RUNS_PER_BATCH = 5_000_000


@dataclass(frozen=True)
class Objective:
    """One metric to maximise or minimise, summarised over the futures by `robustness`."""

    metric: str
    better: str  # "higher" or "lower": the sense of the metric itself
    robustness: str = "mean"
    percentile: float = DEFAULT_PERCENTILE
    threshold: float | None = None

    @property
    def direction(self) -> str:
        """Which way the *score* is better (regret: lower; satisficing: higher)."""
        return score_direction(self.robustness, self.better)

    @property
    def label(self) -> str:
        """Column name of the score, e.g. `dominant_soft_power_end` or `regret:hard_...`."""
        if self.robustness == "mean":
            return self.metric
        if self.robustness == "percentile":
            return f"p{self.percentile:g}:{self.metric}"
        return f"{self.robustness}:{self.metric}"


@dataclass(frozen=True)
class Constraint:
    """A bound on a metric's summary over the futures (mean, or a bad-tail percentile)."""

    metric: str
    low: float | None
    high: float | None
    robustness: str = "mean"
    percentile: float = DEFAULT_PERCENTILE


@dataclass(frozen=True)
class Search:
    """Algorithm and budget of the search."""

    algorithm: str = "auto"
    population: int = 40
    generations: int = 60
    polish: bool = True
    chunk_size: int = 4096
    tol: float = 1e-3
    """DE stops when the spread of the population's scores is below tol x their mean
    (SciPy's relative tolerance); the polish then converges to the optimum."""


@dataclass(frozen=True)
class Uncertainty:
    """The futures: uncertain parameters (sweep distributions) and sample sizes."""

    parameters: tuple[Parameter, ...]
    futures: int = 100
    method: str = "lhs"
    fresh: int = 0
    source: str = "declared"
    """"declared" (the parameters' ranges) or "history" (`futures.ensemble` members)."""


@dataclass(frozen=True)
class OptimiseSpec:
    """A validated optimisation: everything the search, the runner and the report need."""

    name: str
    description: str
    space: Space
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    search: Search
    seed: int
    base: Strategy
    compare: tuple[Strategy, ...] = ()
    uncertainty: Uncertainty | None = None
    discover: Failure | None = None
    source: Path | None = None
    digest: str = ""

    @property
    def algorithm(self) -> str:
        """The algorithm actually used (`auto` resolved by the number of objectives)."""
        if self.search.algorithm != "auto":
            return self.search.algorithm
        return {1: "de", 2: "nsga2"}.get(len(self.objectives), "nsga3")

    @property
    def metrics(self) -> list[str]:
        """Every metric the runs must return (objectives, constraints, discovery)."""
        names = [o.metric for o in self.objectives] + [c.metric for c in self.constraints]
        if self.discover is not None:
            names.append(self.discover.metric)
        return list(dict.fromkeys(names))


def load_spec(path: str | Path) -> OptimiseSpec:
    """Read and validate an optimisation spec (a file or a shipped name)."""
    from regionsoft_sd.common.resources import optimise_spec_file

    p = optimise_spec_file(path)
    return parse_spec(load_toml(p), source=p)


def parse_spec(data: dict[str, Any], *, source: str | Path | None = None) -> OptimiseSpec:
    """Validate a parsed spec (`source` names the file and anchors relative paths)."""
    src = None if source is None else Path(source)
    file: Any = src if src is not None else "<optimise spec>"
    folder = src.parent if src is not None else Path.cwd()
    known_keys(data, _TOP, file, "top-level key", hint="see scenarios/optimise/")
    cat = catalogue()
    name = name_field(data, "name", file)
    base = _strategy(data.get("base"), "base", file, folder)
    compare = tuple(
        _strategy(item, f"compare[{i}]", file, folder)
        for i, item in enumerate(listing(data, "compare", file))
    )
    if len({s.name for s in compare}) < len(compare):
        raise InputError(file, "compare", "a strategy is listed twice", "list each once")
    space = parse_decisions(data, file, cat)
    objectives = _objectives(data, file)
    uncertainty = _uncertainty(data, file, cat, space, (base, *compare))
    if uncertainty is None:
        for i, o in enumerate(objectives):
            if o.robustness != "mean":
                raise InputError(
                    file,
                    f"objectives[{i}].robustness",
                    f"{o.robustness!r} needs futures, and the spec has no [parameters]",
                    'add [parameters] and [uncertainty], or use robustness = "mean"',
                )
    spec = OptimiseSpec(
        name=name,
        description=text(data, "description", file, required=False),
        space=space,
        objectives=objectives,
        constraints=_constraints(data, file),
        search=_search(data, file, len(objectives)),
        seed=seed(data, "seed", file),
        base=base,
        compare=compare,
        uncertainty=uncertainty,
        discover=_discover(data, file, folder, objectives),
        source=src,
    )
    check_name(spec, file)
    check_sizes(spec, file)
    return _with_digest(spec, data)


def _strategy(raw: Any, key: str, file: Any, folder: Path) -> Strategy:
    if raw is None:
        return Strategy("model", None)
    path = scenario_path(raw, key, file, folder)
    sc = Scenario.from_file(path)
    return Strategy(sc.name, sc, path)


def _metric(raw: Any, key: str, file: Any) -> str:
    if not isinstance(raw, str) or raw not in METRIC_NAMES:
        raise unknown_name(
            file, key, str(raw), METRIC_NAMES, "metric", f"use one of {', '.join(METRIC_NAMES)}"
        )
    return raw


def _items(data: dict[str, Any], key: str, file: Any, keys: tuple[str, ...]) -> list[dict]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise InputError(file, key, "expected a list of tables", f"write [[{key}]] sections")
    for i, item in enumerate(raw):
        known_keys(item, keys, file, "key", prefix=f"{key}[{i}].")
    return raw


def _objectives(data: dict[str, Any], file: Any) -> tuple[Objective, ...]:
    raw = _items(data, "objectives", file, _OBJ_KEYS)
    if not raw:
        raise InputError(
            file, "objectives", "nothing to optimise", 'add [[objectives]] with metric = "..."'
        )
    better = {m.name: m.better for m in METRICS}
    out: list[Objective] = []
    for i, item in enumerate(raw):
        key = f"objectives[{i}]"
        metric = _metric(item.get("metric"), f"{key}.metric", file)
        if "sense" in item:
            sense = choice(item["sense"], f"{key}.sense", file, SENSES)
            direction = "higher" if sense == "max" else "lower"
        elif better[metric] is None:
            raise InputError(
                file, f"{key}.sense", f"{metric!r} has no better direction", 'add sense = "max"'
            )
        else:
            direction = better[metric]
        rob = choice(item.get("robustness", "mean"), f"{key}.robustness", file, SCORERS)
        p = _percentile(item, key, file)
        threshold = None
        if rob == "satisficing":
            if "threshold" not in item:
                raise InputError(
                    file,
                    f"{key}.threshold",
                    "satisficing needs a threshold",
                    "add threshold = <a number>",
                )
            threshold = number(item["threshold"], f"{key}.threshold", file)
        obj = Objective(metric, direction, rob, p, threshold)
        if any(o.label == obj.label for o in out):
            raise InputError(file, key, f"{obj.label!r} is an objective twice", "keep one")
        out.append(obj)
    return tuple(out)


def _percentile(item: dict, key: str, file: Any) -> float:
    p = number(item.get("percentile", DEFAULT_PERCENTILE), f"{key}.percentile", file)
    if not 0 < p < 100:
        raise InputError(file, f"{key}.percentile", f"{p:g} is not in (0, 100)", "use e.g. 10")
    return p


def _constraints(data: dict[str, Any], file: Any) -> tuple[Constraint, ...]:
    out = []
    for i, item in enumerate(_items(data, "constraints", file, _CON_KEYS)):
        key = f"constraints[{i}]"
        metric = _metric(item.get("metric"), f"{key}.metric", file)
        low = number(item["min"], f"{key}.min", file) if "min" in item else None
        high = number(item["max"], f"{key}.max", file) if "max" in item else None
        if low is None and high is None:
            raise InputError(file, key, "no bound", "add min = <a number> or max = <a number>")
        if low is not None and high is not None and low > high:
            raise InputError(
                file,
                key,
                f"infeasible: min {low:g} is above max {high:g}, no strategy can meet both",
                "lower min or raise max",
            )
        rob = choice(
            item.get("robustness", "mean"), f"{key}.robustness", file, ("mean", "percentile")
        )
        out.append(Constraint(metric, low, high, rob, _percentile(item, key, file)))
    return tuple(out)


def _search(data: dict[str, Any], file: Any, n_obj: int) -> Search:
    raw = data.get("search", {})
    if not isinstance(raw, dict):
        raise InputError(file, "search", f"expected a table, got {raw!r}", "write [search]")
    known_keys(raw, _SEARCH_KEYS, file, "key", prefix="search.")
    algo = choice(raw.get("algorithm", "auto"), "search.algorithm", file, ALGORITHMS)
    if algo == "de" and n_obj > 1:
        raise InputError(
            file,
            "search.algorithm",
            f"de optimises one objective, the spec has {n_obj}",
            'use "nsga2" or "nsga3" (or "auto")',
        )
    if algo in ("nsga2", "nsga3") and n_obj == 1:
        raise InputError(
            file, "search.algorithm", f"{algo} needs two or more objectives", 'use "de"'
        )
    d = Search()
    pre = "search."
    tol = number(raw.get("tol", d.tol), "search.tol", file)
    if not 0 <= tol < 1:
        raise InputError(file, "search.tol", f"{tol:g} is not in [0, 1)", "use e.g. 0.001")
    return Search(
        algo,
        integer(raw, "population", file, low=5, default=d.population, prefix=pre) or d.population,
        integer(raw, "generations", file, low=1, default=d.generations, prefix=pre)
        or d.generations,
        boolean(raw, "polish", file, d.polish, prefix=pre),
        integer(
            raw, "chunk_size", file, low=1, default=d.chunk_size, high=MAX_CHUNK_SIZE, prefix=pre
        )
        or d.chunk_size,
        tol,
    )


def _uncertainty(
    data: dict[str, Any], file: Any, cat, space: Space, strategies: tuple[Strategy, ...]
) -> Uncertainty | None:
    raw = data.get("uncertainty", {})
    if not isinstance(raw, dict):
        raise InputError(
            file, "uncertainty", f"expected a table, got {raw!r}", "write an [uncertainty] table"
        )
    if "parameters" not in data:
        if raw:
            raise InputError(
                file, "uncertainty", "futures without uncertain parameters", "add [parameters]"
            )
        return None
    known_keys(raw, _UNC_KEYS, file, "key", prefix="uncertainty.")
    decided = set(space.decided) | set(space.fixed)
    table = data.get("parameters")
    if isinstance(table, dict):
        for raw_name in table:
            if raw_name in cat and cat[raw_name].name in decided:
                canon = cat[raw_name].name
                raise InputError(
                    file,
                    f"parameters.{raw_name}",
                    f"{canon!r} is a decision of this spec, so it cannot also be an uncertainty",
                    "remove it from [parameters] or from [decisions]",
                )
    params = parse_parameters(data, file, cat, strategies)
    u = "uncertainty."
    futures = integer(raw, "futures", file, low=2, default=100, prefix=u) or 100
    return Uncertainty(
        params,
        futures,
        choice(raw.get("method", "lhs"), "uncertainty.method", file, SAMPLING),
        integer(raw, "fresh", file, low=0, default=0, prefix=u) or 0,
        check_source(raw.get("source", "declared"), file, "uncertainty.source"),
    )


def _discover(
    data: dict[str, Any], file: Any, folder: Path, objectives: tuple[Objective, ...]
) -> Failure | None:
    raw = data.get("discover")
    if raw is None:
        return None
    if "parameters" not in data:
        raise InputError(file, "discover", "discovery needs futures", "add [parameters]")
    return parse_failure(raw, "discover", file, folder, default_metric=objectives[0].metric)


def check_name(spec: OptimiseSpec, file: Any) -> None:
    """The found strategies are named after the spec (`<name>`, or `<name>_1` ... for a
    Pareto set) and written as scenario files: so `name` must be a scenario name
    (`scenario.MAX_NAME` characters with the suffix, letters, digits, `_ - .`) and
    differ from the strategies it is compared with. Checked here, not after the search.
    """
    suffix = 0 if spec.algorithm == "de" else len(f"_{spec.search.population}")
    if not SIMPLE_NAME.match(spec.name):
        raise InputError(
            file,
            "name",
            f"{spec.name!r} is not a simple name; the found strategies' scenario files are "
            "named after it",
            "use letters, digits, '_', '-' or '.', starting with a letter or digit",
        )
    if len(spec.name) + suffix > MAX_NAME:
        raise InputError(
            file,
            "name",
            f"the name is {len(spec.name)} characters long; with the suffix of the found "
            f"strategies (up to {suffix}) their names would pass {MAX_NAME}",
            f"use at most {MAX_NAME - suffix} characters",
        )
    found = re.compile(re.escape(spec.name) + ("" if spec.algorithm == "de" else "_[0-9]+"))
    clash = sorted(s.name for s in (spec.base, *spec.compare) if found.fullmatch(s.name))
    if clash:
        raise InputError(
            file,
            "name",
            f"the found strategies would be named like the compared strategy {clash[0]!r}",
            "give the spec another name",
        )


def check_sizes(spec: OptimiseSpec, file: Any) -> None:
    """Refuse sizes whose memory exceeds `fields.MEMORY_BUDGET` (see `futures.sizes`),
    and generations of more runs than the runner takes in one batch.

    Every population is one batch of population x futures runs; the fresh sample is
    run for the found strategies (one optimum, or at most a population) and the
    references; a
    discovery adds its trees per future and Sobol's design per base sample; the
    archive of the search keeps one row per candidate.
    """
    unc = spec.uncertainty
    n_params = len(unc.parameters) if unc else 0
    inputs = n_params + len(spec.space.columns) + len(spec.space.fixed)
    run = run_bytes(inputs, len(METRIC_NAMES))
    pop = spec.search.population
    futures = unc.futures if unc else 1
    refs = 1 + len(spec.compare)
    # each size alone, the others at their least (catches the absurd one), then together
    check_count(
        pop, "search.population", file, bytes_per_item=(2 if unc else 1) * run, per="candidates"
    )
    if unc is not None:
        check_count(
            futures,
            "uncertainty.futures",
            file,
            bytes_per_item=(5 + refs) * run,
            per="futures",
        )
        check_count(
            futures,
            "uncertainty.futures",
            file,
            bytes_per_item=(pop + refs) * run,
            per=f"futures for {pop} candidates (search.population) and {refs} references",
        )
    runs = pop * futures
    if runs > MAX_RUNS_PER_BATCH:
        raise InputError(
            file,
            "search.population",
            f"{pop} candidates x {futures} futures = {runs:,} runs per "
            f"generation, more than {MAX_RUNS_PER_BATCH:,}",
            "use fewer futures or a smaller population",
        )
    row = FLOAT * (inputs + 2 * len(spec.objectives) + 2 * len(spec.constraints) + 2) * 2
    check_count(
        spec.search.generations,
        "search.generations",
        file,
        bytes_per_item=pop * row,
        per=f"generations of {pop} candidates",
    )
    if unc is not None and unc.fresh:
        found = 1 if spec.algorithm == "de" else pop  # a Pareto set has at most `pop` points
        per_future = (found + refs) * run + (case_bytes(n_params) if spec.discover else 0)
        check_count(
            unc.fresh,
            "uncertainty.fresh",
            file,
            bytes_per_item=per_future,
            per=f"fresh futures for {found + refs} strategies"
            + (" and a discovery" if spec.discover else ""),
        )
    elif spec.discover is not None:
        check_count(
            futures,
            "uncertainty.futures",
            file,
            bytes_per_item=case_bytes(n_params),
            per="futures to discover in",
        )
    if spec.discover is not None and spec.discover.sobol:
        check_count(
            spec.discover.sobol,
            "discover.sobol",
            file,
            bytes_per_item=sobol_bytes(n_params, 2, len(METRIC_NAMES)),
            per=f"Sobol base samples ({n_params} uncertain parameters)",
        )


def _with_digest(spec: OptimiseSpec, data: dict[str, Any]) -> OptimiseSpec:
    """Fingerprint the spec, its scenario files and the model (resume checks it)."""
    from regionsoft_sd.model.translate import MODEL_PATH

    h = hashlib.sha256(repr(sorted(data.items(), key=lambda kv: kv[0])).encode())
    for s in (spec.base, *spec.compare):
        if s.scenario is not None:
            h.update(repr(s.scenario.to_dict()).encode())
    h.update(Path(MODEL_PATH).read_bytes())
    return dataclasses.replace(spec, digest=h.hexdigest()[:16])
