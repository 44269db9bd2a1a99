"""Variable names the way Vensim compares them: case, spaces and underscores do not matter.

The abstract model references elements by a lower-case, underscored identifier
(`initial_tax_share`) while users type the Vensim name (`Initial tax share`).
Both collapse to one canonical key, so either spelling finds the element.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_SEP = re.compile(r"[\s_]+")


def canon(name: str) -> str:
    """Canonical key of a Vensim name: lower case, runs of spaces/underscores as one space.

    An element of a subscripted variable keeps its subscripts, each canonical:
    `Init pop[ North , a]` -> `init pop[north,a]`.
    """
    text = str(name).strip()
    if text.endswith("]") and "[" in text:
        base, inside = text[:-1].split("[", 1)
        return f"{canon(base)}[{','.join(canon(e) for e in inside.split(','))}]"
    return _SEP.sub(" ", text.strip('"')).strip().lower()


def unknown_name_error(name: str, known: Iterable[str], what: str = "variable") -> KeyError:
    """A `KeyError` for `name` that lists the closest known names (difflib)."""
    known = list(known)
    close = difflib.get_close_matches(canon(name), [canon(k) for k in known], n=3, cutoff=0.5)
    by_key = {canon(k): k for k in known}
    hint = ", ".join(repr(by_key[c]) for c in close)
    msg = f"unknown {what} {name!r}"
    if hint:
        msg += f"; closest matches: {hint}"
    return KeyError(msg)
