"""regionsoft-sd: a system-dynamics toolkit for regional soft power.

One Vensim model (`models/regional_soft_power.mdl`, shipped inside the package)
is the source of truth. PySD runs it one scenario at a time; the batch engine runs
thousands of parameter sets at once; scenario files, comparisons, sweeps and
reports sit on top.

The public names below are imported lazily (PEP 562), so `import regionsoft_sd`
stays cheap for the CLI and for Dask workers; `from regionsoft_sd import run`
works as usual.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_EXPORTS = {
    "MODEL_PATH": "regionsoft_sd.model.translate",
    "abstract_model": "regionsoft_sd.model.translate",
    "load_model": "regionsoft_sd.model.translate",
    "load_scenario": "regionsoft_sd.scenarios.shipped",
    "shipped_scenarios": "regionsoft_sd.common.resources",
    "shipped_specs": "regionsoft_sd.common.resources",
    "Catalogue": "regionsoft_sd.model.catalogue",
    "catalogue": "regionsoft_sd.model.catalogue",
    "InputError": "regionsoft_sd.common.errors",
    "METRICS": "regionsoft_sd.model.metrics",
    "compute_metrics": "regionsoft_sd.model.metrics",
    "Scenario": "regionsoft_sd.scenarios.scenario",
    "Comparison": "regionsoft_sd.simulate",
    "compare": "regionsoft_sd.simulate",
    "run": "regionsoft_sd.simulate",
    "plot_stocks": "regionsoft_sd.reports.plots",
    "plot_trajectories": "regionsoft_sd.reports.plots",
    "plot_outcomes": "regionsoft_sd.reports.plots",
    "html_report": "regionsoft_sd.reports.html_report",
    "write_html_report": "regionsoft_sd.reports.html_report",
    "export_xmile": "regionsoft_sd.model.export",
    "BatchResult": "regionsoft_sd.batch",
    "compile_model": "regionsoft_sd.batch",
    "simulate_batch": "regionsoft_sd.batch:simulate",
    "simulate_chunks": "regionsoft_sd.batch",
    "SweepResult": "regionsoft_sd.sweep",
    "SweepSpec": "regionsoft_sd.sweep",
    "load_spec": "regionsoft_sd.sweep",
    "parse_spec": "regionsoft_sd.sweep",
    "run_sweep": "regionsoft_sd.sweep",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'regionsoft_sd' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """The package module, guarding exported functions that share a submodule's name.

    Importing a submodule `regionsoft_sd.X` makes Python bind it as the package
    attribute `X`, which would hide an exported function of the same name:
    `from regionsoft_sd import X` would give the module. This class keeps the
    function there; the submodule stays importable by its full name. (No export
    shares a submodule's name today: `catalogue` lives in `regionsoft_sd.model`.)
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == f"{__name__}.{name}":
            return  # the import system binding the submodule: keep the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
