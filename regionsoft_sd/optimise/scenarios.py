"""Found strategies as scenario files that `regionsoft compare` and `run` accept.

A written scenario is self-contained: the decisions under `[policy.<lever>]`
(with the group's start and ramp when the spec set or decided them), and every
other setting of the base scenario under `[parameters]` by model name, so it
does not depend on where the base file lives. Shares are written to
`DECIMALS` places with the rounding remainder put on the largest share, so
they sum to 1 exactly as decimals. Every file is parsed back with `Scenario`
before it is returned: what is written is known to be valid.
"""

from __future__ import annotations

import tomllib

import pandas as pd

from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.optimise.decisions import Space
from regionsoft_sd.scenarios.scenario import Scenario
from regionsoft_sd.scenarios.shares import DECIMALS, rounded_shares


def _num(v: float) -> str:
    """A TOML float with at most DECIMALS places (no exponent, no trailing zeros)."""
    text = f"{round(float(v), DECIMALS):.{DECIMALS}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scenario_text(
    name: str,
    description: str,
    levers: pd.Series,
    space: Space,
    base: Scenario | None,
    header: list[str] = (),  # type: ignore[assignment]
) -> str:
    """The TOML text of one found strategy (validated by parsing it back)."""
    cat = catalogue()
    values = {k: float(v) for k, v in levers.items()}
    for s in space.simplexes:
        for lever, v in zip(s.levers, rounded_shares([values[n] for n in s.levers]), strict=True):
            values[lever] = v
    lines = [f"# {h}" for h in header]
    lines += [f"name = {_quote(name)}", f"description = {_quote(description)}", ""]
    timing = {}
    for e in cat.levers():
        for role, param in (("start", e.start_param), ("ramp", e.ramp_param)):
            if param in values:
                timing.setdefault(e.group, {})[role] = (param, values[param])
    written: set[str] = set()
    for e in cat.levers():
        if e.name not in values:
            continue
        lines.append(f"[policy.{(e.lever or e.name).replace(' ', '_')}]")
        lines.append(f"value = {_num(values[e.name])}")
        for role, (param, v) in timing.pop(e.group, {}).items():
            lines.append(f"{role} = {_num(v)}")
            written.add(param)
        written.add(e.name)
        lines.append("")
    params = []
    if base is not None:
        for k, v in base.constants.items():
            if k not in values:
                params.append(f"{_quote(k)} = {_num(v)}")
        for k, s in base.series.items():
            if k not in values:
                pts = ", ".join(f"[{_num(y)}, {_num(x)}]" for y, x in s.items())
                params.append(f"{_quote(k)} = [{pts}]")
    params += [f"{_quote(k)} = {_num(v)}" for k, v in values.items() if k not in written]
    if params:
        lines += ["[parameters]", *params, ""]
    text = "\n".join(lines).rstrip() + "\n"
    Scenario.from_dict(tomllib.loads(text), source=None)  # raises if not a valid scenario
    return text
