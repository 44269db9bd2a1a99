"""Many `scipy.optimize.least_squares` problems advanced together, one batch per round.

`least_squares` asks for one residual vector at a time. Run one by one, each
request would be one model run: slow. Here every problem runs in its own thread
and each of its requests (the residuals at a point *and* the 2q points of the
central-difference Jacobian around it) is parked until every active problem has
asked; the main thread then runs all of them as one batch through the shared
runner, hands each problem its rows, and the next round begins. Multi-start fits,
the held-out fit and every point of every likelihood profile move together.

The rounds are deterministic: a round holds exactly the problems that have not
finished, in job order, so a rerun gives the same batches and the same result.
The Jacobian is computed with the residuals (least_squares asks for it only at
points whose residuals it has just seen), so a round costs one batch, not two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

STEP = 1e-4
"""Finite-difference step in unit coordinates (a ten-thousandth of each parameter's range)."""
FAILED = 1e3
"""Residual given to every observation of a failed run: a cost no real fit reaches."""


class Cancelled(Exception):
    """Raised in a problem's thread when the batch it waited for failed."""


@dataclass
class Job:
    """One least-squares problem: its start (full unit vector) and which coordinates are free.

    `residuals_of(sim)` turns the simulation rows of this job into residuals
    (N x m); problems with different windows share one batch this way.
    """

    u0: np.ndarray
    free: np.ndarray
    residuals_of: Callable[[object], np.ndarray]
    max_nfev: int = 100
    tag: object = None


@dataclass
class Solution:
    """What least_squares found for one job (u: full unit vector; jac: m x free, unit coords)."""

    u: np.ndarray
    fun: np.ndarray
    jac: np.ndarray
    cost: float
    nfev: int
    status: int
    message: str
    error: str = ""
    tag: object = None
    history: list[float] = field(default_factory=list)

    @classmethod
    def failed(
        cls, u: np.ndarray, message: str, error: str, tag: object, history: list[float]
    ) -> Solution:
        """A job that ended without a fit (cancelled or raised): infinite cost, status -9."""
        return cls(u, np.array([]), np.zeros((0, 0)), np.inf, 0, -9, message, error, tag, history)


def stencil(u: np.ndarray, free: np.ndarray, step: float = STEP) -> tuple[np.ndarray, np.ndarray]:
    """Rows [u, u + h e_i, u - h e_i for each free i], clipped to [0, 1]; and each 2h used."""
    idx = np.flatnonzero(free)
    rows = np.repeat(u[None, :], 1 + 2 * len(idx), axis=0)
    width = np.empty(len(idx))
    for k, i in enumerate(idx):
        hi, lo = min(u[i] + step, 1.0), max(u[i] - step, 0.0)
        rows[1 + 2 * k, i], rows[2 + 2 * k, i] = hi, lo
        width[k] = hi - lo
    return rows, width


def jacobian(R: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Central differences from stencil residuals R ((1 + 2q) x m); one-sided if a side failed."""
    r0 = R[0]
    q = len(width)
    J = np.empty((R.shape[1], q))
    for k in range(q):
        up, dn = R[1 + 2 * k], R[2 + 2 * k]
        ok_up, ok_dn = np.isfinite(up).all(), np.isfinite(dn).all()
        if ok_up and ok_dn:
            J[:, k] = (up - dn) / width[k]
        elif ok_up:
            J[:, k] = (up - r0) / (width[k] / 2)
        elif ok_dn:
            J[:, k] = (r0 - dn) / (width[k] / 2)
        else:
            J[:, k] = 0.0
    return J


class Lockstep:
    """The meeting point of the problems' threads and the main thread's batches."""

    def __init__(self, n_jobs: int) -> None:
        self.cond = threading.Condition()
        self.pending: dict[int, np.ndarray] = {}
        self.results: dict[int, object] = {}
        self.active = n_jobs
        self.error: BaseException | None = None
        self.rounds = 0

    def request(self, j: int, rows: np.ndarray) -> object:
        """Park rows for the next batch; return this job's share of the result."""
        with self.cond:
            if self.error is not None:
                raise Cancelled
            self.pending[j] = rows
            self.cond.notify_all()
            self.cond.wait_for(lambda: j in self.results or self.error is not None)
            if self.error is not None:
                raise Cancelled
            return self.results.pop(j)

    def finished(self) -> None:
        with self.cond:
            self.active -= 1
            self.cond.notify_all()

    def serve(
        self,
        run: Callable[[np.ndarray, list[tuple[int, slice]]], dict[int, object]],
        on_round: Callable[[int, int], None] | None = None,
    ) -> None:
        """Main thread: run each round's rows as one batch until every job has finished."""
        while True:
            with self.cond:
                self.cond.wait_for(lambda: self.active == 0 or len(self.pending) >= self.active)
                if self.active == 0:
                    return
                items = sorted(self.pending.items())
                self.pending.clear()
            slices, k = [], 0
            for j, rows in items:
                slices.append((j, slice(k, k + len(rows))))
                k += len(rows)
            try:
                out = run(np.concatenate([rows for _, rows in items]), slices)
            except BaseException as exc:
                with self.cond:
                    self.error = exc
                    self.cond.notify_all()
                raise
            self.rounds += 1
            if on_round is not None:
                on_round(len(items), k)
            with self.cond:
                self.results.update(out)
                self.cond.notify_all()


def solve_all(
    jobs: Sequence[Job],
    simulate: Callable[[np.ndarray], object],
    take: Callable[[object, slice], object],
    to_x: Callable[[np.ndarray], np.ndarray],
    *,
    step: float = STEP,
    tol: float = 1e-8,
    on_round: Callable[[int, int], None] | None = None,
) -> list[Solution]:
    """Solve every job with least_squares (trf, bounds [0, 1]); all requests batched per round.

    `simulate(X)` runs the rows X (model units) once; `take(sim, slice)` selects a
    job's rows of it; `to_x` maps unit coordinates to model units.
    """
    if not jobs:
        return []
    hub = Lockstep(len(jobs))
    out: list[Solution | None] = [None] * len(jobs)

    def worker(j: int) -> None:
        job = jobs[j]
        free = np.asarray(job.free, dtype=bool)
        base = np.asarray(job.u0, dtype=float).copy()
        cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        history: list[float] = []

        def evaluate(uf: np.ndarray) -> np.ndarray:
            key = np.asarray(uf, dtype=float).tobytes()
            if key in cache:
                return cache[key][0]
            full = base.copy()
            full[free] = uf
            rows, width = stencil(full, free, step)
            R = np.asarray(hub.request(j, rows))
            r0 = R[0]
            if not np.isfinite(r0).all():
                r0 = np.full(R.shape[1], FAILED)
                J = np.zeros((R.shape[1], int(free.sum())))
            else:
                J = jacobian(R, width)
            cache.clear()  # least_squares asks for the Jacobian at the last point only
            cache[key] = (r0, J)
            history.append(float(0.5 * r0 @ r0))
            return r0

        def jac(uf: np.ndarray, *_: object) -> np.ndarray:
            key = np.asarray(uf, dtype=float).tobytes()
            if key not in cache:
                evaluate(uf)
            return cache[key][1]

        try:
            uf0 = np.clip(base[free], 0.0, 1.0)
            res = least_squares(
                evaluate,
                uf0,
                jac=jac,
                bounds=(0.0, 1.0),
                method="trf",
                x_scale=1.0,
                ftol=tol,
                xtol=tol,
                gtol=tol,
                max_nfev=job.max_nfev,
            )
            full = base.copy()
            full[free] = res.x
            out[j] = Solution(
                full,
                res.fun,
                np.asarray(res.jac),
                float(res.cost),
                int(res.nfev),
                int(res.status),
                str(res.message),
                tag=job.tag,
                history=history,
            )
        except Cancelled:
            out[j] = Solution.failed(base, "cancelled", "cancelled", job.tag, history)
        except Exception as exc:  # noqa: BLE001 - one failed start must not stop the others
            detail = f"{type(exc).__name__}: {exc}"
            out[j] = Solution.failed(base, str(exc), detail, job.tag, history)
        finally:
            hub.finished()

    def run(U: np.ndarray, slices: list[tuple[int, slice]]) -> dict[int, object]:
        sim = simulate(to_x(U))
        return {j: jobs[j].residuals_of(take(sim, sl)) for j, sl in slices}

    threads = [
        threading.Thread(target=worker, args=(j,), daemon=True, name=f"lsq-{j}")
        for j in range(len(jobs))
    ]
    for t in threads:
        t.start()
    try:
        hub.serve(run, on_round)
    finally:
        with hub.cond:
            if hub.active:
                hub.error = hub.error or RuntimeError("stopped")
            hub.cond.notify_all()
        for t in threads:
            t.join()
    return [s for s in out if s is not None]
