"""``make bench``: every benchmark against its budget in DESIGN.md, in one run.

    python -m tests.bench [--patients N]

Builds a clinic of synthetic patients in a temporary folder (removed afterwards), then times
search, the patient list, start-up, photo import, memory with a photo gallery, the consent
form PDF and the progress report with six photo pairs. Prints one line per measurement: the
budget, the measured value, the baseline measured in this same run, the ratio, and whether it
is within budget. Nothing here fails on time; the exit status is 0 unless a benchmark itself
breaks.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.bench import (
    bench_documents,
    bench_list,
    bench_photos,
    bench_report,
    bench_search,
    bench_startup,
)
from tests.bench.common import Outcome
from tests.bench.data import make_clinic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000, help="default 100000")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    started = time.perf_counter()
    results: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="clinicdesk-bench-") as temp:
        print(f"Generating {args.patients:,} synthetic patients in a temporary folder...")
        t = time.perf_counter()
        clinic = make_clinic(Path(temp) / "data", args.patients)
        seconds = time.perf_counter() - t
        size_mb = clinic.paths.database.stat().st_size / 1e6
        print(f"    {clinic.patients:,} patients in {seconds:.1f} s ({size_mb:.0f} MB database)")
        try:
            bench_search.run(clinic, results)
            bench_list.run(clinic, results)
            bench_startup.run(clinic, results)
            bench_photos.run(clinic, results, Path(temp))
            bench_documents.run(results)
            bench_report.run(clinic, results, Path(temp))
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
