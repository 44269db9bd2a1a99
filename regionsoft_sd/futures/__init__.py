"""Futures: what is uncertain, how futures are sampled, and strategies run under them.

Shared by every experiment (sweep, optimise, discover, calibrate, explore); above
the runner (`regionsoft_sd.runs`), below the experiments, which never import one
another but meet here:

- `params`: uncertain parameters and their distributions, read from a spec table;
- `designs`: unit-cube designs (Latin hypercube, Monte Carlo, Sobol/Saltelli,
  Morris, one-at-a-time), inverse CDFs (`ppf`) and `sample`;
- `evaluate`: the `Evaluator` of strategies and candidates under a set of futures;
- `analysis`: indices over futures (Sobol, Morris, tornado) and win shares;
- `failure`, `discovery`, `prim`, `trees`, `discovery_report`, `discovery_plots`:
  scenario discovery (which futures make a strategy fail), used by `discover`
  and by optimise's discovery step.
"""
