"""Abstract model (PySD's translator output) to a graph of Python expressions.

Each element of the abstract model becomes a `Node` whose `code` is a Python
expression over other nodes' identifiers. The same text runs on floats (one run)
and on NumPy arrays of shape (N,) (N runs): the helpers it calls (`_max`, `_ramp`,
...) come from a namespace chosen at run time (see `builtins.py`).

Stateful structures (INTEG, SMOOTH*, DELAY*, INITIAL) become `Stateful` records
with their parts (flow, input, delay time, initial value) compiled as hidden
auxiliary nodes, so the engine can integrate them and initialise them in
dependency order, the way PySD does. Anything else raises
`UnsupportedConstructError` naming the construct and the variable: the engine
never guesses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures import abstract_model as am

from regionsoft_sd.batch.names import canon
from regionsoft_sd.batch.subscripts import SubscriptError, Subscripts

CONTROL = {"initial time": "_t0", "final time": "_tf", "time step": "_dt", "saveper": "_saveper"}

# Vensim function (as the translator names it) -> (helper, number of arguments, uses TIME)
FUNCTIONS: dict[str, tuple[str, int, bool]] = {
    "min": ("_min", 2, False),
    "max": ("_max", 2, False),
    "abs": ("_abs", 1, False),
    "exp": ("_exp", 1, False),
    "ln": ("_ln", 1, False),
    "log": ("_log", 2, False),
    "sqrt": ("_sqrt", 1, False),
    "integer": ("_integer", 1, False),
    "modulo": ("_modulo", 2, False),
    "power": ("_power", 2, False),
    "zidz": ("_zidz", 2, False),
    "xidz": ("_xidz", 3, False),
    "if_then_else": ("_ite", 3, False),
    "step": ("_step", 2, True),
    "ramp": ("_ramp", 3, True),
    "pulse": ("_pulse", 2, True),
    "pulse_train": ("_pulse_train", 4, True),
    "quantum": ("_quantum", 2, False),
    "sin": ("_sin", 1, False),
    "cos": ("_cos", 1, False),
    "tan": ("_tan", 1, False),
    "arcsin": ("_arcsin", 1, False),
    "arccos": ("_arccos", 1, False),
    "arctan": ("_arctan", 1, False),
    "sinh": ("_sinh", 1, False),
    "cosh": ("_cosh", 1, False),
    "tanh": ("_tanh", 1, False),
}
_INFIX = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_INFIX.update({"+": "+", "-": "-", "*": "*", "/": "/", "^": "**"})
_LOGIC = {":AND:": "_and", ":OR:": "_or"}
# Precedence orders of PySD's OperationBuilder: an operand is parenthesised when its
# own order is at least the order its position asks for (both non-zero). Copying the
# rule, rather than parenthesising every compound operand, keeps PySD's reading of
# e.g. `-2^2` (a negative literal written `-2.0 ** 2.0`, Python's -(2**2) = -4).
_ORDER = {"^": 1, "*": 2, "/": 2, "+": 3, "-": 3, "negative": 3}
_ORDER.update({op: 4 for op in ("=", "<>", "<", "<=", ">", ">=")})
_ORDER.update({":AND:": 0, ":OR:": 0, ":NOT:": 0})


class InvalidModelError(ValueError):
    """The model file defines something no engine can run (PySD refuses it as well)."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"variable {variable!r}: {problem}")


class UnsupportedConstructError(NotImplementedError):
    """The model uses a Vensim construct the batch engine does not implement."""

    def __init__(self, construct: str, variable: str) -> None:
        self.construct = construct
        self.variable = variable
        super().__init__(
            f"variable {variable!r} uses {construct}, which the batch engine does not "
            "support; run this model with PySD (regionsoft_sd.load_model) instead"
        )


@dataclass
class Node:
    """One value per run: a constant, an auxiliary, a lookup table or a hidden part."""

    key: str  # canonical key (hidden nodes start with '#')
    name: str  # Vensim name, for messages
    ident: str  # Python identifier in generated code
    kind: str  # 'const' | 'aux' | 'lookup' | 'state' (output of a Stateful)
    code: str = ""
    deps: frozenset[str] = frozenset()
    uses_time: bool = False
    value: float | None = None  # literal value of a constant
    units: str = ""
    limits: tuple = (None, None)
    lookup: tuple | None = None  # (x, y, type) for lookup tables
    # ACTIVE INITIAL: the expression used while initialising (stocks' initial values)
    init_code: str | None = None
    init_deps: frozenset[str] | None = None


@dataclass
class Stateful:
    """A stateful builtin; `parts` maps a role to the key of the hidden node computing it."""

    kind: str  # 'integ' | 'smooth' | 'delay' | 'delayn' | 'delayfixed' | 'initial'
    ident: str  # base identifier, states are f"{ident}_{i}"
    owner: str  # Vensim name of the element that holds it
    parts: dict[str, str]
    order: int = 1
    order_part: str | None = None  # key of a node that must equal `order` at run time
    non_negative: bool = False

    @property
    def out_key(self) -> str:
        return "#" + self.ident

    def states(self) -> list[str]:
        """Identifiers of the continuous states it contributes to the integrator."""
        if self.kind in ("integ", "smooth", "delay", "delayn"):
            return [f"{self.ident}_{i}" for i in range(self.order)]
        return []


@dataclass
class Graph:
    """All nodes and statefuls of one model, plus its control values."""

    nodes: dict[str, Node] = field(default_factory=dict)
    statefuls: list[Stateful] = field(default_factory=list)
    control: dict[str, float] = field(default_factory=dict)
    tables: dict[str, object] = field(default_factory=dict)  # ident -> np array for lookups
    arrays: dict[str, list[str]] = field(default_factory=dict)  # subscripted name -> element keys

    def element_keys(self) -> list[str]:
        return [k for k, n in self.nodes.items() if not k.startswith("#")]


class _Ctx:
    """Collects dependencies while one expression is compiled."""

    def __init__(self, builder: _Builder, owner: str, binding: dict | None = None) -> None:
        self.b = builder
        self.owner = owner
        self.binding: dict[str, str] = dict(binding or {})  # subscript range -> element
        self.deps: set[str] = set()
        self.uses_time = False


class _Builder:
    def __init__(self, model: am.AbstractModel) -> None:
        self.model = model
        self.graph = Graph()
        self.counter = 0
        section = model.sections[0]
        try:
            self.subs = Subscripts.from_abstract(section.subscripts)
        except SubscriptError as err:
            raise UnsupportedConstructError(str(err), "the subscript ranges") from None
        self.elements = {canon(e.name): e for e in section.elements}
        self.dims: dict[str, list[str]] = {}  # subscripted element -> its first equation's subs
        for e in section.elements:
            if e.components and e.components[0].subscripts and e.components[0].subscripts[0]:
                self.dims[canon(e.name)] = list(e.components[0].subscripts[0])

    # -- elements -------------------------------------------------------------------------
    def build(self) -> Graph:
        if len(self.model.sections) != 1:
            raise UnsupportedConstructError("macros", self.model.sections[1].name)
        section = self.model.sections[0]
        controls = [e for e in section.elements if isinstance(e, am.AbstractControlElement)]
        for _ in range(len(controls)):  # a control may name another (SAVEPER = TIME STEP)
            for element in controls:
                if canon(element.name) not in self.graph.control:
                    self._control(element, final=False)
        for element in controls:
            self._control(element, final=True)
        for element in section.elements:
            if not isinstance(element, am.AbstractControlElement):
                self._element(element)
        return self.graph

    def _control(self, element: am.AbstractElement, final: bool) -> None:
        key = canon(element.name)
        ast = element.components[0].ast
        if not isinstance(ast, (int, float)):
            ref = getattr(ast, "reference", None)
            other = self.graph.control.get(canon(ref)) if ref else None
            if other is None:
                if final:
                    raise UnsupportedConstructError("a non-numeric control variable", element.name)
                return
            ast = other
        self.graph.control[key] = float(ast)

    def _element(self, element: am.AbstractElement) -> None:
        name = element.name
        comps = element.components
        if any(isinstance(c, am.AbstractData) for c in comps):
            raise UnsupportedConstructError("a data variable", name)
        if canon(name) not in self.dims:
            if len(comps) != 1:
                raise UnsupportedConstructError("several equations without subscripts", name)
            self._node(element, comps[0], canon(name), name, {}, comps[0].ast)
            return
        instances: dict[tuple[str, ...], tuple] = {}
        for comp in comps:
            subs, excepts = comp.subscripts
            try:
                combos = self.subs.combos(list(subs), list(excepts or []))
            except SubscriptError as err:
                raise UnsupportedConstructError(f"subscripts ({err})", name) from None
            for combo in combos:
                instances[combo] = (comp, list(subs))
        if len({len(c) for c in instances}) > 1:
            raise UnsupportedConstructError("equations with different numbers of subscripts", name)
        width = len(next(iter(instances)))
        orders = [self.subs.order({c[i] for c in instances}) for i in range(width)]
        combos = sorted(instances, key=lambda c: [orders[i].index(e) for i, e in enumerate(c)])
        keys = []
        for combo in combos:
            comp, subs = instances[combo]
            key = f"{canon(name)}[{','.join(combo)}]"
            ast = comp.ast
            if isinstance(ast, np.ndarray):
                ast = self._array_value(ast, subs, combo, name)
            binding = self.subs.binding(subs, combo)
            self._node(element, comp, key, name + self.subs.label(combo), binding, ast)
            keys.append(key)
        self.graph.arrays[canon(name)] = keys

    def _array_value(self, values: np.ndarray, subs: list[str], combo: tuple, name: str) -> float:
        """The entry of a constant array (`1, 2; 3, 4;`) for one element tuple."""
        positions = [self.subs.elements_of(s) for s in subs]
        try:
            table = np.asarray(values, dtype=float).reshape([len(p) for p in positions])
        except ValueError:
            raise InvalidModelError(
                name, f"its {values.size} values do not fill its subscripts {subs}"
            ) from None
        return float(table[tuple(p.index(e) for p, e in zip(positions, combo, strict=True))])

    def _node(self, element, comp, key: str, label: str, binding: dict, ast: object) -> None:
        """One node: a constant, a lookup table or an auxiliary (one element of an array)."""
        ident = f"v{len(self.graph.nodes)}"
        node = Node(key, label, ident, "aux", units=element.units or "", limits=element.limits)
        if isinstance(ast, (int, float, np.floating, np.integer)) and not isinstance(ast, bool):
            node.kind, node.value, node.code = "const", float(ast), _number(ast)
        elif isinstance(ast, ae.LookupsStructure):
            node.kind = "lookup"
            node.lookup = self._table(ast, label)
        else:
            ctx = _Ctx(self, label, binding)
            node.code = self.emit(ast, ctx)
            node.deps, node.uses_time = frozenset(ctx.deps), ctx.uses_time
        self.graph.nodes[key] = node

    def _table(self, ast: ae.LookupsStructure, owner: str) -> tuple:
        """(x, y, kind) sorted by x, as PySD sorts; a repeated x is refused, as PySD does."""
        if ast.type not in ("interpolate", "hold_backward"):
            raise UnsupportedConstructError(f"a lookup of type {ast.type!r}", owner)
        if len(ast.x) != len(ast.y):
            raise InvalidModelError(
                owner, f"its lookup has {len(ast.x)} x values and {len(ast.y)} y values"
            )
        xs = [float(x) for x in ast.x]
        if len(set(xs)) != len(xs):
            repeated = sorted({x for x in xs if xs.count(x) > 1})
            raise InvalidModelError(
                owner,
                f"its lookup repeats the x value {repeated[0]:g} (PySD refuses it too); "
                "give each x once",
            )
        if any(math.isnan(x) for x in xs):
            raise InvalidModelError(owner, "its lookup has an x value that is not a number")
        pairs = sorted(zip(xs, (float(y) for y in ast.y), strict=True))
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), ast.type

    # -- expressions ----------------------------------------------------------------------
    def hidden(self, ast: object, ctx: _Ctx, role: str, ident: str) -> str:
        """Compile `ast` into a hidden auxiliary node and return its key."""
        sub = _Ctx(self, ctx.owner, ctx.binding)
        code = self.emit(ast, sub)
        key = f"#{ident}_{role}"
        node = Node(key, f"{ctx.owner} ({role})", f"{ident}_{role}", "aux", code)
        node.deps, node.uses_time = frozenset(sub.deps), sub.uses_time
        self.graph.nodes[key] = node
        return key

    def stateful(self, ast: object, ctx: _Ctx) -> str:
        ident = f"s{self.counter}"
        self.counter += 1
        parts: dict[str, object]
        kind, order, order_ast, non_neg = "", 1, None, False
        if isinstance(ast, ae.IntegStructure):
            kind, parts, non_neg = (
                "integ",
                {"flow": ast.flow, "init": ast.initial},
                ast.non_negative,
            )
        elif isinstance(ast, ae.InitialStructure):
            kind, parts = "initial", {"init": ast.initial}
        elif isinstance(ast, (ae.SmoothStructure, ae.SmoothNStructure)):
            kind, order_ast = "smooth", ast.order
            parts = {"input": ast.input, "time": ast.smooth_time, "init": ast.initial}
        elif isinstance(ast, (ae.DelayStructure, ae.DelayNStructure)):
            kind = "delayn" if isinstance(ast, ae.DelayNStructure) else "delay"
            order_ast = ast.order
            parts = {"input": ast.input, "time": ast.delay_time, "init": ast.initial}
        else:  # DelayFixedStructure
            kind = "delayfixed"
            parts = {"input": ast.input, "time": ast.delay_time, "init": ast.initial}
        if non_neg:
            raise UnsupportedConstructError("a non-negative INTEG", ctx.owner)
        keys = {role: self.hidden(a, ctx, role, ident) for role, a in parts.items()}
        order_part = None
        if order_ast is not None:
            order, order_part = self._order(order_ast, ctx, ident)
        sf = Stateful(kind, ident, ctx.owner, keys, order, order_part)
        self.graph.statefuls.append(sf)
        out = Node(sf.out_key, f"{ctx.owner} ({kind})", ident, "state")
        if kind == "delay":  # output = last stage / delay time, as PySD's Delay
            out.deps = frozenset({keys["time"]})
        self.graph.nodes[sf.out_key] = out
        return sf.out_key

    def _order(self, order_ast: object, ctx: _Ctx, ident: str) -> tuple[int, str | None]:
        """The order of a SMOOTH N / DELAY N must be known when the code is generated."""
        if isinstance(order_ast, (int, float)):
            return int(order_ast), None
        ref = canon(getattr(order_ast, "reference", "") or "")
        node = self.graph.nodes.get(ref)
        if node is None:  # defined later in the file: look it up in the abstract model
            for element in self.model.sections[0].elements:
                if canon(element.name) == ref and isinstance(
                    element.components[0].ast, (int, float)
                ):
                    return int(element.components[0].ast), self.hidden(
                        order_ast, ctx, "order", ident
                    )
        elif node.kind == "const":
            return int(node.value), self.hidden(order_ast, ctx, "order", ident)
        raise UnsupportedConstructError("an order that is not a constant", ctx.owner)

    def emit(self, ast: object, ctx: _Ctx) -> str:  # noqa: C901 - one branch per AST class
        if isinstance(ast, bool):
            return "1.0" if ast else "0.0"
        if isinstance(ast, (int, float)):
            return _number(ast)
        if isinstance(ast, ae.ReferenceStructure):
            return self._reference(ast, ctx)
        if isinstance(ast, (ae.ArithmeticStructure, ae.LogicStructure)):
            return self._operation(ast, ctx)
        if isinstance(ast, ae.CallStructure):
            return self._call(ast, ctx)
        if isinstance(ast, ae.InlineLookupsStructure):
            xs, ys, kind = self._table(ast.lookups, ctx.owner)
            # PySD writes WITH LOOKUP as np.interp (NaN stays NaN), not as a table
            table = (xs, ys, "inline" if kind == "interpolate" else kind)
            tid = f"_tab{len(self.graph.tables)}"
            self.graph.tables[tid] = table
            return f"_lookup({self.emit(ast.argument, ctx)}, _T[{tid!r}])"
        if isinstance(ast, _STATEFUL):
            key = self.stateful(ast, ctx)
            ctx.deps.add(key)
            return self.graph.nodes[key].ident
        construct = _NAMES.get(type(ast), type(ast).__name__)
        raise UnsupportedConstructError(construct, ctx.owner)

    def _reference(self, ast: ae.ReferenceStructure, ctx: _Ctx) -> str:
        key = self._resolve(ast, ctx)
        if key == "time":
            ctx.uses_time = True
            return "t"
        if key in CONTROL:
            return CONTROL[key]
        if key not in self.elements and "[" not in key and key in self.subs.values:
            # a subscript range (at the bound element) or an element used as a value: the
            # element's position in its main range (see subscripts.py), as PySD and Vensim
            if key in self.subs.ranges:
                if key not in ctx.binding:
                    raise UnsupportedConstructError(
                        f"the subscript range {ast.reference!r}", ctx.owner
                    )
                element = ctx.binding[key]
            else:
                element = key
            try:
                return _number(self.subs.value(key, element))
            except SubscriptError as err:
                raise UnsupportedConstructError(str(err), ctx.owner) from None
        ctx.deps.add(key)
        return _ident_placeholder(key)

    def _resolve(self, ast: ae.ReferenceStructure, ctx: _Ctx) -> str:
        """Key of the node a reference names: one element of a subscripted variable."""
        key = canon(ast.reference)
        subs = getattr(ast.subscripts, "subscripts", None)
        if not subs:
            if key in self.dims:  # the whole array: each range must be bound on the left
                subs = self.dims[key]
                if not all(canon(s) in ctx.binding or not self.subs.is_range(s) for s in subs):
                    raise UnsupportedConstructError(
                        f"{ast.reference!r} without subscripts (an array where one value "
                        "is needed)",
                        ctx.owner,
                    )
            else:
                return key
        if key not in self.dims:
            raise UnsupportedConstructError(
                f"subscripts on {ast.reference!r}, which has none", ctx.owner
            )
        try:
            elements = [self.subs.resolve(s, ctx.binding) for s in subs]
        except SubscriptError as err:
            raise UnsupportedConstructError(f"subscripts ({err})", ctx.owner) from None
        return f"{key}[{','.join(elements)}]"

    def _reduce(self, fname: str, ast: object, ctx: _Ctx) -> str:
        """SUM/PROD/VMIN/VMAX: the argument once per element of its `range!` subscripts."""
        bangs = _bang_ranges(ast)
        if not bangs:
            return self.emit(ast, ctx)
        unknown = [b for b in bangs if b[:-1] not in self.subs.ranges]
        if unknown:
            raise UnsupportedConstructError(f"the subscript {unknown[0]!r}", ctx.owner)
        parts = [
            self._with(ctx, dict(zip(bangs, combo, strict=True)), ast)
            for combo in product(*[self.subs.ranges[b[:-1]] for b in bangs])
        ]
        if fname in ("sum", "prod"):
            op = " + " if fname == "sum" else " * "
            return "(" + op.join(f"({p})" for p in parts) + ")"
        helper = "_min" if fname == "vmin" else "_max"
        out = parts[0]
        for p in parts[1:]:
            out = f"{helper}({out}, {p})"
        return out

    def _with(self, ctx: _Ctx, extra: dict[str, str], ast: object) -> str:
        """`ast` compiled with more subscripts bound (a reduction's `range!`)."""
        saved = ctx.binding
        ctx.binding = {**saved, **extra}
        try:
            return self.emit(ast, ctx)
        finally:
            ctx.binding = saved

    def _vector_select(self, ast: ae.CallStructure, ctx: _Ctx) -> str:
        """VECTOR SELECT(selection[range!], expression[range!], missing, action, error)."""
        sel, expr, missing, action, error = ast.arguments
        if error not in (0, 0.0):
            raise UnsupportedConstructError("VECTOR SELECT with an error action", ctx.owner)
        bangs = list(dict.fromkeys(_bang_ranges(sel) + _bang_ranges(expr)))
        if not bangs:
            raise UnsupportedConstructError("VECTOR SELECT without a range! subscript", ctx.owner)
        # as PySD (xarray): both arrays spread over every range! of either, then reduced
        combos = list(product(*[self.subs.ranges[b[:-1]] for b in bangs]))
        sels = [self._with(ctx, dict(zip(bangs, c, strict=True)), sel) for c in combos]
        exprs = [self._with(ctx, dict(zip(bangs, c, strict=True)), expr) for c in combos]
        return (
            f"_vector_select({self.emit(action, ctx)}, {self.emit(missing, ctx)}, "
            f"({', '.join(sels)},), ({', '.join(exprs)},))"
        )

    def _operation(self, ast: ae.ArithmeticStructure | ae.LogicStructure, ctx: _Ctx) -> str:
        """Operators as PySD's OperationBuilder writes them: a flat Python string built
        right to left, operands parenthesised by PySD's order rule (`_ORDER`), so
        Python's precedence and associativity apply exactly as in PySD's code."""
        ops = list(ast.operators)
        unknown = [op for op in ops if op not in _ORDER]
        if unknown:
            raise UnsupportedConstructError(f"the operator {unknown[0]!r}", ctx.owner)
        args = [(self.emit(a, ctx), _order_of(a)) for a in ast.arguments]
        order = _ORDER[ops[-1]]
        if len(args) == 1:
            code = _lowered(*args[0], order)
            if ops == ["negative"]:
                return f"-{code}"
            if ops == [":NOT:"]:
                return f"_not({code})"
            raise UnsupportedConstructError(f"the operator {ops[0]!r}", ctx.owner)
        out = _lowered(*args.pop(), 2 if ops[-1] == "^" else order)
        while ops:
            op = ops.pop()
            left = _lowered(*args.pop(), order)
            logic = op in _LOGIC
            out = f"{_LOGIC[op]}({left}, {out})" if logic else f"{left} {_INFIX[op]} {out}"
        return out

    def _call(self, ast: ae.CallStructure, ctx: _Ctx) -> str:
        fname = canon(ast.function.reference).replace(" ", "_")
        base = canon(ast.function.reference)
        element = self.elements.get(base)
        lookup = element is not None and any(
            isinstance(c.ast, ae.LookupsStructure) for c in element.components
        )
        if lookup:
            if len(ast.arguments) != 1:
                raise UnsupportedConstructError("a lookup call without one argument", ctx.owner)
            key = self._resolve(ast.function, ctx)
            ctx.deps.add(key)
            return f"_lookup({self.emit(ast.arguments[0], ctx)}, {_ident_placeholder(key)})"
        if fname in ("sum", "prod", "vmin", "vmax") and len(ast.arguments) == 1:
            return self._reduce(fname, ast.arguments[0], ctx)
        if fname == "elmcount" and len(ast.arguments) == 1:
            ref = canon(getattr(ast.arguments[0], "reference", "") or "")
            if ref not in self.subs.ranges:
                raise UnsupportedConstructError("ELMCOUNT of something not a range", ctx.owner)
            return _number(len(self.subs.ranges[ref]))
        if fname == "vector_select" and len(ast.arguments) == 5:
            return self._vector_select(ast, ctx)
        if fname == "active_initial" and len(ast.arguments) == 2:
            return self._active_initial(ast, ctx)
        if fname not in FUNCTIONS:
            raise UnsupportedConstructError(
                f"the function {fname.upper().replace('_', ' ')}", ctx.owner
            )
        helper, nargs, uses_time = FUNCTIONS[fname]
        if len(ast.arguments) != nargs:
            raise UnsupportedConstructError(
                f"{fname.upper()} with {len(ast.arguments)} arguments", ctx.owner
            )
        args = [self.emit(a, ctx) for a in ast.arguments]
        if uses_time:
            ctx.uses_time = True
            args = ["t", "_dt", *args] if fname == "step" else ["t", *args]
        return f"{helper}({', '.join(args)})"

    def _active_initial(self, ast: ae.CallStructure, ctx: _Ctx) -> str:
        """ACTIVE INITIAL(expr, init): `init` while initialising, `expr` afterwards.

        As in PySD: stocks and INITIALs initialise from `init`; every saved value,
        including the one at INITIAL TIME, is `expr`. The hidden node is always
        recomputed during the run, so nothing that depends on it is frozen at `init`.
        """
        ident = f"a{self.counter}"
        self.counter += 1
        key = self.hidden(ast.arguments[0], ctx, "active", ident)
        init = _Ctx(self, ctx.owner, ctx.binding)
        node = self.graph.nodes[key]
        node.init_code = self.emit(ast.arguments[1], init)
        node.init_deps = frozenset(init.deps)
        node.uses_time = True  # recomputed every step (its value differs from `init`)
        ctx.deps.add(key)
        return _ident_placeholder(key)


_STATEFUL = (
    ae.IntegStructure,
    ae.InitialStructure,
    ae.SmoothStructure,
    ae.SmoothNStructure,
    ae.DelayStructure,
    ae.DelayNStructure,
    ae.DelayFixedStructure,
)
_NAMES = {
    ae.TrendStructure: "TREND",
    ae.ForecastStructure: "FORECAST",
    ae.SampleIfTrueStructure: "SAMPLE IF TRUE",
    ae.GameStructure: "GAME",
    ae.AllocateAvailableStructure: "ALLOCATE AVAILABLE",
    ae.AllocateByPriorityStructure: "ALLOCATE BY PRIORITY",
    ae.GetDataStructure: "GET DATA",
    ae.GetLookupsStructure: "GET LOOKUPS",
    ae.GetConstantsStructure: "GET CONSTANTS",
    ae.DataStructure: "a data variable",
    ae.LookupsStructure: "a lookup table inside an expression",
}


def _bang_ranges(node: object) -> list[str]:
    """`range!` subscripts in `node`, in order, outside nested reductions."""
    out: list[str] = []
    if isinstance(node, ae.CallStructure) and canon(node.function.reference) in (
        "sum",
        "prod",
        "vmin",
        "vmax",
        "vector select",
    ):
        return out
    if isinstance(node, ae.ReferenceStructure):
        for sub in getattr(node.subscripts, "subscripts", None) or []:
            key = canon(sub)
            if key.endswith("!") and key not in out:
                out.append(key)
        return out
    if isinstance(node, (list, tuple)):
        items = node
    else:
        fields = getattr(node, "__dataclass_fields__", None) or {}
        items = [getattr(node, f) for f in fields]
    for item in items:
        for key in _bang_ranges(item):
            if key not in out:
                out.append(key)
    return out


def _order_of(ast: object) -> int:
    """PySD's order of an operand's built expression (0: never parenthesised)."""
    if isinstance(ast, (ae.ArithmeticStructure, ae.LogicStructure)):
        if len(ast.arguments) == 1:
            return 1 if list(ast.operators) == ["negative"] else 0
        return _ORDER.get(ast.operators[-1], 0)
    return 0


def _lowered(code: str, order: int, wanted: int) -> str:
    """PySD's `lower_order`: parenthesise when the operand binds no tighter than asked."""
    if order >= wanted and order != 0 and wanted != 0:
        return f"({code})"
    return code


def _number(value: float) -> str:
    """A literal as Python source; :NA: (NaN) and infinities get names, not `nan`/`inf`."""
    value = float(value)
    if math.isnan(value):
        return "_nan"
    if math.isinf(value):
        return "_inf" if value > 0 else "(-_inf)"
    return repr(value)


def _ident_placeholder(key: str) -> str:
    """Identifiers are resolved after all elements exist (forward references)."""
    return "{" + key + "}"


def build_graph(model: am.AbstractModel) -> Graph:
    """Compile every element of `model` into a `Graph` of Python expressions.

    Raises `UnsupportedConstructError` for anything outside the supported subset and
    `KeyError` for a reference to an element the model does not define.
    """
    graph = _Builder(model).build()
    idents = {key: node.ident for key, node in graph.nodes.items()}
    for node in graph.nodes.values():
        missing = [d for d in node.deps if d not in idents]
        if missing:
            raise KeyError(f"variable {node.name!r} refers to undefined {missing[0]!r}")
        missing = [d for d in node.init_deps or () if d not in idents]
        if missing:
            raise KeyError(f"variable {node.name!r} refers to undefined {missing[0]!r}")
        if node.code and "{" in node.code:
            node.code = _resolve(node.code, idents)
        if node.init_code and "{" in node.init_code:
            node.init_code = _resolve(node.init_code, idents)
    return graph


def _resolve(code: str, idents: dict[str, str]) -> str:
    out, i = [], 0
    while True:
        j = code.find("{", i)
        if j < 0:
            out.append(code[i:])
            return "".join(out)
        k = code.index("}", j)
        out.append(code[i:j])
        out.append(idents[code[j + 1 : k]])
        i = k + 1
