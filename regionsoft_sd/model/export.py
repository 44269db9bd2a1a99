"""Export the model to XMILE (Stella, Simlin) and check what survives the trip.

Simlin (`pysimlin`, the `simlin` extra) converts the Vensim `.mdl` to XMILE. Two
touches make the file friendlier to Stella, and the check below proves they
change nothing:

- Vensim's three-argument `RAMP(slope, start, end)` is not part of XMILE 1.0,
  whose RAMP has no end time; it is written as the equivalent
  `slope * MAX(0, MIN(TIME, end) - start)`.
- Simlin writes each variable's name in lower case; the model's capitalisation
  is restored (XMILE names ignore case, so references stay valid).

`export_xmile(path)` writes the file atomically (a new file; `force=True` replaces a
regular file, never a symlink or a special file) and returns an `ExportCheck`:
the file is read back with Simlin, every model variable must be there with its
units (compared by meaning: Simlin writes `Byuan/Mperson/Year` as
`Byuan/(Mperson*Year)`) and documentation, and its run must match the PySD run of
the `.mdl` (relative difference at most `TOLERANCE` on every variable with a
trajectory and every saved year; lookups are checked through the variables that
read them).
What XMILE cannot carry is listed in `ExportCheck.lost` (see docs/interop.md).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regionsoft_sd.common.errors import normalise
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.translate import MODEL_PATH

TOLERANCE = 1e-9
"""Largest relative difference allowed between the XMILE run (Simlin) and PySD's run."""


@dataclass
class ExportCheck:
    """What the round trip found: compared variables, the largest difference, what is lost."""

    path: Path
    variables: int
    compared: int
    max_rel_diff: float
    missing: list[str] = field(default_factory=list)
    mismatched_units: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    uncompared: list[str] = field(default_factory=list)
    lookups: int = 0

    @property
    def ok(self) -> bool:
        """True if every variable is there with its units, every one with a trajectory
        (all but the lookups, which are functions) was compared, and the runs agree."""
        return (
            not self.missing
            and not self.mismatched_units
            and not self.uncompared
            and self.compared > 0
            and self.max_rel_diff <= TOLERANCE
        )

    def summary(self) -> str:
        """A few lines for the terminal."""
        verdict = "round trip ok" if self.ok else "ROUND TRIP FAILED"
        lines = [
            f"wrote {self.path} (XMILE): {verdict}",
            f"  {self.variables} variables; read back with Simlin, {self.compared} compared "
            f"with PySD's run of the .mdl: largest relative difference {self.max_rel_diff:.1e} "
            f"(limit {TOLERANCE:g})",
        ]
        if self.lookups:
            lines.append(
                f"  {self.lookups} lookups (functions, not trajectories) checked through the "
                "variables that read them"
            )
        if self.missing:
            lines.append("  missing: " + ", ".join(self.missing))
        if self.mismatched_units:
            lines.append("  units changed: " + ", ".join(self.mismatched_units))
        if self.uncompared:
            lines.append("  not compared (no trajectory): " + ", ".join(self.uncompared))
        lines += [f"  rewritten: {r}" for r in self.rewritten]
        lines += [f"  not carried over: {item}" for item in self.lost]
        return "\n".join(lines)


def _split_args(text: str, start: int) -> tuple[list[str], int]:
    """Arguments of the call whose '(' is at `start`; returns them and the index after ')'."""
    depth, args, begin = 0, [], start + 1
    for i in range(start, len(text)):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i].strip())
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(text[begin:i].strip())
            begin = i + 1
    raise ValueError(f"unbalanced parentheses in {text!r}")


_RAMP = re.compile(r"\bRAMP\s*\(", re.IGNORECASE)


def standard_ramp(equation: str) -> tuple[str, int]:
    """Rewrite every three-argument RAMP as XMILE 1.0 can read it; return (text, count)."""
    out, pos, count = [], 0, 0
    while (m := _RAMP.search(equation, pos)) is not None:
        args, end = _split_args(equation, m.end() - 1)
        if len(args) == 3:
            inner = [standard_ramp(a)[0] for a in args]
            slope, begin, stop = inner
            out.append(equation[pos : m.start()])
            out.append(f"({slope}) * MAX(0, MIN(TIME, {stop}) - ({begin}))")
            count += 1 + sum(standard_ramp(a)[1] for a in args)
            pos = end
        else:
            out.append(equation[pos : m.end()])
            pos = m.end()
    out.append(equation[pos:])
    return "".join(out), count


def _restore_names(xml: str, display: dict[str, str]) -> str:
    """Put the model's capitalisation back into names and references (case-insensitive in XMILE)."""

    def fix(name: str) -> str:
        key = normalise(html.unescape(name))
        return html.escape(display[key].replace(" ", "_"), quote=True) if key in display else name

    xml = re.sub(r'(\b(?:name|of)=")([^"]*)(")', lambda m: m[1] + fix(m[2]) + m[3], xml)
    return re.sub(
        r"(<(from|to|inflow|outflow)>)([^<]*)(</\2>)", lambda m: m[1] + fix(m[3]) + m[4], xml
    )


def to_xmile(mdl_path: str | Path = MODEL_PATH) -> tuple[str, list[str]]:
    """The model as XMILE text (Simlin's conversion, touched as above) and what was rewritten."""
    import simlin

    xml = simlin.load(str(mdl_path)).project.to_xmile().decode("utf-8")
    ramps = 0

    def eqn(m: re.Match) -> str:
        nonlocal ramps
        text, n = standard_ramp(html.unescape(m[2]))
        ramps += n
        return m[1] + html.escape(text, quote=False) + m[3]

    xml = re.sub(r"(<eqn>)(.*?)(</eqn>)", eqn, xml, flags=re.DOTALL)
    display = {normalise(e.name): e.name for e in catalogue(mdl_path)}
    xml = _restore_names(xml, display)
    rewritten = []
    if ramps:
        rewritten.append(
            f"{ramps} three-argument RAMP(slope, start, end) written as "
            "slope * MAX(0, MIN(TIME, end) - start)"
        )
    return xml, rewritten


def _lost(mdl_path: Path, xml: str) -> list[str]:
    """What the XMILE file does not carry, counted from the model."""
    cat = catalogue(mdl_path)
    lost = []
    ranged = [e for e in cat if e.low is not None or e.high is not None]
    if ranged and "<range" not in xml:
        lost.append(
            f"declared ranges [low, high] of {len(ranged)} variables (Vensim's [min, max]; "
            "scenario and sweep checks read them from the .mdl)"
        )
    views = len(re.findall(r"^\*[^\s*].*$", mdl_path.read_text(encoding="utf-8"), re.M))
    if views > 1:
        lost.append(
            f"the {views} separate Vensim views: one XMILE diagram holds them, each view a group"
        )
    return lost


_UNIT_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?)|(?P<name>[A-Za-z_$][\w$]*)|(?P<op>[*/^()]))"
)


def unit_powers(units: str) -> dict[str, float]:
    """A unit expression as {base unit or number: power}, so that equal units compare equal
    however they are written: `Byuan/Mperson/Year` and `Byuan/(Mperson*Year)` (as Simlin
    writes it) both give {byuan: 1, mperson: -1, year: -1}. `Dmnl`, `1` and "" give {}.

    Grammar: products and quotients of names, numbers, `name^power` and brackets;
    juxtaposition (`1000 Byuan`) multiplies. Names are compared case-insensitively.
    """
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = units.strip()
    while pos < len(text):
        m = _UNIT_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot read the unit {units!r} at {text[pos:]!r}")
        kind = m.lastgroup or "op"
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    i = 0

    def product() -> dict[str, float]:
        nonlocal i
        out = factor()
        while i < len(tokens) and tokens[i][1] not in (")",):
            sign = 1.0
            if tokens[i][1] in ("*", "/"):
                sign = -1.0 if tokens[i][1] == "/" else 1.0
                i += 1
            for k, v in factor().items():
                out[k] = out.get(k, 0.0) + sign * v
        return out

    def factor() -> dict[str, float]:
        nonlocal i
        if i >= len(tokens):
            raise ValueError(f"cannot read the unit {units!r}: it ends too early")
        kind, value = tokens[i]
        i += 1
        if value == "(":
            out = product()
            if i >= len(tokens) or tokens[i][1] != ")":
                raise ValueError(f"cannot read the unit {units!r}: unbalanced brackets")
            i += 1
        elif kind == "name":
            out = {} if value.lower() == "dmnl" else {value.lower(): 1.0}
        elif kind == "num":
            out = {} if float(value) == 1 else {str(float(value)): 1.0}
        else:
            raise ValueError(f"cannot read the unit {units!r} at {value!r}")
        if i < len(tokens) and tokens[i][1] == "^":
            power = float(tokens[i + 1][1]) if i + 1 < len(tokens) else 1.0
            i += 2
            out = {k: v * power for k, v in out.items()}
        return out

    powers = product() if tokens else {}
    if i != len(tokens):
        raise ValueError(f"cannot read the unit {units!r}: unbalanced brackets")
    return {k: v for k, v in powers.items() if v != 0}


def same_units(a: str, b: str) -> bool:
    """Whether two unit expressions mean the same unit (see `unit_powers`); text that
    cannot be read as a unit must match exactly (ignoring case and spacing)."""
    try:
        return unit_powers(a) == unit_powers(b)
    except ValueError:
        return normalise(a) == normalise(b)


def _pysd_run(mdl_path: Path):
    from regionsoft_sd.model.translate import load_model

    return load_model(mdl_path).run()


def check_xmile(xml_path: str | Path, mdl_path: str | Path = MODEL_PATH) -> ExportCheck:
    """Read an exported XMILE file back with Simlin and compare it with the `.mdl`."""
    import simlin

    xml_path, mdl_path = Path(xml_path), Path(mdl_path)
    cat = catalogue(mdl_path)
    back = simlin.load(str(xml_path))
    found = {normalise(v.name): v for v in back.variables}
    wanted = [e for e in cat if e.kind != "control"]
    missing = [e.name for e in wanted if normalise(e.name) not in found]
    units = [
        e.name
        for e in wanted
        if normalise(e.name) in found
        and not same_units(found[normalise(e.name)].units or "", e.units or "")
    ]
    results = back.run(analyze_loops=False).results
    columns = {normalise(c): c for c in results.columns}
    ref = _pysd_run(mdl_path)
    worst, compared, uncompared = 0.0, 0, []
    for e in wanted:
        col = columns.get(normalise(e.name))
        if col is None or e.name not in ref.columns:
            if e.kind != "lookup":
                uncompared.append(e.name)
            continue
        a = np.asarray(ref[e.name], dtype=float)
        b = np.asarray(results[col], dtype=float)
        if a.shape != b.shape:
            worst = float("inf")
            continue
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
        worst = max(worst, float(np.max(np.abs(a - b) / scale)))
        compared += 1
    return ExportCheck(
        xml_path,
        len(wanted),
        compared,
        worst,
        missing,
        units,
        _lost(mdl_path, xml_path.read_text(encoding="utf-8")),
        uncompared=uncompared,
        lookups=sum(e.kind == "lookup" for e in wanted),
    )


def export_xmile(
    path: str | Path, mdl_path: str | Path = MODEL_PATH, *, force: bool = False
) -> ExportCheck:
    """Write the model as XMILE to `path` (atomically) and check the round trip.

    `path` is a file the user names: it must not exist, or, with `force`, be a
    regular file (`io.check_named_file`: never a symlink, a folder or a special
    file). InputError before any work otherwise.
    """
    from regionsoft_sd.common.io import check_named_file, write_named_text

    check_named_file(path, force=force, key="--xmile")
    xml, rewritten = to_xmile(mdl_path)
    write_named_text(path, xml, force=force, key="--xmile")
    check = check_xmile(path, mdl_path)
    check.rewritten = rewritten
    return check
