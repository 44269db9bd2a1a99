"""Readers for fields of TOML input (scenarios, sweep specs): a checked value or InputError.

Every reader names a problem by the key's full path in the file (`prefix`, e.g.
`search.` for `[search] population`), so the message points at the line to fix.

Sizes (futures, samples, walkers, population, generations) are read as integers
and then checked with `check_count`, once the spec's other sizes are known (what
one item costs depends on them): a spec may ask for at most `MEMORY_BUDGET` bytes
of the memory a size costs, and the count is refused at read, before any work.
Seeds are any non-negative whole number (`seed`); `seed32` derives the 32-bit
seed the libraries that need one (SciPy, pymoo, scikit-learn, SALib) take.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from regionsoft_sd.common.errors import InputError, unknown_name

MEMORY_BUDGET = 8 * 2**30
"""Most memory (bytes) the items of one size key of a spec may need: 8 GiB, fixed (not
a share of this machine's memory), so that a spec valid on one computer is valid on all."""
FLOAT = 8
"""Bytes of one float64 value."""
_SEED32 = 2**32
SIMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
"""A name that is also a file name (scenarios and the strategies an optimisation finds)."""


def known_keys(
    table: dict[str, Any],
    allowed: Iterable[str],
    file: Any,
    what: str,
    *,
    prefix: str = "",
    hint: str = "",
) -> None:
    """Refuse the first key of `table` not in `allowed`, naming it as `prefix + key` and
    suggesting the closest allowed ones (else `hint`)."""
    allowed = tuple(allowed)
    for k in table:
        if k not in allowed:
            raise unknown_name(file, f"{prefix}{k}", k, allowed, what, hint)


def text(data: dict[str, Any], key: str, file: Any, *, required: bool, prefix: str = "") -> str:
    """A text field (`required`: present and not blank)."""
    full = prefix + key
    if key not in data:
        if required:
            raise InputError(file, full, "missing", f'add a line such as {key} = "..."')
        return ""
    value = data[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(file, full, f"expected text, got {value!r}", f'write {key} = "..."')
    return value.strip()


def name(data: dict[str, Any], key: str, file: Any, *, prefix: str = "") -> str:
    """A required one-line name: text without control characters (it titles reports and
    names output folders and files, so it is checked here, before any work)."""
    value = text(data, key, file, required=True, prefix=prefix)
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise InputError(
            file,
            prefix + key,
            f"contains the control character {bad!r}",
            "use letters, digits, spaces and punctuation only",
        )
    return value


def choice(value: Any, key: str, file: Any, options: tuple[str, ...]) -> str:
    """One of `options` (case-insensitive), suggesting the closest on a typo."""
    if value is None:
        raise InputError(file, key, "missing", f"add {key} = one of {', '.join(options)}")
    if not isinstance(value, str) or value.lower() not in options:
        raise unknown_name(file, key, str(value), options, key, f"use one of {', '.join(options)}")
    return value.lower()


def integer(
    data: dict[str, Any],
    key: str,
    file: Any,
    *,
    required: bool = False,
    low: int = 0,
    default: int | None = None,
    high: int | None = None,
    prefix: str = "",
) -> int | None:
    """A whole number in [`low`, `high`] (`default` when absent and not `required`)."""
    full = prefix + key
    if key not in data:
        if required:
            raise InputError(file, full, "missing", f"add {key} = <a whole number>")
        return default
    v = data[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(
            file, full, f"expected a whole number, got {v!r}", "write it without quotes or decimals"
        )
    if v < low:
        raise InputError(file, full, f"{v} is below {low}", f"use a number >= {low}")
    if high is not None and v > high:
        raise InputError(file, full, f"{v:,} is above {high:,}", f"use a number <= {high:,}")
    return v


def most_items(bytes_per_item: float, budget: int = MEMORY_BUDGET) -> int:
    """The largest count whose items, at `bytes_per_item` each, fit in `budget` bytes."""
    return int(budget // max(float(bytes_per_item), 1.0))


def check_count(
    value: int,
    key: str,
    file: Any,
    *,
    bytes_per_item: float,
    per: str = "",
    budget: int = MEMORY_BUDGET,
) -> None:
    """Raise InputError if `value` items of `bytes_per_item` bytes need more than `budget`."""
    most = most_items(bytes_per_item, budget)
    if value > most:
        need = value * float(bytes_per_item) / 2**30
        shown = f"{need:,.0f}" if need >= 10 else f"{need:.1f}"
        raise InputError(
            file,
            key,
            f"{value:,}{' ' + per if per else ''} would need about {shown} GiB of memory, "
            f"more than the {budget / 2**30:g} GiB a spec may use",
            f"use at most {most:,}",
        )


def seed(data: dict[str, Any], key: str, file: Any, *, prefix: str = "") -> int:
    """A required seed: any whole number >= 0 (NumPy's SeedSequence takes them all)."""
    v = integer(data, key, file, required=True, low=0, prefix=prefix)
    assert v is not None
    return v


def seed32(value: int, stream: int = 0) -> int:
    """A seed below 2**32 for libraries that need one (SciPy, pymoo, scikit-learn, SALib).

    A seed already below 2**32 with stream 0 is returned unchanged, so results of
    such seeds do not depend on this function; any other is hashed by NumPy's
    SeedSequence (entropy `value`, spawn key `stream`) into 32 bits.
    """
    if 0 <= value < _SEED32 and stream == 0:
        return int(value)
    import numpy as np

    ss = np.random.SeedSequence(int(value), spawn_key=(int(stream),))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def number(value: Any, key: str, file: Any) -> float:
    """A finite int or float (not a bool), as float.

    Integers too large for a float (TOML allows any size) are rejected, not raised.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            file,
            key,
            f"expected a number, got {type(value).__name__} {value!r}",
            "write a plain number such as 0.15 (no quotes)",
        )
    if isinstance(value, float) and math.isnan(value):
        raise InputError(file, key, "nan is not a number", "write a number such as 0.15")
    if isinstance(value, float) and math.isinf(value):
        raise InputError(file, key, f"{value} is infinite", "write a finite number")
    try:
        v = float(value)
    except (OverflowError, TypeError, ValueError):
        v = math.inf
    if not math.isfinite(v):
        shown = repr(value) if len(repr(value)) <= 30 else f"{repr(value)[:20]}..."
        raise InputError(file, key, f"{shown} is too large for a number", "write a smaller number")
    return v


def boolean(data: dict[str, Any], key: str, file: Any, default: bool, *, prefix: str = "") -> bool:
    """true or false (`default` when absent)."""
    v = data.get(key, default)
    if not isinstance(v, bool):
        raise InputError(
            file, prefix + key, f"expected true or false, got {v!r}", "write true or false"
        )
    return v


def listing(data: dict[str, Any], key: str, file: Any, *, prefix: str = "") -> list[Any]:
    """A TOML array (empty when absent)."""
    v = data.get(key, [])
    if not isinstance(v, list):
        raise InputError(
            file, prefix + key, f"expected a list, got {v!r}", f'write {key} = ["...", "..."]'
        )
    return v


def scenario_path(raw: Any, key: str, file: Any, folder: Path, *, also: str = "") -> Path:
    """The scenario file a spec names at `key`: a shipped name or a path relative to `folder`.

    `resources.resolve_file` decides (the one rule every command and spec uses);
    anything it cannot resolve is an InputError naming `file` and `key` (`also`
    adds to the fix, e.g. `or "runner-up"`).
    """
    from regionsoft_sd.common.resources import resolve_file, shipped_bases

    try:
        return resolve_file(raw, shipped_bases(), "scenario", file=file, key=key, folder=folder)
    except InputError as exc:
        if not also:
            raise
        raise InputError(exc.file, exc.key, exc.problem, f"{exc.fix}{also}") from None
