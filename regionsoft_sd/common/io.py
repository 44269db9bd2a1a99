"""Atomic file writers: a reader sees the old file or the new one, never half of one.

Each writer writes to a temporary file in the destination's folder and then
renames it over the destination with `os.replace`, which is atomic on POSIX and
Windows when both paths are on one file system (same folder guarantees that).
Writers create missing parent folders; callers validate input *before* calling
them, so that bad input never creates or touches an output folder. An
operating-system error while writing (disk full, read-only, permission) becomes
an `OutputError` naming the file, not a crash; the destination is unchanged.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from regionsoft_sd.common.errors import InputError, OutputError, shorten_path

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure


def _read_umask() -> int:
    """The process umask. os.umask can only read it by setting it, so this runs once, at import."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success move it onto `path`.

    The temporary file is flushed to disk (fsync) before the rename, so that a
    crash cannot leave `path` naming an empty or partial file. If the body
    raises, the temporary file is removed and `path` is untouched.
    """
    dest = Path(path)
    tmp = _temp_beside(dest)
    try:
        yield tmp
        try:
            os.chmod(tmp, 0o666 & ~_UMASK)
            _fsync(tmp)
            os.replace(tmp, dest)
        except OSError as exc:
            raise OutputError(dest, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _temp_beside(dest: Path) -> Path:
    """A new empty temporary file in `dest`'s folder (created if missing), for a rename."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        stem = dest.name[:100]  # room for the random part within a 255-byte name
        fd, tmp_name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(dest, exc) from exc
    return Path(tmp_name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: str | Path, writer: Callable[[Path], object]) -> Path:
    with atomic_path(path) as tmp:
        try:
            writer(tmp)
        except OSError as exc:
            raise OutputError(path, exc) from exc
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes atomically (checkpoints whose hash was taken from these very bytes)."""
    return _write(path, lambda p: p.write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (Markdown, summaries)."""
    return _write(path, lambda p: p.write_text(text, encoding="utf-8"))


def replace_between(text: str, start: str, end: str, body: str) -> str:
    """`text` with what lies between the marker lines `start` and `end` replaced by `body`.

    The markers stay; `body` sits on its own lines between them. A ValueError names
    the markers when either is missing (generated blocks of the docs: a missing
    marker means the page was edited by hand, and nothing must be overwritten).
    """
    if start not in text or end not in text:
        raise ValueError(f"no block between {start!r} and {end!r}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body.strip()}\n{end}{tail}"


def write_between(
    path: str | Path, start: str, end: str, body: str, *, append: bool = False
) -> Path:
    """Replace the block between two marker lines of a text file, atomically.

    With `append`, a file without the markers (or no file at all) gets the block
    added at its end instead of a ValueError.
    """
    p = Path(path)
    old = p.read_text(encoding="utf-8") if p.exists() else ""
    if append and (start not in old or end not in old):
        new = (old.rstrip() + "\n\n" if old.strip() else "") + f"{start}\n{body.strip()}\n{end}\n"
    else:
        try:
            new = replace_between(old, start, end, body)
        except ValueError as exc:
            raise ValueError(f"{p}: {exc}") from None
    return write_text(p, new)


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool = True) -> Path:
    """Write a DataFrame as CSV atomically."""
    return _write(path, lambda p: df.to_csv(p, index=index))


def write_parquet(df: pd.DataFrame, path: str | Path, *, index: bool = True) -> Path:
    """Write a DataFrame as Parquet (pyarrow) atomically."""
    return _write(path, lambda p: df.to_parquet(p, index=index))


def write_table(df: pd.DataFrame, path: str | Path, *, index: bool = True) -> Path:
    """Write CSV or Parquet atomically, chosen by the suffix of `path`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return write_parquet(df, path, index=index)
    if suffix == ".csv":
        return write_csv(df, path, index=index)
    raise ValueError(f"{path}: unknown table format {suffix!r} (use .csv or .parquet)")


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Save a matplotlib figure as PNG atomically."""
    return _write(path, lambda p: fig.savefig(p, format="png", dpi=dpi, bbox_inches="tight"))


# ---------------------------------------------------------------------------
# Files the user names (`export --xmile FILE`, `scenarios --copy-to DIR`)


def check_named_file(path: str | Path, *, force: bool = False, key: str | None = None) -> Path:
    """Raise InputError unless `path` may be written as a file the user named.

    The one rule for every file a command writes at a path the user gave (not in an
    `--out` folder, whose manifest proves what regionsoft wrote): the path must be
    absent, or, with `force`, a regular file. A symlink (dangling or not) is refused
    even with `force`, so nothing is ever written through one or replaces one; so is
    anything that is not a regular file (a folder, a FIFO, a device, a socket). An
    existing regular file is refused without `force`: regionsoft cannot tell a file
    it wrote from the user's own, so it never replaces one unasked.
    """
    import stat

    p = Path(path)
    shown = shorten_path(p)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return p
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        why = getattr(exc, "strerror", None) or str(exc)
        raise InputError(
            None, key, f"cannot use {shown}: {why}", "give another file name"
        ) from None
    if stat.S_ISLNK(st.st_mode):
        raise InputError(
            None,
            key,
            f"{shown} is a symlink; regionsoft never writes through or replaces one",
            "give the path of a new file (or of the link's target, with --force)",
        )
    if not stat.S_ISREG(st.st_mode):
        kind = _file_kind(st.st_mode)
        raise InputError(
            None, key, f"{shown} is {kind}, not a regular file", "give the path of a new file"
        )
    if not force:
        raise InputError(
            None,
            key,
            f"{shown} exists and would be replaced",
            "give a new file name, or add --force to replace it",
        )
    return p


def _file_kind(mode: int) -> str:
    import stat

    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a special file"  # pragma: no cover


def write_named_text(
    path: str | Path, text: str, *, force: bool = False, key: str | None = None
) -> Path:
    """Write UTF-8 text atomically to a file the user named, by `check_named_file`'s rule.

    The rule is checked before writing and again just before the file is put in
    place. Without `force` the new file is hard-linked in: `os.link` fails if
    anything appeared at `path` meanwhile, so nothing is ever replaced (a file system
    without hard links gets a rename after the second check). With `force`,
    `os.replace` swaps the directory entry, which never writes into what was there.
    """
    dest = check_named_file(path, force=force, key=key)
    tmp = _temp_beside(dest)
    try:
        try:
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o666 & ~_UMASK)
            _fsync(tmp)
        except OSError as exc:
            raise OutputError(dest, exc) from exc
        check_named_file(dest, force=force, key=key)
        if force or not _link_new(tmp, dest, key):
            try:
                os.replace(tmp, dest)
            except OSError as exc:
                raise OutputError(dest, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _link_new(tmp: Path, dest: Path, key: str | None) -> bool:
    """Hard-link `tmp` at `dest` if nothing is there; False if the file system has no links."""
    import errno

    try:
        os.link(tmp, dest, follow_symlinks=False)
    except FileExistsError:
        raise InputError(
            None,
            key,
            f"{shorten_path(dest)} exists now (it appeared while the file was written)",
            "give a new file name, or add --force to replace it",
        ) from None
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            return False
        raise OutputError(dest, exc) from exc
    return True
