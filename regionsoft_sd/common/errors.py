"""One error type for bad user input, and the helpers that build it.

Everything a user writes (scenario files, sweep specs, command-line values) is
validated at the boundary. A problem becomes an `InputError` whose `str()` is a
single line that names the file, the key, the problem and the fix::

    scenarios/x.toml: policy.culture_shar: unknown lever. Fix: did you mean 'culture_share'?

The CLI prints that line and exits with status 2; no traceback unless `--debug`.
The line is kept short (under `MAX_LINE` characters: long values and paths are
cut in the middle) and printable (control characters, such as terminal escape
codes in a TOML key, are shown escaped, never sent to the terminal raw).
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MAX_LINE = 286
"""Longest message; longer parts are cut in the middle (with the CLI's `regionsoft: `
prefix the printed line stays under 300 characters)."""
MAX_DEPTH = 32
"""Deepest nesting of tables and arrays a TOML input may have."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """`text` with control characters escaped (\\x1b instead of a raw ESC)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def shorten(text: str, limit: int, *, tail: bool = False) -> str:
    """`text` cut in the middle to at most `limit` characters (with '...').

    Keeps two thirds of the room for the start, or for the end with `tail`
    (paths: the file name matters most).
    """
    if len(text) <= limit:
        return text
    keep = max(limit - 3, 2)
    end = keep - keep // 3 if tail else keep // 3
    return text[: keep - end] + "..." + text[len(text) - end :]


def shorten_path(path: str | Path, limit: int = 80) -> str:
    """A path for a message: quoted, escaped and cut to `limit` characters (the end kept)."""
    return repr(shorten(printable(str(path)), limit, tail=True))


class InputError(ValueError):
    """Bad user input: which file, which key, what is wrong, and how to fix it.

    `file` and `key` may be None when they do not apply (e.g. a command-line
    option has no file; a missing file has no key).
    """

    def __init__(
        self, file: str | Path | None, key: str | None, problem: str, fix: str = ""
    ) -> None:
        self.file = None if file is None else str(file)
        self.key = key
        self.problem = problem.rstrip(". ")
        self.fix = fix.rstrip(". ")
        super().__init__(str(self))

    def __str__(self) -> str:
        def clean(text: str) -> str:
            return " ".join(printable(" ".join(text.split())).split())

        def line(file: str, key: str, problem: str, fix: str) -> str:
            end = "" if fix.endswith("?") else "."
            tail = f". Fix: {fix}{end}" if fix else "."
            return ": ".join(p for p in (file, key, problem) if p) + tail

        file, key = clean(self.file or ""), clean(self.key or "")
        problem, fix = clean(self.problem), clean(self.fix)
        full = line(file, key, problem, fix)
        if len(full) <= MAX_LINE:
            return full
        # too long: cut the parts in the middle (paths keep their end), the problem last
        file, key, fix = shorten(file, 50, tail=True), shorten(key, 50), shorten(fix, 100)
        room = MAX_LINE - len(line(file, key, "?", fix)) + 1
        return shorten(line(file, key, shorten(problem, max(room, 40)), fix), MAX_LINE)

    def __reduce__(self):  # keep it picklable (Dask workers send errors back)
        return (type(self), (self.file, self.key, self.problem, self.fix))


class OutputError(InputError):
    """An output could not be written (disk full, read-only, permission): exit 2, not a crash.

    The message names the file and says that the earlier outputs are unchanged,
    which holds because outputs are staged and moved into place only at the end.
    """

    def __init__(self, file: str | Path, exc: OSError | str) -> None:
        import errno

        if isinstance(exc, OSError):
            reason = {
                errno.ENOSPC: "the disk is full",
                errno.EDQUOT: "the disk quota is exceeded",
                errno.EROFS: "the file system is read-only",
                errno.EACCES: "permission denied",
                errno.EPERM: "not permitted",
                errno.ENAMETOOLONG: "the file name is too long",
            }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        else:
            reason = exc
        super().__init__(
            file,
            None,
            f"cannot write it: {reason}; the earlier outputs are unchanged",
            "free some space or choose another --out, then run again",
        )

    def __reduce__(self):
        return (InputError, (self.file, self.key, self.problem, self.fix))


def suggest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to `n` candidates closest to `name`, compared case-insensitively."""
    by_folded: dict[str, str] = {}
    for c in candidates:
        by_folded.setdefault(normalise(c), c)
    hits = difflib.get_close_matches(normalise(name), list(by_folded), n=n, cutoff=0.5)
    return [by_folded[h] for h in hits]


def normalise(name: str) -> str:
    """Fold a name the way Vensim compares names: case, spaces and underscores ignored.

    Defined here, not in `catalogue` (which imports this module), so that both use it.
    """
    return " ".join(name.replace("_", " ").lower().split())


def unknown_name(
    file: str | Path | None,
    key: str | None,
    name: str,
    candidates: Iterable[str],
    what: str = "name",
    hint: str = "",
) -> InputError:
    """Build the error for an unknown name, suggesting the closest known ones."""
    close = suggest(name, candidates)
    if close:
        fix = "did you mean " + " or ".join(repr(c) for c in close) + "?"
    else:
        fix = hint or "check the spelling"
    return InputError(file, key, f"unknown {what} {name!r}", fix)


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning every way it can fail into an InputError.

    A missing file, a directory, unreadable bytes and malformed TOML (with the
    line and column that `tomllib` reports) all become one-line messages.
    """
    p = Path(path)
    try:
        os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(
                p, None, "the path goes through a symlink loop", "fix the link"
            ) from exc
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(p, None, "the path is too long", "use a shorter path") from exc
        if p.is_symlink():
            raise InputError(p, None, "a symlink to a missing file", "fix the link") from exc
        raise InputError(
            p, None, "file not found", "check the path (run `ls` on its folder)"
        ) from exc
    if not p.is_file():
        raise InputError(p, None, "not a file", "give the path of a .toml file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(p, None, f"not UTF-8 text ({exc.reason})", "save it as UTF-8") from exc
    except OSError as exc:
        raise InputError(p, None, f"cannot read it ({exc.strerror})", "check permissions") from exc
    if text.startswith("\ufeff"):
        raise InputError(
            p,
            None,
            "the file starts with a byte-order mark (BOM), which TOML does not allow",
            "save it as UTF-8 without BOM (in most editors: Encoding > UTF-8)",
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # str(exc) is e.g. "Expected '=' after a key in a key/value pair (at line 3, column 5)"
        raise InputError(
            p, None, f"malformed TOML: {exc}", "correct the syntax there (see https://toml.io)"
        ) from exc
    except RecursionError as exc:
        raise InputError(
            p, None, "tables or arrays nested too deeply", f"nest at most {MAX_DEPTH} levels"
        ) from exc
    check_depth(data, p)
    return data


def check_depth(data: Any, file: str | Path | None) -> None:
    """Raise InputError if `data` nests tables/arrays deeper than MAX_DEPTH (iteratively)."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, key = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(
                file,
                key or None,
                f"nested more than {MAX_DEPTH} levels deep",
                f"nest at most {MAX_DEPTH} levels",
            )
        if isinstance(value, dict):
            stack.extend((v, depth + 1, f"{key}.{k}" if key else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{key}[{i}]") for i, v in enumerate(value))
