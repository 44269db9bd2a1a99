"""What a calibration returns: the region it fitted (`Setting`) and `CalibrationResult`.

Here, not in the pipeline, so that the outputs and plots that take a result do
not import the pipeline that writes them (no import circle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from regionsoft_sd.calibrate.fit import Fit
from regionsoft_sd.calibrate.mcmc import Posterior
from regionsoft_sd.calibrate.profile import Profile
from regionsoft_sd.calibrate.region import RegionConstants
from regionsoft_sd.calibrate.spec import CalibrationSpec
from regionsoft_sd.calibrate.uncertainty import Uncertainty
from regionsoft_sd.scenarios.scenario import Scenario


@dataclass
class Setting:
    """A region ready to fit: its observations (year x series), constants and scenario.

    `holdout_constants` / `holdout_base`: the same from the data up to the held-out
    cut year only (None without a held-out fit), so that the fit to the cut year
    reads nothing after it.
    """

    region: str
    wide: pd.DataFrame
    constants: RegionConstants
    base: Scenario
    data_label: str
    holdout_constants: RegionConstants | None = None
    holdout_base: Scenario | None = None


@dataclass
class CalibrationResult:
    """Everything a calibration produced, as data (the files hold the same)."""

    spec: CalibrationSpec
    setting: Setting
    fit: Fit
    uncertainty: Uncertainty
    fit_stats: pd.DataFrame
    parameters: pd.DataFrame
    identifiability: pd.DataFrame
    history: pd.DataFrame
    profiles: dict[str, Profile] = field(default_factory=dict)
    holdout: pd.DataFrame | None = None
    holdout_fit: Fit | None = None
    posterior: Posterior | None = None
    notes: list[str] = field(default_factory=list)
    runs: int = 0
    batches: int = 0
    seconds: float = 0.0
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def region(self) -> str:
        return self.setting.region

    @property
    def correlation(self) -> pd.DataFrame:
        return self.uncertainty.correlation

    @property
    def estimates(self) -> dict[str, float]:
        return self.fit.values

    def scenario_constants(self) -> dict[str, float]:
        """Data constants, the spec's fixed constants and the estimates: the region file."""
        return {**self.setting.constants.values, **self.spec.constants, **self.estimates}
