"""Checkpoints you can trust: every chunk on disk is verified before it is reused.

The checkpoints of one evaluation live in `<root>/<identity>/`, where the
identity fingerprints everything that decides the results (for a sweep: the
spec, its strategy files and the model). The folder holds

- `manifest.json`: format, identity, number of runs, chunk size, and a random
  *generation* token that changes whenever the evaluation starts over;
- `journal.jsonl`: one line per finished chunk, appended and synced:
  generation, identity, chunk id, run range, a hash of the chunk's input rows,
  and the name, size and SHA-256 of each file it wrote;
- `chunk-NNNNNN.parquet` (metrics) and `traj-NNNNNN.parquet` (trajectories,
  when the chunk keeps some), each written atomically.

On resume a chunk is reused only if its latest journal line belongs to this
generation and identity, covers the planned run range, was computed from the
same input rows, and every file it lists is present with that size and hash.
Anything else is rerun, and the note says why: *missing*, *damaged*,
*mismatched* or *duplicated* (a copy of another chunk's file). A missing or
damaged manifest means "start again", never "reuse". Reading a checkpoint back
checks its hash again, so a file changed under a running evaluation is an
error, not a silent wrong value.

Nothing here deletes anything: a fresh start only writes a new manifest (on
the first finished chunk) whose generation makes every older line stale.
Cleaning a folder up is `remove()`, called by the owner once a run succeeded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from regionsoft_sd.common.io import write_bytes, write_text
from regionsoft_sd.runs.chunks import plan
from regionsoft_sd.runs.types import ChunkResult

CHUNK_DIR = "chunks"
MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
FORMAT = 1
_FILE_RE = re.compile(r"^(chunk|traj)-\d{6}\.parquet$")
_TMP_RE = re.compile(r"^\.((chunk|traj)-\d{6}\.parquet|manifest\.json|journal\.jsonl)\.\w{8}\.tmp$")
MAX_LISTED = 5


class CheckpointError(RuntimeError):
    """A checkpoint changed on disk while the evaluation was using it."""


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes (read in blocks, symlinks not followed)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def frame_hash(df: pd.DataFrame) -> str:
    """Hash of a chunk's input rows: run ids, column names and float values."""
    h = hashlib.sha256()
    h.update(df.index.to_numpy(dtype="int64").tobytes())
    h.update(repr(list(map(str, df.columns))).encode())
    h.update(df.to_numpy(dtype="float64").tobytes())
    return h.hexdigest()


def chunk_name(chunk: int, kind: str = "chunk") -> str:
    """File name of one chunk's checkpoint (`kind` "chunk" for metrics, "traj" for trajectories)."""
    return f"{kind}-{chunk:06d}.parquet"


@dataclass
class _Record:
    gen: str
    identity: str
    chunk: int
    start: int
    stop: int
    input: str
    files: dict[str, tuple[int, str]]  # kind -> (size, sha256)


class Checkpoints:
    """Verified checkpoints of one evaluation, in `root/identity/`.

    `identity` must change whenever anything that decides a chunk's result
    changes (the caller's fingerprint; `Task.digest()` by default). The run
    plan (`n_runs`, `chunk_size`) is checked as well.
    """

    def __init__(self, root: Path, identity: str, n_runs: int, chunk_size: int) -> None:
        if not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", identity):
            raise ValueError(f"identity {identity!r} is not a plain folder name")
        self.root = Path(root)
        self.identity = identity
        self.folder = self.root / identity
        self.plan = plan(n_runs, chunk_size)
        self.n_runs, self.chunk_size = n_runs, chunk_size
        self.gen = secrets.token_hex(8)
        self._manifest_written = False
        self._done: dict[int, _Record] = {}

    # -- resume ---------------------------------------------------------------------------
    def start(self, resume: bool, input_hash: Callable[[int], str]) -> tuple[list[int], list[str]]:
        """The chunks still to run, and notes on any checkpoint that could not be reused.

        Without `resume` every chunk runs again. With it, each chunk is verified
        (see the module docstring); `input_hash(chunk)` is the hash of the rows
        it would run now. Writes nothing.
        """
        everything = list(range(len(self.plan)))
        if not resume:
            return everything, []
        old = self._read_manifest()
        if old is None:
            if self.folder.exists():
                return everything, [
                    f"checkpoints in {self.folder}: manifest missing or damaged; started again"
                ]
            return everything, []
        self.gen = old["generation"]
        self._manifest_written = True
        records = self._read_journal()
        todo: list[int] = []
        problems: dict[str, list[str]] = {}
        recorded = {rec.files[k][1]: (i, k) for i, rec in records.items() for k in rec.files}
        for i in everything:
            why = self._verify(i, records.get(i), input_hash, recorded)
            if why is None:
                self._done[i] = records[i]
            else:
                todo.append(i)
                problems.setdefault(why.split(" ")[0], []).append(f"chunk {i} {why}")
        notes = []
        if problems:
            items = [x for group in problems.values() for x in group]
            shown = ", ".join(items[:MAX_LISTED])
            more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
            notes.append(
                f"reran {len(items)} checkpoint(s) that could not be reused: {shown}{more}"
            )
        return todo, notes

    def _verify(
        self,
        i: int,
        rec: _Record | None,
        input_hash: Callable[[int], str],
        recorded: dict[str, tuple[int, str]],
    ) -> str | None:
        a, b = self.plan[i]
        if rec is None:
            return "missing"
        if (rec.start, rec.stop) != (a, b) or rec.identity != self.identity:
            return "mismatched (another run range or sweep)"
        if rec.input != input_hash(i):
            return "mismatched (other input rows)"
        for kind, (size, digest) in rec.files.items():
            p = self.folder / chunk_name(i, kind)
            if p.is_symlink() or not p.is_file():
                return "missing"
            actual = sha256_file(p)
            if actual != digest:
                if actual in recorded and recorded[actual][0] != i:
                    return f"duplicated (a copy of chunk {recorded[actual][0]})"
                return "damaged" if p.stat().st_size == size else "damaged (truncated or grown)"
        return None

    def _read_manifest(self) -> dict | None:
        p = self.folder / MANIFEST
        try:
            if p.is_symlink():
                return None
            m = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        want = {
            "format": FORMAT,
            "identity": self.identity,
            "runs": self.n_runs,
            "chunk_size": self.chunk_size,
        }
        if not isinstance(m, dict) or any(m.get(k) != v for k, v in want.items()):
            return None
        if not isinstance(m.get("generation"), str):
            return None
        return m

    def _read_journal(self) -> dict[int, _Record]:
        """The latest well-formed line of this generation for each chunk."""
        out: dict[int, _Record] = {}
        p = self.folder / JOURNAL
        try:
            if p.is_symlink():
                return out
            lines = p.read_bytes().split(b"\n")
        except OSError:
            return out
        for line in lines:
            try:
                d = json.loads(line)
                rec = _Record(
                    str(d["gen"]),
                    str(d["identity"]),
                    int(d["chunk"]),
                    int(d["start"]),
                    int(d["stop"]),
                    str(d["input"]),
                    {str(k): (int(v[0]), str(v[1])) for k, v in d["files"].items()},
                )
            except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                continue  # a line cut short by a crash, or not ours
            if rec.gen == self.gen and set(rec.files) <= {"chunk", "traj"} and "chunk" in rec.files:
                out[rec.chunk] = rec
        return out

    # -- write ----------------------------------------------------------------------------
    def save(self, result: ChunkResult, input_hash: str) -> None:
        """Checkpoint one chunk: its files (atomically), then its journal line (synced)."""
        if not self._manifest_written:
            self.folder.mkdir(parents=True, exist_ok=True)
            manifest = {
                "format": FORMAT,
                "tool": "regionsoft-sd",
                "identity": self.identity,
                "runs": self.n_runs,
                "chunk_size": self.chunk_size,
                "generation": self.gen,
            }
            write_text(self.folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
            self._manifest_written = True
        files: dict[str, tuple[int, str]] = {}
        parts = {"traj": result.trajectories, "chunk": result.metrics}
        for kind, df in parts.items():
            if df is None:
                continue
            buf = io.BytesIO()
            df.to_parquet(buf, index=False)
            data = buf.getvalue()
            write_bytes(self.folder / chunk_name(result.chunk, kind), data)
            files[kind] = (len(data), hashlib.sha256(data).hexdigest())
        rec = {
            "gen": self.gen,
            "identity": self.identity,
            "chunk": result.chunk,
            "start": result.start,
            "stop": result.stop,
            "input": input_hash,
            "files": {k: list(v) for k, v in files.items()},
        }
        self._append(json.dumps(rec, separators=(",", ":")))
        self._done[result.chunk] = _Record(
            self.gen, self.identity, result.chunk, result.start, result.stop, input_hash, files
        )

    def _append(self, line: str) -> None:
        p = self.folder / JOURNAL
        fd = os.open(
            p, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644
        )
        try:
            # a line cut short by a crash is followed by a fresh one, not glued to it
            os.write(fd, b"\n" + line.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- read -----------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        """True when every planned chunk has a verified checkpoint."""
        return len(self._done) == len(self.plan)

    def read(self, chunk: int, kind: str = "chunk") -> pd.DataFrame | None:
        """One chunk's checkpoint, hash-checked (None if it has no file of that kind)."""
        rec = self._done.get(chunk)
        if rec is None:
            raise CheckpointError(f"chunk {chunk} has no verified checkpoint in {self.folder}")
        if kind not in rec.files:
            return None
        p = self.folder / chunk_name(chunk, kind)
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != rec.files[kind][1]:
            raise CheckpointError(f"{p} changed on disk during the run; rerun with --resume")
        return pd.read_parquet(io.BytesIO(data))

    def iter(self, kind: str = "chunk") -> Iterator[pd.DataFrame]:
        """Every chunk's checkpoint in chunk order, one in memory at a time (skips absent ones)."""
        for i in range(len(self.plan)):
            df = self.read(i, kind)
            if df is not None:
                yield df

    def written(self) -> list[Path]:
        """Every file this evaluation's checkpoints consist of (for an ownership manifest)."""
        out = [self.folder / MANIFEST, self.folder / JOURNAL]
        for i, rec in sorted(self._done.items()):
            out += [self.folder / chunk_name(i, k) for k in rec.files]
        return out

    def stale_temp_files(self) -> list[Path]:
        """Temporary files an interrupted writer left in this folder (our names only)."""
        if not self.folder.is_dir() or self.folder.is_symlink():
            return []
        return sorted(p for p in self.folder.iterdir() if _TMP_RE.match(p.name) and p.is_file())


def remove_checkpoints(root: Path, folder: Path) -> list[Path]:
    """Delete a checkpoint folder's files that provably are its checkpoints; return them.

    A chunk file goes only if a journal line of that folder lists its exact
    hash; the manifest and journal only if they parse as ours; temporary files
    only under the names our writers use. Nothing is followed through a
    symlink, and anything else (a file the user put there) stays, with the folder.
    """
    removed: list[Path] = []
    folder = Path(folder)
    try:
        folder.relative_to(root)
    except ValueError:
        return removed
    if (
        folder.is_symlink()
        or not folder.is_dir()
        or any(p.is_symlink() for p in [folder, *folder.parents] if root in p.parents)
    ):
        return removed
    listed: dict[str, set[str]] = {}
    journal = folder / JOURNAL
    manifest = folder / MANIFEST
    ours = False
    try:
        m = json.loads(manifest.read_text(encoding="utf-8")) if not manifest.is_symlink() else {}
        ours = isinstance(m, dict) and m.get("tool") == "regionsoft-sd"
    except (OSError, ValueError, UnicodeDecodeError):
        ours = False
    if not ours:
        return removed
    try:
        lines = journal.read_bytes().split(b"\n") if not journal.is_symlink() else []
    except OSError:
        lines = []
    for line in lines:
        try:
            d = json.loads(line)
            for kind, (_, digest) in d["files"].items():
                listed.setdefault(chunk_name(int(d["chunk"]), str(kind)), set()).add(str(digest))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    for p in sorted(folder.iterdir()):
        if p.is_symlink() or not p.is_file():
            continue
        if (_FILE_RE.match(p.name) and sha256_file(p) in listed.get(p.name, ())) or _TMP_RE.match(
            p.name
        ):
            p.unlink()
            removed.append(p)
    for p in (journal, manifest):
        if p.is_file() and not p.is_symlink():
            p.unlink()
            removed.append(p)
    with contextlib.suppress(OSError):
        folder.rmdir()
    return removed
