"""Build hook: ship the repository's models/, scenarios/ and data/ inside the package.

Those folders stay at the top level of the repository (the single source of truth,
opened by Vensim, Simlin and people). A wheel needs them inside the package, so
`build_py` copies them to `regionsoft_sd/shipped/` in the build folder, where
`regionsoft_sd.common.resources` finds them with `importlib.resources`. An editable
install skips the copy: there the source tree is the package data.

Everything else about the package is declared in pyproject.toml. To ship a new kind
of file, add its pattern to PATTERNS (and to MANIFEST.in for the sdist).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
FOLDERS = ("models", "scenarios", "data")
PATTERNS = ("*.mdl", "*.toml", "*.csv", "*.md", "*.json")
"""Files shipped from FOLDERS (translated models/*.py and caches are left out)."""
TARGET = Path("regionsoft_sd") / "shipped"


def shipped_files(root: Path = ROOT) -> list[Path]:
    """Files of FOLDERS matching PATTERNS, relative to `root`, in sorted order."""
    found: set[Path] = set()
    for folder in FOLDERS:
        for pattern in PATTERNS:
            found.update(p for p in (root / folder).rglob(pattern) if p.is_file())
    return sorted(p.relative_to(root) for p in found)


class BuildWithShippedData(build_py):
    """`build_py` that also copies the shipped folders into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the source tree itself
        target = Path(self.build_lib) / TARGET
        if target.exists():
            shutil.rmtree(target)  # no stale files from an earlier build
        for rel in shipped_files():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, dest)


setup(cmdclass={"build_py": BuildWithShippedData})
