"""Graph of expressions to one generated Python function per (parameters, records) choice.

The generated `_make(P, _T)` does what PySD's `initialize()` does, in dependency
order, at TIME = INITIAL TIME: it evaluates constants and initial values and
sets every state. It returns the initial states and two closures:

- `_aux(t, *states)` evaluates, at time `t`, only the auxiliaries that some
  recorded variable or some state needs, and returns (derivatives, recorded
  values, discrete updates);
- `_commit(discrete)` applies the discrete updates (DELAY N's delay-time pipeline,
  DELAY FIXED's buffer) once per step, after the continuous states moved.

Values that do not change during a run (constants, expressions of constants,
INITIAL) are computed once in `_make` and read from the closure, so a step costs
only the time-dependent arithmetic. The text is the same for floats and for
NumPy arrays; the helper namespace decides (see `builtins.py`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from regionsoft_sd.batch.compiler import Graph, Node, Stateful

_STEP_PARTS = {
    "integ": ("flow",),
    "smooth": ("input", "time"),
    "delay": ("input", "time"),
    "delayn": ("input", "time"),
    "delayfixed": ("input",),
    "initial": (),
}
_INIT_PARTS = {
    "integ": ("init",),
    "smooth": ("init",),
    "delay": ("init", "time"),
    "delayn": ("init", "time"),
    "delayfixed": ("init", "time"),
    "initial": ("init",),
}


@dataclass
class Program:
    """Generated source and what it returns, in order."""

    source: str
    states: list[str]  # continuous state identifiers, in the order `_aux` takes them
    records: list[str]  # keys of the recorded nodes, in the order `_aux` returns them
    has_discrete: bool


def _topo(keys: set[str], deps_of, nodes: dict[str, Node]) -> list[str]:
    """Depth-first topological order; a cycle raises a ValueError naming its members."""
    order: list[str] = []
    mark: dict[str, int] = {}

    def visit(key: str, path: list[str]) -> None:
        state = mark.get(key)
        if state == 2:
            return
        if state == 1:
            cycle = path[path.index(key) :] + [key]
            names = " -> ".join(nodes[k].name for k in cycle)
            raise ValueError(f"simultaneous equations (algebraic loop): {names}")
        mark[key] = 1
        path.append(key)
        for dep in sorted(deps_of(key)):
            if dep in keys:
                visit(dep, path)
        path.pop()
        mark[key] = 2
        order.append(key)

    for key in sorted(keys):
        visit(key, [])
    return order


def generate(graph: Graph, records: list[str], params: set[str], series: set[str]) -> Program:
    """Generate `_make` for `records`; `params` come from `P[key]`, `series` from `P[key](t)`."""
    nodes = dict(graph.nodes)
    for key in params | series:
        code = f"P[{key!r}](t)" if key in series else f"P[{key!r}]"
        nodes[key] = replace(
            nodes[key], kind="aux", code=code, deps=frozenset(), uses_time=key in series
        )
    for key, node in nodes.items():
        if node.kind == "lookup":
            nodes[key] = replace(node, code=f"_T[{key!r}]")
    stateful = {sf.out_key: sf for sf in graph.statefuls}

    def full_deps(key: str) -> set[str]:
        if key in stateful:
            sf = stateful[key]
            roles = set(_STEP_PARTS[sf.kind]) | set(_INIT_PARTS[sf.kind])
            extra = {sf.order_part} if sf.order_part else set()
            return {sf.parts[r] for r in roles} | extra
        return set(nodes[key].deps)

    needed: set[str] = set()
    todo = list(records)
    while todo:
        key = todo.pop()
        if key not in needed:
            needed.add(key)
            todo.extend(full_deps(key))

    dynamic: dict[str, bool] = {}

    def is_dynamic(key: str) -> bool:
        if key not in dynamic:
            node = nodes[key]
            if key in stateful:
                dynamic[key] = stateful[key].kind != "initial"
            else:
                dynamic[key] = node.uses_time or any(is_dynamic(d) for d in node.deps)
        return dynamic[key]

    def init_deps(key: str) -> set[str]:
        if key in stateful:
            sf = stateful[key]
            extra = {sf.order_part} if sf.order_part else set()
            return {sf.parts[r] for r in _INIT_PARTS[sf.kind]} | extra
        return set(nodes[key].deps)

    init_keys = set()
    todo = [k for k in needed if not is_dynamic(k) or k in stateful] + list(records)
    while todo:
        key = todo.pop()
        if key not in init_keys:
            init_keys.add(key)
            todo.extend(init_deps(key))
    init_order = _topo(init_keys, init_deps, nodes)

    live = [stateful[k] for k in init_order if k in stateful]
    step_keys = {k for k in needed if is_dynamic(k)}
    step_order = _topo(step_keys, lambda k: set(nodes[k].deps), nodes)

    lines = ["def _make(P, _T):", "    t = _t0"]
    for key in init_order:
        lines += ["    " + s for s in _init_lines(key, nodes, stateful)]
    states = [s for sf in live for s in sf.states()]
    discrete = [sf for sf in live if sf.kind in ("delayn", "delayfixed")]
    hoist = _Hoister({"t"} | {nodes[k].ident for k in step_keys})
    step_lines = []
    for key in step_order:
        for line in _step_lines(key, nodes, stateful):
            step_lines.append(hoist.line(line) if key not in stateful else line)
    lines += ["    " + s for s in hoist.lines]
    lines.append(f"    def _aux(t, {', '.join(states)}):")
    lines += ["        " + s for s in step_lines]
    derivs: list[str] = []
    for sf in live:
        body, names = _deriv_lines(sf, nodes)
        lines += ["        " + s for s in body]
        derivs += names
    recs = ", ".join(nodes[k].ident for k in records)
    disc = ", ".join(_disc_value(sf, nodes) for sf in discrete)
    lines.append(
        f"        return ({', '.join(derivs)}{',' if derivs else ''}), "
        f"({recs}{',' if records else ''}), ({disc}{',' if discrete else ''})"
    )
    lines.append("    def _commit(d):")
    tnames = [f"{sf.ident}_T{i}" for sf in discrete if sf.kind == "delayn" for i in range(sf.order)]
    if tnames:
        lines.append(f"        nonlocal {', '.join(tnames)}")
    for i, sf in enumerate(discrete):
        if sf.kind == "delayn":
            ts = ", ".join(f"{sf.ident}_T{j}" for j in range(sf.order))
            lines.append(f"        {ts}{',' if sf.order == 1 else ''} = d[{i}]")
        else:
            lines.append(f"        {sf.ident}_df.push(d[{i}])")
    lines.append("        return None")
    lines.append(f"    return ({', '.join(states)}{',' if states else ''}), _aux, _commit")
    return Program("\n".join(lines) + "\n", states, list(records), bool(discrete))


class _Hoister(ast.NodeTransformer):
    """Moves run-constant subexpressions of step equations out of the time loop.

    A subexpression that names no time-dependent identifier (TIME, a state, a
    time-dependent node) has the same value at every step; it is computed once in
    `_make` instead. Nothing is reassociated, so the arithmetic is unchanged.
    """

    def __init__(self, dynamic: set[str]) -> None:
        self.dynamic = dynamic
        self.lines: list[str] = []
        self.names: dict[str, str] = {}

    def line(self, line: str) -> str:
        target, code = line.split(" = ", 1)
        tree = ast.parse(code, mode="eval")
        if self._constant(tree.body):
            return line
        return f"{target} = {ast.unparse(self.visit(tree).body)}"

    def _constant(self, node: ast.AST) -> bool:
        return not any(isinstance(n, ast.Name) and n.id in self.dynamic for n in ast.walk(node))

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if (
            isinstance(node, ast.expr)
            and not isinstance(node, (ast.Name, ast.Constant))
            and self._constant(node)
        ):
            code = ast.unparse(node)
            if code not in self.names:
                self.names[code] = f"h{len(self.names)}"
                self.lines.append(f"{self.names[code]} = {code}")
            return ast.Name(self.names[code], ast.Load())
        return super().generic_visit(node)


def _init_lines(key: str, nodes: dict[str, Node], stateful: dict[str, Stateful]) -> list[str]:
    node = nodes[key]
    if key not in stateful:
        return [f"{node.ident} = {node.code}"]
    sf = stateful[key]
    p = {role: nodes[k].ident for role, k in sf.parts.items()}
    s, n, name = sf.ident, sf.order, repr(sf.owner)
    out = []
    if sf.order_part:
        out.append(f"_check_order({nodes[sf.order_part].ident}, {n}, {name})")
    if sf.kind == "integ":
        out += [f"{s}_0 = {p['init']}", f"{s} = {s}_0"]
    elif sf.kind == "initial":
        out.append(f"{s} = {p['init']}")
    elif sf.kind == "smooth":
        out += [f"{s}_{i} = {p['init']}" for i in range(n)] + [f"{s} = {s}_{n - 1}"]
    elif sf.kind in ("delay", "delayn"):
        out.append(f"_check_delay({n}, {p['time']}, _dt, {name})")
        out += [f"{s}_{i} = {p['init']} * {p['time']}" for i in range(n)]
        if sf.kind == "delay":
            out.append(f"{s} = {s}_{n - 1} / {p['time']}")
        else:
            out += [f"{s}_T{i} = {p['time']}" for i in range(n)]
            out.append(f"{s} = {s}_{n - 1} / {s}_T0")
    else:  # delayfixed
        out.append(f"{s}_df = _DelayFixed({p['init']}, {p['time']}, _dt, P['#n'], P['#scalar'])")
        out.append(f"{s} = {s}_df.state")
    return out


def _step_lines(key: str, nodes: dict[str, Node], stateful: dict[str, Stateful]) -> list[str]:
    node = nodes[key]
    if key not in stateful:
        return [f"{node.ident} = {node.code}"]
    sf = stateful[key]
    s, n = sf.ident, sf.order
    if sf.kind in ("integ", "smooth"):
        return [f"{s} = {s}_{n - 1}"]
    if sf.kind == "delay":
        return [f"{s} = {s}_{n - 1} / {nodes[sf.parts['time']].ident}"]
    if sf.kind == "delayn":
        return [f"{s} = {s}_{n - 1} / {s}_T0"]
    return [f"{s} = {s}_df.state"]


def _deriv_lines(sf: Stateful, nodes: dict[str, Node]) -> tuple[list[str], list[str]]:
    """Derivatives with PySD's arithmetic (`statefuls.py`), one line per state."""
    p = {role: nodes[k].ident for role, k in sf.parts.items()}
    s, n = sf.ident, sf.order
    d = [f"d_{s}_{i}" for i in range(len(sf.states()))]
    if sf.kind == "integ":
        return [f"{d[0]} = {p['flow']}"], d
    if sf.kind == "smooth":
        src = [p["input"]] + [f"{s}_{i}" for i in range(n - 1)]
        return [f"{d[i]} = ({src[i]} - {s}_{i}) * {n} / {p['time']}" for i in range(n)], d
    if sf.kind in ("delay", "delayn"):
        if sf.kind == "delay":
            times = [p["time"]] * n
        else:
            times = [p["time"]] + [f"{s}_T{i}" for i in range(n - 1)]
        body = [f"o_{s}_{i} = {s}_{i} / {times[i]}" for i in range(n)]
        src = [p["input"]] + [f"o_{s}_{i}" for i in range(n - 1)]
        body += [f"{d[i]} = ({src[i]} - o_{s}_{i}) * {n}" for i in range(n)]
        return body, d
    return [], []


def _disc_value(sf: Stateful, nodes: dict[str, Node]) -> str:
    p = {role: nodes[k].ident for role, k in sf.parts.items()}
    if sf.kind == "delayn":
        ts = [p["time"]] + [f"{sf.ident}_T{i}" for i in range(sf.order - 1)]
        return "(" + ", ".join(ts) + ",)"
    return p["input"]
