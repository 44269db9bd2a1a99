"""`python -m regionsoft_sd.sweep SPEC.toml [--out DIR] ...`: the sweep command alone."""

import sys

from regionsoft_sd.sweep.cli import main

sys.exit(main())
