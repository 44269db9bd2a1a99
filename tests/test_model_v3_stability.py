"""Model version 3: with growth off, the provinces settle to an equilibrium that is stable.

Growth off: no frontier growth and no natural population change, so every input is
constant after 2100 (the investment-rate path is flat from then on). The model's own
right-hand side (the batch engine's step function, checked here against pysimlin's
first step) is integrated to a steady state, polished with Newton's method, and its
Jacobian taken by central differences over every feedback stock.

National population is then conserved (migration only moves people), which gives one
exactly neutral mode; it is removed by expressing one province's population through
the others (the total stays fixed). The technology frontier (exogenous) and the
imitation delays (no feedback with rivals at the status quo) are not feedback stocks.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from regionsoft_sd.batch.api import _setup
from regionsoft_sd.batch.engine import compile_model
from tests.test_model_v3_support import MDL, ident, run

GROWTH_OFF = {
    "Frontier growth rate": 0.0,
    "Initial natural rate": 0.0,
    "Long run natural rate": 0.0,
}
T_FLAT = 2200.0  # every input is constant from 2100 on
BURN_IN_END, BURN_DT = 2400, 0.5
"""The long run (pysimlin) that brings the state near equilibrium before Newton's method."""


@cache
def _rhs(n_cols: int):
    """(initial states, owners of the states, f(t, X) -> derivatives) for n_cols runs."""
    stocks = list(compile_model(MDL).stocks)
    samples = {k: np.full(n_cols, v) for k, v in GROWTH_OFF.items()}
    model, P, n, (prog, _), *_ = _setup(samples, None, None, stocks, None, "euler", MDL, "numpy")
    prog_obj, vec_ns, _ = prog
    P = {**P, "#n": n, "#scalar": False}
    states, aux, _ = vec_ns["_make"](P, model.tables())
    owners = [sf.owner for sf in prog_obj.plan.live for _ in sf.states()]
    x0 = np.array([np.broadcast_to(np.asarray(s, float), (n_cols,)) for s in states])

    def f(t: float, X: np.ndarray) -> np.ndarray:
        d = aux(t, *X)[0]
        return np.array([np.broadcast_to(np.asarray(v, float), (X.shape[1],)) for v in d])

    return x0, owners, f


@pytest.fixture(scope="module")
def equilibrium():
    _, owners, f1 = _rhs(1)
    long_run = run(GROWTH_OFF, dt=BURN_DT, stop=BURN_IN_END)
    x = np.array([[long_run[ident(o)].iloc[-1]] for o in owners])
    feedback = [
        i for i, o in enumerate(owners) if not o.startswith(("Imitated ", "Technology frontier"))
    ]
    pops = [i for i in feedback if owners[i].startswith("Population[")]
    dropped = pops[-1]
    reduced = [i for i in feedback if i != dropped]
    m = len(reduced)
    _, _, fm = _rhs(2 * m)

    def directions(h: np.ndarray) -> np.ndarray:
        E = np.zeros((len(owners), m))
        for col, i in enumerate(reduced):
            E[i, col] = h[col]
            if i in pops:
                E[dropped, col] = -h[col]  # national population held
        return E

    def jacobian(x: np.ndarray) -> np.ndarray:
        h = 1e-6 * np.maximum(np.abs(x[reduced, 0]), 1e-3)
        E = directions(h)
        X = np.hstack([x + E, x - E])
        F = fm(T_FLAT, X)[reduced]
        return (F[:, :m] - F[:, m:]) / (2 * h)

    for _ in range(5):  # Newton's method on the reduced system
        J = jacobian(x)
        step = np.linalg.solve(J, -f1(T_FLAT, x)[reduced, 0])
        x = x + _apply(step, reduced, pops, dropped, len(owners))
    return x, owners, reduced, jacobian(x), f1


def _apply(step, reduced, pops, dropped, n):
    dx = np.zeros((n, 1))
    for col, i in enumerate(reduced):
        dx[i, 0] += step[col]
        if i in pops:
            dx[dropped, 0] -= step[col]
    return dx


def test_step_function_is_the_model_pysimlin_runs():
    x0, owners, f1 = _rhs(1)
    res = run(GROWTH_OFF, dt=0.25)
    first = np.array([res[ident(o)].iloc[0] for o in owners])
    np.testing.assert_allclose(x0[:, 0], first, rtol=1e-12)
    x = x0.copy()
    for k in range(4):
        x = x + 0.25 * f1(2005 + 0.25 * k, x)
    after = np.array([res[ident(o)].iloc[1] for o in owners])
    np.testing.assert_allclose(x[:, 0], after, rtol=1e-9)


def test_equilibrium_is_found(equilibrium):
    x, owners, reduced, _, f1 = equilibrium
    rates = np.abs(f1(T_FLAT, x)[reduced, 0]) / np.maximum(np.abs(x[reduced, 0]), 1e-9)
    assert rates.max() < 1e-8, owners[reduced[int(rates.argmax())]]
    assert (x[reduced, 0] > 0).all()


def test_every_eigenvalue_of_the_feedback_stocks_is_negative(equilibrium):
    x, owners, reduced, J, _ = equilibrium
    values, vectors = np.linalg.eig(J)
    slowest = int(np.argmax(values.real))
    weights = np.abs(vectors[:, slowest]) / np.abs(x[reduced, 0])  # relative change
    lead = owners[reduced[int(np.argmax(weights))]]
    tau = -1 / values.real[slowest]
    print(
        f"\n{len(values)} feedback stocks; largest eigenvalue {values.real[slowest]:.5f}/yr: "
        f"slowest time constant {tau:.0f} years (largest relative component: {lead}); "
        f"fastest {-1 / values.real.min():.2f} years"
    )
    assert (values.real < 0).all()
