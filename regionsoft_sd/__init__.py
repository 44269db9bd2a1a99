"""regionsoft-sd: a system-dynamics toolkit for regional soft power.

One Vensim model (`models/regional_soft_power.mdl`) is the source of truth.
PySD runs it one scenario at a time; the batch engine runs thousands of
parameter sets at once; scenario files and sweeps sit on top.
"""

from regionsoft_sd.model import MODEL_PATH, abstract_model, load_model

__all__ = ["MODEL_PATH", "abstract_model", "load_model"]
__version__ = "0.1.0"
