"""Hostile specs for optimise, discover, sweep and calibrate: sizes, seeds, names, ties, links.

Each size key is bounded by the memory it needs (`fields.MEMORY_BUDGET`), checked
when the spec is read: the tests below ask for too much through every size key
and require one InputError naming the file and the key, raised before any run.
"""

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.cli import main
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.common.fields import MEMORY_BUDGET, check_count, most_items, seed32
from regionsoft_sd.discover.spec import parse_spec as parse_discover
from regionsoft_sd.futures.designs import saltelli_design, to_values
from regionsoft_sd.futures.discovery import analyse, difference_sobol, failures
from regionsoft_sd.futures.failure import Failure
from regionsoft_sd.futures.params import Parameter
from regionsoft_sd.futures.ties import TIE_RTOL, tied, tolerance
from regionsoft_sd.optimise import pareto, robust, simplex, single
from regionsoft_sd.optimise.analysis import win_shares
from regionsoft_sd.optimise.spec import parse_spec as parse_optimise

ROOT = Path(__file__).resolve().parent.parent
SC = ROOT / "scenarios"
SPEC_FILE = SC / "optimise" / "hostile.toml"  # never written: anchors relative paths


def optimise_spec(**extra):
    data = {
        "name": "t",
        "seed": 1,
        "base": str(SC / "baseline.toml"),
        "decisions": {"budget_split": {}},
        "objectives": [{"metric": "dominant_soft_power_end"}],
        "parameters": {"Culture weight": "uniform"},
        "uncertainty": {"futures": 10},
    }
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k] = {**data[k], **v}
        else:
            data[k] = v
    return data


def discover_spec(**extra):
    data = {
        "name": "d",
        "strategy": str(SC / "culture_first.toml"),
        "against": str(SC / "education_first.toml"),
        "metric": "consumption_per_capita_end",
        "futures": 20,
        "seed": 5,
        "parameters": {"Return to schooling": "uniform"},
    }
    data.update(extra)
    return data


def refused(parse, data) -> InputError:
    with pytest.raises(InputError) as err:
        parse(data, source=SPEC_FILE)
    msg = str(err.value)
    assert "\n" not in msg and str(SPEC_FILE.name) in msg
    return err.value


# -- sizes ---------------------------------------------------------------------------------

HUGE = (10**7, 10**12, 2**40, 2**63 - 1, 10**30)


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(
    ("parse", "make", "key"),
    [
        (
            parse_optimise,
            lambda v: optimise_spec(uncertainty={"futures": v}),
            "uncertainty.futures",
        ),
        (parse_optimise, lambda v: optimise_spec(uncertainty={"fresh": v}), "uncertainty.fresh"),
        (parse_optimise, lambda v: optimise_spec(search={"population": v}), "search.population"),
        (parse_optimise, lambda v: optimise_spec(search={"generations": v}), "search.generations"),
        (parse_optimise, lambda v: optimise_spec(discover={"sobol": v}), "discover.sobol"),
        (parse_discover, lambda v: discover_spec(futures=v), "futures"),
        (parse_discover, lambda v: discover_spec(sobol=v), "sobol"),
    ],
)
def test_every_size_key_is_bounded_at_read(parse, make, key, value):
    """Too large a size is one line naming the file and the key (with its table), never a
    MemoryError after the search. Sobol sizes must also be powers of 2: either refusal
    names the key."""
    err = refused(parse, make(value))
    assert err.key == key
    if "memory" in err.problem:
        assert "GiB" in err.problem and err.fix.startswith("use at most ")


def test_the_bound_is_the_most_that_fits_in_the_budget():
    """check_count accepts exactly budget // bytes_per_item items (a hand computation)."""
    assert most_items(1000) == MEMORY_BUDGET // 1000
    check_count(MEMORY_BUDGET // 1000, "k", "f.toml", bytes_per_item=1000)
    with pytest.raises(InputError, match=r"f\.toml: k: .* GiB .*Fix: use at most "):
        check_count(MEMORY_BUDGET // 1000 + 1, "k", "f.toml", bytes_per_item=1000)


def test_a_size_that_fits_is_accepted_and_its_message_names_the_most_that_fits():
    err = refused(parse_optimise, optimise_spec(uncertainty={"fresh": 10**9}))
    most = int(err.fix.removeprefix("use at most ").replace(",", ""))
    assert 1000 < most < 10**9
    spec = parse_optimise(optimise_spec(uncertainty={"fresh": most}), source=SPEC_FILE)
    assert spec.uncertainty.fresh == most
    refused(parse_optimise, optimise_spec(uncertainty={"fresh": most + 1}))


def test_shipped_specs_are_within_the_bounds():
    from regionsoft_sd.discover.spec import load_spec as load_discover
    from regionsoft_sd.optimise.spec import load_spec as load_optimise

    for p in sorted((SC / "optimise").glob("*.toml")):
        data = tomllib.loads(p.read_text())
        (load_discover if "strategy" in data else load_optimise)(p)


def test_calibration_walkers_are_bounded(tmp_path):
    pytest.importorskip("emcee")
    from regionsoft_sd.calibrate.cli import default_spec
    from regionsoft_sd.calibrate.spec import parse_spec as parse_calibrate

    data = tomllib.loads(default_spec().read_text())
    data["mcmc"] = {"walkers": 2 * 10**9, "steps": 1000}
    with pytest.raises(InputError) as err:
        parse_calibrate(data, source=default_spec())
    assert err.value.key == "mcmc.walkers" and "GiB" in err.value.problem
    data["mcmc"] = {"walkers": "many"}
    with pytest.raises(InputError) as err:
        parse_calibrate(data, source=default_spec())
    assert err.value.key == "mcmc.walkers"


def test_sweep_samples_are_bounded():
    from regionsoft_sd.sweep.spec import load_spec, parse_spec

    p = SC / "sweeps" / "strategy_robustness.toml"
    load_spec(p)  # the shipped one fits
    data = tomllib.loads(p.read_text())
    data["n"] = 2**20
    with pytest.raises(InputError) as err:
        parse_spec(data, source=p)
    assert err.value.key == "n" and "GiB" in err.value.problem


def test_a_huge_size_exits_2_before_any_run(tmp_path, capsys, monkeypatch):
    """From the command line: exit 2, one line, and the runner is never called."""
    import regionsoft_sd.futures.evaluate as futures

    def no_runs(*a, **k):
        raise AssertionError("a run started before the spec was checked")

    monkeypatch.setattr(futures.Evaluator, "__enter__", no_runs)
    spec = tmp_path / "d.toml"
    spec.write_text(
        "\n".join(
            [
                'name = "d"',
                f'strategy = "{SC / "culture_first.toml"}"',
                f'against = "{SC / "education_first.toml"}"',
                'metric = "consumption_per_capita_end"',
                "futures = 100000000000",
                "seed = 1",
                "[parameters]",
                '"Return to schooling" = "uniform"',
            ]
        )
    )
    assert main(["discover", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "d.toml: futures:" in err and "GiB" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


# -- seeds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 2**32 - 1, 2**32, 2**40, 2**63 - 1, 2**64 + 5])
def test_any_non_negative_seed_is_accepted(value):
    assert parse_optimise(optimise_spec(seed=value), source=SPEC_FILE).seed == value
    assert parse_discover(discover_spec(seed=value), source=SPEC_FILE).seed == value


@pytest.mark.parametrize("value", [-1, 1.5, "7", True])
def test_a_negative_or_non_integer_seed_is_bad_input(value):
    assert refused(parse_optimise, optimise_spec(seed=value)).key == "seed"
    assert refused(parse_discover, discover_spec(seed=value)).key == "seed"


def test_seed32_keeps_32_bit_seeds_and_hashes_larger_ones():
    assert [seed32(s) for s in (0, 7, 2**32 - 1)] == [0, 7, 2**32 - 1]
    big = [seed32(s) for s in (2**32, 2**32 + 1, 2**40, 2**64 + 5)]
    assert all(0 <= s < 2**32 for s in big) and len(set(big)) == 4
    assert seed32(2**40) == seed32(2**40)  # deterministic
    assert seed32(7, stream=1) != seed32(7)


def test_the_32_bit_libraries_take_a_large_seed():
    """scikit-learn (trees), SALib (Sobol), SciPy (DE) and pymoo (NSGA) need seeds below
    2**32; a larger seed is derived, not passed on, so each runs and repeats itself."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.random((200, 2)), columns=["a", "b"])
    y = x.a.to_numpy()
    f = Failure("m", "higher", below=0.5)
    d1 = analyse(x, f, "s", y, seed=2**40)
    d2 = analyse(x, f, "s", y, seed=2**40)
    pd.testing.assert_series_equal(d1.scores, d2.scores)

    def bowl(U):
        return ((U - 0.3) ** 2).sum(axis=1), np.empty((len(U), 0))

    r = single.minimise(bowl, 2, population=8, generations=3, seed=2**40, polish=False)
    assert np.isfinite(r.f)
    params = [Parameter(n, "uniform", 0.0, 1.0, 0.5) for n in ("a", "b")]
    v = to_values(params, saltelli_design(params, 64, seed=2**40))
    s = difference_sobol(params, v.a.to_numpy(), None, seed=2**40)
    assert s.index[0] == "a"
    pytest.importorskip("pymoo")

    def two(X):
        return np.column_stack([(X**2).sum(1), ((X - 1) ** 2).sum(1)]), np.empty((len(X), 0))

    low, high = np.zeros(3), np.ones(3)
    res = pareto.front(
        two,
        low,
        high,
        2,
        population=8,
        generations=2,
        seed=2**40,
        repair=lambda X: simplex.project(X, low, high),
    )
    assert len(res.X) >= 1


# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\x1bb", "line\nbreak", "tab\there", "bidi\u202ename", "\x00"])
def test_a_name_with_a_control_character_is_refused_at_read(bad):
    for parse, make in ((parse_optimise, optimise_spec), (parse_discover, discover_spec)):
        err = refused(parse, make(name=bad))
        assert err.key == "name" and "control character" in err.problem


def test_a_name_that_is_not_text_is_refused_at_read():
    assert refused(parse_optimise, optimise_spec(name=3)).key == "name"
    assert refused(parse_discover, discover_spec(name=["x"])).key == "name"


@pytest.mark.parametrize("bad", ["a b", "../up", "a/b", ".hidden", "x" * 101, "é"])
def test_an_optimisation_name_must_name_files(bad):
    """The found strategies become scenario files named after the spec: a name that cannot
    be a scenario name is refused at read, not after the search."""
    err = refused(parse_optimise, optimise_spec(name=bad))
    assert err.key == "name"


def test_a_pareto_name_leaves_room_for_the_suffix_and_clashes_are_refused():
    two = [{"metric": "dominant_soft_power_end"}, {"metric": "gdp_end"}]
    parse_optimise(optimise_spec(name="x" * 97, objectives=two), source=SPEC_FILE)
    assert refused(parse_optimise, optimise_spec(name="x" * 98, objectives=two)).key == "name"
    err = refused(parse_optimise, optimise_spec(name="baseline"))  # the base is baseline
    assert err.key == "name" and "baseline" in err.problem


# -- share groups spelt twice ----------------------------------------------------------------


@pytest.mark.parametrize(
    "decisions",
    [
        {"budget_split": {"culture_share": [0, 0.5], "Policy culture share": [0, 0.4]}},
        {"budget_split": {"culture share": [0, 0.5], "CULTURE_SHARE": [0, 0.4]}},
        {"budget_split": {}, "Budget split": {}},
        {"tax_share": {"range": [0.05, 0.1]}, "Policy tax share": {"range": [0.05, 0.1]}},
    ],
)
def test_one_decision_under_two_spellings_is_refused(decisions):
    err = refused(parse_optimise, optimise_spec(decisions=decisions))
    assert err.key.startswith("decisions.") and "twice" in err.problem


# -- messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (optimise_spec(search={"chunk_size": 0}), "search.chunk_size"),
        (optimise_spec(search={"population": 2}), "search.population"),
        (optimise_spec(search={"generations": "x"}), "search.generations"),
        (optimise_spec(search={"polish": 1}), "search.polish"),
        (optimise_spec(uncertainty={"futures": 1}), "uncertainty.futures"),
        (optimise_spec(uncertainty={"fresh": -1}), "uncertainty.fresh"),
        (optimise_spec(discover={"sobol": 3}), "discover.sobol"),
        (optimise_spec(discover={"sobol": 1.5}), "discover.sobol"),
    ],
)
def test_keys_are_named_with_their_table(data, key):
    assert refused(parse_optimise, data).key == key


@pytest.mark.parametrize(
    "data",
    [
        optimise_spec(
            objectives=[{"metric": "dominant_soft_power_end", "robustness": "satisficing"}]
        ),
        optimise_spec(constraints=[{"metric": "gdp_end"}]),
        optimise_spec(discover={"against": "no_such.toml"}),
        optimise_spec(discover={"against": "."}),
        optimise_spec(base="."),
        optimise_spec(uncertainty=[1]),
        discover_spec(strategy=str(SC)),
        discover_spec(against=str(SC / "optimise")),
        discover_spec(strategy=7),
    ],
)
def test_fix_texts_are_whole_sentences(data):
    """The fix is an instruction: it does not start with a dangling conjunction, and does not
    end on an assignment with its value cut off ("threshold =.")."""
    parse = parse_discover if "strategy" in data else parse_optimise
    err = refused(parse, data)
    fix = err.fix
    assert fix and not fix.lower().startswith(("or ", "and ", "[")), fix
    assert not fix.rstrip(".").rstrip().endswith("="), fix
    assert not str(err).endswith("=."), str(err)


@pytest.mark.parametrize("bad", ["a\x00b.toml", "x" * 300 + ".toml", ""])
def test_an_unusable_scenario_path_is_bad_input(bad):
    for parse, data, key in (
        (parse_optimise, optimise_spec(base=bad), "base"),
        (parse_discover, discover_spec(strategy=bad), "strategy"),
        (parse_discover, discover_spec(against=bad), "against"),
    ):
        assert refused(parse, data).key == key


def test_the_search_chunk_is_bounded_like_the_sweeps():
    from regionsoft_sd.runs.chunks import MAX_CHUNK_SIZE

    data = optimise_spec(search={"chunk_size": MAX_CHUNK_SIZE + 1})
    assert refused(parse_optimise, data).key == "search.chunk_size"


def test_a_folder_is_not_called_a_missing_file():
    for parse, data, key in (
        (parse_optimise, optimise_spec(base=str(SC)), "base"),
        (parse_discover, discover_spec(against=str(SC)), "against"),
        (parse_optimise, optimise_spec(discover={"against": str(SC)}), "discover.against"),
    ):
        err = refused(parse, data)
        assert err.key == key and "is a folder" in err.problem and "not found" not in str(err)


# -- ties ----------------------------------------------------------------------------------


def test_rounding_differences_are_ties_not_failures():
    """An optimum equal to the other strategy up to float rounding never fails against it;
    a difference well above the tolerance does."""
    rng = np.random.default_rng(1)
    other = rng.uniform(20, 80, 500)
    y = other * (1 + rng.choice([-1, 0, 1], 500) * 2.2e-16)  # last-bit differences
    assert not failures(Failure("m", "higher", "x"), y, other).any()
    assert not failures(Failure("m", "lower", "x"), y, other).any()
    worse = other * (1 - 1e-6)
    assert failures(Failure("m", "higher", "x"), worse, other).all()
    # thresholds: a value equal to the threshold up to rounding is not beyond it
    assert not failures(Failure("m", "higher", below=0.3), np.array([0.1 + 0.2]), None).any()
    assert failures(Failure("m", "higher", below=0.3), np.array([0.2999]), None).all()


def test_tolerance_is_relative_and_absolute():
    assert tolerance(1e6, 1e6) == pytest.approx(TIE_RTOL * 1e6, rel=1e-3)
    assert tied(0.0, 1e-13) and not tied(0.0, 1e-6)
    assert not tied(np.nan, np.nan) and not tied(1.0, np.nan)


def test_win_shares_split_ties_and_regret_ignores_rounding():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = a + np.array([4e-16, -4e-16, 0.5, -0.5])  # tie, tie, b wins, a wins
    y = np.vstack([a, b])
    np.testing.assert_allclose(win_shares(y, "higher"), [0.5, 0.5])
    np.testing.assert_allclose(win_shares(y, "lower"), [0.5, 0.5])
    r = robust.regret_table(y, "higher")
    np.testing.assert_array_equal(r, [[0, 0, 0.5, 0], [0, 0, 0, 0.5]])
    # NaN futures count for nobody; the shares of the others still sum to their share
    y2 = np.array([[1.0, np.nan], [0.0, np.nan]])
    np.testing.assert_allclose(win_shares(y2, "higher"), [0.5, 0.0])


# -- shipped names and options ----------------------------------------------------------------


def test_optimise_and_discover_take_shipped_names_from_any_folder(tmp_path, monkeypatch):
    import regionsoft_sd.discover.pipeline as dp
    import regionsoft_sd.optimise.pipeline as op

    seen = {}

    def fake(name):
        def run(spec, out, **kw):
            seen[name] = (Path(spec), kw)
            raise InputError(None, None, "stop here")

        return run

    monkeypatch.setattr(op, "run_optimise", fake("optimise"))
    monkeypatch.setattr(dp, "run_discover", fake("discover"))
    monkeypatch.chdir(tmp_path)
    assert main(["optimise", "best_split"]) == 2
    assert main(["discover", "culture_vs_education", "--no-progress"]) == 2
    assert seen["optimise"][0] == SC / "optimise" / "best_split.toml"
    assert seen["discover"][0] == SC / "optimise" / "culture_vs_education.toml"
    assert seen["discover"][1]["progress"] is False


def test_an_unknown_spec_name_suggests_the_shipped_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["optimise", "best_splt"]) == 2
    assert "best_split" in capsys.readouterr().err


# -- links ---------------------------------------------------------------------------------


def test_a_symlinked_evaluations_folder_is_refused_and_nothing_is_written_through_it(
    tmp_path, capsys
):
    from regionsoft_sd.common.outdir import OutputFolder

    out = tmp_path / "out"
    with OutputFolder(out, kind="optimise") as folder:  # an earlier optimise's folder
        folder.commit()
    target = tmp_path / "elsewhere"
    target.mkdir()
    (out / "evaluations").symlink_to(target)
    spec = tmp_path / "t.toml"
    spec.write_text(
        f'name = "t"\nseed = 1\nbase = "{SC / "baseline.toml"}"\n'
        '[decisions.budget_split]\n[[objectives]]\nmetric = "dominant_soft_power_end"\n'
        "[search]\npopulation = 5\ngenerations = 1\n"
    )
    assert main(["optimise", str(spec), "--out", str(out), "--no-progress"]) == 2
    assert "evaluations" in capsys.readouterr().err
    assert list(target.iterdir()) == []


def test_a_linked_memo_file_is_left_alone(tmp_path):
    from regionsoft_sd.optimise.memo import EvaluationMemo

    root = tmp_path / "out"
    memo = EvaluationMemo(root, "abc", resume=True)
    memo.folder.mkdir(parents=True)
    cube = memo.wrap(lambda lv: np.ones((len(lv), 1, 1)), None)
    levers = pd.DataFrame({"x": [0.5]})
    cube(levers)
    (written,) = list(memo.folder.iterdir())
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    written.unlink()
    written.symlink_to(victim)
    np.testing.assert_array_equal(cube(levers), np.ones((1, 1, 1)))  # recomputed
    assert victim.read_text() == "mine" and written.is_symlink()


def test_the_memo_never_writes_through_a_link_that_appears_later(tmp_path):
    from regionsoft_sd.optimise.memo import EvaluationMemo

    root = tmp_path / "out"
    (root / "evaluations").mkdir(parents=True)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (root / "evaluations" / "abc").symlink_to(target)
    memo = EvaluationMemo(root, "abc", resume=True)
    cube = memo.wrap(lambda lv: np.zeros((len(lv), 1, 1)), None)
    with pytest.raises(InputError, match="symlink"):
        cube(pd.DataFrame({"x": [0.5]}))
    assert list(target.iterdir()) == []


def test_the_tree_memory_per_future_bounds_what_scikit_learn_allocates():
    """The discovery's cost per future (`CASE_BYTES`) is an upper bound on what the
    extra-trees ranking really holds, measured on the worst case: labels that are pure
    noise, so every tree grows to about one leaf per future."""
    pytest.importorskip("sklearn")
    from sklearn.ensemble import ExtraTreesClassifier

    from regionsoft_sd.futures.sizes import CASE_BYTES, TREE_NODE_BYTES
    from regionsoft_sd.futures.trees import DEFAULT_TREES

    n = 400
    rng = np.random.default_rng(3)
    x, y = rng.random((n, 3)), rng.random(n) < 0.5
    model = ExtraTreesClassifier(n_estimators=DEFAULT_TREES, max_features=0.6, random_state=0)
    model.fit(x, y)
    state = model.estimators_[0].tree_.__getstate__()
    node = state["nodes"].itemsize + state["values"][0].nbytes
    assert node <= TREE_NODE_BYTES
    held = sum(e.tree_.node_count for e in model.estimators_) * node
    assert held <= n * CASE_BYTES
    assert held > 0.5 * n * CASE_BYTES * node / TREE_NODE_BYTES  # the worst case is reached
