"""The parameter catalogue is read from the .mdl and derives levers from the equations."""

from __future__ import annotations

import re

import pytest

from regionsoft_sd import MODEL_PATH
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import catalogue, normalise

MDL = MODEL_PATH.read_text(encoding="utf-8")


def _declared(name: str) -> tuple[str, str]:
    """Units and range text of `name` straight from the .mdl text (independent parser)."""
    m = re.search(
        rf"^{re.escape(name)}\s*=.*?~\s*([^~\[\n]*?)\s*(\[[^\]]*\])?\s*~", MDL, re.S | re.M
    )
    assert m, name
    return m.group(1).strip(), (m.group(2) or "")


def test_units_and_ranges_match_the_model_file():
    cat = catalogue()
    for name in ["Policy culture share", "Capital depreciation rate", "Tax policy start year"]:
        units, rng = _declared(name)
        entry = cat[name]
        assert entry.units == units
        lo, hi = (float(x) for x in rng.strip("[]").split(","))
        assert (entry.low, entry.high) == (lo, hi)


def test_every_policy_constant_is_a_lever_with_timing():
    cat = catalogue()
    policy = [e for e in cat if e.kind == "constant" and e.name.startswith("Policy ")]
    assert policy and all(e.is_lever for e in policy)
    for e in policy:
        assert e.start_param in cat and e.ramp_param in cat
        assert cat[e.start_param].units == cat[e.ramp_param].units == "Year"
        assert f"Initial {e.lever}" in cat


def test_budget_split_group_has_four_shares():
    groups = catalogue().lever_groups()
    assert sorted(e.lever for e in groups["Budget split"]) == [
        "culture share",
        "education share",
        "image share",
        "public service share",
    ]


def test_stocks_that_feed_the_model_and_the_accounting_stocks():
    """The catalogue finds which stocks feed other equations; the validation battery's
    hand-made lists say which should: the region's 13 state stocks and the 6 exogenous
    reference and frontier stocks feed the model, the 2 spending sums feed nothing."""
    from tests.model_helpers import ACCOUNTING_STOCKS, EXOGENOUS_STOCKS, STOCKS

    cat = catalogue()
    assert sorted(e.name for e in cat.stocks()) == sorted(STOCKS + EXOGENOUS_STOCKS)
    assert len(cat.stocks()) == 13 + 6
    accounting = [e.name for e in cat.stocks(include_accounting=True) if not e.feedback]
    assert accounting == ACCOUNTING_STOCKS


def test_resolve_is_case_space_and_underscore_insensitive():
    cat = catalogue()
    assert cat.resolve("policy_CULTURE   share") == "Policy culture share"
    assert normalise(" A_b  C ") == "a b c"


def test_resolve_unknown_suggests_names():
    with pytest.raises(InputError, match="did you mean 'Policy culture share'"):
        catalogue().resolve("Policy cultur share", file="f.toml", key="k")


def test_resolve_rejects_computed_variables_when_constants_required():
    with pytest.raises(InputError, match="computes"):
        catalogue().resolve("Culture share", kinds=("constant",))
    with pytest.raises(InputError, match="control"):
        catalogue().resolve("TIME STEP", kinds=("constant",))


def test_horizon_and_documentation():
    cat = catalogue()
    assert cat.horizon == (2005.0, 2075.0)  # history from 2005, projection to 2075
    assert all(e.documentation for e in cat.constants())
    frame = cat.to_frame(cat.levers())
    assert {"units", "low", "high", "documentation"} <= set(frame.columns)
    assert "Policy culture share" in frame.index
    assert any(e.name == "Policy culture share" for e in cat.search("CULTURE"))


def test_one_name_folding_for_lookup_and_suggestions():
    from regionsoft_sd.common import errors

    assert normalise is errors.normalise  # catalogue look-up and suggest() fold alike
    assert errors.suggest("TAX_share", ["Tax share", "Other"]) == ["Tax share"]
