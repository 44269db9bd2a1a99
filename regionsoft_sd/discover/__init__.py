"""Scenario discovery: in which futures does a strategy fail, and what decides it?

`run_discover(spec_path, out_dir)` samples the uncertain parameters with the
sweep's distributions, runs the strategy (and the one it must not lose to)
through the shared runner, and describes the failures with PRIM, an
extra-trees feature ranking and a CART tree, and the Sobol indices of the
difference. The experiment is `spec` (the discovery spec), `pipeline` and `cli`;
the discovery itself (`futures.failure`, `futures.discovery`, `futures.prim`,
`futures.trees`, its tables and figures) lives in the futures layer, where
optimisation's discovery step uses the same code. Exports load lazily (PEP 562).
"""

from __future__ import annotations

from regionsoft_sd.common.lazy_exports import lazy_exports

_EXPORTS = {
    "DiscoverSpec": "regionsoft_sd.discover.spec",
    "load_spec": "regionsoft_sd.discover.spec",
    "Discovery": "regionsoft_sd.futures.discovery",
    "analyse": "regionsoft_sd.futures.discovery",
    "DiscoverResult": "regionsoft_sd.discover.pipeline",
    "run_discover": "regionsoft_sd.discover.pipeline",
}
__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
