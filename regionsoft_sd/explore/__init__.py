"""`regionsoft explore`: a local web app to move the policy levers and watch the futures move.

`state` holds what the controls set and the rules that change it (no web framework);
`futures` runs a fixed sample of futures on the batch engine for each change; `app`
builds the Panel page; `server` serves it on the loopback address. Panel is an
optional dependency (the `explore` extra); only `app` and `server` import it.
"""

DEFAULT_SPEC = "strategy_robustness"
"""Shipped sweep spec whose uncertain parameters the fan samples."""
DEFAULT_FUTURES = 200
"""Futures in the fan: enough for stable 5 and 95 % bands, few enough for a fast redraw."""
