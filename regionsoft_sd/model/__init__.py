"""The model: the Vensim file and what is read from it, above the plumbing only.

`translate` (the .mdl translated and loaded by PySD, its abstract model, cached),
`catalogue` (every parameter's units, range and documentation, from the .mdl),
`metrics` (the outcome measures every run is scored with), `loops` (the named
feedback loops, their polarity, diagram and dominance), `export` (XMILE),
`style` (how the model's quantities are shown: units in words, metric titles,
scenario colours, number formats; shared by every figure and report).

`from regionsoft_sd.model.translate import load_model` keeps working: the translation's
public names are re-exported here.
"""

from regionsoft_sd.model.translate import (
    MODEL_PATH,
    PACKAGE_ROOT,
    abstract_model,
    load_model,
    translated_path,
)

__all__ = ["MODEL_PATH", "PACKAGE_ROOT", "abstract_model", "load_model", "translated_path"]
