"""Optimal and robust strategies: spec -> search over the levers -> robustness -> failures.

`run_optimise(spec_path, out_dir)` is the entry point: it validates the spec,
samples the futures (if any), searches the decisions with differential
evolution (one objective) or NSGA-II/III (several), evaluating every population
as one batch through the shared runner, re-evaluates the result on fresh
futures, finds where it fails (`regionsoft_sd.discover`), and writes tables,
scenario files, figures and a summary. The modules underneath work alone:
`simplex` (shares that sum to 1), `robust` (scores over futures), `single` and
`pareto` (the optimisers, on any batch function), `decisions`/`levers` (the
decision space), `problem` (decisions -> scores), `analysis`, `plots`, `report`.
Exports load lazily (PEP 562), so `regionsoft_sd.optimise.cli` stays cheap to import.
"""

from __future__ import annotations

from regionsoft_sd.common.lazy_exports import lazy_exports

_EXPORTS = {
    "OptimiseSpec": "regionsoft_sd.optimise.spec",
    "load_spec": "regionsoft_sd.optimise.spec",
    "parse_spec": "regionsoft_sd.optimise.spec",
    "OptimiseResult": "regionsoft_sd.optimise.result",
    "optimise": "regionsoft_sd.optimise.pipeline",
    "run_optimise": "regionsoft_sd.optimise.pipeline",
}
__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
