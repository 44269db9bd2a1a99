"""regionsoft-sd: a system-dynamics toolkit for regional soft power.

One Vensim model (`models/regional_soft_power.mdl`) is the source of truth.
PySD runs it one scenario at a time; the batch engine runs thousands of
parameter sets at once; scenario files and sweeps sit on top.
"""

from regionsoft_sd.batch import BatchResult, compile_model
from regionsoft_sd.batch import simulate as simulate_batch
from regionsoft_sd.catalogue import Catalogue, catalogue
from regionsoft_sd.errors import InputError
from regionsoft_sd.metrics import METRICS, compute_metrics
from regionsoft_sd.model import MODEL_PATH, abstract_model, load_model
from regionsoft_sd.plots import plot_stocks, plot_trajectories
from regionsoft_sd.scenario import Scenario
from regionsoft_sd.simulate import Comparison, compare, run

__all__ = [
    "MODEL_PATH",
    "abstract_model",
    "load_model",
    "Catalogue",
    "catalogue",
    "InputError",
    "METRICS",
    "compute_metrics",
    "Scenario",
    "Comparison",
    "compare",
    "run",
    "plot_stocks",
    "plot_trajectories",
    "BatchResult",
    "compile_model",
    "simulate_batch",
]
__version__ = "0.1.0"
