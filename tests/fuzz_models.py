"""Differential fuzzing of the batch engine against PySD: random small Vensim models.

`random_case(seed)` writes a model from a seeded generator: constants with ranges
(sampled per run), lookups, stocks, and auxiliaries whose equations are random
token sequences and calls. It aims at what once went wrong: operator precedence
without brackets (unary minus, powers, chains), IF THEN ELSE guarding divisions,
ZIDZ/XIDZ of zero, comparisons and logic, lookups, delays and smooths, INITIAL
and ACTIVE INITIAL, time functions and the maths functions.

`check_case(case, folder)` runs the model with PySD (one run per sample) and with
the batch engine on every path: NumPy floats (chunks of 1), NumPy arrays and the
C kernel (when a compiler exists). Each batch path must either agree with PySD
within 1e-9 (relative to each trajectory's largest magnitude, NaN where PySD has
NaN), or refuse the model with `UnsupportedConstructError`/`InvalidModelError`/
`ModelValueError`. A disagreement only counts as *chaotic* when the NumPy result
itself moves by more than 1e-6 when every sampled input moves by one ulp (up or
down): the answer is then decided by rounding, in any engine.
"""

from __future__ import annotations

import contextlib
import os
import random
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regionsoft_sd.batch.engine import ENV_LAYOUT

RUNS = 6  # more than SCALAR_MAX: the NumPy array path runs too
TOL = 1e-9
CHAOS = 1e-6

CONTROL = """
********************************************************
\t.Control
********************************************************~
\t\tSimulation Control Parameters
\t|

FINAL TIME  = {final}
\t~\tMonth
\t~\t|

INITIAL TIME  = 0
\t~\tMonth
\t~\t|

SAVEPER  = {saveper}
\t~\tMonth [0,?]
\t~\t|

TIME STEP  = {dt}
\t~\tMonth [0,?]
\t~\t|

\\\\\\---/// Sketch information - do not modify anything except names
V300  Do not put anything below this section - it will be ignored
*View 1
$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0
///---\\\\\\
:L<%^E!@
"""


@dataclass
class Case:
    """One generated model and the runs to compare."""

    seed: int
    text: str
    samples: dict[str, list[float]]
    record: list[str]
    checked: int = RUNS  # runs PySD gives a reference for (the batch paths run all RUNS)


@dataclass
class Outcome:
    """What happened to one case: status per batch path and a detail for failures."""

    seed: int
    status: str  # agree | refused | pysd_error | chaotic | mismatch | crash
    detail: str = ""
    paths: dict[str, str] = field(default_factory=dict)


class _Gen:
    """Random model text; every name refers only to names defined before it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.consts: list[str] = []
        self.taus: list[str] = []
        self.tables: list[str] = []
        self.values: list[str] = []  # constants, stocks and auxiliaries usable as operands
        self.no_state = 0  # > 0: no stateful function here

    # -- leaves and small pieces --------------------------------------------------------------
    def literal(self, positive: bool = False) -> str:
        r = self.rng
        value = r.choice([0, 1, 2, 3, 0.5, 1.5, 2.5, 10, 0.1, r.randint(1, 9), r.uniform(0, 5)])
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        return text if positive or r.random() < 0.7 else f"-{text}"

    def initial(self) -> str:
        """An initial value written as a decimal: PySD keeps an integer literal's dtype
        in its SMOOTH/DELAY state array and truncates the first input (a PySD defect
        that tests/test_batch_regressions.py covers with hand values)."""
        value = round(self.rng.uniform(-3, 5), 2)
        return f"{value:.2f}" if value != int(value) else f"{value:.1f}"

    def operand(self) -> str:
        r = self.rng.random()
        if r < 0.55 and self.values:
            name = self.rng.choice(self.values)
            return f"-{name}" if self.rng.random() < 0.15 else name
        if r < 0.7:
            return "Time" if self.rng.random() < 0.5 else "(Time - 3)"
        return self.literal()

    def positive(self) -> str:
        """An expression that is positive for every value of its operands (a power of a
        negative base is complex in PySD's floats and NaN in NumPy: not comparable)."""
        inner = self.expr(1)
        return self.rng.choice(
            [f"(ABS({inner}) + 0.5)", f"EXP(-ABS({inner}))", f"(1 + ({inner}) * ({inner}))"]
        )

    def condition(self) -> str:
        r = self.rng.random()
        cmp = self.rng.choice(["=", "<>", "<", "<=", ">", ">="])
        if r < 0.6:
            return f"{self.operand()} {cmp} {self.operand()}"
        if r < 0.75:
            return f":NOT: {self.operand()} {cmp} {self.operand()}"
        logic = self.rng.choice([":AND:", ":OR:"])
        return f"{self.operand()} {cmp} {self.operand()} {logic} {self.operand()} > 0"

    # -- expressions ----------------------------------------------------------------------------
    def chain(self) -> str:
        """Operands and operators with no brackets: precedence and unary minus decide."""
        parts = [self.operand()]
        for _ in range(self.rng.randint(1, 4)):
            op = self.rng.choice(["+", "-", "*", "/", "^", "*", "-"])
            if op == "^" and parts[-2:-1] == ["^"]:
                op = "*"  # x ^ 2 ^ -2 is x ^ 0.25 (right to left): complex in PySD for x < 0
            if op == "^":
                parts += [op, self.rng.choice(["2", "3", "-1", "0", "2", "-2"])]
            elif op == "/":
                parts += [op, self.rng.choice([self.literal(positive=True), self.positive()])]
            else:
                parts += [op, self.operand() if self.rng.random() < 0.8 else self.literal()]
        return " ".join(parts)

    def expr(self, depth: int = 2) -> str:  # noqa: C901 - one branch per construct
        r = self.rng
        if depth <= 0:
            return self.operand()
        k = r.randrange(30)
        e = lambda: self.expr(depth - 1)  # noqa: E731
        if k < 6:
            return self.chain()
        if k == 6:
            return f"{self.positive()} ^ {r.choice(['0.5', '1.5', '0.25', 'Time / 10'])}"
        if k == 7:
            return f"IF THEN ELSE({self.condition()}, {e()}, {e()})"
        if k == 8:  # a guarded division: PySD evaluates only the branch taken
            d = self.operand()
            return f"IF THEN ELSE({d} = 0, {e()}, {e()} / {d})"
        if k == 9:
            return f"ZIDZ({e()}, {r.choice([self.operand(), '0', e()])})"
        if k == 10:
            return f"XIDZ({e()}, {r.choice([self.operand(), '0'])}, {e()})"
        if k == 11:
            return f"{r.choice(['MIN', 'MAX'])}({e()}, {e()})"
        if k == 12:
            return f"{r.choice(['ABS', 'INTEGER', 'SIN', 'COS', 'ARCTAN', 'TANH'])}({e()})"
        if k == 13:
            return r.choice(
                [
                    f"EXP(-ABS({e()}))",
                    f"EXP(MIN({e()}, 3))",
                    f"LN({self.positive()})",
                    f"SQRT(ABS({e()}))",
                    f"LOG({self.positive()}, 10)",
                ]
            )
        if k == 14:
            return f"{r.choice(['MODULO', 'QUANTUM'])}({e()}, {self.literal(positive=True)})"
        if k == 15:
            return r.choice(
                [
                    f"STEP({e()}, {r.randint(0, 6)})",
                    f"RAMP({e()}, {r.randint(0, 3)}, {r.randint(3, 8)})",
                    f"PULSE({r.randint(0, 5)}, {r.choice(['1', '2', '0.5'])})",
                    f"PULSE TRAIN({r.randint(0, 3)}, 1, {r.randint(2, 4)}, {r.randint(5, 9)})",
                ]
            )
        if k == 16 and self.tables:
            return f"{r.choice(self.tables)}({e()})"
        if k == 17:
            xs = sorted(r.sample(range(-5, 8), r.randint(2, 5)))
            pts = ",".join(f"({x},{r.randint(-4, 6)})" for x in xs)
            return f"WITH LOOKUP({e()}, ([(-5,-4)-(8,6)],{pts}))"
        if k in (18, 19) and self.taus and not self.no_state:
            tau, init = r.choice(self.taus), self.initial()
            kind = r.randrange(9)
            if kind == 0:
                # PySD reads DELAY FIXED's input after updating the states created before
                # it, so an inline SMOOTH/DELAY there would enter a step early (a PySD
                # defect, covered by a hand-computed regression test): none inside
                self.no_state += 1
                text = f"DELAY FIXED({e()}, {tau}, {init})"
                self.no_state -= 1
                return text
            return [
                f"SMOOTH({e()}, {tau})",
                f"SMOOTH3({e()}, {tau})",
                f"SMOOTHI({e()}, {tau}, {init})",
                f"DELAY1({e()}, {tau})",
                f"DELAY3({e()}, {tau})",
                f"DELAY3I({e()}, {tau}, {init})",
                f"DELAY N({e()}, {tau}, {init}, {r.randint(1, 4)})",
                f"SMOOTH N({e()}, {tau}, {init}, {r.randint(1, 4)})",
            ][kind - 1]
        if k == 20 and not self.no_state:
            return f"INITIAL({e()})"
        if k == 21:
            return f"ACTIVE INITIAL({e()}, {self.literal()})"
        if k == 22:
            return f"- ({e()}) ^ 2"
        if k == 23:
            return f"{self.operand()} {r.choice(['*', '-', '+'])} -{self.operand().lstrip('-')} ^ 2"
        if k == 24:
            return f"({e()}) * ({e()})"
        if k == 25:
            return f"({e()}) - ({e()})"
        return f"{e()} {r.choice(['+', '-', '*'])} {e()}"

    # -- the model ------------------------------------------------------------------------------
    def model(self) -> tuple[str, list[str]]:
        r = self.rng
        out, record = ["{UTF-8}"], []
        for i in range(r.randint(2, 4)):
            name = f"C{i + 1}"
            value = round(r.uniform(-3, 3), 3)
            out.append(_element(name, str(value), f"[{value - 1:.3f},{value + 1:.3f}]"))
            self.consts.append(name)
            self.values.append(name)
            record.append(name)
        for i in range(r.randint(1, 2)):
            name = f"Tau{i + 1}"
            out.append(_element(name, str(round(r.uniform(2, 4), 3)), "[2,4]"))
            self.taus.append(name)
        for i in range(r.randint(0, 2)):
            name = f"Table{i + 1}"
            xs = sorted(r.sample(range(-6, 10), r.randint(2, 6)))
            pts = ",".join(f"({x},{round(r.uniform(-3, 5), 2)})" for x in xs)
            out.append(f"{name}(\n\t[(-6,-3)-(10,5)],{pts})\n\t~\tDmnl\n\t~\t\t|\n")
            self.tables.append(name)
        stocks = []
        for i in range(r.randint(1, 2)):
            stocks.append(f"S{i + 1}")
            self.values.append(f"S{i + 1}")
        n_aux = r.randint(2, 5)
        for i in range(n_aux):
            name = f"A{i + 1}"
            out.append(_element(name, self.expr(r.randint(1, 3))))
            self.values.append(name)
            record.append(name)
        for i, stock in enumerate(stocks):
            target = r.choice([a for a in self.values if a.startswith("A")])
            tau = r.choice(self.taus)
            flow = f"({target} - {stock}) / {tau}"
            if r.random() < 0.4:
                flow += f" + {self.expr(1)} * 0.1"
            out.append(_element(f"Flow{i + 1}", flow))
            out.append(_element(stock, f"INTEG(Flow{i + 1}, {self.initial()})"))
            record += [f"Flow{i + 1}", stock]
        dt = r.choice(["0.5", "0.25", "0.125"])
        final = r.choice([6, 8, 10])
        saveper = r.choice(["TIME STEP", "1"])
        out.append(CONTROL.format(final=final, saveper=saveper, dt=dt))
        return "\n".join(out), record


def _element(name: str, equation: str, limits: str = "") -> str:
    units = f"Dmnl {limits}".strip()
    return f"{name}=\n\t{equation}\n\t~\t{units}\n\t~\t\t|\n"


def random_case(seed: int) -> Case:
    """The model and samples of fuzz case `seed` (the same seed, the same case)."""
    gen = _Gen(seed)
    text, record = gen.model()
    rng = np.random.default_rng(seed)
    samples = {}
    for name in gen.consts + gen.taus:
        lo, hi = _limits(text, name)
        samples[name] = [float(v) for v in rng.uniform(lo, hi, RUNS)]
    return Case(seed, text, samples, record)


def _limits(text: str, name: str) -> tuple[float, float]:
    block = text.split(f"{name}=\n", 1)[1]
    inside = block.split("[", 1)[1].split("]", 1)[0]
    lo, hi = inside.split(",")
    return float(lo), float(hi)


def _pysd_runs(path: Path, case: Case) -> list[dict[str, np.ndarray]] | str:
    """PySD's result per run, or the reason PySD could not give one."""
    import pysd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = pysd.read_vensim(str(path))
            runs = []
            for i in range(case.checked):
                model.reload()
                ref = model.run(
                    params=pysd_params(model, {k: v[i] for k, v in case.samples.items()})
                )
                cols = {}
                for name in case.record:
                    col = ref[name].to_numpy()
                    if np.iscomplexobj(col) or col.dtype == object:
                        return f"PySD gave a non-real value for {name}"
                    cols[name] = col.astype(float)
                runs.append(cols)
            return runs
    except Exception as err:  # noqa: BLE001 - any failure of the reference engine
        return f"PySD: {type(err).__name__}: {str(err).splitlines()[0][:160] if str(err) else ''}"


def pysd_params(model, values: dict[str, float]) -> dict:
    """PySD parameters: the elements of a subscripted constant as one DataArray."""
    import xarray as xr

    params: dict = {}
    arrays: dict[str, dict[tuple[str, ...], float]] = {}
    for name, value in values.items():
        if name.endswith("]"):
            base, inside = name[:-1].split("[", 1)
            arrays.setdefault(base, {})[tuple(inside.split(","))] = value
        else:
            params[name] = value
    for base, entries in arrays.items():
        coords, dims = model.get_coords(base)
        data = xr.DataArray(np.nan, {d: coords[d] for d in dims}, dims)
        for combo, value in entries.items():
            data.loc[dict(zip(dims, combo, strict=True))] = value
        params[base] = data
    return params


def _batch(path: Path, case: Case, backend: str, chunk_size: int | None, nudge: int = 0):
    from regionsoft_sd.batch import simulate

    samples = {k: np.asarray(v) for k, v in case.samples.items()}
    if nudge:
        samples = {k: np.nextafter(v, np.inf * nudge) for k, v in samples.items()}
    layout = "loops" if backend == "c-loops" else os.environ.get(ENV_LAYOUT, "")
    with warnings.catch_warnings(), _environ(ENV_LAYOUT, layout):
        warnings.simplefilter("ignore")
        return simulate(
            samples,
            record=case.record,
            mdl_path=path,
            chunk_size=chunk_size,
            backend="c" if backend == "c-loops" else backend,
        )


@contextlib.contextmanager
def _environ(name: str, value: str):
    """`os.environ[name]` set to `value` (unset when empty) for the `with` block."""
    old = os.environ.get(name)
    if value:
        os.environ[name] = value
    else:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _worst(res, refs: list[dict[str, np.ndarray]]) -> tuple[float, str, int]:
    """Largest difference from `refs`, relative to each trajectory's largest magnitude."""
    worst, where, run = 0.0, "", -1
    for i, ref in enumerate(refs):
        for name, want in ref.items():
            got = res.data[name][:, i]
            bad_nan = np.isnan(got) != np.isnan(want)
            if bad_nan.any():
                return np.inf, f"{name} (NaN in one engine only)", i
            both = ~np.isnan(want)
            inf_w, inf_g = np.isinf(want[both]), np.isinf(got[both])
            if (inf_w != inf_g).any() or (want[both][inf_w] != got[both][inf_g]).any():
                return np.inf, f"{name} (infinite in one engine only)", i
            finite = both & np.isfinite(want)
            if not finite.any():
                continue
            scale = max(float(np.max(np.abs(want[finite]))), 1e-12)
            diff = float(np.max(np.abs(got[finite] - want[finite]))) / scale
            if diff > worst:
                worst, where, run = diff, name, i
    return worst, where, run


def _chaotic(path: Path, case: Case, run: int) -> bool:
    """True when run `run` of the NumPy engine moves by > CHAOS under a 1-ulp nudge."""
    try:
        base = _batch(path, case, "numpy", None)
        as_ref = [{n: base.data[n][:, i] for n in case.record} for i in range(RUNS)]
        for nudge in (1, -1):
            moved, _, _ = _worst(_batch(path, case, "numpy", None, nudge), as_ref[run : run + 1])
            if moved > CHAOS:
                return True
            del moved
    except Exception:  # noqa: BLE001 - a nudged run that fails is no evidence
        return False
    return False


def batch_paths(with_c: bool) -> dict[str, tuple[str, int | None]]:
    """The batch engine's paths: name -> (backend, chunk_size)."""
    paths = {"numpy floats": ("numpy", 1), "numpy arrays": ("numpy", None)}
    if with_c:
        paths["C kernel"] = ("c", None)
        paths["C kernel, loops over axes"] = ("c-loops", None)  # the large-model layout
    return paths


def check_case(case: Case, folder: Path, with_c: bool = True) -> Outcome:
    """Run one case on PySD and every batch path; classify what happened."""
    from regionsoft_sd.batch import InvalidModelError, ModelValueError, UnsupportedConstructError
    from regionsoft_sd.batch.engine import CBackendUnsupported

    path = folder / f"fuzz_{case.seed}.mdl"
    path.write_text(case.text, encoding="utf-8")
    refs = _pysd_runs(path, case)
    outcome = Outcome(case.seed, "agree")
    for label, (backend, chunk) in batch_paths(with_c).items():
        try:
            res = _batch(path, case, backend, chunk)
        except (
            UnsupportedConstructError,
            InvalidModelError,
            ModelValueError,
            CBackendUnsupported,
        ) as err:
            outcome.paths[label] = f"refused: {err}"
            continue
        except Exception:  # noqa: BLE001 - any other exception is a crash
            outcome.paths[label] = "crash"
            outcome.status = "crash"
            outcome.detail = f"{label}: {traceback.format_exc(limit=4)}"
            return outcome
        if isinstance(refs, str):
            outcome.paths[label] = "ran (no reference)"
            continue
        worst, where, run = _worst(res, refs)
        if worst <= TOL:
            outcome.paths[label] = f"agree ({worst:.1e})"
        elif _chaotic(path, case, run):
            outcome.paths[label] = f"chaotic ({where}, run {run}, {worst:.1e})"
        else:
            outcome.paths[label] = f"MISMATCH ({where}, run {run}, {worst:.1e})"
            outcome.status = "mismatch"
            outcome.detail = f"{label}: {where}, run {run}, difference {worst:.3e}"
    states = list(outcome.paths.values())
    if outcome.status == "agree":
        if isinstance(refs, str):
            outcome.status, outcome.detail = "pysd_error", refs
        elif all(s.startswith("refused") for s in states):
            outcome.status = "refused"
        elif any(s.startswith("chaotic") for s in states):
            outcome.status = "chaotic"
    return outcome


# --- subscripted models ----------------------------------------------------------------------
class _SubGen(_Gen):
    """Random subscripted models: what once went wrong with subscripts, and what a
    province axis uses.

    Ranges written as `(d1-d4)` or as lists, a subrange (sometimes named inside its
    range's definition, `Dim: d1, Sub, d4`), a range with the same elements in
    another order (`Alt`, compared with `Dim` in IF THEN ELSE), a mapped range
    (`Map: m1, m2 -> Dim`) and a second axis; arrays defined whole, per subrange,
    per element and with `:EXCEPT:`; ranges and elements used as values; SUM, PROD,
    VMIN and VMAX over an axis (of one or two dimensions); subscripted constants
    (sampled per element), subscripted lookups, stocks and the delay family over an
    axis. Each equation's operands are drawn from names valid under its subscripts.
    """

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.samples: dict[str, tuple[float, float]] = {}  # element or scalar -> range

    def ranges(self) -> list[str]:
        r = self.rng
        n = r.randint(2, 4)
        self.dim = [f"d{i}" for i in range(1, n + 1)]
        size = r.randint(1, n - 1)
        start = r.randint(0, n - size)
        self.sub = self.dim[start : start + size]
        self.rest = [e for e in self.dim if e not in self.sub]
        out = []
        if r.random() < 0.5:  # the subrange named inside the range's definition
            parts = self.dim[:start] + ["Sub"] + self.dim[start + size :]
            out.append(_range("Dim", ", ".join(parts)))
        elif r.random() < 0.5:
            out.append(_range("Dim", f"(d1-d{n})"))
        else:
            out.append(_range("Dim", ", ".join(self.dim)))
        out.append(_range("Sub", ", ".join(self.sub)))
        self.alt = self.dim[:]
        r.shuffle(self.alt)
        out.append(_range("Alt", ", ".join(self.alt)))
        self.map = [f"m{i}" for i in range(1, n + 1)]
        out.append(_range("Map", ", ".join(self.map) + " -> Dim"))
        self.two = [f"b{i}" for i in range(1, r.randint(2, 3) + 1)]
        out.append(_range("Two", ", ".join(self.two)))
        return out

    def pool(self, two: bool, axis: str = "Dim") -> list[str]:
        """Operands valid in an equation over `axis` (Dim, Sub or one element of Dim;
        and Two when `two`)."""
        out = [*self.consts, axis, f"K[{self.rng.choice(self.dim)}]", f"K[{axis}]"]
        if axis == "Dim":
            out.append("G[Map]")  # Map -> Dim: the element at the same position
        out += [f"{a}[{axis}]" for a in self.arrays]
        out += [f"{s}[{axis}]" for s in self.stocks]
        if two:
            out += ["Two", "W[Two]"] + [f"{m}[{axis},Two]" for m in self.matrices]
        return out

    def reduction(self, two: bool, axis: str | None = "Dim") -> str:
        """SUM/PROD/VMIN/VMAX over an axis, of one or two dimensions (`axis` None: a
        scalar equation, every range reduced)."""
        r = self.rng
        fn = r.choice(["SUM", "SUM", "PROD", "VMIN", "VMAX"])
        choices = ["K[Dim!]"] + [f"{a}[Dim!]" for a in self.arrays]
        if self.matrices and not two:
            first = "Dim!" if axis is None else axis
            choices += [f"{m}[{first},Two!]" for m in self.matrices]
        ref = r.choice(choices)
        if fn == "PROD":  # keep products of several elements moderate
            return f"PROD(1 + 0.1 * TANH({ref}))"
        if r.random() < 0.4:
            return f"{fn}({ref} * {r.choice(['Time', 'C1', '0.5'])})"
        return f"{fn}({ref})"

    def sub_expr(self, two: bool, axis: str = "Dim") -> str:
        r = self.rng
        self.values = self.pool(two, axis)
        self.tables = [f"Tab[{axis}]"]
        k = r.randrange(10)
        if k == 0:
            return f"{self.reduction(two, axis)} {r.choice(['+', '-', '*'])} {self.operand()}"
        if k == 1:
            value = r.choice([str(r.randint(1, len(self.dim))), r.choice(self.dim)])
            return f"IF THEN ELSE({axis} = {value}, {self.expr(1)}, {self.expr(1)})"
        if k == 2:
            return f"Tab[{axis}]({self.expr(1)})"
        return self.expr(r.randint(1, 2))

    def equations(self, name: str, two: bool) -> str:
        """One array over Dim (x Two): whole, per subrange and element, or :EXCEPT:."""
        r = self.rng
        lhs = "Dim,Two" if two else "Dim"
        kind = r.randrange(4)
        if kind == 0 or two:
            return _element(f"{name}[{lhs}]", self.sub_expr(two))
        if kind == 1:
            parts = [_partial(f"{name}[Sub]", self.sub_expr(two, "Sub"))]
            parts += [_partial(f"{name}[{e}]", self.sub_expr(two, e)) for e in self.rest]
            return _join(parts)
        if kind == 2:
            skip = r.choice(self.dim)
            parts = [_partial(f"{name}[Dim] :EXCEPT: [{skip}]", self.sub_expr(two))]
            parts.append(_partial(f"{name}[{skip}]", self.sub_expr(two, skip)))
            return _join(parts)
        return _join([_partial(f"{name}[{e}]", self.sub_expr(two, e)) for e in self.dim])

    def logical(self, name: str) -> str:
        """An array over Dim x Alt (the same elements, another order) comparing the two,
        or Dim with an element of Alt."""
        self.values = self.pool(False)
        cond = self.rng.choice(["Dim = Alt", "Dim <> Alt", "Alt > Dim", f"Alt = {self.alt[0]}"])
        eq = f"IF THEN ELSE({cond}, {self.expr(1)}, {self.expr(1)})"
        return _element(f"{name}[Dim,Alt]", eq)

    def model(self) -> tuple[str, list[str]]:
        r = self.rng
        out, record = ["{UTF-8}"], []
        out += self.ranges()
        self.arrays: list[str] = []
        self.matrices: list[str] = []
        self.stocks: list[str] = []
        for i in range(r.randint(1, 2)):
            name = f"C{i + 1}"
            value = round(r.uniform(-3, 3), 3)
            out.append(_element(name, str(value), f"[{value - 1:.3f},{value + 1:.3f}]"))
            self.consts.append(name)
            self.samples[name] = (value - 1, value + 1)
        out.append(_element("Tau1", str(round(r.uniform(2, 4), 3)), "[2,4]"))
        self.taus.append("Tau1")
        self.samples["Tau1"] = (2.0, 4.0)
        ks = [round(r.uniform(-2, 3), 2) for _ in self.dim]
        out.append(_element("K[Dim]", ", ".join(map(str, ks)), "[-2,3]"))
        for e in self.dim:
            self.samples[f"K[{e}]"] = (-2.0, 3.0)
        gs = [round(r.uniform(0, 2), 2) for _ in self.map]
        out.append(_element("G[Map]", ", ".join(map(str, gs))))
        ws = [round(r.uniform(-1, 1), 2) for _ in self.two]
        out.append(_element("W[Two]", ", ".join(map(str, ws)), "[-1,1]"))
        for e in self.two:
            self.samples[f"W[{e}]"] = (-1.0, 1.0)
        tables = []
        for e in self.dim:
            xs = sorted(r.sample(range(-6, 10), r.randint(2, 5)))
            pts = ",".join(f"({x},{round(r.uniform(-3, 5), 2)})" for x in xs)
            tables.append(f"Tab[{e}](\n\t[(-6,-3)-(10,5)],{pts})\n\t~\tDmnl\n\t~\t\t|\n")
        out += tables
        record += [f"K[{e}]" for e in self.dim]
        for i in range(r.randint(2, 4)):
            two = r.random() < 0.3
            name = f"M{i + 1}" if two else f"A{i + 1}"
            out.append(self.equations(name, two))
            (self.matrices if two else self.arrays).append(name)
            cols = [f"{name}[{e},{b}]" for e in self.dim for b in self.two] if two else None
            record += cols or [f"{name}[{e}]" for e in self.dim]
        if r.random() < 0.5:
            out.append(self.logical("L1"))
            record += [f"L1[{e},{a}]" for e in self.dim for a in self.alt]
        if r.random() < 0.7 and self.arrays:
            target = r.choice(self.arrays)
            flow = f"({target}[Dim] - S1[Dim]) / Tau1"
            out.append(_element("Flow1[Dim]", flow))
            out.append(_element("S1[Dim]", f"INTEG(Flow1[Dim], {self.initial()})"))
            self.stocks.append("S1")
            record += [f"S1[{e}]" for e in self.dim] + [f"Flow1[{e}]" for e in self.dim]
        for i in range(r.randint(1, 2)):
            out.append(_element(f"Total{i + 1}", self.reduction(False, None)))
            record.append(f"Total{i + 1}")
        dt = r.choice(["0.5", "0.25"])
        out.append(CONTROL.format(final=r.choice([4, 6]), saveper="1", dt=dt))
        return "\n".join(out), record


def _range(name: str, elements: str) -> str:
    return f"{name}:\n\t{elements}\n\t~\t\n\t~\t\t|\n"


def _partial(lhs: str, equation: str) -> str:
    return f"{lhs}=\n\t{equation}\n\t~~|"


def _join(parts: list[str]) -> str:
    """Several equations of one array: all but the last end `~~|`, the last documents."""
    text = "\n".join(parts)
    return text[: -len("~~|")] + "~\tDmnl\n\t~\t\t|\n"


def random_subscripted_case(seed: int) -> Case:
    """Subscripted fuzz case `seed`: the model, per-element samples and the columns."""
    gen = _SubGen(seed)
    text, record = gen.model()
    rng = np.random.default_rng(seed)
    samples = {
        k: [float(v) for v in rng.uniform(lo, hi, RUNS)] for k, (lo, hi) in gen.samples.items()
    }
    # PySD takes about a second per run of a subscripted model (xarray): it checks the
    # first two; the batch paths still run all six (the array path needs more than 4)
    return Case(seed, text, samples, record, checked=2)
