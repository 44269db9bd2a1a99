"""Competition between provinces on model version 3: best responses, equilibria, the optimum.

>>> from regionsoft_sd.compete import run_compete  # doctest: +SKIP
>>> result = run_compete("scenarios/compete/sichuan_chongqing.toml")  # doctest: +SKIP

Modules: `solver` (the game solver, on any batch payoff function), `game`
(the provinces' payoffs from the batch engine), `spec` (spec files),
`pipeline` (`run_compete` and its tables), `cli` (`regionsoft compete`).
"""

from regionsoft_sd.compete.pipeline import CompeteResult, run_compete
from regionsoft_sd.compete.spec import CompeteSpec, load_spec

__all__ = ["CompeteResult", "CompeteSpec", "load_spec", "run_compete"]
