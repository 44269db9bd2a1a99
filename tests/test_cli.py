"""The regionsoft command: success paths, --help, exit codes and every bad-input case."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from regionsoft_sd import cli
from regionsoft_sd.common.outdir import MANIFEST

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOOD = 'name = "good"\ndescription = "valid"\n'

# (file name, text, what the one-line message must contain, the key it must name)
BAD_INPUTS = {
    "unknown_parameter": (
        GOOD + '[parameters]\n"Capital depreciaton rate" = 0.07\n',
        "did you mean 'Capital depreciation rate'",
        "parameters.Capital depreciaton rate",
    ),
    "out_of_range": (
        GOOD + "[policy.tax_share]\nvalue = 0.9\n",
        "outside the model's range [0.02, 0.3]",
        "policy.tax_share.value",
    ),
    "wrong_type": (
        GOOD + '[policy.tax_share]\nvalue = "high"\n',
        "expected a number",
        "policy.tax_share.value",
    ),
    "split_not_one": (
        GOOD + "[policy]\neducation_share = 0.6\n",
        "sum to 1.334",  # 0.6 + the status quo's 0.701 + 0.03 + 0.003
        "policy budget split",
    ),
    "year_outside_horizon": (
        GOOD + "[policy.tax_share]\nvalue = 0.25\nstart = 2100\n",
        "outside the policy years 2024-2075",
        "policy.tax_share.start",
    ),
    "non_increasing_series": (
        GOOD + "[policy.tax_share]\nseries = [[2025, 0.2], [2040, 0.3], [2030, 0.25]]\n",
        "years must increase",
        "policy.tax_share.series[2]",
    ),
    "based_on_cycle": (
        'name = "cyc"\ndescription = "d"\nbased_on = "based_on_cycle"\n',
        "inheritance cycle",
        "based_on",
    ),
    "malformed_toml": (GOOD + "[policy\n", "malformed TOML", None),
}


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


@pytest.fixture()
def out_with_old_results(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.csv").write_text("old results\n")
    (out / "good_trajectories.csv").write_text("old trajectories\n")
    return out


def call(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("command", ["compare", "run", "check"])
def test_bad_input_exits_2_with_one_line_and_touches_nothing(
    case, command, tmp_path, out_with_old_results, capsys, monkeypatch
):
    text, expected, key = BAD_INPUTS[case]
    monkeypatch.chdir(tmp_path)  # relative paths, as a user types them
    bad = Path(f"{case}.toml")
    bad.write_text(text, encoding="utf-8")
    good = Path("good.toml")
    good.write_text(GOOD, encoding="utf-8")
    files = {"compare": [good, bad], "run": [bad], "check": [bad]}[command]
    before = snapshot(out_with_old_results)
    extra = [] if command == "check" else ["--out", out_with_old_results]
    code, stdout, err = call(capsys, command, *files, *extra)
    assert code == 2
    assert stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and expected in lines[0] and "Fix:" in lines[0]
    assert str(bad) in lines[0] or "cycle" in lines[0]
    if key:
        assert f": {key}:" in lines[0]
    assert snapshot(out_with_old_results) == before


def test_missing_file_exits_2_and_creates_no_folder(tmp_path, capsys):
    out = tmp_path / "new_out"
    code, _, err = call(
        capsys, "compare", SCENARIOS / "baseline.toml", tmp_path / "x.toml", "--out", out
    )
    assert code == 2 and f"{tmp_path / 'x.toml'}: file not found" in err
    assert not out.exists()


def test_every_bad_file_is_reported(tmp_path, capsys):
    for name in ("a", "b"):
        (tmp_path / f"{name}.toml").write_text("[oops\n")
    code, _, err = call(capsys, "check", tmp_path / "a.toml", tmp_path / "b.toml")
    assert code == 2 and len(err.strip().splitlines()) == 2


def test_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("keep")
    code, _, err = call(capsys, "run", SCENARIOS / "baseline.toml", "--out", target)
    assert code == 2 and "--out" in err and target.read_text() == "keep"


@pytest.mark.parametrize("command", ["run", "compare"])
def test_out_below_a_file_is_bad_input_before_simulating(command, monkeypatch, tmp_path, capsys):
    def boom(*args, **kwargs):
        raise AssertionError("simulated despite a bad --out")

    monkeypatch.setattr("regionsoft_sd.simulate.run", boom)
    monkeypatch.setattr("regionsoft_sd.simulate.compare", boom)
    (tmp_path / "afile").write_text("keep")
    out = tmp_path / "afile" / "sub" / "deeper"
    code, _, err = call(capsys, command, SCENARIOS / "baseline.toml", "--out", out)
    assert code == 2 and "--out" in err and "is not a folder" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_out_in_a_read_only_folder_is_bad_input(monkeypatch, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = call(capsys, "run", SCENARIOS / "baseline.toml", "--out", locked / "o")
    assert code == 2 and "cannot write" in err


def test_debug_shows_the_traceback(tmp_path, capsys):
    code, _, err = call(capsys, "--debug", "check", tmp_path / "none.toml")
    assert code == 2 and "Traceback" in err
    code, _, err = call(capsys, "check", "--debug", tmp_path / "none.toml")
    assert code == 2 and "Traceback" in err


def test_internal_error_exits_1(monkeypatch, tmp_path, capsys):
    def boom(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr("regionsoft_sd.simulate.compare", boom)
    code, _, err = call(capsys, "compare", SCENARIOS / "baseline.toml", "--out", tmp_path / "o")
    assert code == 1 and "internal error: RuntimeError: engine exploded" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_usage_errors_exit_2_in_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["compare", "x.toml", "--format", "xlsx"])
    assert info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [[], ["run"], ["compare"], ["params"], ["check"], ["sweep"]])
def test_help_on_every_command(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([*argv, "--help"])
    assert info.value.code == 0
    assert "usage: regionsoft" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["run", "compare"])
def test_engine_flag_reaches_the_library_and_defaults_to_batch(
    command, monkeypatch, tmp_path, capsys
):
    """`--engine` is passed through; without it the batch engine runs; a bad one exits 2."""
    import regionsoft_sd.simulate as simulate

    seen: list[str] = []
    real = getattr(simulate, command)

    def spy(*args, engine="batch", **kwargs):
        seen.append(engine)
        return real(*args, engine="batch", **kwargs)  # the check, not PySD's seconds

    monkeypatch.setattr(simulate, command, spy)
    scenario = SCENARIOS / "baseline.toml"
    assert cli.build_parser().parse_args([command, str(scenario)]).engine == "batch"
    assert call(capsys, command, scenario, "--out", tmp_path / "b", "--engine", "pysd")[0] == 0
    assert seen == ["pysd"]
    with pytest.raises(SystemExit) as info:
        cli.main([command, str(scenario), "--engine", "vensim"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "--engine" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    assert "--engine {batch,pysd}" in capsys.readouterr().out


def test_compare_writes_tables_plots_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "out"
    files = [SCENARIOS / f"{n}.toml" for n in ("baseline", "balanced", "austerity")]
    code, stdout, _ = call(capsys, "compare", *files, "--out", out, "--format", "parquet")
    assert code == 0
    for name in ("balanced", "baseline", "austerity", "soft power", "[Index]"):
        assert name in stdout
    expected = {
        "metrics.csv",
        "metrics.md",
        "ranking.csv",
        "trajectories.parquet",
        "outcomes.png",
        "stocks.png",
        MANIFEST,  # what regionsoft wrote there, with hashes
    }
    assert expected == {p.name for p in out.iterdir()}  # no temporary files left
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    assert set(metrics.index) == {"baseline", "balanced", "austerity"}
    ranking = pd.read_csv(out / "ranking.csv", index_col=0)
    assert list(ranking.index) == list(metrics.index)  # both in ranking order
    md = (out / "metrics.md").read_text()
    assert "| balanced" in md and "## Metrics" in md and "npv_consumption" in md
    traj = pd.read_parquet(out / "trajectories.parquet")
    assert set(traj["scenario"]) == set(metrics.index)
    assert (out / "outcomes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_writes_trajectories_metrics_and_panel(tmp_path, capsys):
    from regionsoft_sd.scenarios.scenario import Scenario
    from regionsoft_sd.simulate import run

    out = tmp_path / "o"
    code, stdout, _ = call(capsys, "run", SCENARIOS / "culture_first.toml", "--out", out)
    assert code == 0 and "dominant_soft_power_end" in stdout
    written = pd.read_csv(out / "culture_first_trajectories.csv", index_col="time")
    direct = run(Scenario.from_file(SCENARIOS / "culture_first.toml"))
    pd.testing.assert_frame_equal(written, direct, check_names=False, rtol=1e-12)
    assert (out / "culture_first_stocks.png").stat().st_size > 0
    assert (out / "culture_first_metrics.csv").exists()


def test_params_lists_levers_with_units_range_and_docs(capsys):
    code, stdout, _ = call(capsys, "params", "--search", "culture share")
    assert code == 0
    from regionsoft_sd.model.catalogue import catalogue

    entry = catalogue()["Policy culture share"]
    assert f"Policy culture share  [{entry.units}]  range {entry.range_text()}" in stdout
    assert entry.documentation in stdout
    code, _, err = call(capsys, "params", "--search", "zzzz")
    assert code == 2 and "nothing matches" in err


def test_check_accepts_the_shipped_scenarios(capsys):
    files = sorted(SCENARIOS.glob("*.toml"))
    code, stdout, _ = call(capsys, "check", *files)
    assert code == 0 and stdout.count("ok  ") == len(files)


def test_console_script_is_installed_and_exits_2_on_bad_input(tmp_path):
    exe = shutil.which("regionsoft", path=str(Path(sys.executable).parent))
    assert exe, "pip install -e . declares the regionsoft console script"
    ok = subprocess.run(
        [exe, "check", str(SCENARIOS / "baseline.toml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [exe, "check", str(tmp_path / "none.toml")], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_sweep_is_wired_in_and_bad_specs_exit_2_touching_nothing(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text(
        'name = "bad"\nmethod = "sobol"\nn = 100\n[parameters]\n"Conversion tme" = "uniform"\n'
    )
    out = tmp_path / "out"
    assert cli.main(["sweep", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(spec) in err and "Fix:" in err
    assert not out.exists()


def test_terminal_escapes_in_a_toml_key_are_printed_escaped(tmp_path, capsys):
    bad = tmp_path / "esc.toml"
    bad.write_text(
        GOOD + '[parameters]\n"\\u001b]0;pwned\\u0007\\u001b[2J" = 1\n', encoding="utf-8"
    )
    code, stdout, err = call(capsys, "check", bad)
    assert code == 2 and stdout == ""
    assert "\x1b" not in err and "\x07" not in err and "\\x1b]0;pwned" in err


def test_a_huge_value_gives_one_short_line(tmp_path, capsys):
    bad = tmp_path / "huge.toml"
    bad.write_text(GOOD + f'[policy.tax_share]\nvalue = "{"9" * 200_000}"\n', encoding="utf-8")
    code, _, err = call(capsys, "check", bad)
    assert code == 2 and len(err.strip().splitlines()) == 1 and len(err.strip()) < 300
    assert "huge.toml" in err and "policy.tax_share.value" in err and "Fix:" in err


def test_a_name_too_long_for_run_is_refused_by_check(tmp_path, capsys):
    bad = tmp_path / "long.toml"
    bad.write_text(f'name = "{"n" * 230}"\ndescription = "d"\n', encoding="utf-8")
    for command in ("check", "run"):
        code, _, err = call(capsys, command, bad, *(["--out", tmp_path / "o"] * (command == "run")))
        assert code == 2 and "at most 100 characters" in err and "internal" not in err
    assert not (tmp_path / "o").exists()


def test_deep_nesting_and_a_long_based_on_chain_exit_2(tmp_path, capsys):
    deep = tmp_path / "deep.toml"
    deep.write_text(GOOD + "x = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    for i in range(500):
        parent = f'based_on = "c{i + 1}"\n' if i < 499 else ""
        (tmp_path / f"c{i}.toml").write_text(f'name = "c{i}"\ndescription = "d"\n{parent}')
    for path in (deep, tmp_path / "c0.toml"):
        code, _, err = call(capsys, "check", path)
        assert code == 2 and "internal" not in err and len(err) < 300, err


def test_a_scenario_path_through_a_symlink_loop_exits_2(tmp_path, capsys):
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    code, _, err = call(capsys, "check", tmp_path / "a.toml")
    assert code == 2 and "symlink loop" in err


def test_run_and_compare_share_a_folder_and_refuse_a_sweeps(tmp_path, capsys):
    out = tmp_path / "out"
    assert call(capsys, "run", SCENARIOS / "baseline.toml", "--out", out)[0] == 0
    assert call(capsys, "compare", SCENARIOS / "baseline.toml", "--out", out)[0] == 0
    again = call(capsys, "run", SCENARIOS / "baseline.toml", "--out", out)
    assert again[0] == 0  # its own earlier outputs are replaced
    spec = ROOT / "scenarios" / "sweeps" / "screening_morris.toml"
    code, _, err = call(capsys, "sweep", spec, "--out", out, "--no-progress")
    assert code == 2 and "'simulation' command" in err
