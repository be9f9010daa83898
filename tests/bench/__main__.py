"""``make bench``: every benchmark against its budget in DESIGN.md, in one run.

    python -m tests.bench [--patients N] [--fresh] [NAME ...]

NAME picks benchmarks to run (default all): search, list, startup, record, photos, documents,
report, subject-access, backup, sync, outcomes, frozen-startup (frozen start-up: needs
PyInstaller, `make installer-bench`). The clinic of synthetic patients is built once and kept
in the system's temporary folder (``tests.bench.data.cached_clinic``; rebuilt when the code that
shapes it changes, or with ``--fresh``); each run works on a copy in its own temporary folder,
removed afterwards.
Prints one line per measurement: the budget, the measured value, the baseline measured in this
same run, the ratio, and whether it is within budget. Nothing here fails on time; the exit
status is 0 unless a benchmark itself breaks.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.bench import (
    bench_backup,
    bench_documents,
    bench_frozen_startup,
    bench_list,
    bench_outcomes,
    bench_photos,
    bench_record,
    bench_report,
    bench_search,
    bench_startup,
    bench_subject_access,
    bench_sync,
)
from tests.bench.common import Outcome
from tests.bench.data import BenchClinic, cache_dir, cached_clinic

Bench = Callable[[BenchClinic, list[Outcome], Path], None]

# In the order they run.
BENCHMARKS: dict[str, Bench] = {
    "search": lambda clinic, results, temp: bench_search.run(clinic, results),
    "list": lambda clinic, results, temp: bench_list.run(clinic, results),
    "startup": lambda clinic, results, temp: bench_startup.run(clinic, results),
    "record": bench_record.run,
    "photos": bench_photos.run,
    "documents": lambda clinic, results, temp: bench_documents.run(results),
    "report": bench_report.run,
    "subject-access": bench_subject_access.run,
    "backup": bench_backup.run,
    "sync": bench_sync.run,
    "outcomes": bench_outcomes.run,
    "frozen-startup": bench_frozen_startup.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000, help="default 100000")
    parser.add_argument(
        "--fresh", action="store_true", help="build the clinic again rather than reuse the cache"
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"default all: {', '.join(BENCHMARKS)}"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    chosen = [name for name in BENCHMARKS if not args.names or name in args.names]

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    started = time.perf_counter()
    results: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="clinicdesk-bench-") as temp:
        print(f"A clinic of {args.patients:,} synthetic patients in a temporary folder...")
        t = time.perf_counter()
        clinic, hit = cached_clinic(Path(temp) / "data", args.patients, fresh=args.fresh)
        seconds = time.perf_counter() - t
        size_mb = clinic.paths.database.stat().st_size / 1e6
        how = f"copied from {cache_dir(args.patients)}" if hit else "generated (and cached)"
        print(f"    {clinic.patients:,} patients {how} in {seconds:.1f} s ({size_mb:.0f} MB)")
        try:
            for name in chosen:
                BENCHMARKS[name](clinic, results, Path(temp))
        finally:
            clinic.services.close()
    within = sum(r.within for r in results)
    print(
        f"\n{within} of {len(results)} measurements within budget "
        f"({time.perf_counter() - started:.0f} s in all)."
    )
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
