"""`SweepResult`: everything a sweep produced, as data (the files hold the same).

It sits below `pipeline` (which builds it) and `plots` (which draws it), so
neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.sweep.spec import SweepSpec


@dataclass
class SweepResult:
    """Everything a sweep produced, as data (the files hold the same).

    `outcomes[metric][strategy]` is the per-sample outcome over the method's
    design (spec.n_main values). Index tables are long: one row per strategy,
    metric and parameter. Empty tables mean the method does not produce them.
    `faults` lists the runs that produced NaN/inf or a negative stock (run,
    strategy, fault, fault_time and the run's parameter values); their
    outcomes are NaN, so no table averages them in. `notes` lists what was
    skipped or rerun and why.
    """

    spec: SweepSpec
    out_dir: Path
    samples: pd.DataFrame
    outcomes: dict[str, dict[str, np.ndarray]]
    sobol: pd.DataFrame
    sobol_s2: pd.DataFrame
    morris: pd.DataFrame
    tornado: pd.DataFrame
    win_share: pd.DataFrame
    summary: pd.DataFrame
    fan: pd.DataFrame
    units: dict[str, str]
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    faults: pd.DataFrame = field(default_factory=pd.DataFrame)
