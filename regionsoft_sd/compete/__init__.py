"""Competition between provinces on model version 3: best responses, equilibria, the optimum.

`run_compete(spec)` reads a competition spec (`scenarios/compete/*.toml`) and
returns a `CompeteResult` whose tables say each solution's budget splits and
outcomes. Modules: `solver` (the game solver, on any batch payoff function, so
analytic games test it), `game` (the provinces' payoffs from the batch
engine), `spec`, `pipeline` and `cli`. Exports load lazily (PEP 562).
"""

from __future__ import annotations

from regionsoft_sd.common.lazy_exports import lazy_exports

_EXPORTS = {
    "CompeteSpec": "regionsoft_sd.compete.spec",
    "load_spec": "regionsoft_sd.compete.spec",
    "CompeteResult": "regionsoft_sd.compete.pipeline",
    "run_compete": "regionsoft_sd.compete.pipeline",
}
__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
