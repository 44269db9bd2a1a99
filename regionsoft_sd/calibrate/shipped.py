"""The shipped calibration specs, found by name (`scenarios/calibrate/*.toml`).

Used by `regionsoft calibrate` and by `regionsoft_sd.calibrate.default_spec`;
here, not in the command's module, so that the package's exports do not reach
up into the CLI layer.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_SPEC = "default"
SPEC_FOLDER = "calibrate"
"""Folder of the shipped calibration specs inside the shipped scenarios."""


def shipped_specs() -> dict[str, Path]:
    """Shipped calibration specs by name (`scenarios/calibrate/*.toml`)."""
    from regionsoft_sd.common.resources import scenarios_dir

    return {p.stem: p for p in sorted((scenarios_dir() / SPEC_FOLDER).glob("*.toml"))}


def default_spec() -> Path:
    """The shipped default spec (what `regionsoft calibrate --region NAME` fits)."""
    return shipped_specs()[DEFAULT_SPEC]


def spec_file(name_or_path: str | Path | None) -> Path:
    """A spec path as given, else the shipped spec of that bare name (default: `default`)."""
    from regionsoft_sd.common.resources import named_file

    if name_or_path is None:
        return default_spec()
    return named_file(name_or_path, shipped_specs(), "calibration spec")
