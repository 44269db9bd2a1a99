"""Model version 3: the named loops in models/loops_v3.toml are cycles of the equations.

Each named loop lists its variables in causal order; every variable must appear in
the equation of the next (the last in the first's), so the loop exists in the model
as written. The stated polarity must be the product of the stated link signs.
pysimlin's loop analysis reports no loops for subscripted models (checked below), so
the loop-dominance measurement of v2 cannot yet be repeated on v3.
"""

from __future__ import annotations

import re
import tomllib
import warnings

import pytest

from tests.test_model_v3_data import _equations
from tests.test_model_v3_support import MDL, REPO

LOOPS = tomllib.loads((REPO / "models" / "loops_v3.toml").read_text())["loop"]


def _refers(expression: str, name: str) -> bool:
    """Whether `name` (a variable, with or without its subscript) occurs in `expression`."""
    pattern = r"(?<![A-Za-z])" + re.escape(name) + r"(?![A-Za-z])"
    return re.search(pattern, expression) is not None


@pytest.fixture(scope="module")
def equations() -> dict[str, str]:
    return {lhs.split("[")[0].strip(): rhs for lhs, rhs, _, _ in _equations()}


@pytest.mark.parametrize("loop", LOOPS, ids=[lp["id"] for lp in LOOPS])
def test_named_loop_is_a_cycle_of_the_equations(loop, equations):
    names = loop["variables"]
    for a, b in zip(names, names[1:] + names[:1], strict=True):
        assert b in equations, b
        assert _refers(equations[b], a), f"{loop['id']}: {a} is not in the equation of {b}"


@pytest.mark.parametrize("loop", LOOPS, ids=[lp["id"] for lp in LOOPS])
def test_stated_polarity_is_the_product_of_the_link_signs(loop):
    assert len(loop["links"]) == len(loop["variables"])
    negatives = loop["links"].count("-")
    expected = "balancing" if negatives % 2 else "reinforcing"
    assert loop["polarity"] == expected
    assert loop["id"][0] == expected[0].upper()


def test_pysimlin_loop_analysis_finds_no_loops_in_the_subscripted_model():
    """Documents a limitation: if this starts failing, pysimlin can score v3's loops and a
    polarity test like tests/test_model_loops.py becomes possible."""
    import simlin

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = simlin.load(str(MDL)).run().loops
    assert len(found) == 0
