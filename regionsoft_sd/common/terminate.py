"""SIGTERM as an orderly exit: the command unwinds as on Ctrl-C, then exits 143.

Without a handler, SIGTERM (what `kill`, a batch scheduler or a container stop
sends) ends Python at once: no `finally`, no `with` block's exit. An output
folder's lock file and staging folder then stay behind until the next run
clears them. Inside `sigterm_raises()`, SIGTERM raises `Terminated` instead, a
KeyboardInterrupt, so every cleanup that Ctrl-C gets runs (the lock released,
the staging folder removed, finished sweep chunks kept), and the CLI exits with
`EXIT_TERMINATED` (128 + 15, the status a shell reports for SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

EXIT_TERMINATED = 128 + 15
"""Exit status after SIGTERM (143), as a shell reports a process that SIGTERM ended."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM); it unwinds like Ctrl-C."""


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` in the main thread (once).

    A second SIGTERM while the first unwinds is ignored, so that cleanup ends;
    SIGKILL still stops everything. A process forked inside the block (a worker)
    that inherits the handler ends on SIGTERM as it would by default. Outside the
    main thread, or where there is no SIGTERM, the block runs unchanged. The
    previous handler is restored on exit.
    """
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()
    fired: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a forked child: die the default way
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if fired:  # already unwinding: let the cleanup finish
            return
        fired.append(signum)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
