"""Scenario discovery: in which futures does a strategy fail, and what decides it?

`run_discover(spec_path, out_dir)` samples the uncertain parameters with the
sweep's distributions, runs the strategy (and the one it must not lose to)
through the shared runner, and describes the failures with PRIM (`prim`), an
extra-trees feature ranking and a CART tree (`trees`), and the Sobol indices of
the difference (`analysis`). `futures` samples and runs futures for every
experiment that needs them (optimisation too). Exports load lazily (PEP 562).
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
