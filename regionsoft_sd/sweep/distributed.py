"""Dask execution of sweep chunks: a local cluster or an existing scheduler.

Tasks are `runner.run_chunk(spec, chunk, rows)`: pure, so a task retried after
a lost worker recomputes the same result. The client keeps a bounded window of
tasks in flight (memory stays bounded by chunk size) and hands each result to
`finished`, which writes the checkpoint.

Each chunk is submitted once, as one future, and `as_completed` yields each
future once: retries after a lost worker happen inside the scheduler, behind
that one future, so `finished` is called once per chunk. Were it ever called
twice, nothing would break: the checkpoint is named by the chunk id, written
atomically, and its content is the same pure result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pandas as pd

from regionsoft_sd.errors import InputError
from regionsoft_sd.sweep.spec import SweepSpec

RETRIES = 3
IN_FLIGHT_PER_WORKER = 2


def run_on_dask(
    spec: SweepSpec,
    todo: list[int],
    rows: Callable[[int], pd.DataFrame],
    finished: Callable,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> None:
    """Run the chunks in `todo` on Dask and pass each `ChunkOutput` to `finished`."""
    from distributed import Client, LocalCluster, as_completed

    from regionsoft_sd.sweep.runner import run_chunk

    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(
                None,
                "--scheduler",
                f"cannot reach a Dask scheduler at {scheduler} ({exc})",
                "start one (dask scheduler) or check the address",
            ) from exc
    else:
        cluster = LocalCluster(
            n_workers=workers or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = max(2, IN_FLIGHT_PER_WORKER * n_workers)
        [spec_f] = client.scatter([spec], broadcast=True, hash=False)
        pending = list(todo)
        live: dict = {}

        def submit(i: int):
            fut = client.submit(run_chunk, spec_f, i, rows(i), pure=False, retries=RETRIES)
            live[fut.key] = fut
            return fut

        ac = as_completed([submit(pending.pop(0)) for _ in range(min(window, len(pending)))])
        for fut in ac:
            out = fut.result()
            live.pop(fut.key, None)
            fut.release()
            finished(out)
            if pending:
                ac.add(submit(pending.pop(0)))
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(list(live.values()))
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
