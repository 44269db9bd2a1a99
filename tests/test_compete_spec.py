"""Competition specs and the `regionsoft compete` command: bad input is exit 2, one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from regionsoft_sd.cli import main
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.compete.spec import LEVER_RANGE, load_spec, parse_spec

SHIPPED = Path(__file__).resolve().parent.parent / "scenarios" / "compete"


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_specs_validate(path):
    spec = load_spec(path)
    assert spec.leader in spec.players


def test_all_means_the_31_provinces_and_bounds_default_to_the_model_ranges():
    spec = parse_spec({"name": "x", "players": "all", "concepts": ["equilibrium"]})
    assert len(spec.players) == 31 and "sichuan" in spec.players
    assert spec.bounds == LEVER_RANGE
    spec = parse_spec({"name": "x", "players": "Sichuan", "concepts": ["best_response"]})
    assert spec.players == ("sichuan",)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"players": ["sichuan"], "concepts": ["best_response"], "colour": 1}, "colour"),
        ({"players": ["sichaun"], "concepts": ["best_response"]}, "players[0]"),
        ({"players": ["sichuan", "sichuan"], "concepts": ["best_response"]}, "players"),
        ({"players": ["sichuan"], "concepts": ["equilibrium"]}, "players"),
        ({"players": ["sichuan"], "concepts": ["nash"]}, "concepts[0]"),
        ({"players": ["sichuan", "gansu"], "concepts": ["price_of_anarchy"]}, "concepts"),
        ({"players": ["sichuan"], "concepts": ["best_response"], "leader": "gansu"}, "leader"),
        ({"players": ["sichuan"], "objective": "gdp"}, "objective"),
        ({"players": ["sichuan"], "bounds": {"culture": [0.1, 0.05]}}, "bounds.culture"),
        ({"players": ["sichuan"], "bounds": {"culture": [0.0, 0.5]}}, "bounds.culture"),
        ({"players": ["sichuan"], "bounds": {"tax": [0.0, 0.1]}}, "bounds.tax"),
        ({"players": ["sichuan"], "search": {"grid": 12}}, "search.grid"),
        ({"players": ["sichuan"], "search": {"step": 0.01, "min_step": 0.1}}, "search.min_step"),
        ({"players": ["sichuan"], "discount_rate": "3%"}, "discount_rate"),
        ({"players": ["sichuan"], "starts": ["random"]}, "starts[0]"),
    ],
)
def test_bad_specs_name_the_key(data, key):
    with pytest.raises(InputError) as err:
        parse_spec({"name": "x", "concepts": ["best_response"], **data}, "spec.toml")
    assert err.value.key == key
    assert str(err.value).startswith("spec.toml: ") and "Fix:" in str(err.value)


def test_cli_bad_spec_exits_2_with_one_line(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text('name = "bad"\nplayers = ["atlantis"]\n')
    assert main(["compete", str(spec), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "players[0]" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "out").exists()


def test_cli_missing_shipped_name_exits_2(capsys):
    assert main(["compete", "no_such_spec", "--no-progress"]) == 2
    assert "no_such_spec" in capsys.readouterr().err


def test_model_game_payoffs_match_pysimlin():
    """The batch payoffs equal the same metric computed from an independent engine."""
    from regionsoft_sd.compete.game import ModelGame, status_quo
    from tests.test_model_v3_support import run

    game = ModelGame(("sichuan",))
    x = status_quo()[game.index].copy()
    x[0, 2] = 0.05  # culture share
    got = game.payoff(x[None])[0, 0]
    res = run(
        {"Policy culture share[sichuan]": 0.05},
    )
    years = res.index.to_numpy(float)
    cons = res["household_consumption_per_person[sichuan]"].to_numpy(float)
    keep = years >= 2024
    want = float(np.sum(cons[keep] * 1.03 ** -(years[keep] - 2024)))
    assert got == pytest.approx(want, rel=1e-6)
