"""Scenarios: the validated `Scenario` type, its reader, and shipped scenarios by name.

`scenario` (the type, read and checked from TOML against the catalogue), `history`
(which of its values change the region's 2005-2023),
`shipped` (`load_scenario`: a shipped name or a path), `shares` (budget shares
rounded so that they still sum to 1, for scenario files that experiments write).
Above the model; below the engine, the runner and every experiment.
"""
