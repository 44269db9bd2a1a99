"""Output folders a command owns: checked, locked, staged, and listed with hashes.

Every command that writes an `--out` folder goes through `OutputFolder`:

1. **Checks** (`check_out`), before anything is written: the path is not a
   file, not below a file, not a dangling symlink or a symlink loop, not too
   long, and its folder can be written. Each problem is an `InputError`.
2. **One writer**: a lock file (`.regionsoft.lock`) holding the owner's pid,
   host and start time. A second command exits 2 while the owner lives; the
   lock of a process that died (SIGKILL, power loss) is recovered.
3. **Ownership**: `regionsoft-manifest.json` lists every file the tool wrote
   there, with its SHA-256, and the folder's kind ("sweep", "simulation",
   "runs"). A folder is accepted only if it is empty or already holds a
   manifest of the same kind (files the user added there are left alone). A
   command replaces or deletes only files the manifest lists whose content
   still has the listed hash, and never through a symlink.
4. **Staging**: outputs are written into a hidden staging folder inside the
   output folder and moved into place only by `commit()`, after the command
   has succeeded. A failed run leaves the earlier outputs as they were and
   removes its own staging folder.

The CLI never deletes anything else; `--out` itself may be a symlink to a
folder (the user chose where), but links inside it are never followed to
write or delete.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import socket
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from regionsoft_sd.common.errors import InputError, OutputError, shorten_path
from regionsoft_sd.common.io import write_text

MANIFEST = "regionsoft-manifest.json"
LOCK = ".regionsoft.lock"
STAGING_PREFIX = ".regionsoft-staging-"
FORMAT = 1
TOOL = "regionsoft-sd"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
UNREADABLE_LOCK_GRACE_S = 10.0
"""A lock file that cannot be parsed is taken as 'being written' for this long, then as stale."""


def sha256_file(path: Path) -> str:
    """SHA-256 of a regular file, never following a symlink."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _os_problem(exc: OSError) -> str:
    reasons = {
        errno.ENAMETOOLONG: "the path or one of its names is too long",
        errno.ELOOP: "it goes through a symlink loop",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EACCES: "permission denied",
        errno.EPERM: "not permitted (read-only or immutable)",
        errno.EROFS: "the file system is read-only",
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
    }
    return reasons.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def check_out(out: str | Path, key: str = "--out") -> Path:
    """Validate an output folder path before anything is written; return it absolute.

    Raises InputError when the folder cannot be used: it is a file, a dangling
    symlink or a symlink loop, lies below a file, has too long a name, or its
    nearest existing folder cannot be written.
    """
    raw = Path(out)
    shown = shorten_path(raw)
    if str(raw) == "":
        raise InputError(None, key, "empty path", "give a folder path")
    try:
        absolute = Path(os.path.abspath(raw))
        if raw.is_symlink() and not raw.exists():
            try:
                raw.resolve(strict=True)
            except RuntimeError as exc:
                raise OSError(errno.ELOOP, "symlink loop") from exc
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise
            raise InputError(
                None, key, f"{shown} is a symlink to a missing folder", "give an existing folder"
            )
        st = os.stat(absolute) if os.path.lexists(absolute) else None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            raise InputError(None, key, f"{shown} exists and is not a folder", "give a folder path")
        base = absolute
        while not os.path.lexists(base) and base != base.parent:
            base = base.parent
        if not base.is_dir():
            raise InputError(
                None,
                key,
                f"cannot create {shown}: {shorten_path(base)} is not a folder",
                "give a path inside a folder",
            )
        for part in absolute.relative_to(base).parts:
            if len(part.encode()) > 255:
                raise OSError(errno.ENAMETOOLONG, "name too long")
        if len(os.fsencode(absolute)) >= 4000:
            raise OSError(errno.ENAMETOOLONG, "path too long")
        if not os.access(base, os.W_OK | os.X_OK):
            readonly = bool(os.statvfs(base).f_flag & os.ST_RDONLY)
            why = "the file system is read-only" if readonly else "permission denied"
            raise InputError(
                None,
                key,
                f"cannot write to {shorten_path(base)} ({why})",
                "give a folder you can write to",
            )
    except RuntimeError as exc:  # pathlib's symlink-loop error
        raise InputError(
            None, key, f"{shown}: it goes through a symlink loop", "fix the link"
        ) from exc
    except OSError as exc:
        raise InputError(
            None, key, f"cannot use {shown}: {_os_problem(exc)}", "give another folder path"
        ) from exc
    return absolute


def _no_symlink_below(root: Path, path: Path) -> bool:
    """True if no component of `path` below `root` (the file included) is a symlink."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    p = root
    for part in rel.parts:
        p = p / part
        if p.is_symlink():
            return False
    return True


def _pid_alive(pid: int, started: float | None) -> bool:
    """True if process `pid` runs (and, when known, started at `started`)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with distributed
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 1.0
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True


def _own_start_time() -> float | None:
    try:
        import psutil

        return psutil.Process(os.getpid()).create_time()
    except Exception:  # noqa: BLE001 - only a sharper pid-reuse check
        return None


class OutputFolder:
    """An output folder one command writes: use as a context manager.

    Inside the `with` block, write every output to `self.stage(relpath)` (a
    path in the staging folder), then call `commit()`. Leaving the block
    without a commit (an error, Ctrl-C) removes the staging folder and leaves
    the folder's earlier outputs untouched. The lock is released either way.
    """

    def __init__(self, path: str | Path, kind: str, *, key: str = "--out") -> None:
        self.requested = Path(path)
        self.kind = kind
        self.key = key
        self.path = Path(path)
        self.owned: dict[str, str] = {}
        self.pending: dict[str, str] = {}  # rel -> previous hash, while a commit moves files
        self.owned_dirs: list[str] = []
        self.checkpoints: list[str] = []
        self.staging: Path | None = None
        self._token = secrets.token_hex(6)
        self._locked = False
        self._created = False
        self._fresh = False  # this run wrote the folder's first manifest
        self._committed = False

    # -- enter / exit ---------------------------------------------------------------------
    def __enter__(self) -> OutputFolder:
        self.path = check_out(self.requested, self.key)
        created = self._created = not os.path.lexists(self.path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                None,
                self.key,
                f"cannot create {shorten_path(self.requested)}: {_os_problem(exc)}",
                "give another folder path",
            ) from exc
        try:
            self._lock()
            self._claim(created)
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._drop_staging()
            if self._fresh and not self._committed:
                self._undo_claim()
        finally:
            self._unlock()

    def _undo_claim(self) -> None:
        """A failed first run leaves the folder as it found it (absent, or empty)."""
        left = [p.name for p in self.path.iterdir() if p.name not in (LOCK, MANIFEST)]
        if left:
            return
        with contextlib.suppress(OSError):
            (self.path / MANIFEST).unlink()
            if self._created:
                self._unlock()
                self.path.rmdir()

    # -- lock -----------------------------------------------------------------------------
    def _lock(self) -> None:
        """Take the folder's lock: written whole to a temporary file, then hard-linked into
        place (atomic, and it fails if a lock exists), so a lock is never seen half-written."""
        lock = self.path / LOCK
        me = {
            "tool": TOOL,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": _own_start_time(),
            "token": self._token,
            "staging": STAGING_PREFIX + self._token,
        }
        tmp = self.path / f".{LOCK}.{self._token}.tmp"
        deadline = time.monotonic() + UNREADABLE_LOCK_GRACE_S + 5
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
            try:
                os.write(fd, (json.dumps(me) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            while True:
                try:
                    _place_lock(tmp, lock)
                    self._locked = True
                    return
                except FileExistsError:
                    self._break_stale_lock(lock)
                if time.monotonic() > deadline:  # pragma: no cover - a lock stuck half-written
                    raise InputError(
                        None,
                        self.key,
                        f"{shorten_path(lock)} cannot be read and does not go away",
                        "if no regionsoft runs there, delete that file",
                    )
        except OSError as exc:
            raise InputError(
                None,
                self.key,
                f"cannot write to {shorten_path(self.requested)}: {_os_problem(exc)}",
                "give a folder you can write to",
            ) from exc
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _break_stale_lock(self, lock: Path) -> None:
        """Remove `lock` if its owner is dead; raise InputError if it lives."""
        try:
            if lock.is_symlink():
                raise InputError(
                    None,
                    self.key,
                    f"{shorten_path(lock)} is a symlink, not regionsoft's lock",
                    "remove it and try again",
                )
            raw = lock.read_bytes()
            age = time.time() - lock.stat().st_mtime
        except FileNotFoundError:
            return  # released meanwhile: try again
        try:
            holder = json.loads(raw)
            pid, host = int(holder["pid"]), str(holder["host"])
            started = holder.get("started")
        except (ValueError, KeyError, TypeError):
            if age < UNREADABLE_LOCK_GRACE_S:
                time.sleep(0.2)
                return
            holder, pid, host, started = None, None, None, None
        if holder is not None:
            if host != socket.gethostname():
                raise InputError(
                    None,
                    self.key,
                    f"{shorten_path(self.requested)} is in use by regionsoft on host {host!r} "
                    f"(pid {pid})",
                    f"wait for it, or if nothing runs there, delete {LOCK} in that folder",
                )
            if _pid_alive(pid, started):
                raise InputError(
                    None,
                    self.key,
                    f"another regionsoft (pid {pid}) is writing to {shorten_path(self.requested)}",
                    "wait for it to finish, or choose another --out",
                )
        # stale: the owner died; its lock and staging folder are ours to clear
        with contextlib.suppress(FileNotFoundError):
            if lock.read_bytes() == raw:
                lock.unlink()
        if holder is not None:
            name = str(holder.get("staging", ""))
            if name.startswith(STAGING_PREFIX) and "/" not in name:
                _remove_tree_no_follow(self.path / name)

    def _unlock(self) -> None:
        if not self._locked:
            return
        lock = self.path / LOCK
        with contextlib.suppress(OSError, ValueError, KeyError):
            if json.loads(lock.read_bytes()).get("token") == self._token:
                lock.unlink()
        self._locked = False

    # -- ownership ------------------------------------------------------------------------
    def _claim(self, created: bool) -> None:
        m = self.path / MANIFEST
        shown = shorten_path(self.requested)
        if m.is_symlink():
            raise InputError(
                None, self.key, f"{shorten_path(m)} is a symlink", "choose another --out"
            )
        if m.exists():
            try:
                data = json.loads(m.read_text(encoding="utf-8"))
                ok = data.get("tool") == TOOL and isinstance(data.get("files"), dict)
            except (OSError, ValueError, UnicodeDecodeError, AttributeError):
                ok = False
            if not ok:
                raise InputError(
                    None,
                    self.key,
                    f"{shown} has a damaged {MANIFEST}, so it cannot tell its files from yours",
                    "choose another --out, or empty that folder",
                )
            if data.get("kind") != self.kind:
                raise InputError(
                    None,
                    self.key,
                    f"{shown} holds the outputs of a {data.get('kind')!r} command, "
                    f"not of a {self.kind!r} one",
                    "choose another --out",
                )
            self.owned = {str(k): str(v) for k, v in data["files"].items()}
            self.pending = {str(k): str(v) for k, v in (data.get("pending") or {}).items()}
            self.owned_dirs = [str(d) for d in data.get("dirs", [])]
            self.checkpoints = [str(d) for d in data.get("checkpoints", [])]
            return
        foreign = [p for p in self._entries() if not self._is_ours(p)]
        if foreign:
            names = ", ".join(sorted(p.name for p in foreign)[:3])
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise InputError(
                None,
                self.key,
                f"{shown} holds files regionsoft did not write ({names}{more})",
                "choose an empty or new folder (regionsoft replaces only its own outputs)",
            )
        self._write_manifest()
        self._fresh = True

    def _entries(self) -> list[Path]:
        try:
            return list(self.path.iterdir())
        except OSError as exc:
            raise InputError(
                None,
                self.key,
                f"cannot list {shorten_path(self.requested)}: {_os_problem(exc)}",
                "give a folder you can read",
            ) from exc

    def _is_ours(self, p: Path) -> bool:
        if p.name in (LOCK,) or (p.name.startswith(STAGING_PREFIX) and not p.is_symlink()):
            return True
        if p.name.startswith((f".{LOCK}.", f".{MANIFEST}.")) and p.name.endswith(".tmp"):
            return True  # our own atomic writers' temporary files
        # a nested output folder (out/sweep-x inside out) belongs to the tool too
        nested = p / MANIFEST
        if p.is_dir() and not p.is_symlink() and nested.is_file() and not nested.is_symlink():
            try:
                return json.loads(nested.read_text(encoding="utf-8")).get("tool") == TOOL
            except (OSError, ValueError, UnicodeDecodeError, AttributeError):
                return False
        return False

    def _write_manifest(self) -> None:
        data = {
            "tool": TOOL,
            "format": FORMAT,
            "kind": self.kind,
            "files": dict(sorted(self.owned.items())),
            "pending": dict(sorted(self.pending.items())),
            "dirs": sorted(set(self.owned_dirs)),
            "checkpoints": sorted(set(self.checkpoints)),
        }
        try:
            write_text(self.path / MANIFEST, json.dumps(data, indent=1) + "\n")
        except OSError as exc:
            raise OutputError(self.path / MANIFEST, exc) from exc

    def is_owned(self, rel: str) -> bool:
        """True if `rel` is absent, or a regular file we wrote that nobody changed since."""
        p = self.path / rel
        if not os.path.lexists(p):
            return _no_symlink_below(self.path, p.parent) or not os.path.lexists(p.parent)
        if not _no_symlink_below(self.path, p) or not p.is_file():
            return False
        known = {self.owned.get(rel), self.pending.get(rel)} - {None}
        return bool(known) and sha256_file(p) in known

    def check_replaceable(self, rels: Iterable[str]) -> None:
        """Raise InputError if a file of `rels` exists but is not ours, or lies behind a link."""
        for rel in rels:
            p = self.path / rel
            for parent in reversed(Path(rel).parents[:-1] if len(Path(rel).parts) > 1 else []):
                q = self.path / parent
                if q.is_symlink() or (os.path.lexists(q) and not q.is_dir()):
                    raise InputError(
                        None,
                        self.key,
                        f"{shorten_path(q)} is a symlink or a file, not a folder regionsoft made",
                        "remove it, or choose another --out",
                    )
            if not self.is_owned(rel):
                raise InputError(
                    None,
                    self.key,
                    f"{shorten_path(p)} exists and regionsoft did not write it "
                    "(or it changed since)",
                    "move it away, or choose another --out",
                )

    def check_subdir(self, rel: str) -> Path:
        """Raise InputError unless `rel` is absent or a real folder (no symlink on the way)."""
        p = self.path
        for part in Path(rel).parts:
            p = p / part
            if p.is_symlink() or (os.path.lexists(p) and not p.is_dir()):
                raise InputError(
                    None,
                    self.key,
                    f"{shorten_path(p)} is a symlink or a file, not a folder regionsoft made",
                    "remove it, or choose another --out",
                )
        return self.path / rel

    def make_subdir(self, rel: str) -> Path:
        """Create folder `rel` inside this folder (each part a real folder, no symlink on the
        way) and return it; InputError if a part is a symlink or a file.

        For the folders a command writes into directly (checkpoints, memos): each part
        is created by `mkdir` (which never follows a link at the last component) and
        checked with `lstat` afterwards, so nothing is written through a link planted
        there before the run.
        """
        self.check_subdir(rel)
        p = self.path
        for part in Path(rel).parts:
            p = p / part
            try:
                p.mkdir(exist_ok=True)
            except OSError as exc:
                raise OutputError(p, exc) from exc
        return self.check_subdir(rel)

    # -- staging and commit ---------------------------------------------------------------
    def stage(self, rel: str) -> Path:
        """Where to write output `rel` (relative to the folder) until `commit()`.

        The staging folder is created on first use; subfolders are the writer's job.
        """
        if self.staging is None:
            self.staging = self.path / (STAGING_PREFIX + self._token)
            try:
                self.staging.mkdir()
            except OSError as exc:
                raise OutputError(self.staging, exc) from exc
        return self.staging / rel

    def staged(self, rel: str) -> Path | None:
        """The staged file `rel`, or None if nothing was written there."""
        if self.staging is None:
            return None
        p = self.staging / rel
        return p if p.is_file() and not p.is_symlink() else None

    def unstage(self, rel: str) -> None:
        """Drop a staged file (an output that turned out empty)."""
        p = self.staged(rel)
        if p is not None:
            p.unlink()

    def _staged_files(self) -> dict[str, Path]:
        if self.staging is None or not self.staging.is_dir():
            return {}
        out = {}
        for dirpath, _, filenames in os.walk(self.staging, followlinks=False):
            for name in filenames:
                p = Path(dirpath) / name
                if p.is_file() and not p.is_symlink() and not name.endswith(".tmp"):
                    out[p.relative_to(self.staging).as_posix()] = p
        return dict(sorted(out.items()))

    def commit(
        self,
        *,
        checkpoints: Iterable[Path] = (),
        remove_stale: bool = False,
        remove_checkpoints: Callable[[Path, Path], list[Path]] | None = None,
    ) -> tuple[list[Path], list[Path]]:
        """Move the staged outputs into place and list them (with hashes) in the manifest.

        `checkpoints`: checkpoint folders (inside this folder) the run used;
        they are listed as ours and kept. With `remove_stale`, files an earlier
        run of this kind wrote that this one did not (and earlier checkpoint
        folders, by `remove_checkpoints(folder, checkpoint_folder)`, which
        knows their format) are deleted, but only where the content still has
        the listed hash and no symlink is in the way.
        Returns (the final paths of the outputs, the paths removed).
        """
        staged = self._staged_files()
        self.check_replaceable(staged)
        hashes = {rel: sha256_file(src) for rel, src in staged.items()}
        # phase 1: list the new files before moving them, keeping the old hashes as
        # "pending", so that a crash while moving leaves every file provably ours
        self.pending = {rel: self.owned[rel] for rel in staged if rel in self.owned}
        self.owned = {**self.owned, **hashes}
        self._write_manifest()
        final: list[Path] = []
        new_owned: dict[str, str] = {}
        dirs = set(self.owned_dirs)
        for rel, src in staged.items():
            dest = self.path / rel
            for parent in reversed(Path(rel).parents[:-1]):
                d = self.path / parent
                if not d.exists():
                    d.mkdir()
                dirs.add(parent.as_posix())
            os.replace(src, dest)
            new_owned[rel] = hashes[rel]
            final.append(dest)
        cps = [Path(c).resolve().relative_to(self.path.resolve()).as_posix() for c in checkpoints]
        removed: list[Path] = []
        if remove_stale:
            for rel, digest in sorted(self.owned.items()):
                if rel in new_owned:
                    continue
                p = self.path / rel
                if p.is_file() and _no_symlink_below(self.path, p) and sha256_file(p) == digest:
                    p.unlink()
                    removed.append(p)
            for cp in self.checkpoints:
                if cp not in cps and remove_checkpoints is not None:
                    removed += remove_checkpoints(self.path, self.path / cp)
            self.checkpoints = cps
            self.owned = new_owned
            for d in sorted(dirs, key=lambda s: -s.count("/")):
                p = self.path / d
                if p.is_dir() and not p.is_symlink() and not any(p.iterdir()):
                    p.rmdir()
                    dirs.discard(d)
        else:
            self.owned = {
                rel: dg for rel, dg in self.owned.items() if (self.path / rel).is_file()
            } | new_owned
            self.checkpoints = sorted(set(self.checkpoints) | set(cps))
        for cp in cps:
            dirs.update(p.as_posix() for p in Path(cp).parents[:-1])
        self.owned_dirs = sorted(dirs)
        self.pending = {}
        self._write_manifest()  # phase 2: the new state
        self._committed = True
        self._drop_staging()
        return final, removed

    def _drop_staging(self) -> None:
        if self.staging is not None:
            _remove_tree_no_follow(self.staging)
            self.staging = None


def _place_lock(tmp: Path, lock: Path) -> None:
    """Put the finished lock file `tmp` at `lock`, failing with FileExistsError if one exists.

    A hard link is atomic and never shows a half-written lock; on a file system
    without hard links, an exclusive create and write is the fallback.
    """
    try:
        os.link(tmp, lock)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        try:
            os.write(fd, tmp.read_bytes())
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_tree_no_follow(root: Path) -> None:
    """Remove a folder this process (or a dead run of the tool) created, never following links."""
    if not root.exists() or root.is_symlink() or not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root, topdown=False, followlinks=False):
        for name in filenames:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(dirpath, name))
        for name in dirnames:
            p = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):
                if os.path.islink(p):
                    os.unlink(p)
                else:
                    os.rmdir(p)
    with contextlib.suppress(OSError):
        os.rmdir(root)
