"""Version-3 scenario files and the `--model`, `--region` and `--rivals` options, without runs.

Each bad input must give InputError (exit 2 on the command line) naming the file, the
key and the fix. The shipped strategies are checked against the status quo of the
input table (data/province_inputs_v3.csv), not against the code that reads them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regionsoft_sd import cli
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.scenarios.models import province_model, region_key, resolve_model
from regionsoft_sd.scenarios.provinces import ProvinceScenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "v3"
STRATEGIES = ("culture_first", "education_first", "services_first", "image_campaign", "balanced")
SPLIT = ("education share", "service share", "culture share", "image share")


@pytest.fixture(scope="module")
def pm():
    return province_model(resolve_model("v3").path)


@pytest.fixture(scope="module")
def status_quo() -> dict[str, dict[str, float]]:
    table = pd.read_csv(ROOT / "data" / "province_inputs_v3.csv")
    return {
        par: dict(zip(part["province"], part["value"], strict=True))
        for par, part in table.groupby("parameter")
    }


def _scenario(pm, tmp_path, body: str) -> ProvinceScenario:
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\ndescription = "d"\n' + body, encoding="utf-8")
    return ProvinceScenario.from_file(path, pm)


@pytest.mark.parametrize(
    ("body", "key", "words"),
    [
        (
            "[province.atlantis.policy.culture_share]\nvalue = 0.05\n",
            "province.atlantis",
            "pinyin key",
        ),
        ("[policy.culture_shar]\nshift = 0.01\n", "policy.culture_shar", "culture_share"),
        (
            "[policy.culture_share]\nshift = 0.01\nvalue = 0.02\n",
            "policy.culture_share",
            "exactly one",
        ),
        ("[policy.culture_share]\nshift = 0.3\n", "policy.culture_share.shift", "outside"),
        (
            "[policy.culture_share]\nshift = 0.01\nstart = 2010\n",
            "policy.culture_share.start",
            "[2024, 2060]",
        ),
        (
            "[policy.culture_share]\nshift = 0.01\nstart = 2030\n"
            "[policy.image_share]\nshift = 0.01\nstart = 2031\n",
            "policy.image_share.start",
            "share one start",
        ),
        ('[parameters]\n"Leader[sichuan]" = 1\n', "parameters.Leader[sichuan]", "--region"),
        ('[parameters]\n"Rival response mode" = 1\n', "parameters.Rival response mode", "--rivals"),
        (
            '[parameters]\n"Imitation lag[sichuan]" = 3\n',
            "parameters.Imitation lag[sichuan]",
            "one value for the nation",
        ),
        ('[parameters]\n"Imitation lagg" = 3\n', "parameters.Imitation lagg", "Imitation lag"),
        ('[parameters]\n"Imitation lag" = 50\n', "parameters.Imitation lag", "[1, 20]"),
        ('based_on = "baseline"\n', "based_on", "do not inherit"),
        ("[polcy.culture_share]\nshift = 0.01\n", "polcy", "policy"),
    ],
)
def test_bad_syntax_names_file_key_and_fix(pm, tmp_path, body, key, words):
    with pytest.raises(InputError) as err:
        _scenario(pm, tmp_path, body).overrides("sichuan")
    assert err.value.key == key
    assert err.value.file.endswith("s.toml") and err.value.fix
    assert words in str(err.value)


def test_budget_split_must_add_up(pm, tmp_path):
    # other_share written out: the five shares must sum to 1 (a shift into culture
    # without taking it from other consumption leaves the sum at 1.02)
    s = _scenario(
        pm, tmp_path, "[policy.culture_share]\nshift = 0.02\n[policy.other_share]\nshift = 0\n"
    )
    with pytest.raises(InputError, match="sum to 1.02") as err:
        s.overrides("sichuan")
    assert err.value.key == "policy.other_share.shift"
    ok = _scenario(
        pm, tmp_path, "[policy.culture_share]\nshift = 0.02\n[policy.other_share]\nshift = -0.02\n"
    )
    assert ok.overrides("sichuan")
    # above the cap on the four lines (Maximum soft power share, 0.95) the model would
    # silently scale them: refused
    big = _scenario(
        pm, tmp_path, "[policy.service_share]\nvalue = 0.7\n[policy.education_share]\nvalue = 0.3\n"
    )
    with pytest.raises(InputError, match="above Maximum soft power share"):
        big.overrides("sichuan")


def test_region_levers_follow_the_chosen_region(pm, tmp_path, status_quo):
    s = _scenario(
        pm,
        tmp_path,
        "[policy.culture_share]\nshift = 0.02\n"
        "[province.Tibet.policy.image_share]\nvalue = 0.004\n"
        '[parameters]\n"Policy openness[beijing]" = 0.5\n"Imitation lag" = 8\n',
    )
    for region in ("sichuan", "zhejiang"):
        over = s.overrides(region)
        want = status_quo["Initial culture share"][region] + 0.02
        assert over[f"Policy culture share[{region}]"] == pytest.approx(want, abs=1e-12)
        assert over["Policy image share[xizang]"] == 0.004
        assert over["Policy openness[beijing]"] == 0.5 and over["Imitation lag"] == 8
        assert not any(k.startswith("Policy culture share") and region not in k for k in over)
    # the region itself set twice (by [policy] and by [province.<region>]) is refused
    twice = _scenario(
        pm,
        tmp_path,
        "[policy.culture_share]\nshift = 0.02\n"
        "[province.sichuan.policy.culture_share]\nvalue = 0.03\n",
    )
    with pytest.raises(InputError, match="also set by"):
        twice.overrides("sichuan")


@pytest.mark.parametrize("name", STRATEGIES)
def test_shipped_strategies_move_the_same_two_points(pm, status_quo, name):
    s = ProvinceScenario.from_file(SHIPPED / f"{name}.toml", pm)
    for region in ("sichuan", "guangdong"):
        over = s.overrides(region)
        moved = sum(
            over.get(f"Policy {lv}[{region}]", status_quo[f"Initial {lv}"][region])
            - status_quo[f"Initial {lv}"][region]
            for lv in SPLIT
        )
        assert moved == pytest.approx(0.02, abs=1e-12)
        assert over["Budget split policy start year"] == 2024
        assert over["Budget split policy ramp time"] == 5
        assert all(f"[{region}]" in k for k in over if k.startswith("Policy"))
    text = (SHIPPED / f"{name}.toml").read_text(encoding="utf-8")
    assert "2 points" in text and "other government consumption" in text


def test_region_keys_and_names():
    provinces = province_model().provinces
    assert len(provinces) == 31
    assert region_key("Sichuan", provinces) == "sichuan"
    assert region_key("Inner Mongolia", provinces) == "neimenggu"
    assert region_key("TIBET", provinces) == "xizang"
    with pytest.raises(InputError, match="pinyin key or name") as err:
        region_key("Atlantis", provinces)
    assert err.value.key == "--region"


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().err


FOREIGN = """{UTF-8}
Stock= INTEG(Inflow, 1)
\t~\tWidget
\t~\t\t|
Inflow= 0.1*Stock
\t~\tWidget/Year
\t~\t\t|
FINAL TIME  = 10
\t~\tYear
\t~\t\t|
INITIAL TIME  = 0
\t~\tYear
\t~\t\t|
SAVEPER  = 1
\t~\tYear
\t~\t\t|
TIME STEP  = 1
\t~\tYear
\t~\t\t|
"""


def test_cli_exit_2_cases(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    foreign = tmp_path / "widgets.mdl"
    foreign.write_text(FOREIGN, encoding="utf-8")
    cases = [
        (["check", "--model", "v3", "culture_first", "--region", "atlantis"], "--region"),
        (["run", "baseline", "--region", "sichuan"], "add --model v3"),
        (["compare", "--rivals", "imitate"], "add --model v3"),
        (["compare", "--model", "v4"], "unknown model"),
        (["compare", "--model", "missing.mdl"], "no such model file"),
        (["run", "culture_first", "--model", str(foreign)], "lacks 'Province', 'Leader'"),
        (["compare", "--model", "v3", "--html"], "--html"),
        (["run", "culture_first", "--model", "v3", "--engine", "pysd"], "batch engine"),
        (["compare", "--model", "v3", "--rank-by", "nope"], "not a v3 metric"),
        (["run", "no_such_strategy", "--model", "v3"], "version-3 scenario"),
    ]
    for argv, words in cases:
        code, err = _cli(capsys, *argv)
        assert code == 2, argv
        assert words in err and len(err.strip().splitlines()) == 1, (argv, err)
        assert "Traceback" not in err
    assert not any(tmp_path.glob("out*")), "nothing may be written on bad input"
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "b"\ndescription = "d"\n[province.mars.policy.culture_share]\nvalue = 0.05\n',
        encoding="utf-8",
    )
    code, err = _cli(capsys, "check", "--model", "v3", str(bad), "culture_first")
    assert code == 2 and "bad.toml: province.mars: unknown region 'mars'" in err


def test_check_and_params_on_v3(capsys):
    code = cli.main(["check", "--model", "v3", *STRATEGIES, "baseline", "--region", "Zhejiang"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("ok  ") == 6 and "for zhejiang" in out
    code = cli.main(["params", "--model", "v3", "--search", "imitation"])
    out = capsys.readouterr().out
    assert code == 0 and "Imitation lag" in out and "Rival response mode" in out
    code = cli.main(["params", "--model", "v3", "--search", "Policy culture share"])
    out = capsys.readouterr().out
    assert code == 0 and "One value per province" in out and "lever 'culture_share'" in out
