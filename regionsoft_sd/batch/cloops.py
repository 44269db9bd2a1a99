"""A `Plan` rendered as C with loops over array axes (the layout for large models).

`cgen` keeps every value of a step in a register-like local inside one lane loop.
For a model with subscripts that is one local per element (31 provinces x 300
equations = some 9,000 statements in one loop body), and gcc's time and memory
grow faster than the body. Here every value lives in a working array
`W[slot][lane]` and the statements are scheduled by *level*: a statement's level
is one more than the highest level of the statements whose values it reads, so
statements of one level never depend on one another. Statements of one level
whose C text is the same once the values they read and write are blanked out
(the elements of one subscripted equation, e.g. `Births[p] = Population[p] *
Birth rate[p]` for every province p) become one loop over an axis:

    for (int e = 0; e < 31; e++)
      for (int l = 0; l < LANES; l++)   // simd over runs
        W[100 + e][l] = W[40 + e][l] * W[71 + e][l];

A value read at slots that step by one with `e` is addressed as `base + e`, one
read at the same slot by every element as that slot, anything else (a mapping
between ranges) through a table of slots. So the code grows with the number of
distinct equations, not with their elements; element-specific equations,
mappings and :EXCEPT: need no special case (they simply form smaller loops or
use a slot table). The arithmetic of every statement is the one `cgen` writes;
only where values are kept differs.

Only Euler integration without DELAY N / DELAY FIXED is laid out this way;
anything else raises `cgen.Unsupported` and the caller keeps `cgen`'s layout.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict

from regionsoft_sd.batch.cgen import (
    _NAMES,
    _VECTOR_MATH,
    LANES,
    PRELUDE,
    CKernel,
    Unsupported,
    _c_float,
)
from regionsoft_sd.batch.cgen import _Writer as _CWriter
from regionsoft_sd.batch.codegen import Plan, _deriv_lines, _step_lines

_TOKEN = re.compile(r"@([VPQ]):([^@]+)@")
_LABEL = re.compile(r"\[[^\]]*\]")
_ROLE = re.compile(r"^[a-z]+\d+")  # `s12_flow` -> `_flow`: the role of a hidden part
_CHECK = "#check"  # target of an initialisation check (it sets the lane's error flag)


class _Stmt:
    """One statement: its target slot name (or a check), its C text with tokens, reads."""

    __slots__ = ("level", "order", "reads", "shape", "target", "text", "tokens")

    def __init__(self, target: str, text: str, order: int) -> None:
        self.target = target
        self.text = text
        self.order = order
        self.tokens = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(text)]
        self.shape = _TOKEN.sub("@", text)
        self.reads = {name for kind, name in self.tokens if kind == "V"}
        self.level = 0


class _LoopWriter(_CWriter):
    """Renders the statements of one phase with tokens in place of values."""

    def __init__(self, p: Plan, control: dict[str, float], tables: dict) -> None:
        super().__init__(p, control, tables, rk4=False)

    def _c(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name) and node.id not in _NAMES:
            return f"@V:{node.id}@"
        return super()._c(node)

    def _input(self, node: ast.Subscript) -> str:
        key = getattr(node.slice, "value", None)
        if isinstance(node.value, ast.Name) and node.value.id == "P" and key in self.params:
            return f"@P:{self.params.index(key)}@"
        raise Unsupported(ast.unparse(node))

    def _call(self, node: ast.Call) -> str:
        func = node.func
        if isinstance(func, ast.Subscript):
            key = getattr(func.slice, "value", None)
            if key in self.series:
                return f"@Q:{self.series.index(key)}@"
            raise Unsupported(ast.unparse(node))
        return super()._call(node)

    def stmt(self, target: str, code: str, order: int) -> _Stmt:
        """`target = code` as one statement; shared logarithms stay inside it."""
        self.logs = {}
        value = self.expr(code)
        logs = self._flush_logs()
        if target == _CHECK:
            line = f"ERR[l] = ({value}) != 0 ? 1 : ERR[l];"
        else:
            line = f"@V:{target}@ = {value};"
        return _Stmt(target, " ".join([*logs, line]), order)

    # -- the statements of each phase ---------------------------------------------------------
    def init_statements(self) -> list[tuple[str, str]]:
        p, nodes = self.p, self.p.nodes
        out: list[tuple[str, str]] = [("t", "_t0")]
        for key in p.init_order:
            if key not in p.stateful:
                if nodes[key].kind != "lookup":
                    out.append((nodes[key].ident, p.init_code(key)))
                continue
            sf = p.stateful[key]
            q = {role: nodes[k].ident for role, k in sf.parts.items()}
            s, n = sf.ident, sf.order
            if sf.order_part:
                out.append((_CHECK, f"_integer({nodes[sf.order_part].ident}) != {n}"))
            if sf.kind == "integ":
                out += [(f"{s}_0", q["init"]), (s, f"{s}_0")]
            elif sf.kind == "initial":
                out.append((s, q["init"]))
            elif sf.kind == "smooth":
                out += [(f"{s}_{i}", q["init"]) for i in range(n)] + [(s, f"{s}_{n - 1}")]
            elif sf.kind == "delay":
                out.append((_CHECK, f"{n} * _dt > {q['time']}"))
                out += [(f"{s}_{i}", f"{q['init']} * {q['time']}") for i in range(n)]
                out.append((s, f"{s}_{n - 1} / {q['time']}"))
            else:
                raise Unsupported(f"{sf.kind} in the loop layout")
        out += list(p.hoisted)
        return out

    def step_statements(self) -> list[tuple[str, str]]:
        p, nodes = self.p, self.p.nodes
        out: list[tuple[str, str]] = []
        for key in p.step_order:
            if key in p.stateful:
                for line in _step_lines(p.stateful[key], nodes):
                    target, code = line.split(" = ", 1)
                    out.append((target, code))
            else:
                out.append((nodes[key].ident, p.step_code[key]))
        for sf in p.live:
            for line in _deriv_lines(sf, nodes)[0]:
                target, code = line.split(" = ", 1)
                out.append((target, code))
        return out


def loop_kernel(p: Plan, control: dict[str, float], tables: dict) -> CKernel:
    """Render `p` as `rs_run` in the loop layout (see the module docstring).

    Raises `Unsupported` for RK4-free plans it cannot lay out (DELAY N, DELAY
    FIXED) and for anything `cgen` does not translate.
    """
    if p.discrete:
        raise Unsupported("DELAY N or DELAY FIXED in the loop layout")
    w = _LoopWriter(p, control, tables)
    w.exact = True
    init = [w.stmt(t, c, i) for i, (t, c) in enumerate(w.init_statements())]
    w.exact = False
    step = [w.stmt(t, c, i) for i, (t, c) in enumerate(w.step_statements())]
    states = p.states
    update = [w.stmt(s, f"{s} + d_{s} * _dt", i) for i, s in enumerate(states)]
    slots = _Slots(_element_labels(p))
    phases = [_schedule(init, slots), _schedule(step, slots), _schedule(update, slots, flat=True)]
    for name in [p.nodes[k].ident for k in p.records]:
        slots.of(name)
    tabs: list[str] = []
    bodies = [[line for g in groups for line in _render(g, slots, tabs)] for groups in phases]
    records = [slots.of(p.nodes[k].ident) for k in p.records]
    tslot = slots.of("t")
    prelude = PRELUDE % {
        "lanes": LANES,
        "vector_math": "\n".join(
            f"#pragma omp declare simd notinbranch\nextern double {f}(double);"
            for f in _VECTOR_MATH
        ),
    }
    lines = [
        prelude,
        f"#define T0 {_c_float(control['initial time'])}",
        f"#define TF {_c_float(control['final time'])}",
        f"#define DT {_c_float(control['time step'])}",
        f"#define SAVEPER {_c_float(control.get('saveper', control['time step']))}",
        *w.table_defs,
        *tabs,
        f"static const long REC[] = {{{', '.join(map(str, records or [0]))}}};",
        "int rs_run(const long r0, const long r1, const long nsteps,",
        "           const double *const *par, const long *par_rs,",
        "           const double *const *ser, const long *ser_es, const long *ser_rs,",
        "           const double *evt, const long *save_row,",
        "           double *const *out, const long *out_rs) {",
        f"  double (*W)[LANES] = malloc(sizeof(double[LANES]) * {max(slots.count, 1)});",
        "  if (!W) return 2;",
        "  for (long b = r0; b < r1; b += LANES) {",
        "    long run[LANES];",
        "    int ERR[LANES];",
        "    const long valid = r1 - b < LANES ? r1 - b : LANES;",
        "    for (int l = 0; l < LANES; l++) { run[l] = l < valid ? b + l : r1 - 1; ERR[l] = 0; }",
        "    {",
        "      const long k = 0;",
        "      (void)k;",
        *("      " + s for s in bodies[0]),
        "    }",
        "    for (int l = 0; l < LANES; l++) if (ERR[l]) { free(W); return ERR[l]; }",
        "    for (long k = 0; k < nsteps; k++) {",
        "      const long row = save_row[k];",
        f"      for (int l = 0; l < LANES; l++) W[{tslot}][l] = evt[k];",
        *("      " + s for s in bodies[1]),
        "      if (row >= 0)",
        f"        for (int j = 0; j < {len(records)}; j++)",
        "          for (long l = 0; l < valid; l++)",
        "            out[j][row * out_rs[j] + b + l] = W[REC[j]][l];",
        *("      " + s for s in bodies[2]),
        "    }",
        "  }",
        "  free(W);",
        "  return 0;",
        "}",
        "",
    ]
    return CKernel("\n".join(lines), w.params, w.series, list(p.records), False)


class _Slots:
    """Slot numbers of the working array, handed out as groups are laid out."""

    def __init__(self, labels: dict[str, str]) -> None:
        self.index: dict[str, int] = {}
        self.count = 0
        self.labels = labels  # value -> (its equation, its element's place), see _element_labels

    def at(self, name: str) -> int:
        """The slot of a value some statement (or the parameters) has written."""
        if name not in self.index:
            raise Unsupported(f"{name} is read before any statement writes it")
        return self.index[name]

    def of(self, name: str) -> int:
        if name not in self.index:
            self.index[name] = self.count
            self.count += 1
        return self.index[name]


def _schedule(stmts: list[_Stmt], slots: _Slots, flat: bool = False) -> list[list[_Stmt]]:
    """Statements grouped by (level, shape), groups in level order; targets get slots.

    `flat`: every statement reads only values of earlier phases (or its own target),
    so all of them are on level 0.
    """
    writer = {}
    for s in stmts:
        if s.target != _CHECK:
            if s.target in writer:
                raise Unsupported(f"{s.target} is written twice in one phase")
            writer[s.target] = s
    if not flat:
        for s in stmts:  # statements come in dependency order
            s.level = 1 + max(
                (writer[r].level for r in s.reads if r in writer and writer[r] is not s),
                default=-1,
            )
    groups: dict[tuple, list[_Stmt]] = defaultdict(list)
    for s in stmts:
        base, _ = slots.labels.get(s.target, (f"#{s.order}", 0))
        groups[(s.level, s.shape, base)].append(s)
    out = []
    for key in sorted(groups, key=lambda k: (k[0], groups[k][0].order)):
        members = sorted(groups[key], key=lambda s: (slots.labels.get(s.target, ("", 0)), s.order))
        for s in members:
            if s.target != _CHECK:
                slots.of(s.target)
        out.append(members)
    return out


def _element_labels(p: Plan) -> dict[str, tuple[str, int]]:
    """Value name -> (its equation, the place of its element), for subscripted values.

    Only values of one equation are grouped into a loop, and they are laid out in
    the order of their elements, so what one subscripted equation reads from
    another is at slots `base + e` in both. The equation of a hidden part (a
    stock's flow) or a state is its owner's name without the elements plus its
    role; a hoisted run constant belongs to the equation it was hoisted from."""
    out: dict[str, tuple[str, int]] = {}
    for place, node in enumerate(p.nodes.values()):
        if _LABEL.search(node.name):
            out[node.ident] = (_LABEL.sub("", node.name) + "|" + _ROLE.sub("", node.ident), place)
    for place, sf in enumerate(p.stateful.values()):
        if _LABEL.search(sf.owner):
            owner = _LABEL.sub("", sf.owner)
            names = [sf.ident, *sf.states(), *(f"d_{s}" for s in sf.states())]
            names += [f"o_{sf.ident}_{i}" for i in range(sf.order)]
            for name in names:
                out[name] = (owner + "|" + name.replace(sf.ident, "@"), place)
    for name, (key, seen) in p.hoisted_from.items():
        origin = out.get(p.nodes[key].ident) if key in p.nodes else None
        if origin is not None:
            out[name] = (f"{origin[0]}|h{seen}", origin[1])
    return out


def _render(group: list[_Stmt], slots: _Slots, tabs: list[str]) -> list[str]:
    """One group as C: a lane loop, inside a loop over the axis when it has members."""
    n = len(group)
    occurrences = list(zip(*[s.tokens for s in group], strict=True))
    pieces = _TOKEN.split(group[0].text)  # text, kind, name, text, kind, name, ...
    text = [pieces[0]]
    for i, occ in enumerate(occurrences):
        kind = occ[0][0]
        if kind == "V":
            index = _index([slots.at(name) for _, name in occ], n, tabs)
            text.append(f"W[{index}][l]")
        else:
            index = _index([int(name) for _, name in occ], n, tabs)
            if kind == "P":
                text.append(f"par[{index}][run[l] * par_rs[{index}]]")
            else:
                text.append(f"ser[{index}][k * ser_es[{index}] + run[l] * ser_rs[{index}]]")
        text.append(pieces[3 * i + 3])
    body = "".join(text)
    if n == 1:
        return ["#pragma omp simd", f"for (int l = 0; l < LANES; l++) {{ {body} }}"]
    return [
        f"for (int e = 0; e < {n}; e++) {{",
        "  #pragma omp simd",
        f"  for (int l = 0; l < LANES; l++) {{ {body} }}",
        "}",
    ]


def _index(values: list[int], n: int, tabs: list[str]) -> str:
    """C index of a token over the members: a constant, `base + e`, or a table."""
    if n == 1 or all(v == values[0] for v in values):
        return str(values[0])
    if values == list(range(values[0], values[0] + n)):
        return f"{values[0]} + e"
    name = f"IX{len(tabs)}"
    tabs.append(f"static const int {name}[] = {{{', '.join(map(str, values))}}};")
    return f"{name}[e]"
