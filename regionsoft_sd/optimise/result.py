"""What an optimisation returns: `OptimiseResult`.

Here, not in the pipeline, so that the outputs, plots and summary that take a
result do not import the pipeline that writes them (no import circle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from regionsoft_sd.futures.discovery import Discovery
from regionsoft_sd.optimise.search import Found
from regionsoft_sd.optimise.spec import OptimiseSpec


@dataclass
class OptimiseResult:
    """Everything an optimisation produced, as data (the files hold the same).

    `found`: the optimum (one row) or the Pareto set, named `names`.
    `references`: the base and shipped strategies scored on the search's futures.
    `reference_levers`: their values of the decided levers (figures mark them).
    `candidates`: every candidate the search evaluated.
    `reevaluation`/`regret`: found and shipped strategies on the fresh sample
    (None/empty without uncertainty or `fresh`).
    `weights`: the weight path (several objectives only).
    `outcomes`: mean of every metric over the search's futures, found strategies
    first, then the references (what the choice costs on the other metrics).
    """

    spec: OptimiseSpec
    out_dir: Path
    names: list[str]
    found: Found
    references: pd.DataFrame
    reference_levers: pd.DataFrame
    candidates: pd.DataFrame
    units: dict[str, str]
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    reevaluation: pd.DataFrame | None = None
    regret: dict[str, pd.DataFrame] = field(default_factory=dict)
    weights: pd.DataFrame | None = None
    discovery: Discovery | None = None
    runs: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> str:
        """Name of the first found strategy (the optimum, or the Pareto point best on
        the first objective)."""
        return self.names[0]
