"""InputError formatting, name suggestions and the TOML loader."""

from __future__ import annotations

import pickle

import pytest

from regionsoft_sd.common.errors import InputError, load_toml, suggest, unknown_name


def test_message_is_one_line_with_file_key_problem_and_fix():
    err = InputError("a.toml", "policy.x", "bad value\n  here.", "use 1.")
    assert str(err) == "a.toml: policy.x: bad value here. Fix: use 1."
    assert "\n" not in str(err)


def test_file_and_key_are_optional():
    assert str(InputError(None, None, "nothing to do", "")) == "nothing to do."
    assert str(InputError("f.toml", None, "file not found", "check")) == (
        "f.toml: file not found. Fix: check."
    )


def test_input_error_is_a_value_error_and_pickles():
    err = InputError("a.toml", "k", "p", "f")
    assert isinstance(err, ValueError)
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err)


def test_suggest_ignores_case_spaces_and_underscores():
    names = ["Policy culture share", "Policy image share", "Capital depreciation rate"]
    assert suggest("policy_CULTURE_shar", names)[0] == "Policy culture share"
    assert suggest("zzzz", names) == []


def test_unknown_name_suggests_closest():
    err = unknown_name("f.toml", "k", "imag share", ["image share", "culture share"], "lever")
    assert "unknown lever 'imag share'" in str(err)
    assert "did you mean 'image share'" in str(err)


def test_load_toml_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_toml(tmp_path / "nope.toml")


def test_load_toml_reports_line_of_syntax_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\ndescription = \n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_toml(path)
    assert str(path) in str(info.value)
    assert "malformed TOML" in str(info.value) and "line 2" in str(info.value)


def test_load_toml_directory(tmp_path):
    with pytest.raises(InputError, match="not a file"):
        load_toml(tmp_path)


# --- messages stay short, printable and single-line (issue: reliability of input errors) ---


def test_control_characters_are_escaped_never_printed_raw():
    err = InputError("f.toml", "policy.\x1b[31mred\x1b[0m", "bad\x07 value", "fix\x1b]0;title\x07")
    text = str(err)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[31mred" in text and "\\x07" in text


def test_messages_stay_under_300_characters_and_keep_file_key_and_fix():
    huge = "x" * 200_000
    err = InputError("/very/" + "deep/" * 60 + "scenario.toml", "parameters." + huge, huge, huge)
    text = str(err)
    assert len(text) < 300 and "\n" not in text
    assert "scenario.toml" in text and "parameters.x" in text and "Fix: x" in text


def test_short_messages_are_not_cut():
    err = InputError("scenarios/x.toml", "policy.culture_shar", "unknown lever", "did you mean?")
    assert str(err) == "scenarios/x.toml: policy.culture_shar: unknown lever. Fix: did you mean?"


def test_utf8_bom_gets_a_hint(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfname = 'x'\n")
    with pytest.raises(InputError, match="byte-order mark") as info:
        load_toml(path)
    assert "without BOM" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 2000 + "]" * 2000 + "\n",  # tomllib itself recurses too deep
        "x = " + "[" * 200 + "]" * 200 + "\n",  # parses, but deeper than anything needs
        "".join(f"[{'.'.join(['t'] * 40)}]\n"),  # 40 nested tables
    ],
    ids=["2000 arrays", "200 arrays", "40 tables"],
)
def test_deep_nesting_is_an_input_error(tmp_path, text):
    path = tmp_path / "deep.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="nest") as info:
        load_toml(path)
    assert len(str(info.value)) < 300


def test_symlink_loop_and_dangling_link_are_input_errors(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(InputError, match="symlink loop"):
        load_toml(a)
    dangling = tmp_path / "d.toml"
    dangling.symlink_to(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="missing file"):
        load_toml(dangling)
