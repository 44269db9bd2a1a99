"""Regenerate the history-conditioned ensemble: `python data/make_history_ensemble.py`.

Writes `data/history_ensemble_v2.csv` and its provenance `data/history_ensemble_v2.json`
(or, with `--out PATH.csv`, that file and the .json beside it)
(the rule, the counts, the CSV's SHA-256), and prints how far the history band
shrinks. The parameters are every uncertain parameter of the shipped sweep specs
(`screening_morris`, `strategy_robustness`) over the ranges they declare; the rule
is in `regionsoft_sd/futures/ensemble.py` and docs/calibration.md. About ten
seconds on two cores.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from regionsoft_sd.common.observed_data import observed
from regionsoft_sd.common.resources import spec_file
from regionsoft_sd.futures.ensemble import default_path, generate, write_ensemble
from regionsoft_sd.sweep.spec import load_spec

SPECS = ("screening_morris", "strategy_robustness")
N_PRIOR = 12_000
SEED = 2022


def parameters():
    """The union of the shipped sweep specs' uncertain parameters (first spec's wins)."""
    out = {}
    for name in SPECS:
        for p in load_spec(spec_file(name)).parameters:
            out.setdefault(p.name, p)
    return list(out.values())


def build():
    """The ensemble and the fit of every prior set, as shipped (nothing written)."""
    ens, hf, _ = generate(parameters(), N_PRIOR, SEED)
    ens.meta["parameters_from"] = [f"scenarios/sweeps/{s}.toml" for s in SPECS]
    ens.meta["generator"] = "data/make_history_ensemble.py"
    return ens, hf


def main(argv: list[str] | None = None) -> int:
    """Write the ensemble (to `--out PATH.csv` instead of the shipped file, if given)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[1]) if len(args) == 2 and args[0] == "--out" else default_path()
    ens, hf = build()
    path = write_ensemble(ens, out)
    gdp = hf.data["GDP"][:, np.searchsorted(hf.times, 2022.0)] / observed("sichuan")["gdp"][2022]
    print(f"{path}: {len(ens)} of {len(hf.cost)} sets accepted (threshold {hf.threshold:.2f})")
    for label, rows in (("prior", slice(1, None)), ("ensemble", hf.accepted)):
        g = gdp[rows]
        g = g[np.isfinite(g)]
        q = np.quantile(g, [0.05, 0.5, 0.95])
        miss = np.mean(np.abs(g - 1) > 0.2)
        print(f"{label}: 2022 GDP / observed 5-50-95 % {q.round(3)}; off by > 20 %: {miss:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
