"""`run_calibrate`: spec and region in; estimates, intervals, fit and identifiability out.

Order of work: validate the spec, the data and every option before anything is
written (`prepare`); set the region's constants from its data, and again from
the data up to the held-out cut only; fit the full window, then the held-out
window from its own constants (multi-start least squares, every round one
batch); the Jacobian covariance; the likelihood profiles of the main
parameters; optionally the posterior (emcee); the estimate's run, the held-out
fit's run and the draws for the bands; the tables; then write everything
(`outputs.write_outputs`).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd

from regionsoft_sd.calibrate.fit import Fit, multistart
from regionsoft_sd.calibrate.history import (
    Band,
    fit_table,
    history_table,
    holdout_table,
    likelihood_band,
    posterior_band,
)
from regionsoft_sd.calibrate.identify import identifiability
from regionsoft_sd.calibrate.mcmc import Posterior, sample_posterior
from regionsoft_sd.calibrate.problem import Problem, blocks_for
from regionsoft_sd.calibrate.profile import Profile, profiles
from regionsoft_sd.calibrate.region import region_constants
from regionsoft_sd.calibrate.result import CalibrationResult, Setting
from regionsoft_sd.calibrate.spec import CalibrationSpec, load_spec
from regionsoft_sd.calibrate.uncertainty import Uncertainty, covariance
from regionsoft_sd.common.errors import InputError, unknown_name
from regionsoft_sd.common.observed_data import DATA_FILE, check_sense, observations, observed
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.scenarios.scenario import Scenario

MIN_POINTS = 3
"""A fitted series needs at least this many observations in the window."""
BAND_SEED_OFFSET = 7919
"""Added to the search seed for the band's draws (a stream of its own)."""


def scenario_name(region: str) -> str:
    """A region key as a scenario name (letters, digits, '_', '-', '.')."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", region.strip()).strip("_.-") or "region"
    return name if name[0].isalnum() else f"r{name}"


def prepare(
    spec: CalibrationSpec, region: str | None = None, *, data: pd.DataFrame | None = None
) -> Setting:
    """Read and check the data for `region` (else the spec's) and build the region scenario.

    Raises InputError, before anything is run or written, for: no region; an
    unknown region or series; a non-positive value of a series fitted on a log
    scale; a series with fewer than MIN_POINTS values in the window; no held-out
    observation; more parameters than observations; a
    region constant the data lack.
    """
    file = spec.source if spec.source is not None else "<calibration spec>"
    name = region or spec.region
    if not name:
        raise InputError(
            file, "region", "no region to calibrate", 'give --region NAME, or region = "..." here'
        )
    if data is not None:  # a table of the caller's: the same physical-sense rules as a file
        table, label = data, "<observations>"
        check_sense(table, label)
    elif spec.data is not None:
        table, label = observations(spec.data), str(spec.data)
    else:
        table, label = observations(), DATA_FILE
    wide = observed(name, table, file=label)
    known = sorted(table["series"].unique())
    for i, t in enumerate(spec.targets):
        if t.data not in known:
            raise unknown_name(
                file,
                f"series[{i}].data",
                t.data,
                known,
                "series in the data",
                f"the data have {', '.join(known)}",
            )
    for b in blocks_for(spec, wide, spec.start, spec.end):
        if b.target.transform == "log" and (b.observed <= 0).any():
            j = int((b.observed <= 0).argmax())
            raise InputError(
                label,
                f"series {b.target.data}, region {name}, year {b.years[j]}",
                f"{b.observed[j]:g} is not positive, so it cannot be fitted on a log scale",
                'correct the value, or set transform = "none" for this series in the spec',
            )
        if len(b.years) < MIN_POINTS:
            have = wide[b.target.data].dropna() if b.target.data in wide else pd.Series()
            span = f"{have.index.min()}-{have.index.max()}" if len(have) else "no years"
            raise InputError(
                label,
                f"{name}: {b.target.data}",
                f"{len(b.years)} value(s) in the window {spec.start}-{spec.end} "
                f"(the data have {span})",
                f"move the window into the data (at least {MIN_POINTS} years), or drop the series",
            )
    m = sum(len(b.years) for b in blocks_for(spec, wide, spec.start, spec.end))
    p = len(spec.parameters)
    if m <= p:
        raise InputError(
            file, "parameters", f"{m} observations cannot fit {p} parameters", "fit fewer"
        )
    if spec.holdout is not None:
        h = spec.holdout
        held = blocks_for(spec, wide, spec.start, h.cut)
        after = [
            t.data
            for t in spec.targets
            if t.data in wide and wide[t.data].loc[h.cut + 1 : h.end].notna().any()
        ]
        if not after:
            raise InputError(
                label,
                f"{name}: holdout",
                f"no fitted series has data in {h.cut + 1}-{h.end}",
                "move [holdout] into the data, or set enabled = false",
            )
        if sum(len(b.years) for b in held) <= p:
            raise InputError(
                file,
                "holdout.cut",
                f"the years up to {h.cut} hold too few observations for {p} parameters",
                "use a later cut year",
            )
    skip = set(spec.names) | set(spec.constants)
    consts = region_constants(name, wide, file=label, skip=skip)
    base = _region_scenario(spec, name, consts.values)
    held_consts = held_base = None
    if spec.holdout is not None:
        held_consts = region_constants(name, wide, file=label, skip=skip, until=spec.holdout.cut)
        held_base = _region_scenario(spec, name, held_consts.values)
    return Setting(name, wide, consts, base, label, held_consts, held_base)


def _region_scenario(spec: CalibrationSpec, name: str, values: dict[str, float]) -> Scenario:
    """The region as a scenario: its data constants and the spec's fixed constants."""
    return Scenario.from_dict(
        {
            "name": scenario_name(name),
            "description": f"{name}: data constants and the spec's fixed constants",
            "parameters": {**values, **spec.constants},
        },
        source=spec.source,
    )


def calibrate(
    spec: CalibrationSpec,
    setting: Setting,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> CalibrationResult:
    """Fit, quantify and check one region (nothing is written)."""
    t0 = time.perf_counter()
    notes = list(setting.constants.notes)
    with Problem(spec, setting.wide, setting.base, workers=workers, scheduler=scheduler) as prob:
        fit = multistart([prob], spec.search, progress=progress)[0]
        held = held_prob = None
        if spec.holdout is not None:
            # its own rounds: its region constants come from the data up to the cut only
            held_prob = prob.sub(spec.start, spec.holdout.cut, base=_held_base(spec, setting))
            held = multistart([held_prob], spec.search, progress=progress, desc="fit to cut")[0]
            notes.extend(
                n
                for n in (setting.holdout_constants.notes if setting.holdout_constants else [])
                if n not in notes
            )
        unc = covariance(fit, spec.level)
        profs: dict[str, Profile] = {}
        if spec.profile:
            profs, pnotes = profiles(
                fit,
                unc,
                spec.profile,
                spec.profile_points,
                max_nfev=spec.search.max_evaluations,
                progress=progress,
            )
            notes.extend(pnotes)
        post = None
        if spec.mcmc is not None:
            post = sample_posterior(fit, unc, spec.mcmc, progress=progress)
            notes.extend(post.notes())
        seed = spec.search.seed + BAND_SEED_OFFSET
        band: Band | None = None
        if spec.band_samples and post is not None:
            band = posterior_band(prob, post.samples, spec.band_samples, seed)
        elif spec.band_samples:
            band = likelihood_band(prob, fit, unc, spec.band_samples, seed, spec.level)
        sim = prob.simulate(fit.x[None, :])
        held_sim = held_prob.simulate(held.x[None, :]) if held_prob is not None else None
        runs = prob.runs + (held_prob.runs if held_prob is not None else 0)
        batches = prob.batches + (held_prob.batches if held_prob is not None else 0)
    history_end = int(catalogue().policy_start) - 1
    last = max(spec.end, spec.holdout.end if spec.holdout else spec.end)
    history = history_table(
        spec,
        setting.wide,
        sim,
        held_sim,
        band,
        level=spec.level,
        years=(spec.start, min(history_end, max(last, _last_year(setting.wide, spec)))),
    )
    stats = fit_table(prob, sim)
    hold_tab = None
    if held is not None and held_sim is not None and spec.holdout is not None:
        hold_tab = holdout_table(
            held.problem,
            setting.wide,
            held_sim,
            spec.holdout.cut,
            spec.holdout.end,
        )
    if band is not None and band.kind == "likelihood":
        notes.append(
            f"band: {band.kept} of {band.tried} parameter sets drawn lie inside the "
            f"{round(100 * spec.level)} % likelihood region"
        )
    ident = identifiability(unc, profs)
    params = parameter_table(unc, profs, post, ident)
    notes.extend(_notes(spec, fit, unc, ident, stats))
    return CalibrationResult(
        spec=spec,
        setting=setting,
        fit=fit,
        uncertainty=unc,
        fit_stats=stats,
        parameters=params,
        identifiability=ident,
        history=history,
        profiles=profs,
        holdout=hold_tab,
        holdout_fit=held,
        posterior=post,
        notes=notes,
        runs=runs,
        batches=batches,
        seconds=time.perf_counter() - t0,
    )


def _held_base(spec: CalibrationSpec, setting: Setting) -> Scenario:
    """The held-out fit's region scenario (from a Setting made without one: computed here)."""
    if setting.holdout_base is not None:
        return setting.holdout_base
    assert spec.holdout is not None
    skip = set(spec.names) | set(spec.constants)
    consts = region_constants(
        setting.region, setting.wide, file=setting.data_label, skip=skip, until=spec.holdout.cut
    )
    return _region_scenario(spec, setting.region, consts.values)


def _last_year(wide: pd.DataFrame, spec: CalibrationSpec) -> int:
    years = [int(wide[t.data].dropna().index.max()) for t in spec.targets if t.data in wide]
    return max(years) if years else spec.end


def parameter_table(
    unc: Uncertainty,
    profs: dict[str, Profile],
    post: Posterior | None,
    ident: pd.DataFrame,
) -> pd.DataFrame:
    """parameter, estimate, method, lower, upper, se, Jacobian and posterior intervals, verdict.

    lower/upper is the profile interval where a profile was run (it refits the
    others and respects the bounds), else the Jacobian interval (`method` says
    which); the Jacobian interval is always in jacobian_lower/jacobian_upper.
    """
    df = unc.table()
    df.insert(2, "method", ["profile" if n in profs else "jacobian" for n in unc.names])
    df = df.rename(columns={"lower": "jacobian_lower", "upper": "jacobian_upper"})
    df.insert(
        3,
        "lower",
        [
            profs[n].lower if n in profs else lo
            for n, lo in zip(unc.names, df["jacobian_lower"], strict=True)
        ],
    )
    df.insert(
        4,
        "upper",
        [
            profs[n].upper if n in profs else hi
            for n, hi in zip(unc.names, df["jacobian_upper"], strict=True)
        ],
    )
    if post is not None:
        q = post.quantiles(((1 - unc.level) / 2, 0.5, (1 + unc.level) / 2))
        df["posterior_lower"], df["posterior_median"], df["posterior_upper"] = q
    df["identifiable"] = ident["identifiable"].to_numpy()
    return df


def _notes(
    spec: CalibrationSpec,
    fit: Fit,
    unc: Uncertainty,
    ident: pd.DataFrame,
    stats: pd.DataFrame,
) -> list[str]:
    out = []
    n = len(fit.starts)
    if n > 1 and fit.agree < 2:
        out.append(
            f"only 1 of {n} starts reached the best cost: the search may have missed a "
            "better minimum (add starts or candidates)"
        )
    bound = [n for n, b in zip(unc.names, unc.at_bound, strict=True) if b]
    if bound:
        out.append("at a bound of the model's range (the data push beyond it): " + ", ".join(bound))
    no = ident.loc[ident["identifiable"] == "no", "parameter"].tolist()
    if no:
        out.append("not identifiable from these data: " + ", ".join(no))
    flagged = stats.loc[stats["flag"] != "", ["series", "flag"]]
    for _, r in flagged.iterrows():
        out.append(f"{r.series}: the error is mostly {r.flag} (systematic)")
    return out


def run_calibrate(
    spec_path: str | Path | CalibrationSpec,
    out_dir: str | Path,
    *,
    region: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    figures: bool = True,
) -> CalibrationResult:
    """Validate everything, calibrate, and write the outputs into `out_dir` (atomically)."""
    from regionsoft_sd.calibrate.outputs import write_outputs
    from regionsoft_sd.common.outdir import OutputFolder, check_out
    from regionsoft_sd.runs import check_options

    spec = spec_path if isinstance(spec_path, CalibrationSpec) else load_spec(spec_path)
    check_options(workers, scheduler)
    setting = prepare(spec, region)
    check_out(out_dir)
    with OutputFolder(out_dir, kind="calibrate") as folder:
        result = calibrate(spec, setting, workers=workers, scheduler=scheduler, progress=progress)
        result.out_dir = Path(out_dir)
        write_outputs(result, folder, figures=figures)
    return result
