"""The command line for installed use: --version, shipped names, pipes, check, interrupts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from regionsoft_sd import __version__, cli
from regionsoft_sd.common.resources import shipped_regions, shipped_scenarios, shipped_specs

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = Path(sys.executable).with_name("regionsoft")


def call(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"regionsoft-sd {__version__}"


def test_version_matches_the_installed_metadata():
    from importlib.metadata import version

    assert version("regionsoft-sd") == __version__


@pytest.mark.parametrize("reader", ["head -1", "true"])
def test_output_cut_short_by_a_pipe_ends_quietly(reader):
    """`regionsoft params --all | head -1`: no BrokenPipeError, no internal error.

    `true` exits before the first write, so the pipe is always closed by then.
    """
    proc = subprocess.run(
        f"'{CONSOLE}' params --all | {reader}; echo status ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
    )
    assert proc.stderr == ""
    assert proc.stdout.splitlines()[-1] in ("status 0", "status 141")


def test_check_prints_ok_for_good_files_and_the_problem_for_bad_ones(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ndescription = "d"\n[policy]\nculture_shar = 0.2\n')
    good = shipped_scenarios()
    code, out, err = call(capsys, "check", good["baseline"], bad, good["balanced"])
    assert code == 2
    lines = out.splitlines()
    assert len(lines) == 2 and all(line.startswith("ok  ") for line in lines)
    assert "baseline" in lines[0] and "balanced" in lines[1]
    assert err.count("\n") == 1 and "bad.toml" in err and "culture_shar" in err


def test_interrupted_sweep_says_how_to_resume(monkeypatch, tmp_path, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("regionsoft_sd.sweep.pipeline.run_sweep", interrupted)
    code, _, err = call(capsys, "sweep", "screening_morris", "--out", tmp_path / "s")
    assert code == 130
    assert "--resume" in err and len(err.strip().splitlines()) == 1


def test_compare_without_files_compares_the_shipped_scenarios(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the repository: names must come from the package
    code, out, _ = call(capsys, "compare", "--out", "o")
    assert code == 0
    for name in shipped_scenarios():
        assert name in out


def test_shipped_scenarios_and_specs_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = call(capsys, "check", "baseline", "culture_first")
    assert code == 0 and out.count("ok  ") == 2
    code, _, err = call(capsys, "check", "culture_frist")
    assert code == 2 and "did you mean 'culture_first'" in err


def test_a_file_in_the_current_folder_wins_over_a_shipped_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("baseline").write_text('name = "mine"\ndescription = "my own"\n')
    code, out, _ = call(capsys, "check", "baseline")
    assert code == 0 and "(mine:" in out


def test_scenarios_lists_and_copies_the_shipped_files(tmp_path, capsys):
    code, out, _ = call(capsys, "scenarios")
    assert code == 0
    for name in [*shipped_scenarios(), *shipped_specs(), *shipped_regions()]:
        assert name in out
    # the optimisation and calibration specs are listed too, with their descriptions
    assert "Optimisation and discovery specs\n  best_split " in out
    assert "Calibration specs\n  default  Ten growth" in out
    dest = tmp_path / "mine"
    code, out, _ = call(capsys, "scenarios", "--copy-to", dest)
    assert code == 0
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.toml"))
    assert "baseline.toml" in copied and "sweeps/strategy_robustness.toml" in copied
    # the copies still work where they are: based_on and the specs' strategy paths
    code, _, _ = call(capsys, "check", *sorted(dest.glob("*.toml")))
    assert code == 0
    before = (dest / "baseline.toml").read_bytes()
    (dest / "baseline.toml").write_text("# edited\n" + before.decode())
    code, _, err = call(capsys, "scenarios", "--copy-to", dest)
    assert code == 2 and "would be overwritten" in err
    assert (dest / "baseline.toml").read_text().startswith("# edited")


def test_distributed_sweep_without_dask_names_the_extra(monkeypatch, tmp_path, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name)
    )
    code, _, err = call(capsys, "sweep", "screening_morris", "--workers", "2", "--out", tmp_path)
    assert code == 2 and "regionsoft-sd[distributed]" in err


def test_help_of_the_new_commands(capsys):
    for argv in (["scenarios", "--help"], ["export", "--help"]):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 0
    assert "--xmile" in capsys.readouterr().out


def test_based_on_a_shipped_scenario_works_from_any_folder(tmp_path, capsys, monkeypatch):
    """A scenario saved outside scenarios/ may inherit from a shipped one by name."""
    monkeypatch.chdir(tmp_path)
    Path("mine.toml").write_text(
        'name = "mine"\ndescription = "d"\nbased_on = "baseline"\n'
        "[policy]\nculture_share = 0.10\neducation_share = 0.196\n"  # + 0.701 + 0.003 = 1
    )
    code, out, err = call(capsys, "check", "mine.toml")
    assert code == 0, err
    code, _, err = call(capsys, "check", _write(tmp_path, "x.toml", 'based_on = "nope"'))
    assert code == 2 and "regionsoft scenarios" in err


def _write(folder: Path, name: str, extra: str) -> Path:
    path = folder / name
    path.write_text(f'name = "x"\ndescription = "d"\n{extra}\n')
    return path
