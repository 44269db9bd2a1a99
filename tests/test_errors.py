"""InputError formatting, name suggestions and the TOML loader."""

from __future__ import annotations

import pickle

import pytest

from regionsoft_sd.errors import InputError, load_toml, suggest, unknown_name


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
