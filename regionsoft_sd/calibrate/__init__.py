"""Calibration to observed data: fit, fit statistics, confidence and identifiability.

`run_calibrate(spec, out_dir, region=...)` is the entry point: it validates the
spec and the data, sets the region's constants from its data, fits the uncertain
parameters by multi-start least squares (every round one batch through the
shared runner), and reports intervals (Jacobian, profile likelihood, optionally
emcee), fit statistics (R², MAPE, Theil), identifiability and the out-of-sample
error, with a region scenario file any strategy can be based on. The modules
underneath work alone: `spec`, `region` (constants from data), `problem`
(residuals of a batch), `lockstep` (many least-squares problems, one batch per
round), `fit`, `uncertainty`, `profile`, `mcmc`, `identify`, `stats`,
`history`, `synthetic` (truth-recovery checks), `outputs`, `plots`.
Exports load lazily (PEP 562), so `regionsoft_sd.calibrate.cli` stays cheap to import.
"""

from __future__ import annotations

from regionsoft_sd.common.lazy_exports import lazy_exports

_EXPORTS = {
    "CalibrationSpec": "regionsoft_sd.calibrate.spec",
    "load_spec": "regionsoft_sd.calibrate.spec",
    "parse_spec": "regionsoft_sd.calibrate.spec",
    "CalibrationResult": "regionsoft_sd.calibrate.result",
    "calibrate": "regionsoft_sd.calibrate.pipeline",
    "prepare": "regionsoft_sd.calibrate.pipeline",
    "run_calibrate": "regionsoft_sd.calibrate.pipeline",
    "default_spec": "regionsoft_sd.calibrate.shipped",
    "fit_stats": "regionsoft_sd.calibrate.stats",
    "region_constants": "regionsoft_sd.calibrate.region",
    "synthetic_setting": "regionsoft_sd.calibrate.synthetic",
}
__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
