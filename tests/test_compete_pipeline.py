"""`regionsoft compete` end to end on a tiny search (one pattern step, a few seconds)."""

from __future__ import annotations

import pandas as pd
import pytest

from regionsoft_sd.cli import main

SPEC = """
name = "tiny"
players = ["sichuan", "chongqing"]
concepts = ["best_response"]
[search]
grid = 0
step = 0.25
min_step = 0.2
max_iter = 1
"""


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compete")
    spec = folder / "tiny.toml"
    spec.write_text(SPEC)
    assert main(["compete", str(spec), "--out", str(folder / "out"), "--no-progress"]) == 0
    return folder / "out"


def test_writes_the_tables(out):
    assert sorted(p.name for p in out.glob("*.csv")) == [
        "convergence.csv",
        "strategies.csv",
        "welfare.csv",
    ]


def test_best_response_does_no_worse_than_the_status_quo(out):
    st = pd.read_csv(out / "strategies.csv")
    sq = st[(st.solution == "status_quo") & (st.province == "sichuan")].iloc[0]
    br = st[(st.solution == "best_response") & (st.province == "sichuan")].iloc[0]
    assert br.objective >= sq.objective
    assert br.residual_gain == pytest.approx(br.objective - sq.objective, rel=1e-9, abs=1e-9)
    # only the leader moves: every other province keeps its status-quo split
    others = st[(st.solution == "best_response") & (st.province != "sichuan")]
    base = st[(st.solution == "status_quo") & (st.province != "sichuan")]
    cols = ["education_share", "service_share", "culture_share", "image_share"]
    assert (others[cols].to_numpy() == base[cols].to_numpy()).all()
    shares = br[cols].to_numpy(float)
    assert shares.sum() <= 0.95 + 1e-12
