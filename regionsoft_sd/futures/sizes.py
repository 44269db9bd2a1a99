"""What one more future, sample or candidate costs in memory: the bounds of the spec sizes.

The spec readers of `discover` and `optimise` refuse a size whose memory would
exceed `fields.MEMORY_BUDGET` (8 GiB), before any work starts, instead of
ending in a MemoryError after the search. The costs, per item:

- a model run held as a result (`run_bytes`): its input values and metrics as
  float64, a row of the runner's table, its NumPy copy and the reshaped cube
  (`RUN_COPIES` copies of the row). The runs of a chunk's trajectories are
  bounded by the chunk size, not by the sample, so they are not counted here.
- a future of a discovery (`CASE_BYTES`): the extra-trees ranking grows
  `DEFAULT_TREES` trees to pure leaves, at most two nodes per future each, a
  node of scikit-learn's tree taking `TREE_NODE_BYTES` (its record and the
  two class counts); the table of cases adds a row.
- a base sample of the Sobol indices of a difference (`SOBOL_SAMPLE_BYTES`):
  SALib's bootstrap draws `NUM_RESAMPLES` indices per sample and gathers the
  outcomes of the A, B and AB blocks with them (five arrays of that size).
"""

from __future__ import annotations

from regionsoft_sd.common.fields import FLOAT
from regionsoft_sd.futures.analysis import NUM_RESAMPLES  # SALib's bootstrap resamples
from regionsoft_sd.futures.trees import DEFAULT_TREES

RUN_COPIES = 4
"""Copies of a run's result row alive at once (runner table, array, cube, slack)."""
TREE_NODE_BYTES = 80
"""One node of a scikit-learn tree: a 64-byte record and the class counts of two classes."""
CASE_BYTES = DEFAULT_TREES * 2 * TREE_NODE_BYTES
"""Memory of one future in a discovery's tree ranking (worst case: two nodes per tree)."""
SOBOL_SAMPLE_BYTES = 5 * NUM_RESAMPLES * FLOAT
"""Memory of one Sobol base sample in SALib's bootstrap."""


def run_bytes(inputs: int, metrics: int) -> float:
    """Memory of one run's result: `inputs` input values and `metrics` metrics, float64."""
    return float(FLOAT * (inputs + metrics + 2) * RUN_COPIES)


def case_bytes(parameters: int) -> float:
    """Memory of one future in a discovery: the tree ranking and its row of cases."""
    return float(CASE_BYTES + FLOAT * (parameters + 4) * RUN_COPIES)


def sobol_bytes(parameters: int, strategies: int, metrics: int) -> float:
    """Memory of one Sobol base sample: its k + 2 design rows run for each strategy,
    and SALib's bootstrap of it."""
    rows = (parameters + 2) * max(strategies, 1)
    return rows * run_bytes(parameters, metrics) + SOBOL_SAMPLE_BYTES
