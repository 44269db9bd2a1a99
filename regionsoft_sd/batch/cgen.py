"""A `Plan` rendered as one C function that integrates a range of runs.

The kernel works on blocks of `LANES` runs. Per block it gathers the runs'
parameters, runs the init part of the plan once (one lane per run), then every
step evaluates the step part for all lanes in one `#pragma omp simd` loop: each
auxiliary is a local variable, i.e. a vector register, and gcc calls glibc's
vector maths library (libmvec) for exp/log/sin/... Lanes never interact and a
block always has `LANES` lanes (a short block repeats its last run), so a run's
result does not depend on N, the chunk size, the thread count or its position.

Semantics follow the NumPy engine (IEEE arithmetic, NaN-propagating MIN/MAX,
np.interp's lookup formula, np.mod for PULSE TRAIN). Powers are the one place
where the arithmetic is rearranged: x^a = exp(a * ln|x|) with the sign, zero and
NaN cases of pow() restored by selects, and a product of powers takes one exp
of the sum of logarithms, each logarithm computed once per step ("shared
logarithms"). That keeps results within a few ulp of pow(), not bit-identical.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from regionsoft_sd.batch.codegen import Plan, _deriv_lines, _step_lines

LANES = 8  # runs per block; a multiple of every vector width (AVX-512: 8 doubles)

# glibc's libmvec has vector variants of these (glibc >= 2.35 for the hyperbolic and
# inverse functions); declaring them `omp declare simd` lets gcc call them without
# -ffast-math, which would also change the arithmetic.
_VECTOR_MATH = ("exp", "log", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh")
_C_FUNCS = {
    "_exp": "exp",
    "_ln": "log",
    "_sqrt": "sqrt",
    "_abs": "fabs",
    "_integer": "trunc",
    "_power": "pow",
    "_sin": "sin",
    "_cos": "cos",
    "_tan": "tan",
    "_arcsin": "asin",
    "_arccos": "acos",
    "_arctan": "atan",
    "_sinh": "sinh",
    "_cosh": "cosh",
    "_tanh": "tanh",
    "_min": "rs_min",
    "_max": "rs_max",
    "_log": "rs_log",
    "_modulo": "rs_modulo",
    "_quantum": "rs_quantum",
    "_zidz": "rs_zidz",
    "_xidz": "rs_xidz",
    "_ite": "rs_ite",
    "_and": "rs_and",
    "_or": "rs_or",
    "_not": "rs_not",
    "_step": "rs_step",
    "_ramp": "rs_ramp",
    "_pulse": "rs_pulse",
    "_pulse_train": "rs_pulse_train",
}
_VENSIM = {"_vector_select": "VECTOR SELECT"}  # what the C renderer lacks, as users write it
_NAMES = {"_nan": "NAN", "_inf": "INFINITY", "_dt": "DT", "_t0": "T0", "_tf": "TF"}
_NAMES["_saveper"] = "SAVEPER"
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}

PRELUDE = r"""
#include <math.h>
#include <stdlib.h>
#define LANES %(lanes)d
#define SMALL 1e-6
#define INL static inline __attribute__((always_inline))
#ifndef RS_NO_MVEC
%(vector_math)s
#endif
INL double rs_min(double a, double b) { return (a <= b || a != a) ? a : b; }
INL double rs_max(double a, double b) { return (a >= b || a != a) ? a : b; }
INL double rs_log(double a, double b) { return log(a) / log(b); }
INL double rs_quantum(double x, double m) { return m < SMALL ? x : m * trunc(x / m); }
INL double rs_modulo(double x, double m) { return x - rs_quantum(x, m); }
INL double rs_zidz(double n, double d) { return fabs(d) < SMALL ? 0.0 : n / d; }
INL double rs_xidz(double n, double d, double x) { return fabs(d) < SMALL ? x : n / d; }
INL double rs_ite(double c, double a, double b) { return c != 0 ? a : b; }
INL double rs_and(double a, double b) { return (double)((a != 0) & (b != 0)); }
INL double rs_or(double a, double b) { return (double)((a != 0) | (b != 0)); }
INL double rs_not(double a) { return (double)(a == 0); }
INL double rs_step(double t, double dt, double value, double tstep) {
    return value * (double)(t + dt / 2 > tstep);
}
INL double rs_ramp(double t, double slope, double start, double finish) {
    return (double)(t + SMALL > start) * slope * (rs_min(finish, t) - start);
}
INL double rs_pulse(double t, double start, double width) {
    return (double)((start - SMALL <= t) & (t < start + width));
}
INL double rs_pymod(double a, double b) {  /* np.mod / Python %%: the sign of the divisor */
    double m = fmod(a, b);
    if (b == 0) return m;
    if (m != 0) { if ((b < 0) != (m < 0)) m += b; } else m = copysign(0.0, b);
    return m;
}
INL double rs_pulse_train(double t, double start, double repeat, double width, double end) {
    double single = (double)((start - SMALL <= t) & (t < start + width));
    int active = (start <= t) & (t < end);
    double train = (double)(active & (rs_pymod(t - start + SMALL, repeat) < width));
    return repeat == 0 ? single : train;
}
INL double rs_interp(double x, const double *xs, const double *ys, const int n) {
    /* np.interp, branch-free: clamped ends, exact at the points, else
       slope * (x - xs[j]) + ys[j] with xs[j] <= x < xs[j + 1]; NaN gives ys[0], as PySD */
    if (n == 1) return ys[0];
    int j = 0;
    _Pragma("GCC unroll 128")  /* no inner loop left: the lane loop stays vectorised */
    for (int i = 1; i < n - 1; i++) j += (x >= xs[i]);
    const double x0 = xs[j], y0 = ys[j];
    const double slope = (ys[j + 1] - y0) / (xs[j + 1] - x0);
    const double mid = x0 == x ? y0 : slope * (x - x0) + y0;
    return x >= xs[n - 1] ? ys[n - 1] : (x <= xs[0] || x != x ? ys[0] : mid);
}
INL double rs_interp_inline(double x, const double *xs, const double *ys, const int n) {
    /* WITH LOOKUP: PySD calls np.interp directly, so NaN stays NaN */
    return x != x ? x : rs_interp(x, xs, ys, n);
}
INL double rs_hold(double x, const double *xs, const double *ys, const int n) {
    /* hold backward: the last point at or before x (the first before xs[0]; NumPy's
       searchsorted puts NaN after every point) */
    int j = 0;
    _Pragma("GCC unroll 128")
    for (int i = 1; i < n; i++) j += (x >= xs[i]);
    return ys[x != x ? n - 1 : j];
}
INL double rs_powfix(double x, double a) {
    /* the factor pow(x, a) / exp(a * log|x|): -1 for a negative base (or -0) and an
       odd integer a, NaN for a negative base and a non-integer a, else 1. Only
       double-valued selects (copysign, not signbit): gcc keeps the loop vectorised */
    const double whole = a == trunc(a) ? 1.0 : 0.0;
    const double odd = (whole != 0 && a * 0.5 != trunc(a * 0.5)) ? -1.0 : 1.0;
    return copysign(1.0, x) < 0 ? (odd < 0 ? -1.0 : ((whole != 0 || x == 0) ? 1.0 : NAN)) : 1.0;
}
INL double rs_powexp(double a, double lx, double x) {
    /* a * log|x|, with pow's exact cases: x^0 = 1 and 1^a = 1 (even for NaN) */
    return (a == 0 || x == 1) ? 0.0 : a * lx;
}
"""


@dataclass
class CKernel:
    """Generated C source and the order of its inputs and outputs."""

    source: str
    params: list[str]  # keys of per-run parameters, in `par` order
    series: list[str]  # keys of series inputs, in `ser` order
    records: list[str]
    rk4: bool


class Unsupported(Exception):
    """The plan uses something the C renderer does not translate (NumPy runs it)."""


def c_kernel(p: Plan, control: dict[str, float], tables: dict, method: str) -> CKernel:
    """Render `p` as the C function `rs_run` (see the module docstring).

    `tables` maps lookup keys and inline table ids to (x, y, kind). Raises
    `Unsupported` for anything outside the translated subset.
    """
    return _Writer(p, control, tables, method == "rk4").kernel()


class _Writer:
    def __init__(self, p: Plan, control: dict[str, float], tables: dict, rk4: bool) -> None:
        self.p = p
        self.control = control
        self.rk4 = rk4
        self.params = sorted(p.params)
        self.series = sorted(p.series)
        self.tables: dict[str, str] = {}  # table key -> C name
        self.table_defs: list[str] = []
        self.all_tables = tables
        self.lookup_idents = {n.ident: k for k, n in p.nodes.items() if n.kind == "lookup"}
        self.exact = True  # once-per-run code: pow() as NumPy; False in the step loop
        self.logs: dict[str, str] = {}  # base C text -> name of its shared log, per scope
        self.log_lines: list[str] = []

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, code: str) -> str:
        return self._c(ast.parse(code, mode="eval").body)

    def _c(self, node: ast.AST) -> str:  # noqa: C901 - one branch per Python node type
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise Unsupported(f"constant {node.value!r}")
            return _c_float(float(node.value))
        if isinstance(node, ast.Name):
            return _NAMES.get(node.id, node.id)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return f"(-{self._c(node.operand)})"
            if isinstance(node.op, ast.UAdd):
                return self._c(node.operand)
            raise Unsupported(type(node.op).__name__)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                if self.exact:
                    return f"pow({self._c(node.left)}, {self._c(node.right)})"
                return self._product([node], [])
            if isinstance(node.op, ast.Mult) and not self.exact:
                factors = _factors(node)
                pows = [f for f in factors if _is_pow(f)]
                if len(pows) >= 2:
                    return self._product(pows, [f for f in factors if not _is_pow(f)])
            op = _BIN.get(type(node.op))
            if op is None:
                raise Unsupported(type(node.op).__name__)
            return f"({self._c(node.left)} {op} {self._c(node.right)})"
        if isinstance(node, ast.Compare):
            parts, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                parts.append(f"({self._c(left)} {_CMP[type(op)]} {self._c(right)})")
                left = right
            return f"((double)({' & '.join(parts)}))"
        if isinstance(node, ast.Subscript):
            return self._input(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise Unsupported(type(node).__name__)

    def _input(self, node: ast.Subscript) -> str:
        if isinstance(node.value, ast.Name) and node.value.id == "P":
            key = node.slice.value  # type: ignore[attr-defined]
            if key in self.params:
                return f"p_{self.params.index(key)}"
        raise Unsupported(ast.unparse(node))

    def _call(self, node: ast.Call) -> str:
        func = node.func
        if isinstance(func, ast.Subscript):  # P['key'](t): a series
            key = func.slice.value  # type: ignore[attr-defined]
            if key in self.series:
                return f"q_{self.series.index(key)}"
            raise Unsupported(ast.unparse(node))
        name = func.id if isinstance(func, ast.Name) else ""
        if name == "_lookup":
            x, table = node.args
            return self._lookup(self._c(x), table)
        if name == "_power" and not self.exact:
            return self._product([node], [])
        if name not in _C_FUNCS:
            raise Unsupported(_VENSIM.get(name, f"the helper {name}"))
        args = ", ".join(self._c(a) for a in node.args)
        return f"{_C_FUNCS[name]}({args})"

    def _lookup(self, x: str, table: ast.AST) -> str:
        if isinstance(table, ast.Name) and table.id in self.lookup_idents:
            key = self.lookup_idents[table.id]  # a lookup element, by its identifier
        elif (
            isinstance(table, ast.Subscript)
            and isinstance(table.value, ast.Name)
            and table.value.id == "_T"
        ):
            key = table.slice.value  # type: ignore[attr-defined]  # an inline table
        else:
            raise Unsupported(ast.unparse(table))
        if key not in self.tables:
            xs, ys, kind = self.all_tables[key]
            name = f"TAB{len(self.tables)}"
            self.tables[key] = name
            self.table_defs.append(
                f"static const double {name}_X[] = {{{', '.join(map(_c_float, xs))}}};\n"
                f"static const double {name}_Y[] = {{{', '.join(map(_c_float, ys))}}};\n"
                f"#define {name}_N {len(xs)}\n#define {name}_F "
                + {"interpolate": "rs_interp", "inline": "rs_interp_inline"}.get(kind, "rs_hold")
            )
        name = self.tables[key]
        return f"{name}_F({x}, {name}_X, {name}_Y, {name}_N)"

    # -- powers ---------------------------------------------------------------------------------
    def _product(self, pows: list[ast.AST], others: list[ast.AST]) -> str:
        """x1^a1 * ... * xk^ak * others, with one exp of the sum of shared logarithms.

        Once-per-run code (`self.exact`) never comes here: it calls pow() in place,
        as NumPy does, so a run constant such as 2^3 is exactly 8 (an integer
        exponent stays one) and the order of the arithmetic is NumPy's.
        """
        simple, terms, fixes = [], [], []
        for node in pows:
            base, expo = (node.left, node.right) if isinstance(node, ast.BinOp) else node.args
            x, a = self._c(base), self._c(expo)
            literal = _literal(expo)
            if literal is not None and literal in (0.0, 0.5, 1.0, 2.0, -1.0):
                # NumPy's own fast paths for these exponents (x*x, sqrt, 1/x)
                simple.append(
                    {0.0: "1.0", 0.5: f"sqrt({x})", 1.0: x, 2.0: f"({x} * {x})"}.get(
                        literal, f"(1.0 / {x})"
                    )
                )
                continue
            lx = self._log(x)
            terms.append(f"rs_powexp({a}, {lx}, {x})")
            if literal is not None and literal == int(literal):  # sign only: no NaN case
                if int(literal) % 2:
                    fixes.append(f"copysign(1.0, {x})")  # the sign of x, -0 included
            elif literal is None or literal != int(literal):
                fixes.append(f"rs_powfix({x}, {a})")
        parts = [*simple, *fixes, *(self._c(o) for o in others)]
        if terms:
            parts.append(f"exp({' + '.join(terms)})")
        return "(" + " * ".join(parts) + ")" if len(parts) > 1 else parts[0]

    def _log(self, x: str) -> str:
        if x not in self.logs:
            name = f"L{len(self.logs)}"
            self.logs[x] = name
            self.log_lines.append(f"const double {name} = log(fabs({x}));")
        return self.logs[x]

    def _flush_logs(self) -> list[str]:
        """Shared logarithms computed so far, to insert before the statement using them."""
        out, self.log_lines = self.log_lines, []
        return out

    def _statement(self, target: str, code: str, declare: bool = True) -> list[str]:
        value = self.expr(code)
        lead = "const double " if declare else ""
        return [*self._flush_logs(), f"{lead}{target} = {value};"]

    # -- the kernel -----------------------------------------------------------------------------
    def kernel(self) -> CKernel:
        p = self.p
        step_idents = {p.nodes[k].ident for k in p.step_order}
        init_lines, stored = self._init_part(step_idents)
        self.logs = {}
        self.exact = False
        loads = [f"const double {name} = B[{i}][l];" for i, name in enumerate(stored)]
        step_body = self._step_body(step_idents)
        n_states = len(p.states)
        discrete = p.discrete
        tnames = [
            f"{sf.ident}_T{i}" for sf in discrete if sf.kind == "delayn" for i in range(sf.order)
        ]
        dfixed = [sf for sf in discrete if sf.kind == "delayfixed"]
        ndq = len(tnames) + len(dfixed)
        lines = [
            PRELUDE
            % {
                "lanes": LANES,
                "vector_math": "\n".join(
                    f"#pragma omp declare simd notinbranch\nextern double {f}(double);"
                    for f in _VECTOR_MATH
                ),
            },
            f"#define T0 {_c_float(self.control['initial time'])}",
            f"#define TF {_c_float(self.control['final time'])}",
            f"#define DT {_c_float(self.control['time step'])}",
            f"#define SAVEPER {_c_float(self.control.get('saveper', self.control['time step']))}",
            *self.table_defs,
            "int rs_run(const long r0, const long r1, const long nsteps,",
            "           const double *const *par, const long *par_rs,",
            "           const double *const *ser, const long *ser_es, const long *ser_rs,",
            "           const double *evt, const long *save_row,",
            "           double *const *out, const long *out_rs) {",
            f"  enum {{ NB = {max(len(stored), 1)}, NS = {max(n_states, 1)}, "
            f"NR = {max(len(p.records), 1)}, NQ = {max(ndq, 1)}, "
            f"NT = {max(len(tnames), 1)}, NF = {max(len(dfixed), 1)}, "
            f"NP = {max(len(self.params), 1)} }};",
            "  for (long b = r0; b < r1; b += LANES) {",
            "    long run[LANES];",
            "    const long valid = r1 - b < LANES ? r1 - b : LANES;",
            "    for (int l = 0; l < LANES; l++) run[l] = l < valid ? b + l : r1 - 1;",
            "    double B[NB][LANES], S[NS][LANES], R[NR][LANES], Q[NQ][LANES];",
            "    double TP[NT][LANES], DFS[NF][LANES], PAR[NP][LANES];",
            "    int DFO[NF][LANES], DFP[NF][LANES], ERR[LANES];",
            "    double *DFB[NF];",
            f"    for (int i = 0; i < {len(self.params)}; i++)",
            "      for (int l = 0; l < LANES; l++) PAR[i][l] = par[i][run[l] * par_rs[i]];",
            "    {",
            "      double TT[1][LANES];  /* time, one per lane: see _step_loop */",
            "      for (int l = 0; l < LANES; l++) TT[0][l] = evt[0];",
            "      #pragma omp simd",
            "      for (int l = 0; l < LANES; l++) {",
            "        const double t = TT[0][l];",
            *("        " + s for s in self._param_loads()),
            *("        " + s for s in self._series_loads("0")),
            "        int err = 0;",
            *("        " + s for s in init_lines),
            "        ERR[l] = err;",
            "      }",
            "    }",
            "    for (int l = 0; l < LANES; l++) if (ERR[l]) return ERR[l];",
            *("    " + s for s in self._dfixed_alloc(dfixed)),
            "    for (long k = 0; k < nsteps; k++) {",
            "      const long row = save_row[k];",
        ]
        lines += ["      " + s for s in self._step_loop(loads, step_body, tnames, dfixed)]
        lines += [
            "      if (row >= 0)",
            f"        for (int j = 0; j < {len(p.records)}; j++)",
            "          for (long l = 0; l < valid; l++) out[j][row * out_rs[j] + b + l] = R[j][l];",
        ]
        lines += ["      " + s for s in self._commit(tnames, dfixed)]
        lines += ["    }"]
        lines += [f"    free(DFB[{i}]);" for i in range(len(dfixed))]
        lines += ["  }", "  return 0;", "}", ""]
        return CKernel("\n".join(lines), self.params, self.series, list(p.records), self.rk4)

    def _param_loads(self) -> list[str]:
        return [f"const double p_{i} = PAR[{i}][l];" for i in range(len(self.params))]

    def _series_loads(self, e: str) -> list[str]:
        return [
            f"const double q_{i} = ser[{i}][({e}) * ser_es[{i}] + run[l] * ser_rs[{i}]];"
            for i in range(len(self.series))
        ]

    def _init_part(self, step_idents: set[str]) -> tuple[list[str], list[str]]:
        """Init statements (one lane) and the identifiers the step part reads back."""
        p = self.p
        nodes = p.nodes
        out: list[str] = []
        stored: list[str] = []
        n_state = 0
        tcount = 0
        fcount = 0
        for key in p.init_order:
            if key not in p.stateful and nodes[key].kind == "lookup":
                continue  # a table, not a value: calls name it directly
            if key not in p.stateful:
                ident = nodes[key].ident
                out += self._statement(ident, p.init_code(key))
                if ident not in step_idents:
                    stored.append(ident)
                continue
            sf = p.stateful[key]
            q = {role: nodes[k].ident for role, k in sf.parts.items()}
            s, n = sf.ident, sf.order
            if sf.order_part:
                out.append(f"err = (trunc({nodes[sf.order_part].ident}) != {n}) ? 1 : err;")
            if sf.kind == "integ":
                out += [f"const double {s}_0 = {q['init']};", f"const double {s} = {s}_0;"]
            elif sf.kind == "initial":
                out.append(f"const double {s} = {q['init']};")
                stored.append(s)
            elif sf.kind == "smooth":
                out += [f"const double {s}_{i} = {q['init']};" for i in range(n)]
                out.append(f"const double {s} = {s}_{n - 1};")
            elif sf.kind in ("delay", "delayn"):
                out.append(f"err = ({n} * DT > {q['time']}) ? 1 : err;")
                out += [f"const double {s}_{i} = {q['init']} * {q['time']};" for i in range(n)]
                if sf.kind == "delay":
                    out.append(f"const double {s} = {s}_{n - 1} / {q['time']};")
                else:
                    for i in range(n):
                        out.append(f"TP[{tcount}][l] = {q['time']};")
                        out.append(f"const double {s}_T{i} = {q['time']};")
                        tcount += 1
                    out.append(f"const double {s} = {s}_{n - 1} / {s}_T0;")
            else:  # delayfixed: ring buffer of round(delay / TIME STEP) slots, per run
                out.append(
                    f"DFO[{fcount}][l] = (int)nearbyint(rs_max({q['time']} / DT, 1) + SMALL);"
                )
                out.append(f"DFS[{fcount}][l] = {q['init']};")
                out.append(f"const double {s} = {q['init']};")
                fcount += 1
            for state in sf.states():
                out.append(f"S[{n_state}][l] = {state};")
                n_state += 1
        for name, code in p.hoisted:
            out += self._statement(name, code)
            stored.append(name)
        out += [f"B[{i}][l] = {name};" for i, name in enumerate(stored)]
        return out, stored

    def _step_body(self, step_idents: set[str]) -> list[str]:
        """Step statements for one lane and one evaluation (states already loaded)."""
        p = self.p
        nodes = p.nodes
        out: list[str] = []
        for key in p.step_order:
            if key in p.stateful:
                sf = p.stateful[key]
                if sf.kind == "delayfixed":
                    continue  # its output is loaded from DFS
                for line in _step_lines(sf, nodes):
                    target, code = line.split(" = ", 1)
                    out += self._statement(target, code)
            else:
                out += self._statement(nodes[key].ident, p.step_code[key])
        for sf in p.live:
            body, _ = _deriv_lines(sf, nodes)
            for line in body:
                target, code = line.split(" = ", 1)
                out += self._statement(target, code)
        return out

    def _step_loop(
        self, loads: list[str], body: list[str], tnames: list[str], dfixed: list
    ) -> list[str]:
        p = self.p
        states = p.states
        derivs = [f"d_{s}" for s in states]
        tloads = [f"const double {name} = TP[{i}][l];" for i, name in enumerate(tnames)]
        floads = [f"const double {sf.ident} = DFS[{i}][l];" for i, sf in enumerate(dfixed)]
        records = [f"R[{j}][l] = {p.nodes[k].ident};" for j, k in enumerate(p.records)]
        disc = []
        qi = 0
        for sf in p.discrete:
            q = {role: p.nodes[k].ident for role, k in sf.parts.items()}
            if sf.kind == "delayn":
                for src in [q["time"]] + [f"{sf.ident}_T{i}" for i in range(sf.order - 1)]:
                    disc.append(f"Q[{qi}][l] = {src};")
                    qi += 1
        for sf in dfixed:
            disc.append(f"Q[{qi}][l] = {p.nodes[sf.parts['input']].ident};")
            qi += 1
        common = [*loads, *tloads, *floads, *self._param_loads()]
        # Time is copied into one value per lane: an expression of time alone (a lookup
        # of Time) would otherwise be loop-invariant inside the lane loop, and gcc cannot
        # vectorise a select on an invariant condition, so the whole step would run scalar.
        n_t = 3 if self.rk4 else 1
        out = [
            f"double TT[{n_t}][LANES];",
            "for (int l = 0; l < LANES; l++) {",
            *(f"  TT[{i}][l] = evt[k * {n_t} + {i}];" for i in range(n_t)),
            "}",
            "#pragma omp simd",
            "for (int l = 0; l < LANES; l++) {",
            "  const double t = TT[0][l];",
        ]
        ind = "  "
        if not self.rk4:
            out += [ind + s for s in common + self._series_loads("k")]
            out += [ind + f"const double {s} = S[{i}][l];" for i, s in enumerate(states)]
            out += [ind + s for s in body + records + disc]
            out += [
                ind + f"S[{i}][l] = {s} + {d} * DT;"
                for i, (s, d) in enumerate(zip(states, derivs, strict=True))
            ]
            out.append("}")
            return out
        # classic RK4 exactly as the NumPy engine: k1 at t, k2 and k3 at t + h, k4 at t + dt
        out += [ind + s for s in common]
        out += [ind + f"double K{j}_{i};" for j in range(1, 5) for i in range(len(states))]
        stages = [("k * 3", None, None), ("k * 3 + 1", "(DT / 2)", 1), ("k * 3 + 1", "(DT / 2)", 2)]
        stages.append(("k * 3 + 2", "DT", 3))
        for j, (e, h, prev) in enumerate(stages, start=1):
            out.append(ind + "{")
            tt = "t" if j == 1 else f"TT[{ {'k * 3 + 1': 1, 'k * 3 + 2': 2}[e] }][l]"
            out.append(ind + f"  const double t_stage = {tt};")
            out.append(ind + "  {")
            out.append(ind + "    const double t = t_stage;")
            out += [ind + "    " + s for s in self._series_loads(e)]
            for i, s in enumerate(states):
                if prev is None:
                    out.append(ind + f"    const double {s} = S[{i}][l];")
                else:
                    out.append(ind + f"    const double {s} = S[{i}][l] + {h} * K{prev}_{i};")
            out += [ind + "    " + s for s in body]
            out += [ind + f"    K{j}_{i} = {d};" for i, d in enumerate(derivs)]
            if j == 1:
                out += [ind + "    " + s for s in records + disc]
            out.append(ind + "  }")
            out.append(ind + "}")
        for i in range(len(states)):
            out.append(
                ind + f"S[{i}][l] = S[{i}][l] + DT / 6 * "
                f"(K1_{i} + 2 * K2_{i} + 2 * K3_{i} + K4_{i});"
            )
        out.append("}")
        return out

    def _dfixed_alloc(self, dfixed: list) -> list[str]:
        out = []
        for i in range(len(dfixed)):
            out += [
                "{",
                "  int most = 1;",
                f"  for (int l = 0; l < LANES; l++) if (DFO[{i}][l] > most) most = DFO[{i}][l];",
                f"  DFB[{i}] = malloc(sizeof(double) * most * LANES);",
                f"  if (!DFB[{i}]) return 2;",
                "  for (int m = 0; m < most; m++)",
                f"    for (int l = 0; l < LANES; l++) DFB[{i}][m * LANES + l] = DFS[{i}][l];",
                f"  for (int l = 0; l < LANES; l++) DFP[{i}][l] = 0;",
                "}",
            ]
        return out

    def _commit(self, tnames: list[str], dfixed: list) -> list[str]:
        out = []
        qi = 0
        for i, _ in enumerate(tnames):
            out.append(f"for (int l = 0; l < LANES; l++) TP[{i}][l] = Q[{qi}][l];")
            qi += 1
        for i, _ in enumerate(dfixed):
            out += [
                "for (int l = 0; l < LANES; l++) {",
                f"  DFB[{i}][DFP[{i}][l] * LANES + l] = Q[{qi}][l];",
                f"  DFP[{i}][l] = (DFP[{i}][l] + 1) % DFO[{i}][l];",
                f"  DFS[{i}][l] = DFB[{i}][DFP[{i}][l] * LANES + l];",
                "}",
            ]
            qi += 1
        return out


def _c_float(value: float) -> str:
    if value != value:
        return "NAN"
    if value in (float("inf"), float("-inf")):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    text = repr(float(value))
    return text if re.search(r"[.eE]", text) else text + ".0"


def _literal(node: ast.AST) -> float | None:
    """The value of a numeric literal (possibly negated), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        return None if inner is None else -inner
    return None


def _is_pow(node: ast.AST) -> bool:
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_power"
    )


def _factors(node: ast.AST) -> list[ast.AST]:
    """Operands of a chain of multiplications (a * b * c -> [a, b, c])."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) + _factors(node.right)
    return [node]
