"""Plumbing every layer may use: it imports nothing else from the package.

`errors` (InputError and its one-line messages), `fields` (typed readers of spec
and scenario fields), `io` (atomic writes, TOML reading), `outdir` (output folders
that replace only what they wrote), `resources` (the shipped model, scenarios,
specs and data, found with `importlib.resources`; the cache folder),
`observed_data` (the provinces' observed series), `extras` (optional
dependencies, with the install hint), `lazy_exports` (PEP 562 exports of the
subpackages).
"""
