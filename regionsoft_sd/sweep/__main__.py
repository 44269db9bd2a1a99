"""`python -m regionsoft_sd.sweep SPEC.toml [--out DIR] ...`: `regionsoft sweep`, alone.

The same command as `regionsoft sweep`, through the main CLI, so it has the same exit
codes and signal handling: 0, 2 bad input, 1 internal error, 130 interrupted and 143
terminated (SIGTERM), checkpoints kept either way: rerun with --resume.
"""

import sys

from regionsoft_sd.cli import main

sys.exit(main(["sweep", *sys.argv[1:]]))
