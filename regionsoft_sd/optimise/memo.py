"""Resuming an interrupted optimisation: every batch's results on disk, verified before reuse.

The search algorithms are deterministic for a given seed, and so is the runner
for a given input; so an interrupted optimisation resumes by running again and
taking each batch it already evaluated from disk instead of from the model.
`EvaluationMemo.wrap(cube)` stores each batch's metric cube in
`<out>/evaluations/<spec digest>/<key>.npy`, where the key hashes the batch's
lever values and the futures. Each file starts with the SHA-256 of the array
bytes that follow; a file whose hash or shape does not match is not used (it is
recomputed and left alone, and counted in `damaged`).

Nothing is read or written through a symlink: `run_optimise` creates the folder
with `OutputFolder.make_subdir` (refusing a link there, exit 2), and every read
and write checks again. Without `resume`, nothing is read, but the files are still written, so a run
killed half-way can be resumed with `--resume`. The folder is the run's
checkpoint folder in the output folder's manifest; `remove_memo` deletes an
earlier spec's folder, file by file, only where a file proves it is a memo.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.common.io import write_bytes

FOLDER = "evaluations"
_DIGEST = 64
_NAME = re.compile(r"^[0-9a-f]{40}\.npy$")
_TEMP = re.compile(r"^\.[0-9a-f]{40}\.npy\..+\.tmp$")


class EvaluationMemo:
    """Metric cubes of evaluated batches, on disk under `out/evaluations/<identity>/`."""

    def __init__(self, out: Path, identity: str, *, resume: bool) -> None:
        self.root = Path(out)
        self.folder = self.root / FOLDER / identity
        self.resume = resume
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

    def _no_link(self, path: Path) -> bool:
        """True if no part of `path` below the output folder is a symlink."""
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return False
        p = self.root
        for part in rel.parts:
            p = p / part
            if p.is_symlink():
                return False
        return True

    def _read(self, path: Path) -> np.ndarray | None:
        if not self._no_link(path):
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        head, body = data[:_DIGEST], data[_DIGEST:]
        if head != hashlib.sha256(body).hexdigest().encode():
            return None
        try:
            return np.load(io.BytesIO(body), allow_pickle=False)
        except ValueError:
            return None

    def _write(self, path: Path, arr: np.ndarray) -> None:
        if path.is_symlink() and self._no_link(path.parent):
            return  # a link the user put there: not ours to replace, nothing written through it
        if not self._no_link(path):
            raise InputError(
                None,
                "--out",
                f"{FOLDER}/ or a file in it became a symlink while optimising: "
                "regionsoft does not write through links",
                "remove the link, then run again with --resume",
            )
        if path.is_file() and self._read(path) is None:
            return  # not a file this tool can prove it wrote: leave it alone
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        body = buf.getvalue()
        write_bytes(path, hashlib.sha256(body).hexdigest().encode() + body)


def _verifies(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return data[:_DIGEST] == hashlib.sha256(data[_DIGEST:]).hexdigest().encode()


def remove_memo(root: Path, folder: Path) -> list[Path]:
    """Delete the memo files of `folder` (an earlier spec's); return them.

    A file goes only if its name is a memo's and its content verifies (or it is
    our writer's temporary file); nothing is followed through a symlink, and
    anything else stays, with the folder.
    """
    root, folder = Path(root), Path(folder)
    try:
        rel = folder.relative_to(root)
    except ValueError:
        return []
    p = root
    for part in rel.parts:
        p = p / part
        if p.is_symlink():
            return []
    if not folder.is_dir():
        return []
    removed = []
    for f in sorted(folder.iterdir()):
        if f.is_symlink() or not f.is_file():
            continue
        if (_NAME.match(f.name) and _verifies(f)) or _TEMP.match(f.name):
            f.unlink()
            removed.append(f)
    for d in (folder, folder.parent):
        if d != root and d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    return removed
