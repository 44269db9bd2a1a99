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

from regionsoft_sd.common.errors import OutputError

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
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(dest, exc) from exc
    tmp = Path(tmp_name)
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
