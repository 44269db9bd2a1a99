"""Sweep spec validation: every bad input gives one clear line, exit code 2, no output."""

from __future__ import annotations

from pathlib import Path

import pytest

from regionsoft_sd import cli
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.sweep import load_spec
from regionsoft_sd.sweep.pipeline import validate_options


def main(argv: list[str]) -> int:
    """`regionsoft sweep ARGV` through the main CLI (the one entry point of the command)."""
    return cli.main(["sweep", *argv])


SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
GOOD = f"""
name = "t"
method = "sobol"
n = 8
seed = 1
metrics = ["dominant_soft_power_end"]
strategies = ["{SCENARIOS / "baseline.toml"}", "{SCENARIOS / "culture_first.toml"}"]

[parameters]
"Capital depreciation rate" = {{ distribution = "uniform", low = 0.06, high = 0.08 }}
"Carrier income scale" = "triangular"
"""

# (what to change, the key the error must name, a word the message or fix must hold)
BAD = {
    "unknown parameter": (
        ('"Carrier income scale"', '"Carrier incme scale"'),
        "parameters.Carrier incme scale",
        "did you mean 'Carrier income scale'",
    ),
    "bad distribution": (
        ('"triangular"', '"gaussian"'),
        "parameters.Carrier income scale.distribution",
        "uniform",
    ),
    "bounds outside the declared range": (
        ("low = 0.06", "low = 0.01"),
        "parameters.Capital depreciation rate.low",
        "[0.05, 0.12]",
    ),
    "low above high": (
        ("high = 0.08", "high = 0.055"),
        "parameters.Capital depreciation rate",
        "below high",
    ),
    "Sobol n not a power of 2": (("n = 8", "n = 10"), "n", "use 8 or 16"),
    "Sobol n below 4": (("n = 8", "n = 2"), "n", "at least 4"),
    "Morris n below 2": (('method = "sobol"\nn = 8', 'method = "morris"\nn = 1'), "n", ">= 2"),
    "LHS n below 2": (('method = "sobol"\nn = 8', 'method = "lhs"\nn = 1'), "n", ">= 2"),
    "Monte Carlo n below 2": (
        ('method = "sobol"\nn = 8', 'method = "montecarlo"\nn = 1'),
        "n",
        ">= 2",
    ),
    "unknown metric": (
        ('"dominant_soft_power_end"]', '"soft_power_end"]'),
        "metrics[0]",
        "dominant_soft_power_end",
    ),
    "missing strategy file": (
        ("culture_first.toml", "culture_frist.toml"),
        "strategies[1]",
        "no scenario file",
    ),
    "malformed TOML": (("seed = 1", "seed = = 1"), None, "line"),
    "unknown method": (('method = "sobol"', 'method = "sobel"'), "method", "did you mean 'sobol'"),
    "lever a strategy sets": (
        ('"Carrier income scale" = "triangular"', '"Policy programme budget" = "uniform"'),
        "parameters.Policy programme budget",
        "culture_first",
    ),
    "budget-split share": (
        ('"Carrier income scale" = "triangular"', '"Initial image share" = "uniform"'),
        "parameters.Initial image share",
        "sum to 1",
    ),
    "programme-split share": (
        ('"Carrier income scale" = "triangular"', '"Initial programme culture share" = "uniform"'),
        "parameters.Initial programme culture share",
        "programme split",
    ),
    "normal without sd": (
        ('"triangular"', '{ distribution = "normal" }'),
        "parameters.Carrier income scale.sd",
        "sd =",
    ),
    "unknown top-level key": (("seed = 1", "seed = 1\nsamples = 3"), "samples", "top-level"),
    "a computed variable": (
        ('"Carrier income scale"', '"GDP"'),
        "parameters.GDP",
        "not a parameter",
    ),
    "no seed": (("seed = 1", ""), "seed", "missing"),
    "normal with an sd so large it is a uniform (it used to collapse to the mean)": (
        ('"triangular"', '{ distribution = "normal", sd = 1e15 }'),
        "parameters.Carrier income scale.sd",
        'distribution = "uniform"',
    ),
    "normal with an sd so small every sample is the mean": (
        ('"triangular"', '{ distribution = "normal", sd = 1e-12 }'),
        "parameters.Carrier income scale.sd",
        "widen sd",
    ),
    "odd Morris levels": (
        ('method = "sobol"\nn = 8', 'method = "morris"\nn = 4\nlevels = 5'),
        "levels",
        "use 4 or 6",
    ),
    "chunk size beyond what memory allows": (
        ("seed = 1", "seed = 1\nchunk_size = 10000000"),
        "chunk_size",
        "<= 100,000",
    ),
    "more fan runs than memory allows": (
        ("seed = 1", "seed = 1\nfan_runs = 10000000"),
        "fan_runs",
        "<= 20,000",
    ),
    "status quo and its lever both sampled": (
        (
            '"Carrier income scale" = "triangular"',
            '"Initial tax share" = "uniform"\n"Policy tax share" = "uniform"',
        ),
        "parameters.Policy tax share",
        "sample one of",
    ),
}


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_spec(tmp_path):
    spec = load_spec(_write(tmp_path, GOOD))
    assert spec.names == ["Capital depreciation rate", "Carrier income scale"]
    assert [s.name for s in spec.strategies] == ["baseline", "culture_first"]
    assert spec.n_main == 8 * 6 and spec.n_runs == 48 + 5
    p = spec.parameters[1]
    # the range the .mdl declares, `Dmnl [0.2,1]`, peaking at its value 0.5
    assert (p.low, p.high, p.mode) == (0.2, 1.0, 0.5)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_spec_is_one_clear_line(tmp_path, case, capsys):
    (old, new), key, word = BAD[case]
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InputError) as info:
        load_spec(path)
    err = info.value
    msg = str(err)
    assert "\n" not in msg and err.file == str(path) and err.key == key
    assert word in msg and "Fix:" in msg, msg
    out = tmp_path / "out"
    assert main([str(path), "--out", str(out), "--no-progress"]) == 2
    assert capsys.readouterr().err.strip() == f"regionsoft: {msg}"
    assert not out.exists()


def test_bad_options(tmp_path):
    path = _write(tmp_path, GOOD)
    with pytest.raises(InputError, match="--workers"):
        validate_options(path, tmp_path / "o", workers=0)
    with pytest.raises(InputError, match="tcp://"):
        validate_options(path, tmp_path / "o", scheduler="localhost:8786")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="--out"):
        validate_options(path, tmp_path / "file")


def test_resume_refuses_another_spec(tmp_path):
    from regionsoft_sd.sweep import run_sweep

    path = _write(tmp_path, GOOD.replace("n = 8", "n = 4"))
    out = tmp_path / "out"
    run_sweep(path, out, progress=False, figures=False)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (out / "chunks").iterdir())
    path.write_text(GOOD, encoding="utf-8")
    assert main([str(path), "--out", str(out), "--resume", "--no-progress"]) == 2
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (out / "chunks").iterdir()) == before


def test_a_model_without_the_metrics_variables_is_bad_input(tmp_path, capsys):
    """A metric reads model variables; a model lacking them failed deep in a run. Only the
    spec's own metrics count: no_metrics.mdl defines soft power but no GDP."""
    model = Path(__file__).parent / "sweep_data" / "no_metrics.mdl"
    text = f"""
name = "t"
method = "lhs"
n = 4
seed = 1
model = "{model.as_posix()}"
metrics = ["dominant_soft_power_end", "gdp_end"]
[parameters]
"Knob A" = "uniform"
"""
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_spec(path)
    msg = str(info.value)
    assert info.value.key == "metrics" and "lacks 'GDP'," in msg and "gdp_end" in msg
    assert "Dominant Soft Power" not in msg and "Population" not in msg
    # the metric it supports is fine on its own
    assert load_spec(_write(tmp_path, text.replace(', "gdp_end"', ""))).metrics == (
        "dominant_soft_power_end",
    )
    path = _write(tmp_path, text)
    assert main([str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    assert not (tmp_path / "out").exists()


def test_worker_count_above_the_cores_is_refused(tmp_path, capsys):
    from regionsoft_sd.runs import max_workers

    path = _write(tmp_path, GOOD)
    code = main([str(path), "--out", str(tmp_path / "o"), "--workers", "100000", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and f"use at most {max_workers()}" in err and len(err) < 300
    assert not (tmp_path / "o").exists()
