"""Chunks on Dask: a local cluster of worker processes, or an existing scheduler.

Tasks are `chunks.run_chunk(task, chunk, start, rows)`: pure, so a task retried
after a lost worker recomputes the same result. The client keeps a bounded
window of tasks in flight (memory stays bounded by the chunk size) and yields
each result as it completes.

Each chunk is submitted once, as one future, and `as_completed` yields each
future once: retries after a lost worker happen inside the scheduler, behind
that one future, so each chunk comes back once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import pandas as pd

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.runs.chunks import run_chunk
from regionsoft_sd.runs.types import ChunkResult, Task

RETRIES = 3
IN_FLIGHT_PER_WORKER = 2
CONNECT_TIMEOUT = "10s"


def connect(workers: int | None, scheduler: str | None):
    """A Dask client (and the local cluster it owns, or None); InputError if unreachable."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                None,
                "--scheduler",
                f"cannot reach a Dask scheduler at {scheduler} ({type(exc).__name__})",
                "start one (dask scheduler) or check the address",
            ) from exc
    cluster = LocalCluster(
        n_workers=workers or 1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    return Client(cluster), cluster


def run_on_dask(
    task: Task,
    todo: Sequence[tuple[int, int, int]],
    rows: Callable[[int, int], pd.DataFrame],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[ChunkResult]:
    """Run the chunks `todo` ((chunk, start, stop) each) on Dask; yield each result.

    Closing the generator early (an exception in the consumer, Ctrl-C) cancels
    what is in flight and closes the client and any cluster it started.
    """
    client, cluster = connect(workers, scheduler)
    live: dict = {}
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = max(2, IN_FLIGHT_PER_WORKER * n_workers)
        [task_f] = client.scatter([task], broadcast=True, hash=False)
        pending = list(todo)

        def submit():
            chunk, start, stop = pending.pop(0)
            fut = client.submit(
                run_chunk, task_f, chunk, start, rows(start, stop), pure=False, retries=RETRIES
            )
            live[fut.key] = fut
            return fut

        from distributed import as_completed

        ac = as_completed([submit() for _ in range(min(window, len(pending)))])
        for fut in ac:
            out = fut.result()
            live.pop(fut.key, None)
            fut.release()
            if pending:
                ac.add(submit())
            yield out
    finally:
        with contextlib.suppress(Exception):
            client.cancel(list(live.values()))
        client.close()
        if cluster is not None:
            cluster.close()
