"""Subject access export of a patient with 50 photos against its budget (issue 13: < 5 s).

One patient of the bench clinic, treated and assessed like the progress report's patient
(``bench_report``), has 50 photos: 12-megapixel JPEGs (4032 x 3024, about 3 MB, a phone
camera's size) imported through the photo service. The pixels of one camera picture are
shared (drawing 50 takes a minute); each file differs by a comment segment, so each is its
own photo (and the export must strip that comment, as it strips EXIF). Timed: the admin's
``SubjectAccessService.export_patient`` to a zip, from the call to the renamed file: reading
and auditing the record, 50 metadata-free full-size copies, the summary PDF, the zip written
and flushed. One warm-up, then the median of ``REPEAT`` runs. As a note, the same photos'
decryption alone and the zip's size.

    python -m tests.bench.bench_subject_access     # on its own, with a small clinic
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from clinicdesk.domain.photos import View
from clinicdesk.domain.roles import Role
from clinicdesk.services.session import CurrentUser
from tests.bench.bench_report import _camera_jpeg, _treated_patient
from tests.bench.common import Outcome, note, report, time_ms
from tests.bench.data import BENCH_PASSWORD, BenchClinic, make_clinic

BUDGET_MS = 5000.0
REPEAT = 3
PHOTOS = 50
CLINICIAN = "benchsar"
VIEWS = tuple(View)


def _with_comment(jpeg: bytes, number: int) -> bytes:
    """``jpeg`` with a comment segment after its start: different bytes, the same picture."""
    text = f"bench photo {number}".encode()
    segment = b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text
    return jpeg[:2] + segment + jpeg[2:]


def _patient_with_photos(clinic: BenchClinic, clinician: CurrentUser, temp: Path) -> str:
    patient_id = _treated_patient(clinic, clinician, temp)  # 12 photos already
    folder = temp / "sar-bench"
    folder.mkdir(exist_ok=True)
    picture = _camera_jpeg(99)
    first = date.today() - timedelta(days=190)
    for number in range(PHOTOS - 12):
        path = folder / f"extra-{number}.jpg"
        path.write_bytes(_with_comment(picture, number))
        [outcome] = clinic.services.photos.import_photos(
            clinician,
            patient_id,
            [path],
            view=VIEWS[number % len(VIEWS)],
            visit_date=first + timedelta(days=number // len(VIEWS)),
        )
        if outcome.status != "imported":
            raise RuntimeError(f"bench photo not imported: {outcome.reason}")
    return patient_id


def run(clinic: BenchClinic, results: list[Outcome], temp: Path) -> None:
    print(f"\n== Subject access export, a patient with {PHOTOS} photos (12 MP originals) ==")
    clinician = clinic.services.clinic.add_user(
        clinic.user, CLINICIAN, "Dr Bench Access", Role.CLINICIAN, BENCH_PASSWORD, "GMC 7000002"
    )
    start = time.perf_counter()
    patient_id = _patient_with_photos(clinic, clinician, temp)
    note(f"a patient with {PHOTOS} photos made in {time.perf_counter() - start:.1f} s")
    service = clinic.services.subject_access
    out = temp / "subject-access.zip"

    def export() -> None:
        result = service.export_patient(clinic.user, patient_id, out)
        if result.photos != PHOTOS or result.left_out:
            raise RuntimeError(f"bench export incomplete: {result}")

    export()  # warm-up: imports, fonts
    runs = [time_ms(export) for _ in range(REPEAT)]
    measured = statistics.median(runs)
    report(
        Outcome(
            f"subject access export: {PHOTOS} photos (12 MP originals)",
            f"< {BUDGET_MS / 1000:g} s",
            f"{measured:.0f} ms",
            "-",
            None,
            measured < BUDGET_MS,
        ),
        results,
    )
    photos = clinic.services.photos
    rows = photos.repo.for_patient(patient_id)
    decrypt = time_ms(lambda: [photos.store.get(p.sha256, p.patient_id) for p in rows])
    note(
        f"runs {min(runs):.0f} to {max(runs):.0f} ms; zip {out.stat().st_size / 1e6:.0f} MB; "
        f"decrypting and checking the {len(rows)} originals alone {decrypt:.0f} ms"
    )


def main() -> int:
    results: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="clinicdesk-bench-sar-") as temp:
        clinic = make_clinic(Path(temp) / "data", 200)
        try:
            run(clinic, results, Path(temp))
        finally:
            clinic.services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
