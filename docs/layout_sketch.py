"""Rewrite the sketch (diagram) section of the .mdl from its equations.

The equations are the source of truth; the sketch is derived from them: one view
per equation group (`.Sector name`), stocks in a row with their inflows and
outflows as pipes and valves, the other variables in a grid below, variables
defined in another sector as grey shadow copies on the right, and one arrow per
reference. Vensim, Simlin and PySD read the result (Simlin renders it in
`docs/figures/diagram.png`).

Run after editing equations: `python docs/layout_sketch.py [models/regional_soft_power.mdl]`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKETCH_MARK = "\\\\\\---/// Sketch information"
HEADER = "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0"
CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER", "Time"}
STOCK_GAP, COLS, COL_W, ROW_H, GRID_Y, SHADOW_X = 620, 5, 230, 90, 420, 1480


def parse(text: str) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(groups in order, variable -> group, variable -> equation) from the equations part."""
    eqs = text.split(SKETCH_MARK)[0]
    groups: list[str] = []
    owner: dict[str, str] = {}
    equation: dict[str, str] = {}
    group = "Model"
    for block in eqs.split("|"):
        g = re.search(r"\*{10,}\s*\n\s*\.(.+?)\s*\n\s*\*{10,}", block)
        if g:
            group = g.group(1).strip()
            if group != "Control":
                groups.append(group)
            block = block[g.end() :]
        head = block.split("~")[0].strip()
        if not head or head.startswith("{UTF"):
            head = head.replace("{UTF-8}", "").strip()
            if not head:
                continue
        m = re.match(r"([^=(]+?)\s*(\(|=)(.*)", head, re.S)
        if not m:
            continue
        name = " ".join(m.group(1).split())
        if group == "Control" or name in CONTROL:
            continue
        owner[name] = group
        equation[name] = m.group(3) if m.group(2) == "=" else "(lookup)"
    return groups, owner, equation


def references(eq: str, names: list[str]) -> list[str]:
    """Variables named in an equation (longest names first, so parts of names don't match)."""
    found, rest = [], " " + " ".join(eq.split()) + " "
    for n in sorted(names, key=len, reverse=True):
        pat = r"(?<![A-Za-z0-9_ ])\s*" + re.escape(n) + r"\s*(?![A-Za-z0-9_])"
        if re.search(pat, rest, flags=re.I):
            found.append(n)
            rest = re.sub(pat, " # ", rest, flags=re.I)
    return found


def flows_of(eq: str, names: set[str]) -> tuple[list[str], list[str]] | None:
    """Inflow and outflow variables of `INTEG(a + b - c, init)` when every term is a variable."""
    m = re.match(r"\s*INTEG\s*\((.*)\)\s*$", " ".join(eq.split()), re.S)
    if not m:
        return None
    depth, split_at = 0, None
    for i, ch in enumerate(m.group(1)):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            split_at = i
    body = m.group(1)[:split_at]
    terms = re.split(r"\s*([+-])\s*", "+ " + body.strip())
    ins, outs = [], []
    for sign, term in zip(terms[1::2], terms[2::2], strict=True):
        if term.strip() not in names:
            return None
        (ins if sign == "+" else outs).append(term.strip())
    return ins, outs


def view(group: str, owner: dict[str, str], equation: dict[str, str]) -> list[str]:
    """The sketch lines of one view."""
    names = list(owner)
    local = [n for n in names if owner[n] == group]
    lines = [f"*{group}", HEADER]
    ids: dict[str, int] = {}
    nid = 0

    def new() -> int:
        nonlocal nid
        nid += 1
        return nid

    stocks = [n for n in local if equation[n].strip().upper().startswith("INTEG")]
    piped: dict[str, tuple[list[str], list[str]]] = {}
    for s in stocks:
        f = flows_of(equation[s], set(names))
        if f:
            piped[s] = f
    flow_vars = {f for ins, outs in piped.values() for f in ins + outs if owner.get(f) == group}
    x = 400
    for s in stocks:
        ids[s] = new()
        lines.append(f"10,{ids[s]},{s},{x},180,48,24,3,3,0,0,0,0,0,0")
        x += STOCK_GAP
    drawn: set[str] = set()
    for s in stocks:
        ins, outs = piped.get(s, ([], []))
        sx = 400 + STOCK_GAP * stocks.index(s)
        for k, (f, side) in enumerate([(f, -1) for f in ins] + [(f, 1) for f in outs]):
            if f in drawn or owner.get(f) != group:
                continue
            drawn.add(f)
            other = [t for t, (i2, o2) in piped.items() if t != s and (f in i2 or f in o2)]
            y = 180 + 70 * (k % 3) - 35 * (len(ins + outs) > 1)
            vx = sx + side * 150
            valve, label = new(), new()
            ends = []
            for end, direction in ((s, side), *((t, -side) for t in other[:1])):
                ends.append((ids[end], direction))
            if not other:
                cloud = new()
                lines.append(f"12,{cloud},48,{sx + side * 270},{y},10,8,0,3,0,0,-1,0,0,0")
                ends.append((cloud, -side))
            for target, _ in ends:
                into = (target == ids[s]) == (side == -1)
                head = 4 if into else 100
                lines.append(
                    f"1,{new()},{valve},{target},{head},0,0,22,0,0,0,-1--1--1,,1|({vx},{y})|"
                )
            lines.append(f"11,{valve},48,{vx},{y},6,8,34,3,0,0,1,0,0,0")
            lines.append(f"10,{label},{f},{vx},{y + 22},55,14,40,3,0,0,-1,0,0,0")
            ids[f] = label
    rest = [n for n in local if n not in ids and n not in flow_vars]
    rest += [f for f in flow_vars if f not in ids]
    for k, n in enumerate(rest):
        ids[n] = new()
        cx, cy = 160 + COL_W * (k % COLS), GRID_Y + ROW_H * (k // COLS)
        lines.append(f"10,{ids[n]},{n},{cx},{cy},70,22,8,3,0,0,0,0,0,0")
    shadows = []
    for n in local:
        for r in references(equation[n], names):
            if r not in ids and r not in shadows:
                shadows.append(r)
    for k, n in enumerate(shadows):
        ids[n] = new()
        cx, cy = SHADOW_X + 240 * (k % 2), 160 + 70 * (k // 2)
        lines.append(
            f"10,{ids[n]},{n},{cx},{cy},70,22,8,2,0,3,-1,0,0,0,128-128-128,0-0-0,|12||128-128-128"
        )
    for n in local:
        for r in references(equation[n], names):
            if r == n or r not in ids:
                continue
            if n in piped and r in piped[n][0] + piped[n][1]:
                continue  # drawn as a pipe
            lines.append(f"1,{new()},{ids[r]},{ids[n]},0,0,0,0,0,64,0,-1--1--1,,1|(0,0)|")
    return lines


def layout(text: str) -> str:
    """The model text with its sketch section replaced."""
    groups, owner, equation = parse(text)
    eq_part = text.split(SKETCH_MARK)[0].rstrip() + "\n"
    out = [eq_part, SKETCH_MARK + " - do not modify anything except names"]
    first = True
    for g in groups:
        if not first:
            out.append(SKETCH_MARK + " - do not modify anything except names")
        out.append("V300  Do not put anything below this section - it will be ignored")
        out.extend(view(g, owner, equation))
        first = False
    out.append("///---\\\\\\")
    out.append(":L<%^E!@")
    out.append("9:current")
    out.append("15:0,0,0,0,0,0")
    out.append("19:100,0")
    out.append("27:0,")
    out.append("34:0,")
    out.append("4:Time")
    out.append("5:Dominant Soft Power")
    out.append("35:Date")
    out.append("36:YYYY-MM-DD")
    out.append("24:2005")
    out.append("25:2075")
    out.append("26:2075")
    return "\n".join(out) + "\n"


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "models" / "regional_soft_power.mdl"
    new_text = layout(path.read_text(encoding="utf-8"))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new_text, encoding="utf-8")
    tmp.replace(path)
    print(f"sketch of {path.name} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
