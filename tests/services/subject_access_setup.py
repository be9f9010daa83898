"""A patient with a full course of care for the subject access tests: history, labs, a
classification, consultations, a treatment with its lots and follow-ups, an adverse event,
assessments, photos carrying GPS and a camera serial, a procedure consent signed on screen,
a photo consent with a scanned form (a JPEG with GPS in it), and a document made."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image

from clinicdesk.domain.consent import ConsentKind
from clinicdesk.domain.photos import View
from tests.conftest import Clinic
from tests.media.images import EXIF_IFD, GPS_IFD
from tests.services import report_setup
from tests.services.clinical_setup import signature_png

PHOTO_TEMPLATE = ("photo-consent", 1, "b" * 64)
VIEWS = (View.FRONTAL, View.VERTEX, View.OCCIPITAL_DONOR)
PHOTO_VISITS = (report_setup.BASELINE, report_setup.LATEST)
SCAN_NAME = "signed-photo-consent.jpg"


@dataclass(frozen=True)
class CourseOfCare:
    patient_id: str
    name: str


def scanned_form_jpeg() -> bytes:
    """A phone's photo of a signed form: GPS and a camera serial in its EXIF."""
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[0xA431] = "SN-CAMERA-0042"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (200, 280), (250, 250, 245)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def full_course(clinic: Clinic, folder: Path) -> CourseOfCare:
    services = clinic.services
    treated = report_setup.treated_patient(clinic)
    services.patients.add_classification(
        clinic.clinician, treated.id, "ludwig", "II", "2025-01-05", "diffuse <thinning> & more"
    )
    services.clinical.add_adverse_event(
        clinic.clinician,
        treated.id,
        {
            "treatment_id": treated.treatment_id,
            "onset_on": "2025-03-20",
            "event_type": "donor_site_infection",
            "severity": "moderate",
            "description": "Red, warm donor site",
            "action_taken": "Flucloxacillin 7 days",
            "outcome": "ongoing",
        },
    )
    report_setup.import_views(clinic, treated.id, folder, PHOTO_VISITS, VIEWS)
    photo = services.consents.prepare(
        clinic.reception,
        treated.id,
        *PHOTO_TEMPLATE,
        ConsentKind.PHOTO,
        prepared_on=date(2025, 1, 2),
    )
    services.consents.sign(
        clinic.clinician,
        photo.id,
        photo.version,
        date(2025, 1, 20),
        clinic.clinician.id,
        signature_png=signature_png(f"{treated.id}-photo"),
        scan=(SCAN_NAME, scanned_form_jpeg()),
        photo_scopes={"clinical_record": True, "teaching": True},
    )
    services.documents.form(clinic.reception, treated.id, "micrograft-consent")
    return CourseOfCare(treated.id, treated.name)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
