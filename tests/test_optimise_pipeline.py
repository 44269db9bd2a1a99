"""`regionsoft optimise` on the real model: the optimum against a brute-force grid, the
written scenarios against PySD, robustness and discovery outputs, Dask and bad input."""

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.cli import main
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.metrics import REQUIRED_VARIABLES, compute_metrics
from regionsoft_sd.optimise.pipeline import run_optimise
from regionsoft_sd.scenarios.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
SC = ROOT / "scenarios"
SPLIT = [
    "Policy education share",
    "Policy public service share",
    "Policy culture share",
    "Policy image share",
]
PROGRAMME = [
    "Policy programme education share",
    "Policy programme public service share",
    "Policy programme culture share",
    "Policy programme image share",
]
TWO_PARAMS = """
[parameters]
"Long run reference income growth" = "uniform"
"Culture weight" = "triangular"
"""


def write_spec(tmp_path: Path, body: str, name: str = "t") -> Path:
    head = (
        f'name = "{name}"\nseed = 3\nbase = "{SC / "baseline.toml"}"\n'
        f'compare = ["{SC / "baseline.toml"}", "{SC / "balanced.toml"}", '
        f'"{SC / "culture_first.toml"}"]\n'
    )
    p = tmp_path / f"{name}.toml"
    p.write_text(head + body)
    return p


SINGLE = """
[decisions.budget_split]
start = 2024
ramp = 3
[[objectives]]
metric = "dominant_soft_power_end"
[search]
population = 20
generations = 40
"""


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("single")
    return run_optimise(write_spec(tmp, SINGLE), tmp / "out", progress=False)


def simplex_grid(step: int) -> np.ndarray:
    """Every split of four shares on a grid of 1/step."""
    return (
        np.array(
            [
                (a, b, c, step - a - b - c)
                for a, b, c in itertools.product(range(step + 1), repeat=3)
                if a + b + c <= step
            ]
        )
        / step
    )


def local_grid(centre: np.ndarray, radius: float = 0.05, step: float = 0.005) -> np.ndarray:
    """Every split within `radius` of `centre` (each share) on a grid of `step`."""
    k = round(radius / step)
    offsets = np.arange(-k, k + 1) * step
    pts = np.array(
        [(*(centre[:3] + o), 0.0) for o in itertools.product(offsets, repeat=3)], dtype=float
    )
    pts[:, 3] = 1.0 - pts[:, :3].sum(axis=1)
    keep = (pts >= -1e-12).all(axis=1) & (np.abs(pts[:, 3] - centre[3]) <= radius + 1e-12)
    return np.clip(pts[keep], 0.0, 1.0)


def best_of(
    pts: np.ndarray, levers: list[str] = SPLIT, group: str = "Budget split", base: str = "baseline"
) -> tuple[np.ndarray, float]:
    """Brute force: soft power of every split in `pts`, run as one batch; the best one."""
    from regionsoft_sd.batch import simulate

    samples = {n: pts[:, i] for i, n in enumerate(levers)}
    samples[f"{group} policy start year"] = np.full(len(pts), 2024.0)
    samples[f"{group} policy ramp time"] = np.full(len(pts), 3.0)
    res = simulate(
        samples, base=Scenario.from_file(SC / f"{base}.toml"), record=list(REQUIRED_VARIABLES)
    )
    sp = compute_metrics(
        res.times,
        {v: res.data[v] for v in REQUIRED_VARIABLES},
        names=["dominant_soft_power_end"],
    )["dominant_soft_power_end"]
    i = int(np.argmax(sp))
    return pts[i], float(sp[i])


def test_single_objective_beats_a_brute_force_grid(single):
    """The optimum is at least as good as every split of a 0.05 grid (1,771 splits) and of a
    0.005 grid around the coarse grid's best, and not implausibly better than the fine one.
    (A small image share lifts soft power steeply, so the coarse grid alone misses the peak.)"""
    coarse_split, coarse = best_of(simplex_grid(20))
    fine_split, fine = best_of(local_grid(coarse_split))
    assert fine >= coarse
    found = float(single.found.scores["dominant_soft_power_end"].iloc[0])
    assert found >= fine - 1e-9  # at least as good as every grid point
    assert found <= fine * 1.001  # and not implausibly better (the fine grid is 0.005 apart)
    shares = single.found.levers[SPLIT].iloc[0].to_numpy()
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(shares, fine_split, atol=0.01)


def test_optimum_beats_the_status_quo_split(single):
    """The baseline's split is a point of the searched space; the optimum beats it. (The
    programme strategies compared alongside spend extra money: they are no points of it.)"""
    found = float(single.found.scores["dominant_soft_power_end"].iloc[0])
    refs = single.references["dominant_soft_power_end"]
    assert found > refs["baseline"]


def test_programme_split_optimum_is_at_least_every_shipped_programme(tmp_path):
    """Every shipped programme strategy is a point of the programme split (same money, same
    timing): the optimum must match or beat each, and a brute-force grid."""
    names = ["education_first", "services_first", "culture_first", "image_campaign"]
    names += ["balanced", "current_mix"]
    compare = ", ".join(f'"{SC / f"{n}.toml"}"' for n in names)
    body = (
        f'name = "p"\nseed = 5\nbase = "{SC / "current_mix.toml"}"\ncompare = [{compare}]\n'
        "[decisions.programme_split]\nstart = 2024\nramp = 3\n"
        '[[objectives]]\nmetric = "dominant_soft_power_end"\n'
        "[search]\npopulation = 12\ngenerations = 15\n"
    )
    (tmp_path / "p.toml").write_text(body)
    res = run_optimise(tmp_path / "p.toml", tmp_path / "out", progress=False, figures=False)
    found = float(res.found.scores["dominant_soft_power_end"].iloc[0])
    refs = res.references["dominant_soft_power_end"]
    assert set(names) <= set(refs.index)
    assert found >= refs[names].max() - 1e-9
    _, best = best_of(simplex_grid(10), PROGRAMME, "Programme split", "current_mix")
    assert found >= best - 1e-9
    assert res.found.levers[PROGRAMME].iloc[0].sum() == pytest.approx(1.0, abs=1e-12)


def test_written_scenario_reproduces_the_optimum_in_pysd(single, tmp_path, capsys):
    """Second engine: `regionsoft compare` runs the written scenario file in PySD and gets
    the batch engine's score (shares are written to 6 decimals, so agreement is to
    rounding). One PySD run serves both checks: the file is valid input and its score holds."""
    path = single.out_dir / "scenarios" / "t.toml"
    sc = Scenario.from_file(path)
    assert sum(sc.constants[n] for n in SPLIT) == pytest.approx(1.0, abs=1e-12)
    assert main(["compare", str(path), "--out", str(tmp_path)]) == 0
    assert "t" in capsys.readouterr().out
    pysd = pd.read_csv(tmp_path / "metrics.csv", index_col=0).loc["t", "dominant_soft_power_end"]
    assert pysd == pytest.approx(single.found.scores.iloc[0, 0], rel=1e-5)


def test_single_outputs(single):
    out = single.out_dir
    for rel in (
        "optimum.csv",
        "references.csv",
        "candidates.csv",
        "summary.md",
        "figures/objective.png",
        "scenarios/t.toml",
    ):
        assert (out / rel).is_file(), rel
    manifest = json.loads((out / "regionsoft-manifest.json").read_text())
    assert "optimum.csv" in json.dumps(manifest)
    cands = pd.read_csv(out / "candidates.csv")
    assert len(cands) == single.found.evaluations
    assert "## The optimum" in (out / "summary.md").read_text()


ROBUST = (
    """
[decisions.budget_split]
start = 2024
ramp = 3
[[objectives]]
metric = "dominant_soft_power_end"
robustness = "percentile"
percentile = 20
[[constraints]]
metric = "gdp_end"
min = 5000
[search]
population = 8
generations = 3
polish = false
[uncertainty]
futures = 10
fresh = 40
[discover]
against = "runner-up"
sobol = 8
"""
    + TWO_PARAMS
)


@pytest.fixture(scope="module")
def robust(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("robust")
    return run_optimise(write_spec(tmp, ROBUST, "r"), tmp / "out", progress=False)


def test_robust_reevaluation(robust):
    re = robust.reevaluation
    assert list(re.index) == ["r", "baseline", "balanced", "culture_first"]
    ws = re["win_share:dominant_soft_power_end"]
    assert ws.sum() == pytest.approx(1.0)
    reg = robust.regret["dominant_soft_power_end"]
    assert reg.shape == (40, 4) and (reg.to_numpy() >= 0).all()
    # in each future some strategy is best: its regret is 0
    assert (reg.min(axis=1) == 0).all()
    assert re["max_regret:dominant_soft_power_end"].to_numpy() == pytest.approx(
        reg.max().to_numpy()
    )


def test_robust_discovery(robust):
    d = robust.discovery
    assert d.strategy == "r" and d.against in ("baseline", "balanced", "culture_first")
    assert len(d.cases) == 40 and d.cases.failed.dtype == bool
    diff = d.cases["difference"].to_numpy()
    np.testing.assert_array_equal(d.cases.failed.to_numpy(), diff < 0)
    assert d.sobol is not None and len(d.sobol) == 2
    for rel in (
        "discovery/prim_trajectory.csv",
        "discovery/cart.txt",
        "figures/regret.png",
        "figures/prim_tradeoff.png",
        "figures/prim_box.png",
        "reevaluation.csv",
    ):
        assert (robust.out_dir / rel).is_file(), rel


def test_robust_score_is_the_percentile_of_the_futures(robust):
    """Recompute the objective of the found split from the runner's per-future outcomes."""
    from regionsoft_sd.futures.designs import sample
    from regionsoft_sd.futures.evaluate import Evaluator

    spec = robust.spec
    futures = sample(spec.uncertainty.parameters, 10, "lhs", spec.seed)
    with Evaluator(
        ["dominant_soft_power_end"],
        spec.base,
        futures,
        spec.uncertainty.parameters,
        decided=spec.space.columns,
    ) as ev:
        y = ev.candidates(robust.found.levers)[0, :, 0]
    assert robust.found.scores.iloc[0, 0] == pytest.approx(np.quantile(y, 0.2))


MULTI = """
[decisions.budget_split]
start = 2024
ramp = [0, 10]
[decisions.soft_power_budget_share]
range = [0.4, 0.7]
[[objectives]]
metric = "dominant_soft_power_end"
[[objectives]]
metric = "gdp_end"
[search]
population = 12
generations = 4
"""


def test_pareto_set_is_mutually_non_dominated(tmp_path):
    res = run_optimise(write_spec(tmp_path, MULTI, "m"), tmp_path / "out", progress=False)
    F = res.found.scores.to_numpy()
    assert len(F) >= 2
    for i, j in itertools.permutations(range(len(F)), 2):
        assert not (np.all(F[j] >= F[i]) and np.any(F[j] > F[i])), (i, j)
    assert (tmp_path / "out" / "pareto.csv").is_file()
    w = pd.read_csv(tmp_path / "out" / "weights.csv")
    assert w.weight.iloc[0] == 0 and w.weight.iloc[-1] == 1
    # weight 1 on soft power picks the point best on soft power, weight 0 the best on GDP
    assert w.point.iloc[-1] == int(np.argmax(F[:, 0])) + 1
    assert w.point.iloc[0] == int(np.argmax(F[:, 1])) + 1
    np.testing.assert_allclose(res.found.levers[SPLIT].sum(axis=1), 1.0, atol=1e-12)
    lo, hi = 0.4, 0.7
    s = res.found.levers["Policy soft power budget share"]
    assert s.between(lo, hi).all()
    # the ramp time is decided too, and the written scenarios carry it
    ramp = res.found.levers["Budget split policy ramp time"]
    assert ramp.between(0, 10).all()
    first = Scenario.from_file(tmp_path / "out" / "scenarios" / "m_1.toml")
    assert first.constants["Budget split policy ramp time"] == pytest.approx(ramp.iloc[0], abs=1e-6)


def test_infeasible_constraint_is_bad_input(tmp_path):
    body = SINGLE.replace("population = 20\ngeneration = 40", "") + (
        # a million billion yuan: some 200 times China's GDP today, out of any split's reach
        '[[constraints]]\nmetric = "gdp_end"\nmin = 1e6\n'
    )
    body = body.replace("population = 20", "population = 6").replace(
        "generations = 40", "generations = 2\npolish = false"
    )
    with pytest.raises(InputError, match="infeasible"):
        run_optimise(write_spec(tmp_path, body), tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "optimum.csv").exists()


def test_dask_workers_give_the_same_result(tmp_path):
    body = ROBUST.replace('[discover]\nagainst = "runner-up"\nsobol = 8\n', "").replace(
        "fresh = 40", "fresh = 0"
    )
    spec = write_spec(tmp_path, body, "d")
    a = run_optimise(spec, tmp_path / "a", progress=False, figures=False)
    b = run_optimise(spec, tmp_path / "b", workers=1, progress=False, figures=False)
    pd.testing.assert_frame_equal(a.found.levers, b.found.levers)
    pd.testing.assert_frame_equal(a.candidates, b.candidates)


def test_interrupted_run_resumes_to_the_same_result(tmp_path, monkeypatch):
    from regionsoft_sd.futures.evaluate import Evaluator

    body = ROBUST.replace('[discover]\nagainst = "runner-up"\nsobol = 8\n', "").replace(
        "fresh = 40", "fresh = 0"
    )
    spec = write_spec(tmp_path, body, "res")
    full = run_optimise(spec, tmp_path / "a", progress=False, figures=False)

    calls = {"n": 0}
    real = Evaluator.candidates

    def crash_on_fourth(self, levers):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, levers)

    monkeypatch.setattr(Evaluator, "candidates", crash_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        run_optimise(spec, tmp_path / "b", progress=False, figures=False)
    monkeypatch.undo()
    assert not (tmp_path / "b" / "optimum.csv").exists()
    memo = sorted((tmp_path / "b" / "evaluations").rglob("*.npy"))
    assert len(memo) == 3
    # damage one of them: it must be recomputed, not trusted
    data = bytearray(memo[1].read_bytes())
    data[-1] ^= 0xFF
    memo[1].write_bytes(bytes(data))

    res = run_optimise(spec, tmp_path / "b", resume=True, progress=False, figures=False)
    assert any("resumed: 2 batches" in n and "1 damaged" in n for n in res.notes)
    pd.testing.assert_frame_equal(res.found.levers, full.found.levers)
    pd.testing.assert_frame_equal(res.candidates, full.candidates)
    # the damaged file is left as it was (nothing proves this tool wrote it); the memo
    # folder is the run's checkpoint folder in the manifest
    assert memo[1].read_bytes() == bytes(data)
    manifest = json.loads((tmp_path / "b" / "regionsoft-manifest.json").read_text())
    (cp,) = manifest["checkpoints"]
    assert (tmp_path / "b" / cp) == memo[0].parent


def test_memo_of_an_earlier_spec_is_removed_file_by_file(tmp_path):
    """Only files that prove they are memo files go; a user's file keeps the folder."""
    from regionsoft_sd.optimise.memo import EvaluationMemo, remove_memo

    m = EvaluationMemo(tmp_path, "abc", resume=False)
    cube = m.wrap(lambda levers: np.ones((len(levers), 2, 1)), None)
    cube(pd.DataFrame({"x": [1.0, 2.0]}))
    cube(pd.DataFrame({"x": [3.0]}))
    mine = sorted(m.folder.glob("*.npy"))
    assert len(mine) == 2
    (m.folder / "notes.txt").write_text("the user's")
    removed = remove_memo(tmp_path, m.folder)
    assert sorted(removed) == mine and (m.folder / "notes.txt").is_file()
