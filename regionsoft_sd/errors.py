"""One error type for bad user input, and the helpers that build it.

Everything a user writes (scenario files, sweep specs, command-line values) is
validated at the boundary. A problem becomes an `InputError` whose `str()` is a
single line that names the file, the key, the problem and the fix::

    scenarios/x.toml: policy.culture_shar: unknown lever. Fix: did you mean 'culture_share'?

The CLI prints that line and exits with status 2; no traceback unless `--debug`.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


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
        parts = [p for p in (self.file, self.key) if p]
        head = ": ".join([*parts, self.problem])
        end = "" if self.fix.endswith("?") else "."
        line = f"{head}. Fix: {self.fix}{end}" if self.fix else f"{head}."
        return " ".join(line.split())  # always exactly one line

    def __reduce__(self):  # keep it picklable (Dask workers send errors back)
        return (type(self), (self.file, self.key, self.problem, self.fix))


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
    if not p.exists():
        raise InputError(p, None, "file not found", "check the path (run `ls` on its folder)")
    if not p.is_file():
        raise InputError(p, None, "not a file", "give the path of a .toml file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(p, None, f"not UTF-8 text ({exc.reason})", "save it as UTF-8") from exc
    except OSError as exc:
        raise InputError(p, None, f"cannot read it ({exc.strerror})", "check permissions") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # str(exc) is e.g. "Expected '=' after a key in a key/value pair (at line 3, column 5)"
        raise InputError(
            p, None, f"malformed TOML: {exc}", "correct the syntax there (see https://toml.io)"
        ) from exc
