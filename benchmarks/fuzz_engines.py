"""Long differential fuzzing run: the batch engine against PySD on random Vensim models.

The same generator and checks as tests/test_batch_fuzz.py (which runs seeds
0-39 in `make test`), on more seeds. Prints how many cases agree, were refused,
were chaotic (the run's own NumPy result moves > 1e-6 under a 1-ulp nudge of its
inputs), could not be run by PySD, or failed; failing models are written to
--keep for inspection. Exit status 1 when any case mismatches or crashes. `--subscripted`
runs the subscripted generator (ranges, subranges, mappings, :EXCEPT:, logicals,
SUM/PROD/VMIN/VMAX, subscripted lookups and delays; tests/test_batch_fuzz.py runs
its seeds 0-7).

    .venv/bin/python benchmarks/fuzz_engines.py --cases 2000 --start 1000
    .venv/bin/python benchmarks/fuzz_engines.py --subscripted --cases 1000 --start 1000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tqdm.auto import tqdm  # noqa: E402

from regionsoft_sd.batch.cbackend import compiler  # noqa: E402
from tests.fuzz_models import (  # noqa: E402
    RUNS,
    batch_paths,
    check_case,
    random_case,
    random_subscripted_case,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="number of seeds to run")
    parser.add_argument("--start", type=int, default=1000, help="first seed")
    parser.add_argument("--keep", type=Path, default=None, help="folder for failing models")
    parser.add_argument(
        "--subscripted", action="store_true", help="generate subscripted models instead"
    )
    args = parser.parse_args()
    make = random_subscripted_case if args.subscripted else random_case
    with_c = compiler() is not None
    counts: Counter = Counter()
    failures = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        seeds = range(args.start, args.start + args.cases)
        for seed in tqdm(seeds, desc="fuzz cases"):
            case = make(seed)
            outcome = check_case(case, Path(tmp), with_c)
            counts[outcome.status] += 1
            if outcome.status in ("mismatch", "crash"):
                failures.append(outcome)
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / f"fuzz_{seed}.mdl").write_text(case.text, encoding="utf-8")
    elapsed = time.perf_counter() - started
    paths = ", ".join(batch_paths(with_c))
    kind = "subscripted " if args.subscripted else ""
    print(
        f"{args.cases} {kind}cases (seeds {args.start}-{args.start + args.cases - 1}), {RUNS} runs "
        f"each, paths: {paths}; {elapsed:.0f} s"
    )
    for status in ("agree", "refused", "chaotic", "pysd_error", "mismatch", "crash"):
        print(f"  {status:<11} {counts[status]}")
    for o in failures[:20]:
        print(f"seed {o.seed}: {o.status}: {o.detail.splitlines()[-1] if o.detail else ''}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
