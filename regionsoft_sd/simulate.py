"""Run scenarios and compare them on outcome metrics.

`run(scenario)` returns a tidy DataFrame: one row per saved year, one column per
model variable, with units in `df.attrs["units"]`. `compare(scenarios)` runs
each one and returns a `Comparison`: the metrics table, the ranking and the
trajectories.

Two engines give the same tables (to 1e-9, see tests/test_engines_agree.py):
"batch" (the default), the batch engine of `regionsoft_sd.batch` with one run
per scenario, a few milliseconds each once the model is compiled; and "pysd",
PySD itself, the reference the batch engine is checked against, several seconds
a run. Each PySD run gets a fresh model, because PySD keeps parameter changes
between runs of one instance.

`model="v3"` (or a `.mdl` with its structure) runs the 31-province model instead:
`run_v3`, `compare_v3` and `V3Comparison` below. Its scenarios are version-3 files
(`regionsoft_sd.scenarios.provinces`); a region leads, and rivals keep their levers
or imitate it after a lag. All its runs go on the batch engine (NumPy) in one batch,
because PySD takes minutes for one run of it.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import (
    DISCOUNT_RATE,
    METRIC_NAMES,
    METRICS,
    REQUIRED_VARIABLES,
    THRESHOLD,
    compute_metrics,
    metric_units,
)
from regionsoft_sd.model.translate import load_model
from regionsoft_sd.scenarios.scenario import Scenario

RANK_BY = "dominant_soft_power_end"
"""Default ranking criterion: the toolkit's headline outcome, realised soft power."""

ENGINES = ("batch", "pysd")
"""Engines `run` and `compare` can use: the batch engine (default) or PySD (the reference)."""
ENGINE = "batch"

PROGRESS_DELAY = 1.0
"""Seconds of work before `compare` shows its progress bar (fast comparisons show none)."""


def default_variables() -> list[str]:
    """Every variable that changes over a run: stocks and auxiliaries, in model order."""
    return [e.name for e in catalogue() if e.kind in ("stock", "auxiliary")]


def units_of(df: pd.DataFrame) -> dict[str, str]:
    """Units of the columns of a `run()` result (from the model's catalogue)."""
    known = df.attrs.get("units") or {}
    cat = catalogue()
    return {c: known.get(c) or (cat[c].units if c in cat else "") for c in df.columns}


def with_params(
    scenario: Scenario | str | Path | None, params: Mapping[str, Any] | None
) -> Scenario:
    """`scenario` (default: the shipped baseline) with `params` set, validated as a file is.

    `scenario` may also be a shipped name or a file path (`load_scenario`'s rule).

    `params` maps model names (any spelling) to numbers or `[[year, value], ...]`
    series, as a scenario file's `[parameters]`. The result is checked by the same
    code as a scenario file: an unknown name, a value outside the `.mdl`'s range,
    or the shares of a split group that no longer sum to 1 is an InputError (key
    `parameters.NAME`), so the model never silently normalises a policy. Without
    `params` the scenario is returned unchanged.
    """
    if not isinstance(scenario, Scenario):
        from regionsoft_sd.scenarios.shipped import load_scenario

        scenario = load_scenario("baseline" if scenario is None else scenario)
    if not params:
        return scenario
    if not isinstance(params, Mapping):
        raise InputError(None, "params", f"expected a dict, got {params!r}", "pass name -> value")
    cat = catalogue()
    given = {}
    for name, value in params.items():
        canon = cat.resolve(str(name), key=f"parameters.{name}")
        given[canon] = value.tolist() if isinstance(value, np.ndarray) else value
    base = scenario.to_dict()
    merged = {k: v for k, v in base["parameters"].items() if k not in given}
    data = {
        "name": base["name"],
        "description": base["description"],
        "parameters": {**merged, **given},
    }
    return Scenario.from_dict(data)


def run(
    scenario: Scenario | str | Path | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    variables: Sequence[str] | None = None,
    engine: str = ENGINE,
    model=None,
    region: str = "sichuan",
    rivals: str = "status-quo",
) -> pd.DataFrame:
    """Simulate one scenario; return time x variables with units in attrs.

    `scenario` (a `Scenario`, a shipped name or a file) defaults to the shipped
    baseline; `params` (model name -> number or series) changes it, validated like
    a scenario file (`with_params`: unknown names, out-of-range values and split
    shares that do not sum to 1 are InputError).

    `model` is "v2" (None, the default), "v3", a shipped model's name or a `.mdl`
    path. On version 3 (31 provinces) the scenario is a version-3 file, a
    `ProvinceScenario` or a shipped name; `region` is whose levers `[policy]` sets
    and whose outcomes are recorded, and `rivals` is "status-quo" or "imitate"
    (see `run_v3`). `region` and `rivals` mean nothing on version 2; on version 3
    levers are set in the scenario file, not with `params`.

    `variables` (any spelling of model names) selects columns; by default every
    stock and auxiliary is returned. The index is the year (float, named "time"),
    one row per saved time (SAVEPER). `engine` is "batch" (default, milliseconds)
    or "pysd" (the reference engine, seconds); both give the same table.
    """
    check_engine(engine)
    if _is_v3(model, engine):
        if params:
            raise InputError(
                None,
                "params",
                "model v3 takes its levers from the scenario file",
                "set them in [policy] or [parameters] of a version-3 scenario",
            )
        return run_v3(
            "baseline" if scenario is None else scenario,
            model=model,
            region=region,
            rivals=rivals,
            variables=variables or (),
        )
    scenario = with_params(scenario, params)
    cat = catalogue()
    if variables is None:
        cols = default_variables()
    else:
        cols = list(dict.fromkeys(cat.resolve(v, key="variables") for v in variables))
    df = _run_batch(scenario, cols) if engine == "batch" else _run_pysd(scenario, cols)
    df = df[cols].astype(float)
    df.index = pd.Index(df.index.astype(float), name="time")
    df.columns.name = "variable"
    df.attrs["units"] = {c: cat[c].units for c in cols}
    df.attrs["scenario"] = scenario.name
    return df


def _run_pysd(scenario: Scenario, cols: list[str]) -> pd.DataFrame:
    """One PySD run of `scenario` in a fresh model, columns `cols`."""
    model = load_model()
    with warnings.catch_warnings():
        # PySD warns when a constant becomes a time series: that is what a series is for.
        warnings.filterwarnings("ignore", message="Replacing a constant value")
        return model.run(params=scenario.pysd_params(), return_columns=cols)


def _run_batch(scenario: Scenario, cols: list[str]) -> pd.DataFrame:
    """One run (N = 1) of `scenario` on the batch engine, recorded at the model's saved times.

    The scenario is the batch's base: its constants and series (held at their end
    values outside their years, as PySD does) replace the model's. The backend is
    chosen as everywhere else (the C kernel where a compiler exists, else NumPy).
    """
    from regionsoft_sd.batch import simulate as simulate_batch  # loaded when first used

    res = simulate_batch(base=scenario, record=cols)
    return pd.DataFrame({c: res.data[c][:, 0] for c in cols}, index=res.times)


HISTORY_TOLERANCE = 1e-9
"""Relative difference in any year before the projection above which history has changed."""


def history_check(scenario: Scenario, *, measure: bool = True) -> str | None:
    """One warning line if `scenario` changes its region's history (2005-2023), else None.

    Structural first (`scenarios.history.history_changes`: which values the
    history depends on), backed by a measured run of the history years on the
    batch engine (NumPy, no compile) against the scenario's reference region: a
    value the structure names warns only if the run confirms it (relative
    difference above `HISTORY_TOLERANCE` in some variable and year), and a measured
    difference the structure did not explain warns with the variable that moved.
    `measure=False` runs the history only to confirm a structural finding (what
    `run` and `compare` do, so that a clean scenario costs nothing); `check` measures
    every scenario.
    """
    from regionsoft_sd.scenarios.history import history_changes, history_message

    changes = history_changes(scenario)
    if not changes and not measure:
        return None
    moved = _history_moved(scenario)
    if moved is None:
        return None
    if changes:
        return history_message(scenario.name, changes)
    variable, year, rel = moved
    return (
        f"{scenario.name}: changes history (the years before the projection): "
        f"{variable!r} differs from its region's by {rel:.2g} (relative) in {year:g}. "
        "Its results are not comparable with the other scenarios'"
    )


def _history_moved(scenario: Scenario) -> tuple[str, float, float] | None:
    """(variable, year, relative difference) of the largest change before the projection."""
    from regionsoft_sd.batch import simulate as simulate_batch
    from regionsoft_sd.scenarios.history import history_reference

    cat = catalogue()
    start, first = cat.horizon[0], cat.policy_start
    years = np.arange(start, first)
    if not len(years):
        return None
    cols = default_variables()
    ref = history_reference(scenario)
    runs = [
        simulate_batch(base=b, record=cols, times=years, backend="numpy") for b in (scenario, ref)
    ]
    worst: tuple[str, float, float] | None = None
    for c in cols:
        a, b = runs[0].data[c][:, 0], runs[1].data[c][:, 0]
        rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-12)
        i = int(np.argmax(rel))
        if rel[i] > HISTORY_TOLERANCE and (worst is None or rel[i] > worst[2]):
            worst = (c, float(years[i]), float(rel[i]))
    return worst


def run_metrics(
    df: pd.DataFrame, *, discount_rate: float = DISCOUNT_RATE, threshold: float = THRESHOLD
) -> dict[str, float]:
    """The outcome metrics of one `run()` result, as plain floats."""
    series = {v: df[v].to_numpy() for v in REQUIRED_VARIABLES}
    values = compute_metrics(
        df.index.to_numpy(),
        series,
        discount_rate=discount_rate,
        threshold=threshold,
        start=catalogue().policy_start,
    )
    return {k: float(v) for k, v in values.items()}


@dataclass
class Comparison:
    """Result of `compare()`.

    `metrics`: one row per scenario (in the given order), one column per metric.
    `ranking`: scenarios best first, with each ranked metric's rank and the mean.
    `trajectories`: each scenario's `run()` DataFrame, by scenario name.
    `units`: units of each metric.
    `discount_rate`, `threshold`: the values the metrics were computed with.
    `engine`: the engine that ran the scenarios (one of ENGINES).
    """

    metrics: pd.DataFrame
    ranking: pd.DataFrame
    trajectories: dict[str, pd.DataFrame]
    units: dict[str, str]
    discount_rate: float = DISCOUNT_RATE
    threshold: float = THRESHOLD
    engine: str = ENGINE

    def long_trajectories(self) -> pd.DataFrame:
        """All trajectories in long form: scenario, time, variable, units, value."""
        frames = []
        for name, df in self.trajectories.items():
            long = df.reset_index().melt(id_vars="time", var_name="variable", value_name="value")
            long.insert(0, "scenario", name)
            long.insert(3, "units", long["variable"].map(units_of(df)))
            frames.append(long)
        return pd.concat(frames, ignore_index=True)


def compare(
    scenarios: Sequence[Scenario],
    *,
    variables: Sequence[str] | None = None,
    discount_rate: float = DISCOUNT_RATE,
    threshold: float = THRESHOLD,
    rank_by: str = RANK_BY,
    progress: bool = False,
    engine: str = ENGINE,
    model=None,
    region: str = "sichuan",
    rivals: Sequence[str] | None = None,
) -> Comparison | V3Comparison:
    """Run each scenario and score it with the outcome metrics of `regionsoft_sd.model.metrics`.

    Scenario names must be unique (they label rows and plot lines). `progress`
    shows a progress bar (on stderr in a terminal, a widget in a notebook) once
    the work has taken more than `PROGRESS_DELAY` seconds, so a comparison on the
    batch engine shows none and one on PySD does. `rank_by` names the metric that
    orders the ranking (see `rank`); `engine` is as in `run`.

    With `model="v3"` it returns a `V3Comparison` (see `compare_v3`): every strategy
    for `region`, unilaterally and with rivals imitating (`rivals` None: both).
    """
    if _is_v3(model, engine):
        return compare_v3(
            scenarios,
            model=model,
            region=region,
            rivals=rivals,
            rank_by=None if rank_by == RANK_BY else rank_by,
            variables=variables or (),
        )
    if not scenarios:
        raise InputError(None, "scenarios", "nothing to compare", "give at least one scenario")
    check_rank_by(rank_by)
    check_engine(engine)
    seen: dict[str, Scenario] = {}
    for s in scenarios:
        if s.name in seen:
            other = seen[s.name].source or "another scenario"
            raise InputError(
                s.source, "name", f"{s.name!r} is also the name of {other}", "rename one of them"
            )
        seen[s.name] = s
    cols = None
    if variables is not None:
        cat = catalogue()
        named = [cat.resolve(v, key="variables") for v in (*variables, *REQUIRED_VARIABLES)]
        cols = list(dict.fromkeys(named))  # the caller's order, then what metrics need
    trajectories: dict[str, pd.DataFrame] = {}
    rows = {}
    for s in tqdm(
        scenarios,
        desc="simulating",
        unit="scenario",
        file=sys.stderr,
        disable=None if progress else True,
        delay=PROGRESS_DELAY,
    ):
        df = run(s, variables=cols, engine=engine)
        trajectories[s.name] = df
        rows[s.name] = run_metrics(df, discount_rate=discount_rate, threshold=threshold)
    metrics = pd.DataFrame.from_dict(rows, orient="index")[list(METRIC_NAMES)]
    metrics.index.name = "scenario"
    return Comparison(
        metrics,
        rank(metrics, rank_by),
        trajectories,
        metric_units(catalogue().units()),
        discount_rate=discount_rate,
        threshold=threshold,
        engine=engine,
    )


def _is_v3(model, engine: str) -> bool:
    """True if `model` is a 31-province model; InputError for a model neither command runs."""
    if model is None:
        return False
    choice = _model_choice(model)
    if choice.version == "v3":
        if engine != "batch":
            raise InputError(
                None,
                "--engine",
                "PySD takes minutes for one run of the 31-province model",
                "use the batch engine (the default)",
            )
        return True
    choice.require("v2", "this command")
    if choice.label != "v2":
        raise InputError(
            choice.path,
            "--model",
            "a modified version-2 model is not run by run/compare (they read the shipped one)",
            "use --model v2, or give the model the version-3 structure",
        )
    return False


def rank(metrics: pd.DataFrame, by: str = RANK_BY) -> pd.DataFrame:
    """Rank scenarios by one metric, and show their rank on every other metric.

    Rank 1 is best, in the metric's own direction (METRICS[...].better); NaN
    (e.g. a threshold never reached) ranks last. `position` orders by `by`,
    ties broken by `mean_rank`, the mean over all ranked metrics, which shows
    the trade-offs at a glance.
    """
    check_rank_by(by)
    ranked = {m.name: m for m in METRICS if m.better and m.name in metrics}
    ranks = pd.DataFrame(index=metrics.index)
    for name, m in ranked.items():
        ranks[name] = metrics[name].rank(
            ascending=m.better == "lower", method="min", na_option="bottom"
        )
    ranks["mean_rank"] = ranks.mean(axis=1)
    order = sorted(ranks.index, key=lambda s: (ranks.at[s, by], ranks.at[s, "mean_rank"]))
    out = ranks.loc[order].astype({n: int for n in ranked})
    out.insert(0, "position", np.arange(1, len(out) + 1))
    out.attrs["by"] = by
    return out


def rankable() -> list[str]:
    """Metrics that have a direction and so can order a ranking."""
    return [m.name for m in METRICS if m.better]


def check_rank_by(by: str) -> None:
    """Raise InputError unless `by` is a metric a ranking can use."""
    if by not in rankable():
        raise InputError(
            None, "--rank-by", f"cannot rank by {by!r}", f"use one of {', '.join(rankable())}"
        )


def check_engine(engine: str) -> None:
    """Raise InputError unless `engine` is one of ENGINES."""
    if engine not in ENGINES:
        raise InputError(
            None, "engine", f"no engine {engine!r}", f"use one of {', '.join(ENGINES)}"
        )


# ---------------------------------------------------------------------------
# Model version 3: 31 provinces, a chosen region, rivals that may respond.

RIVALS = {"status-quo": 0.0, "imitate": 1.0}
"""`--rivals` choices and the `Rival response mode` each sets: the other provinces keep
their levers (0), or copy the region's lever deviations after `Imitation lag` (1)."""
RIVALS_DEFAULT = "status-quo"
V3_FINAL_TIME = 2100.0
"""Version-3 runs extend the projection to 2100, so present values reach both horizons."""
STATUS_QUO = "status quo"
"""Label of the run with no scenario, that strategies' gains are measured against."""


def _model_choice(model):
    """`model` (None, "v2", "v3", a shipped name, a path, or a ModelChoice) resolved."""
    from regionsoft_sd.scenarios.models import ModelChoice, resolve_model

    return model if isinstance(model, ModelChoice) else resolve_model(model, key="model")


def check_rivals(rivals: str) -> str:
    """`rivals` checked: one of RIVALS."""
    if rivals not in RIVALS:
        raise InputError(
            None, "--rivals", f"no rivals mode {rivals!r}", f"use one of {', '.join(RIVALS)}"
        )
    return rivals


def _extended(path) -> str:
    """A copy of the model at `path` whose FINAL TIME is V3_FINAL_TIME (this process's own
    temporary file, made once per model content)."""
    import re
    from pathlib import Path

    from regionsoft_sd.common.io import write_text
    from regionsoft_sd.common.resources import private_cache_dir

    source = Path(path).read_text(encoding="utf-8")
    text, n = re.subn(
        r"(FINAL TIME\s*=\s*)[-+0-9.eE]+", rf"\g<1>{V3_FINAL_TIME:g}", source, count=1
    )
    if n != 1:
        raise InputError(path, "FINAL TIME", "no FINAL TIME to extend", "add FINAL TIME = 2075")
    import hashlib

    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    target = private_cache_dir() / f"{Path(path).stem}-to{V3_FINAL_TIME:g}-{digest}.mdl"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        write_text(target, text)
    return str(target)


def _load_v3(scenario, model_path):
    """A ProvinceScenario from a ProvinceScenario, a path, or a shipped v3 name."""
    from regionsoft_sd.scenarios.models import province_model
    from regionsoft_sd.scenarios.provinces import ProvinceScenario

    if isinstance(scenario, ProvinceScenario):
        return scenario
    if isinstance(scenario, Scenario):
        raise InputError(
            scenario.source,
            None,
            "this is a version-2 scenario; the 31-province model needs per-province levers",
            "use a file of scenarios/v3/ (see its headers)",
        )
    from regionsoft_sd.common.resources import named_file, scenarios_dir

    shipped = {p.stem: p for p in sorted((scenarios_dir() / "v3").glob("*.toml"))}
    path = named_file(scenario, shipped, "version-3 scenario")
    return ProvinceScenario.from_file(path, province_model(model_path))


def shipped_v3_scenarios() -> dict[str, object]:
    """The shipped version-3 scenario files (`scenarios/v3/`) by name."""
    from regionsoft_sd.common.resources import scenarios_dir

    return {p.stem: p for p in sorted((scenarios_dir() / "v3").glob("*.toml"))}


def run_v3_batch(
    scenarios: Sequence,
    *,
    model=None,
    region: str = "sichuan",
    rivals: Sequence[str] = (RIVALS_DEFAULT,),
    variables: Sequence[str] = (),
) -> tuple[list[tuple[str, str]], np.ndarray, dict[str, np.ndarray]]:
    """Run each scenario (and the status quo) under each rivals mode, in one batch.

    Returns (labels, times, data): labels (scenario name, rivals) per run, the saved
    years (2005-2100), and every recorded element as an array (time, run). The
    region is the leader; `variables` adds recorded names (a subscripted name
    records every province).
    """
    from regionsoft_sd.batch import simulate as simulate_batch
    from regionsoft_sd.model.metrics_v3 import v3_variables
    from regionsoft_sd.scenarios.models import province_model, region_key

    choice = _model_choice(model)
    choice.require("v3", "the 31-province run")
    pm = province_model(choice.path)
    region = region_key(region, pm.provinces)
    for r in rivals:
        check_rivals(r)
    loaded = [_load_v3(s, choice.path) for s in scenarios]
    names = [s.name for s in loaded]
    dup = next((n for n in names if names.count(n) > 1 or n == STATUS_QUO), None)
    if dup is not None:
        raise InputError(None, "scenarios", f"two scenarios are named {dup!r}", "rename one")
    plans = [(STATUS_QUO, {})] + [(s.name, s.overrides(region)) for s in loaded]
    # one fixed set of inputs (every lever element, the group timing, who leads and how
    # rivals respond), so that every comparison reuses one generated program
    keys = [f"{lv.name}[{p}]" for lv in pm.levers.values() for p in pm.provinces]
    keys += [x for lv in pm.levers.values() for x in (lv.start_param, lv.ramp_param)]
    keys += [f"Leader[{p}]" for p in pm.provinces] + ["Rival response mode"]
    keys = list(dict.fromkeys(keys))
    extra = sorted({k for _, o in plans for k in o} - set(keys))
    keys += extra
    labels, columns = [], {k: [] for k in keys}
    for name, over in plans:
        for mode in rivals:
            labels.append((name, mode))
            fixed = {f"Leader[{p}]": float(p == region) for p in pm.provinces}
            fixed["Rival response mode"] = RIVALS[mode]
            for k in keys:
                columns[k].append(fixed.get(k, over.get(k, _default(pm, k))))
    record = list(dict.fromkeys([*v3_variables(region), *variables]))
    res = simulate_batch(
        {k: np.asarray(v) for k, v in columns.items()},
        record=record,
        mdl_path=_extended(choice.path),
        backend="numpy",
    )
    return labels, np.asarray(res.times, dtype=float), res.data


def _default(pm, element: str) -> float:
    """The model's own value of a constant element (`Name` or `Name[province]`)."""
    base, _, prov = element.partition("[")
    const = pm.constant(base)
    if const.by_province is not None:
        return const.by_province[prov.rstrip("]")]
    return float(const.value)


@dataclass
class V3Comparison:
    """Result of `compare(..., model="v3")`: strategies for one region, by rivals mode.

    `metrics`: one row per (scenario, rivals), the status quo first, a column per
    metric of `regionsoft_sd.model.metrics_v3`. `gains`: percent change of each
    metric over the status quo under the same rivals mode. `rankings`: by rivals
    mode, the strategies (not the status quo) best first on `rank_by`.
    `trajectories`: long form (scenario, rivals, time, variable, value).
    """

    region: str
    rivals: tuple[str, ...]
    metrics: pd.DataFrame
    gains: pd.DataFrame
    rankings: dict[str, pd.DataFrame]
    trajectories: pd.DataFrame
    rank_by: str

    def side_by_side(self, metric: str | None = None) -> pd.DataFrame:
        """For each strategy: its gain in `metric` (default `rank_by`) and its rank, one
        pair of columns per rivals mode (unilateral = positional, imitate = real)."""
        metric = metric or self.rank_by
        out = pd.DataFrame(index=self.rankings[self.rivals[0]].index.sort_values())
        for mode in self.rivals:
            g = self.gains.xs(mode, level="rivals")[metric]
            out[f"gain % ({mode})"] = g.reindex(out.index)
            out[f"rank ({mode})"] = self.rankings[mode]["position"].reindex(out.index)
        return out.sort_values(f"rank ({self.rivals[0]})")


def compare_v3(
    scenarios: Sequence,
    *,
    model=None,
    region: str = "sichuan",
    rivals: Sequence[str] | None = None,
    rank_by: str | None = None,
    variables: Sequence[str] = (),
) -> V3Comparison:
    """Compare version-3 strategies for `region`; `rivals` None compares both modes."""
    from regionsoft_sd.model.metrics_v3 import V3_BY_NAME, V3_RANK_BY, compute_v3_metrics
    from regionsoft_sd.scenarios.models import province_model, region_key

    if not scenarios:
        raise InputError(None, "scenarios", "nothing to compare", "give at least one scenario")
    rank_by = rank_by or V3_RANK_BY
    if rank_by not in V3_BY_NAME or not V3_BY_NAME[rank_by].better:
        ok = [m for m, d in V3_BY_NAME.items() if d.better]
        raise InputError(
            None, "--rank-by", f"cannot rank by {rank_by!r}", f"use one of {', '.join(ok)}"
        )
    modes = tuple(rivals) if rivals else tuple(RIVALS)
    choice = _model_choice(model)
    labels, times, data = run_v3_batch(
        scenarios, model=choice, region=region, rivals=modes, variables=variables
    )
    region = region_key(region, province_model(choice.path).provinces)
    values = compute_v3_metrics(times, data, region)
    index = pd.MultiIndex.from_tuples(labels, names=["scenario", "rivals"])
    metrics = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in values.items()}, index=index)
    base = metrics.xs(STATUS_QUO, level="scenario")
    gains = metrics.copy()
    for (name, mode), row in metrics.iterrows():
        gains.loc[(name, mode)] = (row / base.loc[mode] - 1.0) * 100.0
    rankings = {}
    better = V3_BY_NAME[rank_by].better
    for mode in modes:
        col = metrics.xs(mode, level="rivals").drop(index=STATUS_QUO)[rank_by]
        order = col.sort_values(ascending=better == "lower", kind="stable")
        rankings[mode] = pd.DataFrame(
            {"position": np.arange(1, len(order) + 1), rank_by: order.to_numpy()},
            index=pd.Index(order.index, name="scenario"),
        )
    frames = []
    for j, (name, mode) in enumerate(labels):
        wide = pd.DataFrame({k: v[:, j] for k, v in data.items()}, index=times)
        long = wide.rename_axis("time").reset_index().melt(id_vars="time", var_name="variable")
        long.insert(0, "rivals", mode)
        long.insert(0, "scenario", name)
        frames.append(long)
    return V3Comparison(
        region, modes, metrics, gains, rankings, pd.concat(frames, ignore_index=True), rank_by
    )


def run_v3(
    scenario,
    *,
    model=None,
    region: str = "sichuan",
    rivals: str = RIVALS_DEFAULT,
    variables: Sequence[str] = (),
) -> pd.DataFrame:
    """One version-3 scenario for `region` under `rivals`: time x recorded elements.

    The columns are the region's outcomes, the national totals and `variables`; the
    run goes to 2100. `df.attrs` holds the scenario, region and rivals.
    """
    labels, times, data = run_v3_batch(
        [scenario], model=model, region=region, rivals=(rivals,), variables=variables
    )
    j = len(labels) - 1  # the status quo runs first
    df = pd.DataFrame({k: v[:, j] for k, v in data.items()}, index=pd.Index(times, name="time"))
    df.columns.name = "variable"
    df.attrs.update(scenario=labels[j][0], rivals=rivals, region=_region_of(model, region))
    return df


def _region_of(model, region: str) -> str:
    from regionsoft_sd.scenarios.models import province_model, region_key

    return region_key(region, province_model(_model_choice(model).path).provinces)


def run_v3_metrics(df: pd.DataFrame, region: str | None = None) -> dict[str, float]:
    """The version-3 metrics of one `run_v3()` result, as plain floats."""
    from regionsoft_sd.model.metrics_v3 import compute_v3_metrics

    region = region or df.attrs["region"]
    series = {c: df[c].to_numpy() for c in df.columns}
    values = compute_v3_metrics(df.index.to_numpy(), series, region)
    return {k: float(v) for k, v in values.items()}
