"""A treated patient with known measurements and photos, for the progress report tests.

The values are chosen so the expected changes can be worked out by hand in the tests:
frontal density 120.0 -> 131.0 at six months is +11.0 hairs/cm², 11/120 = +9.17%.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image

from clinicdesk.domain.follow_ups import FollowUpKind, FollowUpStatus
from clinicdesk.domain.photos import View
from tests.conftest import VALID_PATIENT, Clinic
from tests.media.images import BODY_SERIAL, DATE_TIME_ORIGINAL, EXIF_IFD, GPS_IFD
from tests.services.clinical_setup import TREATED_ON, eligible_patient, treatment_form

NAME = {"first_name": "Siobhán", "last_name": "Łukasiewicz-O'Brien"}
EARLIER = date(2024, 12, 1)  # a pre-treatment assessment, before the baseline
BASELINE = TREATED_ON  # 2025-03-10, the treatment day
VISITS = (date(2025, 4, 10), date(2025, 6, 10), date(2025, 9, 10))
LATEST = VISITS[-1]
SITES = {
    "frontal": "2 cm behind the hairline, midline",
    "vertex": "centre of the whorl",
    "occipital": "2 cm above the protuberance",
}
# region -> (total density, mean diameter) at EARLIER, BASELINE and each of VISITS.
DENSITY = {
    "frontal": (119.0, 120.0, 121.5, 126.0, 131.0),
    "vertex": (161.0, 160.0, 158.0, 155.0, 151.0),
    "occipital": (200.0, 200.0, 200.4, 199.8, 200.6),
}
DIAMETER = {
    "frontal": (54.0, 55.0, 55.3, 56.0, 56.5),
    "vertex": (60.0, 60.0, 59.9, 59.6, 59.4),
    "occipital": (70.0, 70.0, 70.1, 69.9, 70.0),
}
PHOTO_SIZE = (1600, 1200)
STANDARD_VIEWS = tuple(view for view in View if view is not View.TRICHOSCOPY)
CAMERA_SERIAL = "SN-CAMERA-0042"


@dataclass(frozen=True)
class TreatedPatient:
    id: str
    name: str  # as the report prints it: title, first and last name
    treatment_id: str


def region_row(region: str, visit: int) -> dict[str, str]:
    total, diameter = DENSITY[region][visit], DIAMETER[region][visit]
    return {
        "region": region,
        "measurement_site": SITES[region],
        "total_density": f"{total:.1f}",
        "terminal_density": f"{total * 0.8:.1f}",
        "vellus_density": f"{total * 0.15:.1f}",
        "mean_diameter_um": f"{diameter:.1f}",
        "thin_hairs_pct": "18.0",
        "fu_density": f"{total / 2:.1f}",
        "hairs_per_fu": "2.00",
    }


def treated_patient(clinic: Clinic, *, assessments: bool = True) -> TreatedPatient:
    """Registered, treated on ``TREATED_ON`` (frontal and vertex; any eligibility blocker
    overridden: the report does not care), four of five follow-ups attended, assessed before,
    at and three times after the treatment."""
    patient = eligible_patient(clinic, first_name=NAME["first_name"], last_name=NAME["last_name"])
    saved = clinic.services.clinical.record_treatment(
        clinic.clinician,
        patient.id,
        treatment_form(clinic),
        override_reason="Set-up for the progress report tests.",
    )
    # Every follow-up attended but the 12-month one (due 10/03/2026, missed).
    for follow_up in saved.follow_ups:
        if follow_up.kind is not FollowUpKind.MONTH_12:
            clinic.services.clinical.set_follow_up_status(
                clinic.clinician, follow_up.id, follow_up.version, FollowUpStatus.ATTENDED
            )
    if assessments:
        for number, day in enumerate((EARLIER, BASELINE, *VISITS)):
            clinic.services.assessments.add(
                clinic.clinician,
                patient.id,
                {"visit_date": day.isoformat()},
                [region_row(region, number) for region in DENSITY],
            )
    name = f"{VALID_PATIENT['title']} {NAME['first_name']} {NAME['last_name']}"
    return TreatedPatient(patient.id, name, saved.treatment.id)


def photo_bytes(seed: int, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    """A camera-sized JPEG with a GPS position, a camera serial and a capture time (what a
    report must never carry), noisy enough to compress like a photograph."""
    noise = Image.effect_noise(size, 30 + seed % 7)
    across = Image.linear_gradient("L").rotate(90).resize(size)
    down = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (noise, across, down))
    exif = Image.Exif()
    exif_ifd = exif.get_ifd(EXIF_IFD)
    exif_ifd[DATE_TIME_ORIGINAL] = "2025:03:10 10:30:00"
    exif_ifd[BODY_SERIAL] = CAMERA_SERIAL
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def import_views(
    clinic: Clinic,
    patient_id: str,
    folder: Path,
    visits: tuple[date, ...] = (BASELINE, LATEST),
    views: tuple[View, ...] = STANDARD_VIEWS,
) -> None:
    """One photo of each of ``views`` at each of ``visits``."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, day in enumerate(visits):
        for index, view in enumerate(views):
            path = folder / f"{day.isoformat()}-{view.value}.jpg"
            path.write_bytes(photo_bytes(number * 10 + index))
            [outcome] = clinic.services.photos.import_photos(
                clinic.clinician, patient_id, [path], view=view, visit_date=day
            )
            assert outcome.status == "imported", outcome.reason
