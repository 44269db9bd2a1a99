"""Budget shares rounded for a scenario file, still summing to exactly 1.

Written by experiments that turn numbers into scenarios (optimise's best
candidates, calibration's fitted region); here so that neither imports the other.
"""

from __future__ import annotations

DECIMALS = 6


def rounded_shares(values: list[float]) -> list[float]:
    """Shares rounded to DECIMALS places that still sum to 1 (remainder on the largest)."""
    scale = 10**DECIMALS
    units = [round(v * scale) for v in values]
    units[max(range(len(units)), key=lambda i: units[i])] += scale - sum(units)
    return [u / scale for u in units]
