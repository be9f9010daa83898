"""The progress report with six photo pairs against its budget (DESIGN.md: < 1 s).

One patient of the bench clinic is treated 200 days ago and assessed at the treatment and at
1, 3 and 6 months (six regions, every measure), and has a photo of each of the six standard
views at the baseline and at six months: twelve synthetic 12-megapixel JPEGs (4032 x 3024, a
phone camera's size and file size; shading and noise, no real person), imported through the
photo service. Timed: ``ReportService.progress_report`` as a clinician, clinical flavour (the
longer), from the call to the PDF bytes: reading and auditing the record, making the twelve
print copies from the originals, laying out and writing the PDF. One warm-up (imports, font
loading), then the median of ``REPEAT`` runs (the fastest and slowest are noted: other work on
the machine shows there). Nothing is cached between runs: each report decodes the twelve
originals again. The patient flavour and the split between gathering and rendering are printed
as notes.

    python -m tests.bench.bench_report        # on its own, with a small clinic
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from pypdf import PdfReader

from clinicdesk.documents.report import render_progress_report
from clinicdesk.domain.photos import View
from clinicdesk.domain.roles import Role
from clinicdesk.services.session import CurrentUser
from tests.bench.common import Outcome, median_ms, note, report, time_ms
from tests.bench.data import BENCH_PASSWORD, BenchClinic, make_clinic

BUDGET_MS = 1000.0
REPEAT = 7
WIDTH, HEIGHT = 4032, 3024
CLINICIAN = "benchreporter"
REGIONS = ("frontal", "mid_scalp", "vertex", "temporal_left", "temporal_right", "occipital")
STANDARD_VIEWS = tuple(v for v in View if v is not View.TRICHOSCOPY)


def _camera_jpeg(seed: int) -> bytes:
    """A 12-megapixel JPEG of about 3 MB, as a phone camera writes, with texture coarse enough
    to survive downscaling (its print copy is about 120 KB, more than most real photos)."""
    from PIL import Image

    size = (WIDTH, HEIGHT)
    texture = Image.effect_noise((WIDTH // 4, HEIGHT // 4), 60).resize(
        size, Image.Resampling.BICUBIC
    )
    grain = Image.effect_noise(size, 12)
    across = Image.linear_gradient("L").rotate(90 + seed * 15).resize(size)
    down = Image.linear_gradient("L").resize(size)
    red = Image.blend(Image.blend(across, texture, 0.5), grain, 0.2)
    green = Image.blend(down, texture, 0.4)
    blue = Image.blend(Image.blend(down, across, 0.5), texture, 0.3)
    out = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _region(region: str, months: int) -> dict[str, str]:
    total = 140.0 + REGIONS.index(region) * 12 + months * 0.9
    return {
        "region": region,
        "measurement_site": f"{region} marked spot",
        "total_density": f"{total:.1f}",
        "terminal_density": f"{total * 0.8:.1f}",
        "vellus_density": f"{total * 0.15:.1f}",
        "mean_diameter_um": f"{60 + months * 0.2:.1f}",
        "thin_hairs_pct": "18.0",
        "fu_density": f"{total / 2:.1f}",
        "hairs_per_fu": "2.00",
        "anagen_pct": "80.0",
        "telogen_pct": "15.0",
    }


def _treated_patient(clinic: BenchClinic, clinician: CurrentUser, temp: Path) -> str:
    services = clinic.services
    patient = services.patients.register(
        clinician,
        {
            "first_name": "Zoë",
            "last_name": "Ní Bhriain-Łukasz",
            "date_of_birth": "1984-06-02",
            "sex": "F",
        },
    )
    treated_on = date.today() - timedelta(days=200)
    site = services.clinic.this_site().id
    services.clinical.record_treatment(
        clinician,
        patient.id,
        {
            "treated_on": treated_on.isoformat(),
            "site_id": site,
            "clinician_id": clinician.id,
            "consent_taken_by_id": clinician.id,
            "punches": "3",
            "punch_diameter_mm": "2.5",
            "donor_site": "Occipital scalp",
            "kit_name": "Rigenera HBW",
            "kit_lot": "KIT-BENCH-1",
            "anaesthetic_name": "Lidocaine 2% with adrenaline",
            "anaesthetic_dose": "4",
            "anaesthetic_dose_unit": "mL",
            "anaesthetic_lot": "LD-BENCH",
            "suspension_volume_ml": "3.5",
            "treated_zones": ["frontal", "mid_scalp", "vertex"],
            "injection_points": "60",
            "duration_minutes": "45",
            "aftercare_sheet_given": True,
        },
        override_reason="Bench data: no labs or consent recorded.",
    )
    days = {0: treated_on}
    for months, offset in ((1, 30), (3, 91), (6, 182)):
        days[months] = treated_on + timedelta(days=offset)
    for months, day in days.items():
        services.assessments.add(
            clinician,
            patient.id,
            {"visit_date": day.isoformat()},
            [_region(region, months) for region in REGIONS],
        )
    folder = temp / "report-bench"
    folder.mkdir(exist_ok=True)
    for number, day in enumerate((days[0], days[6])):
        for index, view in enumerate(STANDARD_VIEWS):
            path = folder / f"{number}-{view.value}.jpg"
            path.write_bytes(_camera_jpeg(number * 10 + index))
            [outcome] = services.photos.import_photos(
                clinician, patient.id, [path], view=view, visit_date=day
            )
            if outcome.status != "imported":
                raise RuntimeError(f"bench photo not imported: {outcome.reason}")
    return patient.id


def _clinician(clinic: BenchClinic) -> CurrentUser:
    return clinic.services.clinic.add_user(
        clinic.user, CLINICIAN, "Dr Bench Reporter", Role.CLINICIAN, BENCH_PASSWORD, "GMC 7000001"
    )


def run(clinic: BenchClinic, results: list[Outcome], temp: Path) -> None:
    print("\n== Progress report, six photo pairs from 12 MP originals ==")
    clinician = _clinician(clinic)
    start = time.perf_counter()
    patient_id = _treated_patient(clinic, clinician, temp)
    seconds = time.perf_counter() - start
    note(f"a treated patient with 4 assessments and 12 photos made in {seconds:.1f} s")
    reports = clinic.services.reports

    def clinical() -> bytes:
        return reports.progress_report(clinician, patient_id, flavour="clinical")

    def patient() -> bytes:
        return reports.progress_report(clinician, patient_id, flavour="patient")

    pdf = clinical()  # warm-up: imports, fonts
    runs = [time_ms(clinical) for _ in range(REPEAT)]
    measured = statistics.median(runs)
    report(
        Outcome(
            "progress report: 6 photo pairs (12 MP originals)",
            f"< {BUDGET_MS / 1000:g} s",
            f"{measured:.0f} ms",
            "-",
            None,
            measured < BUDGET_MS,
        ),
        results,
    )
    data = reports.report_data(clinician, patient_id)
    gather = median_ms(lambda: reports.report_data(clinician, patient_id), repeat=REPEAT)
    render = median_ms(lambda: render_progress_report(data, "clinical"), repeat=REPEAT)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    note(
        f"clinical: {pages} pages, {len(pdf) / 1e6:.2f} MB; gathering (record, audit, 12 print "
        f"copies) {gather:.0f} ms + rendering {render:.0f} ms"
    )
    note(
        f"runs {min(runs):.0f} to {max(runs):.0f} ms (other work on the machine shows here); "
        f"patient flavour {median_ms(patient, repeat=REPEAT, warmup=0):.0f} ms"
    )


def main() -> int:
    results: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="clinicdesk-bench-report-") as temp:
        clinic = make_clinic(Path(temp) / "data", 200)
        try:
            run(clinic, results, Path(temp))
        finally:
            clinic.services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
