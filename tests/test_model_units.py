"""Units and documentation: the unit checker is clean and every variable is documented.

`Model.check()` is used rather than `check_units()`, which misses unit mismatches.
"""

import re

import simlin

from regionsoft_sd.model.translate import MODEL_PATH, abstract_model
from tests.model_helpers import CONTROL, constants

ALLOWED_UNITS = {"Year", "Byuan", "Mperson", "Schoolyear", "Index", "Dmnl"}


def test_simlin_check_reports_nothing():
    issues = simlin.load(str(MODEL_PATH)).check()
    assert issues == (), "\n".join(i.message for i in issues)


def test_check_catches_a_planted_unit_error(tmp_path):
    """The check above can fail: plant a money term into a flow of capital."""
    text = MODEL_PATH.read_text()
    bad = text.replace(
        "Productive Capital * Capital depreciation rate\n",
        "Productive Capital * Capital depreciation rate * Initial GDP\n",
    )
    assert bad != text
    path = tmp_path / "bad.mdl"
    path.write_text(bad)
    issues = simlin.load(str(path)).check()
    assert any("unit" in i.message for i in issues)


def test_every_variable_has_units_and_a_comment():
    for el in abstract_model().sections[0].elements:
        assert el.units, f"{el.name} has no units"
        base = el.units.replace("1/", "").replace("/", " ").replace("*", " ").split()
        assert set(base) <= ALLOWED_UNITS, f"{el.name}: unexpected units {el.units}"
        assert len(el.documentation.strip()) > 15, f"{el.name} has no comment"


def test_every_constant_has_a_range_holding_its_value():
    for c in constants():
        assert c.low <= c.value <= c.high, c


def test_every_constant_cites_a_source_or_says_assumed():
    """A section of the article, a literature value (author and year), a data source, a
    calibration to data, an explicit "assumed", or a declared non-estimate (policy lever,
    switch, guard)."""
    source = re.compile(
        r"§\d|assumed|[A-Z][a-z]+( et al\.?| and [A-Z][a-z]+)? \(?(19|20)\d\d|OECD|"
        r"Source:|Calibrated to|Derived|Policy lever|declared non-estimate",
        re.IGNORECASE,
    )
    for el in abstract_model().sections[0].elements:
        if isinstance(el.components[0].ast, (int, float)) and el.name not in CONTROL:
            doc = " ".join(el.documentation.split())
            assert source.search(doc), f"{el.name}: no source in '{doc}'"
