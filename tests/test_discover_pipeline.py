"""`regionsoft discover` end to end on the model, and its bad specs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.cli import main
from regionsoft_sd.discover.spec import parse_spec
from regionsoft_sd.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SC = ROOT / "scenarios"


def spec_text(**extra) -> str:
    lines = [
        'name = "d"',
        f'strategy = "{SC / "balanced.toml"}"',
        f'against = "{SC / "culture_first.toml"}"',
        'metric = "dominant_soft_power_end"',
        "futures = 60",
        "seed = 5",
        "sobol = 8",
        *[f"{k} = {v}" for k, v in extra.items()],
        "[parameters]",
        '"Exogenous productivity growth" = "uniform"',
        '"Dissemination elasticity" = "uniform"',
    ]
    return "\n".join(lines) + "\n"


def test_discover_end_to_end(tmp_path, capsys):
    spec = tmp_path / "d.toml"
    spec.write_text(spec_text())
    out = tmp_path / "out"
    assert main(["discover", str(spec), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "balanced does worse than culture_first" in printed
    cases = pd.read_csv(out / "cases.csv")
    assert len(cases) == 60
    # failed means: balanced's soft power below culture first's
    a = cases["dominant_soft_power_end (balanced)"].to_numpy()
    b = cases["dominant_soft_power_end (culture_first)"].to_numpy()
    np.testing.assert_array_equal(cases.failed.to_numpy(), a < b)
    for rel in (
        "prim_trajectory.csv",
        "prim_box.csv",
        "feature_scores.csv",
        "cart.txt",
        "decision_sobol.csv",
        "figures/prim_tradeoff.png",
        "summary.md",
    ):
        assert (out / rel).is_file(), rel
    sobol = pd.read_csv(out / "decision_sobol.csv")
    assert set(sobol.parameter) == {"Exogenous productivity growth", "Dissemination elasticity"}


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (spec_text(below=1.0), None, "exactly one failure condition"),
        (spec_text().replace("culture_first", "balanced"), "against", "itself"),
        (spec_text(colour='"red"'), "colour", "unknown top-level key"),
        (spec_text(sobol=10).replace("sobol = 8\n", ""), "sobol", "power of 2"),
        (spec_text().replace('"dominant_soft_power_end"', '"soft"'), "metric", "unknown metric"),
    ],
)
def test_bad_discover_specs(tmp_path, text, key, words):
    import tomllib

    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        parse_spec(tomllib.loads(text), source=path)
    assert err.value.key == key and words in str(err.value)
