"""Readers for fields of TOML input (scenarios, sweep specs): a checked value or InputError."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from regionsoft_sd.common.errors import InputError, unknown_name


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


def text(data: dict[str, Any], key: str, file: Any, *, required: bool) -> str:
    """A text field (`required`: present and not blank)."""
    if key not in data:
        if required:
            raise InputError(file, key, "missing", f'add a line such as {key} = "..."')
        return ""
    value = data[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(file, key, f"expected text, got {value!r}", f'write {key} = "..."')
    return value.strip()


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
) -> int | None:
    """A whole number in [`low`, `high`] (`default` when absent and not `required`)."""
    if key not in data:
        if required:
            raise InputError(file, key, "missing", f"add {key} = <a whole number>")
        return default
    v = data[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(
            file, key, f"expected a whole number, got {v!r}", "write it without quotes or decimals"
        )
    if v < low:
        raise InputError(file, key, f"{v} is below {low}", f"use a number >= {low}")
    if high is not None and v > high:
        raise InputError(file, key, f"{v:,} is above {high:,}", f"use a number <= {high:,}")
    return v


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


def boolean(data: dict[str, Any], key: str, file: Any, default: bool) -> bool:
    """true or false (`default` when absent)."""
    v = data.get(key, default)
    if not isinstance(v, bool):
        raise InputError(file, key, f"expected true or false, got {v!r}", "write true or false")
    return v


def listing(data: dict[str, Any], key: str, file: Any) -> list[Any]:
    """A TOML array (empty when absent)."""
    v = data.get(key, [])
    if not isinstance(v, list):
        raise InputError(file, key, f"expected a list, got {v!r}", f'write {key} = ["...", "..."]')
    return v
