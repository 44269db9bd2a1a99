"""Optimisation specs: what a valid one holds, and one clear line for each bad one."""

import subprocess
import sys
from pathlib import Path

import pytest

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.optimise.levers import share_groups
from regionsoft_sd.optimise.spec import parse_spec
from regionsoft_sd.scenarios.scenario import SPLIT_GROUPS

ROOT = Path(__file__).resolve().parent.parent
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
SHIPPED = sorted((ROOT / "scenarios" / "optimise").glob("*.toml"))


def minimal(**extra):
    data = {
        "name": "t",
        "seed": 1,
        "base": BASELINE,
        "decisions": {"budget_split": {}},
        "objectives": [{"metric": "dominant_soft_power_end"}],
    }
    data.update(extra)
    return data


def parse(data):
    return parse_spec(data, source=ROOT / "scenarios" / "optimise" / "test.toml")


def test_minimal_spec():
    spec = parse(minimal())
    split = share_groups(catalogue())
    assert set(split) == set(SPLIT_GROUPS)  # the model's split groups, none hard-coded here
    assert [s.group for s in spec.space.simplexes] == ["Budget split"]
    assert spec.space.unit_dim == len(split["Budget split"]) - 1 == 3
    assert spec.algorithm == "de" and spec.uncertainty is None
    assert spec.objectives[0].better == "higher"


def test_every_split_group_is_a_decision():
    """The programme split is a share group like the budget split: decided as a simplex,
    its shares never alone, its timing through the group's own start and ramp."""
    spec = parse(
        minimal(
            decisions={
                "programme_split": {"programme_image_share": [0, 0.2], "ramp": 3},
                "programme_budget": {"range": [0, 100]},
            }
        )
    )
    (simplex,) = spec.space.simplexes
    assert simplex.group == "Programme split"
    assert simplex.levers == tuple(e.name for e in share_groups(catalogue())["Programme split"])
    assert simplex.high[simplex.levers.index("Policy programme image share")] == 0.2
    assert spec.space.fixed == {"Programme split policy ramp time": 3.0}
    assert [(s.name, s.low, s.high) for s in spec.space.scalars] == [
        ("Policy programme budget", 0.0, 100.0)
    ]
    with pytest.raises(InputError, match="cannot be decided alone") as err:
        parse(minimal(decisions={"programme_culture_share": {}}))
    assert "[decisions.programme_split]" in str(err.value)


def test_decisions_with_bounds_timing_and_scalars():
    spec = parse(
        minimal(
            decisions={
                "budget_split": {"image_share": [0, 0.2], "start": 2027, "ramp": [0, 10]},
                "tax_share": {"range": [0.15, 0.3], "start": [2026, 2030]},
            }
        )
    )
    sp = spec.space
    assert sp.simplexes[0].high[sp.simplexes[0].levers.index("Policy image share")] == 0.2
    assert sp.fixed == {"Budget split policy start year": 2027.0}
    assert [(s.name, s.low, s.high) for s in sp.scalars] == [
        ("Budget split policy ramp time", 0.0, 10.0),
        ("Policy tax share", 0.15, 0.3),
        ("Tax policy start year", 2026.0, 2030.0),
    ]


def test_several_objectives_choose_nsga():
    two = [{"metric": "dominant_soft_power_end"}, {"metric": "gdp_end"}]
    assert parse(minimal(objectives=two)).algorithm == "nsga2"
    three = [*two, {"metric": "npv_consumption"}]
    assert parse(minimal(objectives=three)).algorithm == "nsga3"


def test_uncertainty_reuses_the_sweep_distributions():
    spec = parse(
        minimal(
            uncertainty={"futures": 50, "fresh": 100},
            parameters={"Capital depreciation rate": "triangular"},
            objectives=[
                {"metric": "dominant_soft_power_end", "robustness": "percentile", "percentile": 5}
            ],
        )
    )
    (p,) = spec.uncertainty.parameters
    assert p.distribution == "triangular" and p.mode == p.default
    assert spec.objectives[0].label == "p5:dominant_soft_power_end"


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        # shares that cannot sum to 1
        (
            {
                "decisions": {
                    "budget_split": {
                        "education_share": [0.5, 0.9],
                        "public_service_share": [0.6, 1],
                    }
                }
            },
            "decisions.budget_split",
            "cannot sum to 1",
        ),
        ({"objectives": [{"metric": "soft_power"}]}, "objectives[0].metric", "unknown metric"),
        (
            {"constraints": [{"metric": "gdp_end", "min": 3, "max": 2}]},
            "constraints[0]",
            "infeasible",
        ),
        # a lever that is also sampled as an uncertainty
        (
            {
                "decisions": {"budget_split": {}, "tax_share": {}},
                "parameters": {"Policy tax share": "uniform"},
            },
            "parameters.Policy tax share",
            "decision of this spec",
        ),
        (
            {"decisions": {"education_share": {}}},
            "decisions.education_share",
            "cannot be decided alone",
        ),
        ({"decisions": {"budget_splt": {}}}, "decisions.budget_splt", "did you mean"),
        (
            {"decisions": {"budget_split": {"image_share": [0, 1.5]}}},
            "decisions.budget_split.image_share",
            "outside",
        ),
        (
            {"objectives": [{"metric": "dominant_soft_power_end", "robustness": "regret"}]},
            "objectives[0].robustness",
            "needs futures",
        ),
        (
            {"objectives": [{"metric": "cumulative_spending"}]},
            "objectives[0].sense",
            "no better direction",
        ),
        ({"search": {"algorithm": "nsga2"}}, "search.algorithm", "two or more"),
        ({"colour": "red"}, "colour", "unknown top-level key"),
        ({"decisions": {}}, "decisions", "no decisions"),
        (
            {"decisions": {"budget_split": {"start": 2027}, "education_share": {}}},
            "decisions.education_share",
            "alone",
        ),
    ],
)
def test_bad_specs(change, key, words):
    with pytest.raises(InputError) as err:
        parse(minimal(**change))
    assert err.value.key == key
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_a_lever_decided_twice():
    data = minimal(decisions={"tax_share": {"start": 2027}, "Policy tax share": {}})
    with pytest.raises(InputError, match="decided twice"):
        parse(data)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_specs_are_valid(path):
    """Optimisation specs have [decisions]; discovery specs a strategy."""
    import tomllib

    from regionsoft_sd.discover.spec import load_spec as load_discover
    from regionsoft_sd.optimise.spec import load_spec

    kind = "decisions" in tomllib.loads(path.read_text())
    spec = load_spec(path) if kind else load_discover(path)
    assert spec.name == path.stem


def test_cli_bad_spec_exits_2_with_one_line(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(
        f'name = "bad"\nseed = 1\nbase = "{BASELINE}"\n'
        "[decisions.budget_split]\neducation_share = [0.9, 1]\nculture_share = [0.2, 1]\n"
        '[[objectives]]\nmetric = "dominant_soft_power_end"\n'
    )
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "regionsoft_sd.cli", "optimise", str(spec), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot sum to 1" in lines[0] and "Fix:" in lines[0]
    assert not out.exists()
