"""XMILE export: Simlin reads it back, its run matches PySD's, and the check can fail."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("simlin")

from regionsoft_sd import cli  # noqa: E402
from regionsoft_sd.model.catalogue import catalogue  # noqa: E402
from regionsoft_sd.model.export import (  # noqa: E402
    _split_args,
    check_xmile,
    export_xmile,
    same_units,
    standard_ramp,
    unit_powers,
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("xmile") / "model.stmx"
    return export_xmile(path)


def test_export_round_trips(exported):
    """Every variable is in the file; every one with a trajectory is compared. The four
    lookups (national history and projections) are functions, not trajectories: both
    runs use them through the variables that read them, which are compared."""
    wanted = [e for e in catalogue() if e.kind != "control"]
    lookups = [e for e in wanted if e.kind == "lookup"]
    assert len(lookups) == 4
    assert exported.ok, exported.summary()
    assert exported.variables == len(wanted) and not exported.missing
    assert exported.compared == len(wanted) - len(lookups) and not exported.uncompared
    assert exported.lookups == 4
    assert exported.max_rel_diff <= 1e-9
    text = exported.path.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "<xmile" in text


def test_no_three_argument_ramp_is_left_and_names_keep_their_case(exported):
    text = exported.path.read_text(encoding="utf-8")
    for m in re.finditer(r"\bRAMP\s*\(", text):
        args, _ = _split_args(text, m.end() - 1)
        assert len(args) <= 2
    assert '<stock name="Regional_Culture"' in text and '<aux name="Dominant_Soft_Power"' in text
    assert any("RAMP" in r for r in exported.rewritten)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Byuan/Mperson/Year", "Byuan/(Mperson*Year)", True),  # how Simlin writes it
        ("Mperson*Schoolyear/Year", "Schoolyear*Mperson/Year", True),
        ("Dmnl", "1", True),
        ("Dmnl", "", True),
        ("Index/(1000 Byuan)", "Index/1000/Byuan", True),
        ("year", "Year", True),
        ("Byuan/Mperson/Year", "Byuan/Mperson", False),
        ("Byuan/Year", "Byuan*Year", False),
        ("1/Year", "Year", False),
    ],
)
def test_units_compare_by_meaning_not_spelling(a, b, same):
    assert same_units(a, b) is same


def test_unit_powers_by_hand():
    assert unit_powers("Byuan/(Mperson*Year)") == {"byuan": 1, "mperson": -1, "year": -1}
    assert unit_powers("Year^2/Year") == {"year": 1}
    assert unit_powers("Dmnl") == {}
    with pytest.raises(ValueError):
        unit_powers("Byuan/(Year")


def _vensim_ramp(slope: float, start: float, end: float, time: float) -> float:
    """Vensim's RAMP by its definition: 0, then slope per year from start until end."""
    if time <= start:
        return 0.0
    return slope * (min(time, end) - start)


@pytest.mark.parametrize("time", [2020, 2030, 2032.5, 2035, 2050])
def test_rewritten_ramp_equals_vensims_ramp(time):
    text, n = standard_ramp("RAMP(2, 2030, 2035) + 1")
    assert n == 1
    value = eval(text.replace("MAX", "max").replace("MIN", "min"), {"TIME": time})  # noqa: S307
    assert value == pytest.approx(_vensim_ramp(2, 2030, 2035, time) + 1)


def test_nested_and_two_argument_ramps():
    text, n = standard_ramp("RAMP(RAMP(1, 0, 2), 2030, MAX(2035, 2036)) * RAMP(1, 2)")
    assert n == 2 and text.endswith("RAMP(1, 2)")
    assert "MIN(TIME, MAX(2035, 2036))" in text


def test_check_fails_when_the_export_changes_the_model(exported, tmp_path):
    text = exported.path.read_text(encoding="utf-8")
    changed = re.sub(
        r'(<aux name="Capital_depreciation_rate">\s*<eqn>)([^<]*)(</eqn>)', r"\g<1>0.09\3", text
    )
    assert changed != text
    bad = tmp_path / "changed.stmx"
    bad.write_text(changed, encoding="utf-8")
    check = check_xmile(bad)
    assert not check.ok and check.max_rel_diff > 1e-3


def test_cli_export_prints_the_check(tmp_path, capsys):
    out = tmp_path / "sub" / "m.stmx"
    assert cli.main(["export", "--xmile", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "round trip ok" in printed and "not carried over: declared ranges" in printed
    assert out.is_file()
