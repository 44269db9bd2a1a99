"""XMILE export: Simlin reads it back, its run matches PySD's, and the check can fail.

Also the rule for every file a command writes where the user names it
(`io.check_named_file`, `io.write_named_text`): a new file, or with --force a
regular file; never a symlink, a folder or a special file.
"""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

from regionsoft_sd import cli
from regionsoft_sd.common import io as rio
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.export import (
    _split_args,
    check_xmile,
    export_xmile,
    same_units,
    standard_ramp,
    unit_powers,
)

needs_simlin = pytest.mark.skipif(
    importlib.util.find_spec("simlin") is None, reason="needs simlin (the simlin extra)"
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    pytest.importorskip("simlin")
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


@needs_simlin
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


@needs_simlin
def test_cli_export_prints_the_check_and_replaces_a_file_only_with_force(
    tmp_path, capsys, monkeypatch
):
    out = tmp_path / "sub" / "m.stmx"
    assert cli.main(["export", "--xmile", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "round trip ok" in printed and "not carried over: declared ranges" in printed
    assert out.is_file()
    out.write_text("the user's own notes\n")
    assert cli.main(["export", "--xmile", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "m.stmx" in err and "--force" in err
    assert out.read_text() == "the user's own notes\n"
    # --force reaches the writer (the conversion itself is the one above: a second
    # would cost seconds; the conversion is replaced by a fixed text here)
    import regionsoft_sd.model.export as export

    monkeypatch.setattr(export, "to_xmile", lambda *a: ("<?xml?><xmile/>", []))
    monkeypatch.setattr(export, "check_xmile", lambda p, *a: export.ExportCheck(p, 1, 1, 0.0))
    assert cli.main(["export", "--xmile", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8") == "<?xml?><xmile/>"
    assert [p.name for p in out.parent.iterdir()] == ["m.stmx"]  # no temporary file left


# -- files the user names: one rule ------------------------------------------


def _symlink_to_file(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("precious\n")
    link = tmp_path / "link.stmx"
    link.symlink_to(target)
    return link


def _dangling(tmp_path):
    link = tmp_path / "dangling.stmx"
    link.symlink_to(tmp_path / "nowhere" / "x.stmx")
    return link


def _fifo(tmp_path):
    p = tmp_path / "pipe.stmx"
    os.mkfifo(p)
    return p


def _folder(tmp_path):
    p = tmp_path / "folder.stmx"
    p.mkdir()
    return p


def _symlink_to_folder(tmp_path):
    p = tmp_path / "dirlink"
    p.symlink_to(_folder(tmp_path))
    return p


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (_symlink_to_file, "symlink"),
        (_dangling, "symlink"),
        (_symlink_to_folder, "symlink"),
        (_fifo, "FIFO"),
        (_folder, "folder"),
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_a_named_file_is_never_a_link_or_a_special_file_even_with_force(
    tmp_path, make, what, force
):
    path = make(tmp_path)
    before = {p.name: (os.lstat(p).st_ino, os.lstat(p).st_mode) for p in tmp_path.rglob("*")}
    with pytest.raises(InputError, match=what) as info:
        rio.write_named_text(path, "<xmile/>", force=force, key="--xmile")
    assert path.name in str(info.value) and "--xmile" in str(info.value)
    after = {p.name: (os.lstat(p).st_ino, os.lstat(p).st_mode) for p in tmp_path.rglob("*")}
    assert after == before  # nothing created, replaced or written through
    if (tmp_path / "target.txt").exists():
        assert (tmp_path / "target.txt").read_text() == "precious\n"


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
@pytest.mark.parametrize("force", [False, True])
def test_a_device_is_refused_even_with_force(force):
    with pytest.raises(InputError, match="character device"):
        rio.check_named_file("/dev/null", force=force, key="--xmile")


def test_an_existing_file_is_replaced_only_with_force(tmp_path):
    path = tmp_path / "mine.stmx"
    path.write_text("user\n")
    with pytest.raises(InputError, match="exists.*--force"):
        rio.write_named_text(path, "new", key="--xmile")
    assert path.read_text() == "user\n"
    rio.write_named_text(path, "new", force=True)
    assert path.read_text() == "new"
    fresh = tmp_path / "a" / "fresh.stmx"
    rio.write_named_text(fresh, "x")
    assert fresh.read_text() == "x" and sorted(p.name for p in fresh.parent.iterdir()) == [
        "fresh.stmx"
    ]


def test_a_file_that_appears_while_writing_is_not_replaced(tmp_path, monkeypatch):
    """The check and the write are not one step: something may appear at the path in
    between. Without --force it must survive (the new file is linked in, not renamed)."""
    path = tmp_path / "race.stmx"
    real = rio._fsync

    def racing(p):
        real(p)
        if not path.exists():
            path.write_text("appeared\n")

    monkeypatch.setattr(rio, "check_named_file", _first_call_only(rio.check_named_file))
    monkeypatch.setattr(rio, "_fsync", racing)
    with pytest.raises(InputError, match="exists"):
        rio.write_named_text(path, "ours", key="--xmile")
    assert path.read_text() == "appeared\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.stmx"]


def _first_call_only(check):
    """`check` on its first call only (the second check, just before placing, is skipped),
    so that the race is left for the link to catch."""
    calls = []

    def once(*args, **kwargs):
        calls.append(1)
        return check(*args, **kwargs) if len(calls) == 1 else args[0]

    return once


def test_a_long_but_possible_name_is_written(tmp_path):
    path = tmp_path / ("x" * 250 + ".stmx")  # 255 bytes: the longest name allowed
    rio.write_named_text(path, "x")
    assert path.read_text() == "x" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("bad", ["a\x00b.stmx", "x" * 300 + ".stmx"])
def test_impossible_names_are_input_errors(tmp_path, bad):
    with pytest.raises(InputError, match="cannot use"):
        rio.check_named_file(tmp_path / bad, key="--xmile")


def test_cli_export_refuses_before_any_work(tmp_path, capsys, monkeypatch):
    """The refusal comes before the conversion (which takes seconds): nothing is run."""
    import regionsoft_sd.model.export as export

    monkeypatch.setattr(export, "to_xmile", lambda *a: pytest.fail("converted anyway"))
    link = _dangling(tmp_path)
    assert cli.main(["export", "--xmile", str(link), "--force"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "symlink" in err and "dangling.stmx" in err
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()


def test_copy_to_never_writes_through_a_link_or_replaces_a_file(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "sweeps").symlink_to(elsewhere)
    assert cli.main(["scenarios", "--copy-to", str(dest)]) == 2
    assert "symlink" in capsys.readouterr().err
    assert list(elsewhere.iterdir()) == [] and sorted(p.name for p in dest.iterdir()) == ["sweeps"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "baseline.toml").symlink_to(tmp_path / "missing.toml")
    assert cli.main(["scenarios", "--copy-to", str(other)]) == 2
    assert "would be overwritten" in capsys.readouterr().err
    assert not (tmp_path / "missing.toml").exists()
    assert [p.name for p in other.iterdir()] == ["baseline.toml"]
