"""Resuming an interrupted optimisation: every batch's results on disk, verified before reuse.

The search algorithms are deterministic for a given seed, and so is the runner
for a given input; so an interrupted optimisation resumes by running again and
taking each batch it already evaluated from disk instead of from the model.
`EvaluationMemo.wrap(cube)` stores each batch's metric cube in
`<out>/evaluations/<spec digest>/<key>.npy`, where the key hashes the batch's
lever values and the futures. Each file starts with the SHA-256 of the array
bytes that follow; a file whose hash or shape does not match is not used (it is
recomputed and left alone, and counted in `damaged`).

Without `resume`, nothing is read, but the files are still written, so a run
killed half-way can be resumed with `--resume`.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.io import write_bytes

FOLDER = "evaluations"
_DIGEST = 64


class EvaluationMemo:
    """Metric cubes of evaluated batches, on disk under `out/evaluations/<identity>/`."""

    def __init__(self, out: Path, identity: str, *, resume: bool) -> None:
        self.root = Path(out)
        self.folder = self.root / FOLDER / identity
        self.resume = resume
        self.used: dict[str, str] = {}  # relative path -> sha256 of the file
        self.reused = 0
        self.damaged = 0

    def wrap(
        self, cube: Callable[[pd.DataFrame], np.ndarray], futures: pd.DataFrame | None
    ) -> Callable[[pd.DataFrame], np.ndarray]:
        """`cube`, with each batch read from disk when resuming and written after computing."""
        salt = hashlib.sha256()
        if futures is not None:
            salt.update(repr(list(futures.columns)).encode())
            salt.update(futures.to_numpy(dtype=np.float64).tobytes())

        def memo(levers: pd.DataFrame) -> np.ndarray:
            h = salt.copy()
            h.update(repr(list(levers.columns)).encode())
            h.update(np.ascontiguousarray(levers.to_numpy(dtype=np.float64)).tobytes())
            path = self.folder / f"{h.hexdigest()[:40]}.npy"
            if self.resume and path.is_file():
                arr = self._read(path)
                if arr is not None and arr.shape[0] == len(levers):
                    self.reused += 1
                    return arr
                self.damaged += 1
            arr = np.asarray(cube(levers), dtype=np.float64)
            self._write(path, arr)
            return arr

        return memo

    def _read(self, path: Path) -> np.ndarray | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        head, body = data[:_DIGEST], data[_DIGEST:]
        if head != hashlib.sha256(body).hexdigest().encode():
            return None
        try:
            arr = np.load(io.BytesIO(body), allow_pickle=False)
        except ValueError:
            return None
        self._own(path, data)
        return arr

    def _write(self, path: Path, arr: np.ndarray) -> None:
        if path.is_file() and self._read(path) is None:
            return  # not a file this tool can prove it wrote: leave it alone
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        body = buf.getvalue()
        data = hashlib.sha256(body).hexdigest().encode() + body
        write_bytes(path, data)
        self._own(path, data)

    def _own(self, path: Path, data: bytes) -> None:
        self.used[path.relative_to(self.root).as_posix()] = hashlib.sha256(data).hexdigest()
