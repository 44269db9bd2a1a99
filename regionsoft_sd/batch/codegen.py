"""Graph of expressions to a backend-neutral `Plan`, and the Plan to Python source.

`plan()` decides, for one choice of (recorded variables, per-run parameters,
series), what is computed once per run and what every step:

- the *init* part does what PySD's `initialize()` does, in dependency order, at
  TIME = INITIAL TIME: it evaluates constants and initial values and sets every
  state;
- run-constant subexpressions of step equations (constants, expressions of
  constants, INITIAL) are *hoisted* into the init part, so a step costs only the
  time-dependent arithmetic (nothing is reassociated: the arithmetic is unchanged);
- the *step* part evaluates, at time `t`, only the auxiliaries some recorded
  variable or some state needs, and gives derivatives, recorded values and the
  discrete updates (DELAY N's delay-time pipeline, DELAY FIXED's buffer) that are
  applied once per step, after the continuous states moved.

`python_source(plan, mode)` renders it as Python (`_make(P, _T)` returning the
initial states and the closures `_aux`, `_commit`). The "vector" mode works on
NumPy arrays of shape (N,), the "scalar" mode on Python floats; they differ only
where Python floats and arrays differ: IF THEN ELSE evaluates the branch it takes
(both only where the runs disagree, as NumPy's `where` needs), powers go through a
helper that refuses complex results. `cgen.py` renders the same Plan as C.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

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
class Plan:
    """What one generated program computes, in order; shared by every renderer."""

    nodes: dict[str, Node]
    stateful: dict[str, Stateful]  # out_key -> Stateful
    init_order: list[str]  # keys evaluated once per run, in dependency order
    hoisted: list[tuple[str, str]]  # (name, expression): run constants of step code
    step_order: list[str]  # keys evaluated every step, in dependency order
    step_code: dict[str, str]  # non-stateful step keys -> expression after hoisting
    live: list[Stateful]  # statefuls in use, in initialisation order
    records: list[str]  # keys of the recorded nodes
    params: frozenset[str]
    series: frozenset[str]
    # hoisted name -> (the step key it came from, its place among that key's): a C
    # layout keeps the hoisted parts of one subscripted equation together
    hoisted_from: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def states(self) -> list[str]:
        """Continuous state identifiers, in the order the step function takes them."""
        return [s for sf in self.live for s in sf.states()]

    @property
    def discrete(self) -> list[Stateful]:
        """Statefuls with a once-per-step discrete update."""
        return [sf for sf in self.live if sf.kind in ("delayn", "delayfixed")]

    def init_code(self, key: str) -> str:
        """Expression of a non-stateful node while initialising (ACTIVE INITIAL differs)."""
        node = self.nodes[key]
        return node.init_code if node.init_code is not None else node.code


@dataclass
class Program:
    """Generated Python sources (vector and scalar) and what they return, in order."""

    source: str  # vector mode
    scalar_source: str
    states: list[str]  # continuous state identifiers, in the order `_aux` takes them
    records: list[str]  # keys of the recorded nodes, in the order `_aux` returns them
    has_discrete: bool
    plan: Plan


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


def plan(graph: Graph, records: list[str], params: set[str], series: set[str]) -> Plan:
    """Plan the program for `records`; `params` come from `P[key]`, `series` from `P[key](t)`."""
    nodes = dict(graph.nodes)
    for key in params | series:
        code = f"P[{key!r}](t)" if key in series else f"P[{key!r}]"
        nodes[key] = replace(
            nodes[key],
            kind="aux",
            code=code,
            deps=frozenset(),
            uses_time=key in series,
            init_code=None,
            init_deps=None,
        )
    for key, node in nodes.items():
        if node.kind == "lookup":
            nodes[key] = replace(node, code=f"_T[{key!r}]")
    stateful = {sf.out_key: sf for sf in graph.statefuls}

    def init_deps(key: str) -> set[str]:
        if key in stateful:
            sf = stateful[key]
            extra = {sf.order_part} if sf.order_part else set()
            return {sf.parts[r] for r in _INIT_PARTS[sf.kind]} | extra
        node = nodes[key]
        return set(node.init_deps if node.init_code is not None else node.deps)

    def full_deps(key: str) -> set[str]:
        if key in stateful:
            sf = stateful[key]
            roles = set(_STEP_PARTS[sf.kind]) | set(_INIT_PARTS[sf.kind])
            extra = {sf.order_part} if sf.order_part else set()
            return {sf.parts[r] for r in roles} | extra
        return set(nodes[key].deps) | init_deps(key)

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
    hoist = _Hoister({"t"} | {nodes[k].ident for k in step_keys})
    step_code = {k: hoist.expr(nodes[k].code, k) for k in step_order if k not in stateful}
    return Plan(
        nodes=nodes,
        stateful=stateful,
        init_order=init_order,
        hoisted=hoist.items,
        hoisted_from=hoist.origin,
        step_order=step_order,
        step_code=step_code,
        live=live,
        records=list(records),
        params=frozenset(params),
        series=frozenset(series),
    )


def generate(graph: Graph, records: list[str], params: set[str], series: set[str]) -> Program:
    """Plan and render both Python variants of the program."""
    p = plan(graph, records, params, series)
    return Program(
        python_source(p, "vector"),
        python_source(p, "scalar"),
        p.states,
        p.records,
        bool(p.discrete),
        p,
    )


# --- Python rendering ------------------------------------------------------------------------
def python_source(p: Plan, mode: str) -> str:
    """`_make(P, _T)` for one mode: "vector" (NumPy arrays) or "scalar" (Python floats)."""
    render = _PyMode(mode)
    nodes, stateful = p.nodes, p.stateful
    lines = ["def _make(P, _T):", "    t = _t0"]
    for key in p.init_order:
        for line in _init_lines(key, p):
            lines.append("    " + render.line(line, const=_is_const(key, p) and mode == "vector"))
    for name, code in p.hoisted:
        lines.append("    " + render.line(f"{name} = {code}"))
    lines.append(f"    def _aux(t, {', '.join(p.states)}):")
    for key in p.step_order:
        if key in stateful:
            lines += ["        " + s for s in _step_lines(stateful[key], nodes)]
        else:
            lines.append("        " + render.line(f"{nodes[key].ident} = {p.step_code[key]}"))
    derivs: list[str] = []
    for sf in p.live:
        body, names = _deriv_lines(sf, nodes)
        lines += ["        " + s for s in body]
        derivs += names
    recs = ", ".join(nodes[k].ident for k in p.records)
    discrete = p.discrete
    disc = ", ".join(_disc_value(sf, nodes) for sf in discrete)
    lines.append(
        f"        return ({', '.join(derivs)}{',' if derivs else ''}), "
        f"({recs}{',' if p.records else ''}), ({disc}{',' if discrete else ''})"
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
    states = p.states
    lines.append(f"    return ({', '.join(states)}{',' if states else ''}), _aux, _commit")
    return "\n".join(lines) + "\n"


def _is_const(key: str, p: Plan) -> bool:
    return key not in p.stateful and p.nodes[key].kind == "const"


class _PyMode(ast.NodeTransformer):
    """Rewrites neutral expressions for one Python mode (see the module docstring)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.temps = 0

    def line(self, line: str, const: bool = False) -> str:
        target, code = line.split(" = ", 1)
        if "_ite(" in code or "**" in code or "/" in code:
            code = ast.unparse(self.visit(ast.parse(code, mode="eval")).body)
        literal = self.mode == "vector" and not any(
            isinstance(n, ast.Name) for n in ast.walk(ast.parse(code, mode="eval"))
        )
        if const or literal:  # a NumPy scalar: arithmetic on it gives inf/nan, never raises
            return f"{target} = _F({code})"
        return f"{target} = {code}"

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Name) and node.func.id == "_ite"):
            return node
        cond, yes, no = node.args
        if self.mode == "scalar":
            return ast.IfExp(test=cond, body=yes, orelse=no)
        # a branch of literals would hand a Python float on, which raises where NumPy
        # gives inf (0.0 ** -1): make it a NumPy scalar
        yes, no = (_numpy_scalar(b) for b in (yes, no))
        temp = f"_c{self.temps}"
        self.temps += 1
        store = ast.NamedExpr(target=ast.Name(temp, ast.Store()), value=cond)
        mixed = ast.Call(ast.Name("_where", ast.Load()), [ast.Name(temp, ast.Load()), yes, no], [])
        none = ast.Call(ast.Name("_none", ast.Load()), [ast.Name(temp, ast.Load())], [])
        return ast.IfExp(
            test=ast.Call(ast.Name("_all", ast.Load()), [store], []),
            body=yes,
            orelse=ast.IfExp(test=none, body=no, orelse=mixed),
        )

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if self.mode == "scalar" and isinstance(node.op, ast.Pow):
            return ast.Call(ast.Name("_pow", ast.Load()), [node.left, node.right], [])
        if (
            self.mode == "vector"
            and isinstance(node.op, (ast.Div, ast.Pow))
            and not any(isinstance(n, ast.Name) for n in ast.walk(node.left))
            and not (
                isinstance(node.left, ast.Call)
                and isinstance(node.left.func, ast.Name)
                and node.left.func.id == "_F"
            )
        ):  # literals only (`-0 ^ -2`): a NumPy scalar gives inf where floats would raise
            node.left = ast.Call(ast.Name("_F", ast.Load()), [node.left], [])
        return node


def _numpy_scalar(node: ast.expr) -> ast.expr:
    """`node` wrapped in `_F(...)` when it names nothing (its value is a Python float)."""
    if any(isinstance(n, ast.Name) for n in ast.walk(node)):
        return node
    return ast.Call(ast.Name("_F", ast.Load()), [node], [])


class _Hoister(ast.NodeTransformer):
    """Moves run-constant subexpressions of step equations out of the time loop.

    A subexpression that names no time-dependent identifier (TIME, a state, a
    time-dependent node) has the same value at every step; it is computed once
    per run instead. Lookup tables (`_T[...]`) stay in place: they are not values.
    """

    def __init__(self, dynamic: set[str]) -> None:
        self.dynamic = dynamic
        self.items: list[tuple[str, str]] = []
        self.names: dict[str, str] = {}
        self.origin: dict[str, tuple[str, int]] = {}  # name -> (step key, its place there)
        self.key = ""
        self.seen = 0

    def expr(self, code: str, key: str = "") -> str:
        self.key, self.seen = key, 0
        tree = ast.parse(code, mode="eval")
        if self._constant(tree.body):
            return code
        return ast.unparse(self.visit(tree).body)

    def _constant(self, node: ast.AST) -> bool:
        return not any(isinstance(n, ast.Name) and n.id in self.dynamic for n in ast.walk(node))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Subscript) and not self._constant(node):
            node.args = [self.visit(a) for a in node.args]  # a series P[key](t): keep whole
            return node
        return self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if (
            isinstance(node, ast.expr)
            and not isinstance(node, (ast.Name, ast.Constant))
            and not _is_table(node)
            and not _is_literal(node)
            and self._constant(node)
        ):
            code = ast.unparse(node)
            if code not in self.names:
                self.names[code] = f"h{len(self.names)}"
                self.items.append((self.names[code], code))
                self.origin[self.names[code]] = (self.key, self.seen)
            self.seen += 1
            return ast.Name(self.names[code], ast.Load())
        return super().generic_visit(node)


def _is_literal(node: ast.AST) -> bool:
    """A negative number (`-1.0`): kept in place, where a renderer can see its value."""
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
    )


def _is_table(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "_T"
    )


def _init_lines(key: str, p: Plan) -> list[str]:
    nodes = p.nodes
    if key not in p.stateful:
        return [f"{nodes[key].ident} = {p.init_code(key)}"]
    sf = p.stateful[key]
    q = {role: nodes[k].ident for role, k in sf.parts.items()}
    s, n, name = sf.ident, sf.order, repr(sf.owner)
    out = []
    if sf.order_part:
        out.append(f"_ = _check_order({nodes[sf.order_part].ident}, {n}, {name})")
    if sf.kind == "integ":
        out += [f"{s}_0 = {q['init']}", f"{s} = {s}_0"]
    elif sf.kind == "initial":
        out.append(f"{s} = {q['init']}")
    elif sf.kind == "smooth":
        out += [f"{s}_{i} = {q['init']}" for i in range(n)] + [f"{s} = {s}_{n - 1}"]
    elif sf.kind in ("delay", "delayn"):
        out.append(f"_ = _check_delay({n}, {q['time']}, _dt, {name})")
        out += [f"{s}_{i} = {q['init']} * {q['time']}" for i in range(n)]
        if sf.kind == "delay":
            out.append(f"{s} = {s}_{n - 1} / {q['time']}")
        else:
            out += [f"{s}_T{i} = {q['time']}" for i in range(n)]
            out.append(f"{s} = {s}_{n - 1} / {s}_T0")
    else:  # delayfixed
        out.append(f"{s}_df = _DelayFixed({q['init']}, {q['time']}, _dt, P['#n'], P['#scalar'])")
        out.append(f"{s} = {s}_df.state")
    return out


def _step_lines(sf: Stateful, nodes: dict[str, Node]) -> list[str]:
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
