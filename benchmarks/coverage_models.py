"""Coverage of the batch engine on a folder of Vensim models, checked against PySD.

For every `.mdl` under the folder: run it with PySD (the reference), then with the
batch engine on NumPy and on the C kernel, and compare every variable PySD
reports at every saved time (within 1e-9 of each trajectory's largest
magnitude). Each model ends in one of: agree, refused (the construct is named),
PySD fails, mismatch or crash. Prints a table and the counts per outcome and per
refused construct.

    .venv/bin/python benchmarks/coverage_models.py path/to/test-models/tests

Third-party suites (e.g. SDXorg's test-models) are not shipped; point the script
at a local copy.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionsoft_sd.batch import (  # noqa: E402
    InvalidModelError,
    ModelValueError,
    UnsupportedConstructError,
    compile_model,
    simulate,
)
from regionsoft_sd.batch.cbackend import compiler  # noqa: E402
from regionsoft_sd.batch.engine import CBackendUnsupported  # noqa: E402

REFUSALS = (UnsupportedConstructError, InvalidModelError, ModelValueError, CBackendUnsupported)


def _pysd(path: Path):
    """PySD's run of `path`, translated in a temporary copy (PySD writes a .py beside it)."""
    import pysd

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy = Path(tmp) / path.name
        shutil.copy2(path, copy)
        return pysd.read_vensim(str(copy)).run()


def _compare(res, ref) -> float:
    worst = 0.0
    for name, got in res.data.items():
        want = ref[name].to_numpy(dtype=float)
        got = got[:, 0]
        if (np.isnan(got) != np.isnan(want)).any():
            return np.inf
        ok = np.isfinite(want)
        if not ok.any():
            continue
        scale = max(float(np.max(np.abs(want[ok]))), 1e-12)
        worst = max(worst, float(np.max(np.abs(got[ok] - want[ok]))) / scale)
    return worst


def check(path: Path, backends: list[str]) -> tuple[str, dict[str, str]]:
    """(PySD status, {backend: status}) for one model."""
    try:
        ref = _pysd(path)
    except Exception as err:  # noqa: BLE001 - the reference engine failed
        return f"PySD fails ({type(err).__name__})", {}
    out = {}
    try:
        model = compile_model(path)
    except REFUSALS as err:
        construct = getattr(err, "construct", None) or str(err).split(":")[-1].strip()
        return "ok", {b: f"refused: {construct}" for b in backends}
    except Exception as err:  # noqa: BLE001
        return "ok", {b: f"crash: {type(err).__name__}: {err}"[:120] for b in backends}
    record = [
        n
        for n in model.names
        if model.graph.nodes[model.key(n)].kind != "lookup" and n in ref.columns
    ]
    for backend in backends:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = simulate(record=record, mdl_path=path, backend=backend)
        except REFUSALS as err:
            construct = getattr(err, "construct", None) or str(err)
            out[backend] = f"refused: {construct}"[:100]
            continue
        except Exception as err:  # noqa: BLE001
            out[backend] = f"crash: {type(err).__name__}: {err}"[:120]
            continue
        worst = _compare(res, ref)
        out[backend] = "agree" if worst <= 1e-9 else f"mismatch ({worst:.1e})"
    return "ok", out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    backends = ["numpy", "c"] if compiler() else ["numpy"]
    paths = sorted(args.folder.rglob("*.mdl"))
    rows, counts, constructs = [], Counter(), Counter()
    for path in paths:
        pysd_status, statuses = check(path, backends)
        rows.append((path.relative_to(args.folder), pysd_status, statuses))
        if pysd_status != "ok":
            counts["PySD fails"] += 1
            continue
        first = statuses[backends[0]]
        counts[re.sub(r"[:(].*", "", first).strip()] += 1
        if first.startswith("refused"):
            constructs[first.split(":", 1)[1].strip()] += 1
        if len(backends) > 1:
            counts[f"C: {re.sub(r'[:(].*', '', statuses['c']).strip()}"] += 1
    print("| model | PySD | " + " | ".join(backends) + " |")
    print("|---|---|" + "---|" * len(backends))
    for name, pysd_status, statuses in rows:
        cells = [statuses.get(b, "") for b in backends]
        print(f"| {name} | {pysd_status} | " + " | ".join(cells) + " |")
    print(f"\n{len(paths)} models: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for construct, n in constructs.most_common():
        print(f"  refused, {construct}: {n}")
    bad = [r for r in rows for s in r[2].values() if s.startswith(("mismatch", "crash"))]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
