"""Scenarios by name: a shipped one (`"balanced"`) or the path of your own file.

Here rather than in `common.resources`, which finds the files but must not
import the `Scenario` type above it.
"""

from __future__ import annotations

from pathlib import Path

from regionsoft_sd.common.resources import scenario_file
from regionsoft_sd.scenarios.scenario import Scenario


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario: a shipped one by name (`"balanced"`) or your own file."""
    return Scenario.from_file(scenario_file(name_or_path))
