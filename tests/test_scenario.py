"""Scenario files: parsing, inheritance, time inputs, and each kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.scenarios.scenario import SPLIT_TOLERANCE, Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
STRATEGIES = ["education_first", "services_first", "culture_first", "image_campaign", "balanced"]
STRATEGIES += ["current_mix"]
SPLIT = ["education share", "public service share", "culture share", "image share"]
PROGRAMME_SPLIT = [f"programme {x}" for x in SPLIT]


def scen(**extra):
    return {"name": "t", "description": "test", **extra}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_lever_with_start_and_ramp_maps_to_the_group_constants():
    s = Scenario.from_dict(
        scen(policy={"cadre_training_share": {"value": 0.05, "start": 2030, "ramp": 4}})
    )
    assert s.constants == {
        "Policy cadre training share": 0.05,
        "Cadre training policy start year": 2030.0,
        "Cadre training policy ramp time": 4.0,
    }


def test_parameters_accept_any_spelling_and_shorthand_levers():
    s = Scenario.from_dict(
        scen(parameters={"capital_DEPRECIATION rate": 0.07}, policy={"tax share": 0.25})
    )
    assert s.constants == {"Capital depreciation rate": 0.07, "Policy tax share": 0.25}


def test_series_lever_applies_from_the_policy_start_without_ramp():
    """A series is the policy path from the first projection year, which the .mdl
    declares as `Projection start year` (2024): history stays the same."""
    start = catalogue()["Projection start year"].default
    assert start == 2024
    s = Scenario.from_dict(scen(policy={"tax_share": [[2025, 0.2], [2040, 0.25]]}))
    series = s.series["Policy tax share"]
    assert list(series.index) == [2025.0, 2040.0] and list(series) == [0.2, 0.25]
    assert s.constants == {"Tax policy start year": start, "Tax policy ramp time": 0.0}
    assert isinstance(s.pysd_params()["Policy tax share"], pd.Series)


def test_round_trip_through_to_dict():
    s = Scenario.from_file(SCENARIOS / "austerity.toml")
    assert Scenario.from_dict(s.to_dict()) == s


def test_based_on_inherits_and_overrides(tmp_path):
    write(
        tmp_path,
        "parent",
        'name="p"\ndescription="d"\n[parameters]\n'
        '"Capital depreciation rate"=0.07\n"Absorption rate"=0.01\n',
    )
    child = write(
        tmp_path,
        "child",
        'name="c"\ndescription="d"\nbased_on="parent"\n[parameters]\n"Absorption rate"=0.012\n',
    )
    s = Scenario.from_file(child)
    assert s.constants == {"Capital depreciation rate": 0.07, "Absorption rate": 0.012}
    assert s.based_on == "parent" and s.source == child


def test_shipped_scenarios_are_valid_and_documented():
    files = sorted(SCENARIOS.glob("*.toml"))
    names = {Scenario.from_file(f).name for f in files}
    assert {"baseline", "austerity", *STRATEGIES} <= names
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert text.startswith("#") and "§" in text, f"{f.name}: comments must cite the article"


def test_strategies_share_the_budget_rule_and_split_sums_to_one():
    """The programme strategies keep the baseline's budget and its split, spend the same
    programme money, and differ only in the programme's split, which sums to 1."""
    cat = catalogue()
    base = Scenario.from_file(SCENARIOS / "baseline.toml")

    def effective(s, name):
        return s.constants.get(name, cat[name].default)

    budgets = set()
    for name in STRATEGIES:
        s = Scenario.from_file(SCENARIOS / f"{name}.toml")
        levers = ["Policy tax share", "Policy soft power budget share"]
        levers += [f"Policy {x}" for x in SPLIT]
        for lever in levers:
            assert effective(s, lever) == effective(base, lever), (name, lever)
        for x in (*SPLIT, *PROGRAMME_SPLIT):
            assert f"Policy {x}" not in s.series, (name, x)
        total = sum(effective(s, f"Policy {x}") for x in PROGRAMME_SPLIT)
        assert abs(total - 1) <= SPLIT_TOLERANCE
        budgets.add(effective(s, "Policy programme budget"))
    assert len(budgets) == 1 and budgets.pop() > effective(base, "Policy programme budget") == 0
    austerity = Scenario.from_file(SCENARIOS / "austerity.toml")
    cut = effective(austerity, "Policy tax share")
    assert cut < effective(base, "Policy tax share")


# --- bad input: each case names the file, the key and the fix ------------------------


def bad(data, match, key):
    with pytest.raises(InputError, match=match) as info:
        Scenario.from_dict(data, source="x.toml")
    assert str(info.value).startswith(f"x.toml: {key}:")
    assert "Fix:" in str(info.value)
    return str(info.value)


def test_unknown_parameter_suggests_closest():
    msg = bad(
        scen(parameters={"Capital depreciaton rate": 0.1}),
        "unknown",
        "parameters.Capital depreciaton rate",
    )
    assert "did you mean 'Capital depreciation rate'" in msg


def test_unknown_lever_and_top_level_key_suggest_closest():
    assert "culture share" in bad(
        scen(policy={"cultur_share": 0.1}), "unknown policy lever", "policy.cultur_share"
    )
    assert "'parameters'" in bad(scen(parametres={}), "unknown top-level key", "parametres")


def test_value_outside_declared_range():
    msg = bad(
        scen(policy={"tax_share": 0.9}), "outside the model's range", "policy.tax_share.value"
    )
    assert "[0.02, 0.3]" in msg  # the range the .mdl declares: `Dmnl [0.02,0.3]`


def test_wrong_type():
    bad(scen(policy={"tax_share": {"value": "0.3"}}), "expected a number", "policy.tax_share.value")
    bad(
        scen(parameters={"Absorption rate": True}),
        "expected a number",
        "parameters.Absorption rate",
    )
    bad(scen(name=3), "expected text", "name")


def test_budget_split_must_sum_to_one():
    shares = {
        "education_share": 0.5,
        "public_service_share": 0.42,
        "culture_share": 0.10,
        "image_share": 0.03,
    }
    msg = bad(scen(policy=shares), "sum to 1.05", "policy budget split")
    assert "tolerance" in msg
    shares["education_share"] = 0.45 + SPLIT_TOLERANCE / 2
    Scenario.from_dict(scen(policy=shares))  # within tolerance: accepted


def test_year_outside_horizon():
    """Policy years run from the first projection year (2024) to the final time (2075):
    neither after the end nor in the shared history (2005-2023)."""
    bad(
        scen(policy={"tax_share": {"value": 0.3, "start": 2080}}),
        "outside the policy years 2024-2075",
        "policy.tax_share.start",
    )
    bad(
        scen(policy={"tax_share": [[2020, 0.2], [2030, 0.3]]}),
        "2024-2075",
        "policy.tax_share.series[0]",
    )
    msg = bad(
        scen(policy={"tax_share": {"value": 0.2, "start": 2010}}),
        "history",
        "policy.tax_share.start",
    )
    assert "use a year from 2024 to 2075" in msg


def test_non_increasing_series():
    bad(
        scen(policy={"tax_share": [[2025, 0.2], [2030, 0.3], [2030, 0.25]]}),
        "years must increase",
        "policy.tax_share.series[2]",
    )


def test_conflicting_timing_within_a_group():
    policy = {
        "education_share": {"value": 0.45, "start": 2027},
        "culture_share": {"value": 0.1, "start": 2030},
    }
    bad(scen(policy=policy), "share one start", "policy.culture_share.start")


def test_based_on_cycle(tmp_path):
    write(tmp_path, "a", 'name="a"\ndescription="d"\nbased_on="b"\n')
    write(tmp_path, "b", 'name="b"\ndescription="d"\nbased_on="a"\n')
    with pytest.raises(InputError, match="inheritance cycle a.toml -> b.toml -> a.toml") as info:
        Scenario.from_file(tmp_path / "a.toml")
    assert "based_on" in str(info.value)


def test_missing_file_and_missing_parent(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        Scenario.from_file(tmp_path / "none.toml")
    child = write(tmp_path, "c", 'name="c"\ndescription="d"\nbased_on="ghost"\n')
    with pytest.raises(InputError, match=f"{child}: based_on: no scenario file"):
        Scenario.from_file(child)


def test_malformed_toml(tmp_path):
    path = write(tmp_path, "m", 'name = "m"\n[policy\n')
    with pytest.raises(InputError, match="malformed TOML.*line 2"):
        Scenario.from_file(path)


def test_missing_name_and_computed_variable():
    bad({"description": "d"}, "missing", "name")
    bad(scen(parameters={"GDP": 3}), "computes", "parameters.GDP")


def test_readme_scenario_example_is_valid(tmp_path):
    readme = (SCENARIOS.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Writing a scenario", 1)[1].split("```toml\n", 1)[1].split("```")[0]
    write(tmp_path, "baseline", (SCENARIOS / "baseline.toml").read_text(encoding="utf-8"))
    s = Scenario.from_file(write(tmp_path, "example", block))
    assert s.constants["Policy culture share"] == 0.10
    assert s.constants["Budget split policy start year"] == 2027.0
    assert "Policy cultural openness" in s.series


# Parents written for these tests: `shift` starts the budget split group in 2027 with a
# 5-year ramp (explicit timing); `cut` gives the soft-power budget share as a series.
PARENTS = {
    "shift": 'name="shift"\ndescription="d"\nbased_on="baseline"\n'
    "[policy.culture_share]\nvalue = 0.1\nstart = 2027\nramp = 5\n"
    "[policy]\neducation_share = 0.25\npublic_service_share = 0.647\nimage_share = 0.003\n",
    "cut": 'name="cut"\ndescription="d"\nbased_on="baseline"\n'
    "[policy]\nsoft_power_budget_share = [[2024, 0.574], [2030, 0.5], [2075, 0.5]]\n",
}


def child_of(tmp_path: Path, parent: str, body: str) -> Path:
    """A child of a parent scenario; the parent (and baseline, its own parent) beside it."""
    write(tmp_path, parent, PARENTS[parent])
    write(tmp_path, "baseline", (SCENARIOS / "baseline.toml").read_text(encoding="utf-8"))
    return write(tmp_path, "child", f'name="c"\ndescription="d"\nbased_on="{parent}"\n{body}')


def test_child_series_conflicting_with_parent_timing_is_rejected(tmp_path, monkeypatch):
    # shift starts the split group in 2027 with a 5-year ramp; a series
    # for one share would silently drop that timing for the other three.
    monkeypatch.chdir(tmp_path)  # relative paths, as a user types them: the line has room
    child = child_of(Path("."), "shift", "[policy]\nimage_share = [[2025,0.003],[2075,0.003]]\n")
    with pytest.raises(InputError, match="give the other levers of the group as series") as exc:
        Scenario.from_file(child)
    assert "policy.image_share.series" in str(exc.value) and "child.toml" in str(exc.value)
    assert "shift.toml" in str(exc.value) and "\n" not in str(exc.value)


def test_child_giving_the_whole_group_as_series_drops_parent_timing(tmp_path):
    body = "[policy]\n" + "".join(
        f"{k} = [[2025,{v}],[2075,{v}]]\n"
        for k, v in [("education_share", 0.45), ("public_service_share", 0.35)]
        + [("culture_share", 0.17), ("image_share", 0.03)]
    )
    s = Scenario.from_file(child_of(tmp_path, "shift", body))
    assert s.constants["Budget split policy start year"] == 2024.0  # the projection's start
    assert s.constants["Budget split policy ramp time"] == 0.0


def test_child_value_drops_timing_implied_by_parent_series(tmp_path):
    # cut gives soft_power_budget_share as a series (start 2024, ramp 0
    # implied); a child giving a value gets the .mdl's default timing back.
    child = child_of(tmp_path, "cut", "[policy]\nsoft_power_budget_share = 0.5\n")
    parent = Scenario.from_file(tmp_path / "cut.toml")
    entry = catalogue()["Policy soft power budget share"]
    assert parent.constants[entry.start_param] == 2024.0
    s = Scenario.from_file(child)
    assert s.constants["Policy soft power budget share"] == 0.5
    assert entry.start_param not in s.constants and entry.ramp_param not in s.constants


def test_child_keeps_explicit_parent_timing_for_values(tmp_path):
    s = Scenario.from_file(
        child_of(tmp_path, "shift", "[policy]\nimage_share = 0.013\nculture_share = 0.09\n")
    )
    assert s.constants["Budget split policy start year"] == 2027.0
    assert s.constants["Budget split policy ramp time"] == 5.0


@pytest.mark.parametrize(
    ("policy", "key"),
    [
        ({"tax_share": 10**29}, "policy.tax_share.value"),
        ({"tax_share": 10**400}, "policy.tax_share.value"),
        ({"tax_share": {"value": 0.25, "start": 10**29}}, "policy.tax_share.start"),
        ({"tax_share": {"value": 0.25, "ramp": 10**400}}, "policy.tax_share.ramp"),
        ({"tax_share": [[2025, 0.2], [10**29, 0.25]]}, "policy.tax_share.series[1]"),
        ({"tax_share": [[2025, 0.2], [2030, 10**400]]}, "policy.tax_share.series[1] value"),
    ],
)
def test_huge_numbers_are_input_errors(policy, key):
    with pytest.raises(InputError) as exc:
        Scenario.from_dict(scen(policy=policy))
    assert exc.value.key == key


@pytest.mark.parametrize(
    "value",
    [10**400, -(10**400), float("inf"), float("nan"), True, "1", None],
    ids=["huge", "-huge", "inf", "nan", "bool", "text", "none"],
)
def test_fields_number_rejects_what_is_not_a_usable_float(value):
    from regionsoft_sd.common.fields import number

    with pytest.raises(InputError, match="k"):
        number(value, "k", "f.toml")
    assert number(10**29, "k", "f.toml") == 1e29


def test_initial_value_alone_is_carried_forward_as_the_policy():
    s = Scenario.from_dict(scen(parameters={"Initial tax share": 0.15}))
    assert s.constants == {"Initial tax share": 0.15, "Policy tax share": 0.15}
    # an explicit policy is kept
    s = Scenario.from_dict(scen(parameters={"Initial tax share": 0.15}, policy={"tax_share": 0.12}))
    assert s.constants["Policy tax share"] == 0.12


def test_carried_forward_policy_follows_the_child_initial_value(tmp_path):
    write(tmp_path, "parent", 'name="p"\ndescription="d"\n[parameters]\n"Initial tax share"=0.15\n')
    child = write(
        tmp_path,
        "child",
        'name="c"\ndescription="d"\nbased_on="parent"\n[parameters]\n"Initial tax share"=0.18\n',
    )
    assert Scenario.from_file(child).constants["Policy tax share"] == 0.18
    child.write_text(
        'name="c"\ndescription="d"\nbased_on="parent"\n[policy]\ntax_share=0.12\n', encoding="utf-8"
    )
    s = Scenario.from_file(child)
    assert s.constants["Policy tax share"] == 0.12 and s.constants["Initial tax share"] == 0.15


# --- input errors that used to crash or mislead ------------------------------------------


def test_a_long_based_on_chain_is_an_input_error_not_a_crash(tmp_path):
    """500 files, each based_on the next: a clear limit instead of RecursionError."""
    for i in range(500):
        parent = f'based_on = "s{i + 1}"\n' if i < 499 else ""
        write(tmp_path, f"s{i}", f'name = "s{i}"\ndescription = "d"\n{parent}')
    with pytest.raises(InputError, match="longer than 32 files") as info:
        Scenario.from_file(tmp_path / "s0.toml")
    assert info.value.key == "based_on" and len(str(info.value)) < 300


def test_a_chain_within_the_limit_still_works(tmp_path):
    for i in range(10):
        parent = (
            f'based_on = "s{i + 1}"\n' if i < 9 else '[parameters]\n"Absorption rate" = 0.012\n'
        )
        write(tmp_path, f"s{i}", f'name = "s{i}"\ndescription = "d"\n{parent}')
    assert Scenario.from_file(tmp_path / "s0.toml").constants["Absorption rate"] == 0.012


@pytest.mark.parametrize(
    "where, based_on", [("sub", "../baseline"), (".", "sub/baseline"), (".", "ABS")]
)
def test_based_on_stays_in_the_scenarios_folder(tmp_path, where, based_on):
    """The parent file exists each time (so only the folder rule can refuse it)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    text = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
    write(tmp_path, "baseline", text)
    write(sub, "baseline", text)
    if based_on == "ABS":
        based_on = (tmp_path / "sub" / "baseline").as_posix()
    child = write(
        tmp_path / where, "child", f'name = "c"\ndescription = "d"\nbased_on = "{based_on}"\n'
    )
    with pytest.raises(InputError, match="same folder") as info:
        Scenario.from_file(child)
    assert info.value.key == "based_on" and "is a path" in str(info.value)


def test_a_name_too_long_for_file_names_fails_the_check(tmp_path):
    """`check` must refuse what `run` cannot write: the name becomes <name>_trajectories.csv."""
    path = write(tmp_path, "long", f'name = "{"n" * 230}"\ndescription = "d"\n')
    with pytest.raises(InputError, match="at most 100 characters") as info:
        Scenario.from_file(path)
    assert info.value.key == "name"


@pytest.mark.parametrize(
    "value, problem, fix",
    [
        ("nan", "nan is not a number", "write a number such as"),
        ("inf", "is infinite", "finite number"),
        ("1" + "0" * 400, "too large", "smaller number"),
    ],
)
def test_nan_inf_and_huge_numbers_get_their_own_message(tmp_path, value, problem, fix):
    path = write(
        tmp_path, "x", f'name = "x"\ndescription = "d"\n[parameters]\n"Absorption rate" = {value}\n'
    )
    with pytest.raises(InputError) as info:
        Scenario.from_file(path)
    msg = str(info.value)
    assert problem in msg and fix in msg, msg
    if value == "nan":
        assert "smaller" not in msg


def test_split_message_shows_the_digits_that_break_the_sum(tmp_path):
    """0.45 + 0.35 + 0.17 + 0.030002 = 1.000002: more than the tolerance, which '1' would hide."""
    body = "[policy]\neducation_share = 0.45\npublic_service_share = 0.35\n"
    body += "culture_share = 0.17\nimage_share = 0.030002\n"
    path = write(tmp_path, "x", f'name = "x"\ndescription = "d"\n{body}')
    with pytest.raises(InputError) as info:
        Scenario.from_file(path)
    msg = str(info.value)
    assert "sum to 1.000002" in msg and "off by +2e-06" in msg and "image 0.030002" in msg, msg
