"""The explorer page's logic in-process (Panel objects without a server or browser).

Each control is driven the way Bokeh drives it (the widget's `value_throttled`), and
the plotted data is read from the figures' data sources.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

pytest.importorskip("panel")

from regionsoft_sd.explore import app as explore_app  # noqa: E402
from regionsoft_sd.explore import futures as fut  # noqa: E402
from regionsoft_sd.explore import state  # noqa: E402
from regionsoft_sd.scenarios.scenario import Scenario  # noqa: E402

FAN = "Dominant Soft Power"


@pytest.fixture(scope="module")
def config():
    return explore_app.load_config(n_futures=24)


@pytest.fixture
def page(config):
    return explore_app.ExplorerApp(config)


def _move(widget, value: float) -> None:
    """What Bokeh does when a person lets go of a slider: value, then value_throttled."""
    import param

    with param.edit_constant(widget):
        widget.param.update(value=value, value_throttled=value)


def _fan(page) -> np.ndarray:
    return np.asarray(page.sources[FAN]["fan"].data["q95"], dtype=float)


def test_the_page_opens_on_the_status_quo_with_the_fan_drawn(page, config):
    assert page.last_error == ""
    assert page.settings == state.default_settings(config.regions[state.DEFAULT_REGION])
    data = page.sources[FAN]["fan"].data
    assert len(data["x"]) == 71 and set(data) == {"x", "q5", "q25", "q50", "q75", "q95"}
    q = np.array([data[f"q{p}"] for p in fut.QUANTILES])
    assert (np.diff(q, axis=0) >= 0).all()  # bands nest: 5 <= 25 <= 50 <= 75 <= 95
    # the status quo is the baseline: its central line is the baseline's
    np.testing.assert_array_equal(
        page.sources[FAN]["central"].data["y"], page.sources[FAN]["baseline"].data["y"]
    )
    assert "my_strategy" in page.table.object and "balanced" in page.table.object


def test_a_lever_move_reruns_the_fan_and_keeps_history(page):
    before = _fan(page)
    _move(page.sliders["Policy programme budget"], 80.0)
    after = _fan(page)
    assert page.last_error == ""
    assert page.settings.levers["Policy programme budget"] == 80.0
    np.testing.assert_array_equal(after[:19], before[:19])
    assert not np.array_equal(after, before)


def test_a_share_move_updates_the_other_sliders_on_the_simplex(page):
    names = [e.name for e in state.lever_groups()["Programme split"]]
    _move(page.sliders[names[2]], 0.5)
    values = [page.sliders[n].value for n in names]
    assert values[2] == 0.5 and sum(values) == pytest.approx(1, abs=1e-9)
    assert values == [page.settings.levers[n] for n in names]


def test_the_picture_depends_on_the_settings_only(config):
    """Two pages given the same settings draw the same numbers (same futures, same runs)."""
    a, b = explore_app.ExplorerApp(config), explore_app.ExplorerApp(config)
    for p in (a, b):
        _move(p.sliders["Policy culture share"], 0.2)
        _move(p.timing_sliders["Budget split"][1], 8.0)
    np.testing.assert_array_equal(_fan(a), _fan(b))
    assert a.settings == b.settings


def test_save_then_load_gives_the_same_settings_and_the_same_picture(page, config):
    _move(page.sliders["Policy tax share"], 0.12)
    _move(page.timing_sliders["Tax"][0], 2031.0)
    saved = page._download().getvalue()
    assert tomllib.loads(saved.decode())["name"] == page.settings.name
    drawn, settings = _fan(page), page.settings
    other = explore_app.ExplorerApp(config)
    other._on_upload_files([("mine.toml", saved)])
    assert other.last_error == ""
    assert other.settings == settings
    np.testing.assert_array_equal(_fan(other), drawn)
    assert settings.name in other.strategy_select.options.values()


def test_picking_a_strategy_applies_its_policy(page):
    page.strategy_select.value = "education_first"
    assert page.settings.levers["Policy programme budget"] == 40
    assert page.settings.levers["Policy programme education share"] == 1.0
    assert page.sliders["Policy programme education share"].value == 1.0
    # an edit renames, so the table never shows two rows of one name
    _move(page.sliders["Policy programme budget"], 60.0)
    assert page.settings.name == "education_first_edited"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"name = [oops\n", "malformed TOML"),
        (b'name = "x"\ndescription = "y"\n[policy.tax_share]\nvalue = 0.9\n', "outside"),
        (b'name = "x"\ndescription = "y"\n[policy]\nculture_sharee = 0.2\n', "culture_share"),
        (b'name = "x"\ndescription = "y"\n[policy]\nculture_share = 0.5\n', "sum to"),
        (
            b'name = "x"\ndescription = "y"\n[policy]\ntax_share = [[2024, 0.1], [2030, 0.2]]\n',
            "time series",
        ),
        (b"\xff\xfe garbage", "UTF-8"),
    ],
)
def test_bad_files_show_one_clear_message_and_change_nothing(page, text, expected):
    before, drawn = page.settings, _fan(page)
    page._on_upload_files([("hand_edited.toml", text)])
    assert "hand_edited.toml" in page.last_error and expected in page.last_error
    assert "regionsoft-explore-" not in page.last_error  # no temporary path
    assert page.alert.visible
    assert page.settings == before
    np.testing.assert_array_equal(_fan(page), drawn)
    _move(page.sliders["Policy programme budget"], 10.0)  # still works
    assert page.last_error == "" and not page.alert.visible


def test_a_bad_name_is_refused_in_the_page(page):
    before = page.settings
    page.name_input.value = "not a name!"
    assert "not a simple name" in page.last_error
    assert page.settings == before and page.name_input.value == before.name


def test_an_internal_error_is_shown_and_the_page_survives(page, monkeypatch, capsys):
    def broken(*a, **k):
        raise RuntimeError("engine on fire")

    monkeypatch.setattr(explore_app.fut, "picture", broken)
    _move(page.sliders["Policy programme budget"], 12.0)
    assert page.last_error.startswith("internal error: RuntimeError: engine on fire")
    assert page.settings.levers["Policy programme budget"] == 0.0  # the old settings stand
    assert page.sliders["Policy programme budget"].value == 0.0
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.undo()
    _move(page.sliders["Policy programme budget"], 12.0)
    assert page.last_error == ""


def test_loop_dominance_on_demand_gives_shares_that_sum_to_one(page):
    pytest.importorskip("simlin")
    page.loop_button.clicks += 1
    data = page.loop_source.data
    assert page.last_error == "" and len(data["x"]) > 10
    total = sum(np.asarray(v) for k, v in data.items() if k != "x")
    active = total > 0
    assert active.any() and np.allclose(total[active], 1.0)


def test_without_simlin_the_loops_and_diagram_say_how_to_get_them(page, monkeypatch):
    """Panel comes with the package, Simlin with the `explore` extra: the rest of the page
    must work without it, and the two views that need it say how to install it."""
    monkeypatch.setattr(explore_app, "_simlin_installed", lambda: False)
    page.loop_button.clicks += 1
    assert page.last_error == "" and "regionsoft-sd[explore]" in page.loop_note.object
    page._on_tab(type("Event", (), {"new": 3})())
    assert page.diagram.object is None and "regionsoft-sd[explore]" in page.diagram_note.object
    _move(page.sliders["Policy programme budget"], 10.0)
    assert page.last_error == ""


def test_unknown_region_is_an_input_error_naming_the_choices():
    from regionsoft_sd.common.errors import InputError

    with pytest.raises(InputError, match="--region.*nowhere"):
        explore_app.load_config(region="nowhere", n_futures=2)


def test_the_saved_file_is_a_scenario_the_cli_accepts(page, tmp_path):
    from regionsoft_sd import cli

    path = tmp_path / "saved.toml"
    path.write_bytes(page._download().getvalue())
    assert cli.main(["check", str(path)]) == 0
    assert Scenario.from_file(path).name == page.settings.name


HOSTILE_KEY = (
    b'name = "x"\ndescription = "y"\n[policy]\n"![x](http://evil.example/x.png) <img src=y>" = 1\n'
)


def test_an_uploaded_key_is_shown_as_text_never_as_markdown_or_html(page):
    """An image in a key became an <img> the browser fetched: the message is text now."""
    import panel as pn

    page._on_upload_files([("evil.toml", HOSTILE_KEY)])
    assert "![x](http://evil.example/x.png)" in page.last_error  # the message names the key
    shown = page.alert.object
    assert not isinstance(page.alert, pn.pane.Markdown)  # no Markdown renderer at all
    assert "<img" not in shown and "&lt;img src=y&gt;" in shown
    for pane in (page.alert, page.notes, page.status, page.loop_note):
        assert not isinstance(pane, pn.pane.Markdown), pane


def test_a_region_file_name_is_shown_as_text(tmp_path):
    from regionsoft_sd.common.resources import shipped_regions

    src = next(iter(shipped_regions().values()))
    odd = tmp_path / "![a](http:x) <em>it _u_.toml"
    odd.write_bytes(src.read_bytes())
    config = explore_app.load_config(region=str(odd), n_futures=4)
    page = explore_app.ExplorerApp(config)
    assert page.last_error == ""
    assert "&lt;em&gt;it" in page.status.object and "<em>" not in page.status.object


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("..", "not a file name"),
        (".", "not a file name"),
        ("a\x00b.toml", "control character"),
        ("a\x1b[31mred.toml", "control character"),
        ("x" * 300 + ".toml", "longer than 255 bytes"),
        ("é" * 128 + ".toml", "longer than 255 bytes"),  # 256 bytes in 133 characters
        ("sub/x.toml", "path separator"),
        ("..\\x.toml", "path separator"),
        ("\ud800.toml", "not valid text"),
    ],
)
def test_an_impossible_upload_name_gets_a_clear_message_not_an_internal_error(page, name, expected):
    before = page.settings
    good = b'name = "fine"\ndescription = "y"\n'
    page._on_upload_files([(name, good)])
    assert expected in page.last_error and "internal error" not in page.last_error
    assert page.settings == before and "fine" not in page.loaded


def test_an_unusual_but_possible_name_loads(page):
    name = "策略 ünïcode (1) ![x].toml"
    page._on_upload_files([(name, b'name = "fine"\ndescription = "y"\n')])
    assert page.last_error == "" and "fine" in page.loaded
    page._on_upload_files([("x" * 250 + ".toml", b"name = [oops\n")])
    assert "malformed TOML" in page.last_error and "internal error" not in page.last_error


def test_mismatched_upload_names_are_a_message(page):
    import param

    with param.parameterized.discard_events(page.upload):
        page.upload.filename = ["a.toml"]
    page.upload.value = [b"x", b"y"]
    assert "do not match" in page.last_error and "internal error" not in page.last_error


@pytest.mark.parametrize("picker", ["region_select", "strategy_select"])
def test_a_choice_the_page_does_not_offer_is_a_message(page, picker):
    """A client other than the page can send any value for a picker."""
    before = page.settings
    getattr(page, picker).value = "<nowhere>"
    assert "is not one of the choices" in page.last_error
    assert "internal error" not in page.last_error and page.settings == before
    assert page.region_select.value == before.region


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_slider_value_that_is_not_a_number_is_a_message(page, value):
    before = page.settings
    page._guarded(page._on_lever)("Policy programme budget", type("Event", (), {"new": value})())
    assert "is not a number" in page.last_error and "internal error" not in page.last_error
    page._guarded(page._on_timing)("Tax", type("Event", (), {"new": value})(), 0)
    assert "is not a number" in page.last_error and page.settings == before
