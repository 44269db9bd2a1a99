"""`regionsoft discover` end to end on the model, and its bad specs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.cli import main
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.discover.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
SC = ROOT / "scenarios"


def spec_text(**extra) -> str:
    # culture first has less consumption per person in 2075 than education first unless
    # tourists respond strongly to culture: a mix of failures and successes
    lines = [
        'name = "d"',
        f'strategy = "{SC / "culture_first.toml"}"',
        f'against = "{SC / "education_first.toml"}"',
        'metric = "consumption_per_capita_end"',
        "futures = 60",
        "seed = 5",
        "sobol = 8",
        *[f"{k} = {v}" for k, v in extra.items()],
        "[parameters]",
        '"Return to schooling" = "uniform"',
        '"Tourism appeal elasticity" = "uniform"',
    ]
    return "\n".join(lines) + "\n"


def test_discover_end_to_end(tmp_path, capsys):
    spec = tmp_path / "d.toml"
    spec.write_text(spec_text())
    out = tmp_path / "out"
    assert main(["discover", str(spec), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "culture_first does worse than education_first" in printed
    cases = pd.read_csv(out / "cases.csv")
    assert len(cases) == 60
    # failed means: culture first's consumption per person below education first's by
    # more than the default tie tolerance, 0.1 % of the larger
    assert "by more than 0.1 %" in printed
    a = cases["consumption_per_capita_end (culture_first)"].to_numpy()
    b = cases["consumption_per_capita_end (education_first)"].to_numpy()
    np.testing.assert_array_equal(cases.failed.to_numpy(), a < b - 1e-3 * np.maximum(a, b))
    assert 0 < cases.failed.sum() < 60
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
    assert set(sobol.parameter) == {"Return to schooling", "Tourism appeal elasticity"}


def test_tie_key_sets_the_tolerance_and_is_checked(tmp_path):
    import tomllib

    spec = parse_spec(tomllib.loads(spec_text(tie=0)), source=tmp_path / "d.toml")
    assert spec.failure.tie == 0 and "by more than" not in spec.failure.describe("a", "b")
    assert parse_spec(tomllib.loads(spec_text()), source=tmp_path / "d.toml").failure.tie == 1e-3


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (spec_text(below=1.0), None, "exactly one failure condition"),
        (spec_text().replace("education_first", "culture_first"), "against", "itself"),
        (spec_text(colour='"red"'), "colour", "unknown top-level key"),
        (spec_text(sobol=10).replace("sobol = 8\n", ""), "sobol", "power of 2"),
        (spec_text(tie=0.5), "tie", "not in [0, 0.1)"),
        (spec_text().replace('"consumption_per_capita_end"', '"soft"'), "metric", "unknown metric"),
    ],
)
def test_bad_discover_specs(tmp_path, text, key, words):
    import tomllib

    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        parse_spec(tomllib.loads(text), source=path)
    assert err.value.key == key and words in str(err.value)
