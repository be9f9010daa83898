"""Subject access export through the service: a zip holding each kind of record, photos
without metadata, the consent scans, the access log and a summary naming every section; a
missing or damaged photo left out with its reason while the rest goes; admins only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from clinicdesk.errors import PermissionDenied
from clinicdesk.services.audit import AuditFilter, AuditService
from clinicdesk.services.subject_access import DAMAGED, MISSING, ExportCancelled
from clinicdesk.services.subject_access_summary import SECTION_TITLES
from tests.conftest import VALID_PATIENT, Clinic
from tests.media.images import LEAKS, jpeg_outside_scan
from tests.services.subject_access_setup import (
    PHOTO_VISITS,
    VIEWS,
    CourseOfCare,
    full_course,
    members,
)

GPS_IFD = 0x8825
# Every kind of record the course of care made, by the file it is in.
RECORD_FILES = (
    "patients",
    "medical_histories",
    "lab_results",
    "classifications",
    "consultations",
    "treatments",
    "adverse_events",
    "follow_ups",
    "assessments",
    "assessment_regions",
    "photos",
    "consents",
    "photo_consent_scopes",
    "documents",
)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def course(clinic: Clinic, tmp_path: Path) -> CourseOfCare:
    return full_course(clinic, tmp_path / "camera")


def export(clinic: Clinic, course: CourseOfCare, out: Path) -> dict[str, bytes]:
    clinic.services.subject_access.export_patient(clinic.admin, course.patient_id, out)
    return members(out)


def test_the_zip_holds_every_kind_of_record_photos_scans_and_the_access_log(
    clinic: Clinic, course: CourseOfCare, tmp_path: Path
) -> None:
    clinic.services.patients.get(clinic.reception, course.patient_id)  # an access to show
    out = tmp_path / "sar.zip"
    result = clinic.services.subject_access.export_patient(clinic.admin, course.patient_id, out)
    files = members(out)
    assert result.left_out == () and result.photos == len(VIEWS) * len(PHOTO_VISITS)
    for table in RECORD_FILES:
        rows = json.loads(files[f"records/{table}.json"])
        assert rows, table
        assert all(row.get("patient_id", course.patient_id) == course.patient_id for row in rows)
    [patient] = json.loads(files["records/patients.json"])
    assert patient["last_name"] == "Łukasiewicz-O'Brien"
    [treatment] = json.loads(files["records/treatments.json"])
    assert treatment["kit_lot"] and treatment["anaesthetic_lot"]
    # No other patient's rows, and no search index copies.
    assert not any(name.startswith("records/patient_search") for name in files)

    photos = [name for name in files if name.startswith("photos/")]
    assert len(photos) == len(VIEWS) * len(PHOTO_VISITS)
    for name in photos:
        data = files[name]
        for leak in LEAKS:
            assert leak not in jpeg_outside_scan(data), (name, leak)
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
            assert image.size == (1600, 1200)  # the full photo, not a small copy

    consents = sorted(name for name in files if name.startswith("consents/"))
    assert sorted(name.rsplit("-", 1)[1] for name in consents) == [
        "scan.jpg",
        "signature.png",
        "signature.png",
    ]
    scan = files[next(name for name in consents if name.endswith("scan.jpg"))]
    assert b"GPS" not in scan and b"SN-CAMERA" not in scan

    rows = list(csv.reader(io.StringIO(files["access-log.csv"].decode("utf-8-sig"))))
    assert rows[0][:4] == ["Entry", "Time", "User", "Role"]
    assert ["Rex Reception", "Reception", "Viewed", "Patient"] in [r[2:6] for r in rows]
    assert "README.txt" in files and b"records/" in files["README.txt"]
    assert files["problems.txt"].startswith(b"No problems")


def test_the_summary_names_each_section_and_prints_text_as_typed(
    clinic: Clinic, course: CourseOfCare, tmp_path: Path
) -> None:
    text = text_of(export(clinic, course, tmp_path / "sar.zip")["summary.pdf"])
    for number, title in enumerate(SECTION_TITLES, start=1):
        assert f"{number}. {title}" in text, title
    assert "Łukasiewicz-O'Brien" in text
    assert "diffuse <thinning> & more" in text  # escaped, not parsed as markup
    assert "Rigenera" in text and "lot" in text  # the treatment's kit and lot
    assert "Red, warm donor site" in text
    assert "Rex Reception" in text  # who opened the record
    assert "Files left out None recorded." in text


def test_an_empty_section_says_none_recorded(clinic: Clinic, tmp_path: Path) -> None:
    from tests.conftest import VALID_PATIENT

    patient = clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT))
    out = tmp_path / "new.zip"
    clinic.services.subject_access.export_patient(clinic.admin, patient.id, out)
    text = text_of(members(out)["summary.pdf"])
    for title in ("Consultations", "Treatments", "Adverse events", "Photographs", "Consents"):
        assert f"{title} None recorded." in text, title


def test_a_missing_and_a_damaged_photo_are_left_out_with_why_and_the_rest_goes(
    clinic: Clinic, course: CourseOfCare, tmp_path: Path
) -> None:
    photos = clinic.services.photos.list_photos(clinic.clinician, course.patient_id)
    store = clinic.services.photos.store
    gone, flipped = photos[0], photos[1]
    store.path_of(gone.sha256).unlink()
    damaged = store.path_of(flipped.sha256)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))

    out = tmp_path / "sar.zip"
    result = clinic.services.subject_access.export_patient(clinic.admin, course.patient_id, out)
    files = members(out)
    assert sorted(item.reason for item in result.left_out) == sorted([MISSING, DAMAGED])
    assert result.photos == len(photos) - 2
    assert len([name for name in files if name.startswith("photos/")]) == len(photos) - 2
    assert not any(gone.id[-8:] in name or flipped.id[-8:] in name for name in files)
    problems = files["problems.txt"].decode()
    assert MISSING in problems and DAMAGED in problems
    text = text_of(files["summary.pdf"])
    assert "missing from the clinic's data folder" in text
    assert "failed its integrity check" in text
    assert len(json.loads(files["records/photos.json"])) == len(photos)  # the records all go


def test_only_an_admin_may_export_and_a_refusal_is_audited(
    clinic: Clinic, course: CourseOfCare, tmp_path: Path
) -> None:
    out = tmp_path / "sar.zip"
    for user in (clinic.clinician, clinic.reception):
        with pytest.raises(PermissionDenied):
            clinic.services.subject_access.export_patient(user, course.patient_id, out)
    assert not out.exists() and list(tmp_path.glob("*.zip*")) == []
    denied = clinic.services.db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'denied' AND entity_id = ?",
        [course.patient_id],
    ).fetchone()[0]
    assert denied == 2


def test_the_export_is_audited_with_counts_only(
    clinic: Clinic, course: CourseOfCare, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    export(clinic, course, tmp_path / "sar.zip")
    action, entity, entity_id, detail = clinic.services.db.execute(
        "SELECT action, entity, entity_id, detail FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert (action, entity, entity_id) == ("export", "patient", course.patient_id)
    assert json.loads(detail) | {"_row": None} == {
        "kind": "subject_access",
        "files": json.loads(detail)["files"],
        "photos": 6,
        "left_out": 0,
        "_row": None,
    }
    for record in caplog.records:
        message = record.getMessage()
        assert course.patient_id not in message and "Łukasiewicz" not in message


def test_a_cancelled_or_failed_export_leaves_no_file(
    clinic: Clinic, course: CourseOfCare, tmp_path: Path
) -> None:
    out = tmp_path / "sar.zip"
    out.write_bytes(b"an earlier export")
    seen: list[tuple[int, int]] = []
    with pytest.raises(ExportCancelled):
        clinic.services.subject_access.export_patient(
            clinic.admin,
            course.patient_id,
            out,
            progress=lambda done, total: seen.append((done, total)),
            cancelled=lambda: bool(seen),
        )
    assert out.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["sar.zip"]
    exports = clinic.services.db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'export'"
    ).fetchone()[0]
    assert exports == 0


def test_the_access_log_says_what_changed_in_the_words_of_the_audit_trail(
    clinic: Clinic, tmp_path: Path
) -> None:
    patient = clinic.services.patients.register(clinic.admin, dict(VALID_PATIENT))
    clinic.services.patients.update(
        clinic.admin, patient.id, patient.version, dict(VALID_PATIENT, phone="07700 900999")
    )
    out = tmp_path / "sar.zip"
    clinic.services.subject_access.export_patient(clinic.admin, patient.id, out)
    rows = list(csv.reader(io.StringIO(members(out)["access-log.csv"].decode("utf-8-sig"))))
    trail = AuditService(clinic.services.db).entries(clinic.admin, AuditFilter(patient=patient.id))
    [update] = [r for r in rows if r[4] == "Changed"]
    [entry] = [row for row in trail if row.action == "update"]
    assert update[6] == entry.details == "fields: phone"


def test_the_interpreter_language_is_in_the_record_and_the_summary(
    clinic: Clinic, course: CourseOfCare, tmp_path: Path
) -> None:
    patients = clinic.services.patients
    patient = patients.get(clinic.reception, course.patient_id)
    form = {**patient.details.as_form(), "interpreter_language": "Polish"}
    patients.update(clinic.reception, patient.id, patient.version, form)
    files = export(clinic, course, tmp_path / "sar.zip")
    [row] = json.loads(files["records/patients.json"])
    assert row["interpreter_language"] == "Polish"
    assert "Interpreter needed (language) Polish" in text_of(files["summary.pdf"])


def test_the_summary_pdf_states_when_it_was_made(clinic: Clinic, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    patient = clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT))
    service = clinic.services.subject_access
    service.now = lambda: datetime(2026, 3, 9, 14, 5, 7, tzinfo=UTC)
    out = tmp_path / "made.zip"
    service.export_patient(clinic.admin, patient.id, out)
    info = PdfReader(io.BytesIO(members(out)["summary.pdf"])).metadata
    assert info is not None
    assert info.creation_date == datetime(2026, 3, 9, 14, 5, 7, tzinfo=UTC)
