"""Model version 3: its numbers are traceable to the data, and every equation is documented.

The province arrays in the .mdl must equal `data/province_inputs_v3.csv`, and the
CSV must be what `data/build_province_inputs.py` derives from the panel now; every
variable carries units, every constant a [min,max] range holding its value and a
source or an explicit "assumed".
"""

import importlib.util
import re

import numpy as np
import pandas as pd
import pytest

from tests.test_model_v3_support import INPUTS, MDL, REPO, provinces

DERIVATION_ONLY = {"Observed budget ratio"}
"""Rows of the input table used only to derive others (the transfer calibration)."""
CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}
PROVENANCE = re.compile(
    r"source|assumed|calibrated|estimated|policy lever|model choice|fitted|pwt|nbs|"
    r"zhang|literature|ministry|census|meta-analys|psacharopoulos|\d{4}",
    re.IGNORECASE,
)


def _equations() -> list[tuple[str, str, str, str]]:
    """(left side, expression, units field, comment) of every equation in the .mdl."""
    text = MDL.read_text(encoding="utf-8").split("\\\\\\---///")[0]
    out = []
    for block in text.split("|"):
        block = re.sub(r"\*{10,}[^~]*~[^~]*$", "", block, flags=re.S).strip()
        block = re.sub(r"^\*{10,}.*?\*{10,}~[^|]*", "", block, flags=re.S).strip()
        if not block or block.startswith("{UTF-8}") and "=" not in block and ":" not in block:
            continue
        block = block.replace("{UTF-8}", "").strip()
        parts = block.split("~")
        if len(parts) < 3:
            continue
        head = parts[0]
        m = re.match(r"\s*([^=(:]+?)\s*(=|\(|:)(.*)", head, flags=re.S)
        if not m:
            continue
        out.append((m[1].strip(), m[3].strip(), parts[1].strip(), parts[2].strip()))
    return out


def _build_module():
    spec = importlib.util.spec_from_file_location(
        "build_province_inputs", REPO / "data" / "build_province_inputs.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_subscript_is_the_31_provinces_in_the_data_order():
    text = MDL.read_text(encoding="utf-8")
    keys = re.search(r"^Province:\s*\n\s*([^~]+)~", text, flags=re.M)[1]
    panel = pd.read_csv(REPO / "data" / "china_provinces.csv", usecols=["region"])
    expected = [k for k in dict.fromkeys(panel["region"]) if k != "china"]
    assert [k.strip() for k in keys.split(",")] == expected == list(provinces())
    assert len(expected) == 31


def test_input_table_is_what_the_build_script_derives_now():
    mod = _build_module()
    fresh = mod.build(pd.read_csv(REPO / "data" / "china_provinces.csv"))
    stored = pd.read_csv(INPUTS)
    assert list(stored.columns) == ["province", "parameter", "value", "unit", "source"]
    assert (
        fresh[["province", "parameter"]].to_numpy() == stored[["province", "parameter"]].to_numpy()
    ).all()
    np.testing.assert_allclose(fresh["value"], stored["value"], rtol=1e-5)
    assert stored["source"].str.len().min() > 10


def test_province_arrays_in_the_model_equal_the_input_table():
    stored = pd.read_csv(INPUTS)
    arrays = {lhs: rhs for lhs, rhs, _, _ in _equations() if lhs.endswith("[Province]")}
    checked = 0
    for par, part in stored[stored["province"] != "china"].groupby("parameter"):
        if par in DERIVATION_ONLY:
            continue
        values = np.array([float(v) for v in arrays[f"{par}[Province]"].split(",")])
        np.testing.assert_allclose(
            values,
            part.set_index("province").loc[list(provinces()), "value"],
            rtol=1e-9,
            err_msg=par,
        )
        checked += 1
    assert checked >= 15
    for name in [
        "education share",
        "service share",
        "culture share",
        "image share",
        "local tax share",
    ]:
        assert arrays[f"Policy {name}[Province]"] == arrays[f"Initial {name}[Province]"]
    scalars = {lhs: rhs for lhs, rhs, _, _ in _equations()}
    for par in ["Central tax share", "Equalisation exponent"]:
        value = stored.loc[stored["parameter"] == par, "value"].item()
        assert float(scalars[par]) == pytest.approx(value, rel=1e-9)


def test_every_variable_has_units_and_every_constant_a_range_and_a_source():
    eqs = _equations()
    assert len(eqs) > 200
    constants = 0
    for lhs, rhs, units, comment in eqs:
        if lhs == "Province":
            continue
        assert units, lhs
        assert len(comment) > 15, lhs
        if lhs in CONTROL:
            continue
        numbers = [v.strip() for v in rhs.split(",")]
        if all(re.fullmatch(r"-?[\d.]+(e-?\d+)?", v) for v in numbers):
            constants += 1
            rng = re.search(r"\[([-\d.e]+),([-\d.e]+)\]", units)
            assert rng, f"{lhs}: no [min,max] range"
            low, high = float(rng[1]), float(rng[2])
            assert all(low <= float(v) <= high for v in numbers), f"{lhs}: value outside its range"
            assert PROVENANCE.search(comment), f"{lhs}: no source or 'assumed'"
    assert constants > 60
