"""Assessments through the service: saved as typed, bounds refused with nothing saved, stale
saves refused, CSV import all or nothing, reception kept out, every view and change audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.domain.assessment_csv import CSV_HEADER, CsvImportError
from clinicdesk.domain.assessments import AssessmentSource, Region, format_change, region_form
from clinicdesk.domain.patient import Patient
from clinicdesk.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from clinicdesk.services.assessments import AssessmentService
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit
from tests.conftest import Clinic
from tests.domain.test_assessments import region_row


@pytest.fixture
def patient(clinic: Clinic, patient_form: dict[str, str]) -> Patient:
    return clinic.services.patients.register(clinic.reception, patient_form)


@pytest.fixture
def service(clinic: Clinic) -> AssessmentService:
    return clinic.services.assessments


def count_rows(clinic: Clinic) -> tuple[int, int]:
    db = clinic.services.db
    return (
        db.execute("SELECT count(*) FROM assessments").fetchone()[0],
        db.execute("SELECT count(*) FROM assessment_regions").fetchone()[0],
    )


def new_entries(clinic: Clinic, before: int) -> list[audit.AuditEntry]:
    return audit.entries(clinic.services.db)[before:]


def test_an_assessment_is_saved_and_read_back(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    saved = service.add(
        clinic.clinician,
        patient.id,
        {"visit_date": "12/03/2024", "pull_test_pulled": "3", "satisfaction": "6"},
        [
            region_row("frontal"),
            region_row(
                "occipital", total_density="200", terminal_density="180", vellus_density="20"
            ),
        ],
    )
    assert saved.version == 1 and saved.patient_id == patient.id
    details = saved.details
    assert details.clinician_id == clinic.clinician.id
    assert details.visit_site_id == clinic.clinician.site_id
    assert details.source is AssessmentSource.TYPED
    assert [m.region for m in details.regions] == [Region.FRONTAL, Region.OCCIPITAL]
    frontal = details.region(Region.FRONTAL)
    assert frontal is not None and frontal.total_density == 120.0
    assert frontal.measurement_site == "8 cm from glabella along midline"
    assert service.get(clinic.clinician, saved.id) == saved
    assert service.list_for_patient(clinic.admin, patient.id) == [saved]


def test_an_out_of_range_density_is_refused_at_its_field_and_nothing_is_saved(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.add(
            clinic.clinician,
            patient.id,
            {"visit_date": "12/03/2024"},
            [region_row("frontal", total_density="650")],
        )
    assert caught.value.errors == {
        "regions[frontal].total_density": "must be between 0 and 600 hairs/cm²"
    }
    assert count_rows(clinic) == (0, 0)


def test_a_visit_before_birth_or_an_unknown_treatment_is_refused(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.add(
            clinic.clinician,
            patient.id,
            {"visit_date": "01/01/1980", "treatment_id": "no-such-treatment"},
            [region_row()],
        )
    assert caught.value.errors == {
        "visit_date": "is before the patient's date of birth",
        "treatment_id": "is not one of this patient's treatments",
    }
    assert count_rows(clinic) == (0, 0)


def test_update_changes_regions_and_a_stale_version_is_refused(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    first = service.add(
        clinic.clinician,
        patient.id,
        {"visit_date": "12/03/2024"},
        [region_row("frontal"), region_row("vertex")],
    )
    before = len(audit.entries(clinic.services.db))
    frontal = first.details.region(Region.FRONTAL)
    assert frontal is not None
    updated = service.update(
        clinic.clinician,
        first.id,
        first.version,
        {"visit_date": "12/03/2024", "satisfaction": "8"},
        [region_form(frontal) | {"total_density": "121.5"}, region_row("mid-scalp")],
    )
    assert updated.version == 2
    assert [m.region for m in updated.details.regions] == [Region.FRONTAL, Region.MID_SCALP]
    new_frontal = updated.details.region(Region.FRONTAL)
    assert new_frontal is not None and new_frontal.total_density == 121.5
    assert new_frontal.id == frontal.id  # same row, updated in place
    assert updated.details.satisfaction == 8
    (entry,) = new_entries(clinic, before)
    assert (entry.action, entry.entity, entry.entity_id) == ("update", "assessment", first.id)
    assert entry.detail == {
        "patient": patient.id,
        "fields": ["satisfaction", "regions[frontal]", "regions[mid_scalp]", "regions[vertex]"],
    }
    # The vertex region dropped, then measured again: its archived row comes back.
    again = service.update(
        clinic.clinician,
        first.id,
        updated.version,
        {"visit_date": "12/03/2024"},
        [region_row("vertex")],
    )
    assert [m.region for m in again.details.regions] == [Region.VERTEX]
    # Someone still holding version 1 saves: refused, both versions given, nothing changed.
    with pytest.raises(ConcurrentEdit) as caught:
        service.update(
            clinic.clinician,
            first.id,
            first.version,
            {"visit_date": "12/03/2024"},
            [region_row("frontal", total_density="130")],
        )
    assert caught.value.theirs == again
    assert service.get(clinic.clinician, first.id) == again


def test_archived_assessments_are_gone_from_the_list(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    saved = service.add(clinic.clinician, patient.id, {"visit_date": "12/03/2024"}, [region_row()])
    service.archive(clinic.clinician, saved.id, saved.version)
    assert service.list_for_patient(clinic.clinician, patient.id) == []
    with pytest.raises(NotFound):
        service.get(clinic.clinician, saved.id)


def test_every_view_and_change_is_audited_with_the_patient(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    before = len(audit.entries(clinic.services.db))
    saved = service.add(clinic.clinician, patient.id, {"visit_date": "12/03/2024"}, [region_row()])
    service.get(clinic.admin, saved.id)
    service.list_for_patient(clinic.clinician, patient.id)
    service.measurements(clinic.clinician, patient.id)
    service.series(clinic.clinician, patient.id)
    service.baseline_report(clinic.clinician, patient.id)
    entries = new_entries(clinic, before)
    assert [(e.action, e.entity, e.detail.get("what")) for e in entries] == [
        ("create", "assessment", None),
        ("view", "assessment", "assessment"),
        ("view", "assessments", "list"),
        ("view", "assessments", "table"),
        ("view", "assessments", "chart"),
        ("view", "assessments", "baseline report"),
    ]
    assert all(e.detail["patient"] == patient.id for e in entries)
    # So the patient's access log shows them.
    logged = audit.entries(clinic.services.db, patient_ids=[patient.id])
    assert {e.entity for e in logged} >= {"assessment", "assessments"}


def test_reports_from_stored_assessments(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    service.add(clinic.clinician, patient.id, {"visit_date": "01/02/2024"}, [region_row()])
    service.add(
        clinic.clinician,
        patient.id,
        {"visit_date": "01/05/2024"},
        [region_row(total_density="127.1", terminal_density="86", vellus_density="41")],
    )
    report = service.baseline_report(clinic.clinician, patient.id)  # never treated: the first
    assert report.baseline is not None and str(report.baseline.visit_date) == "2024-02-01"
    frontal = report.visits[0].region(Region.FRONTAL)
    assert frontal is not None
    assert frontal.changes["total_density"].absolute == pytest.approx(7.1)
    assert frontal.changes["total_density"].percent == pytest.approx(5.9167, abs=1e-3)
    table = service.measurements(clinic.clinician, patient.id)
    row = next(r for r in table.rows if r.key == "total_density")
    assert row.values == (120.0, 127.1)
    series = service.series(clinic.clinician, patient.id)
    assert [p.total_density for p in series[Region.FRONTAL]] == [120.0, 127.1]


# -- CSV import -------------------------------------------------------------------------

GOOD_CSV = f"""{CSV_HEADER}
12/03/2024,frontal,8 cm from glabella along midline,120,80,40,60,25,60,2.0,,,,
12/03/2024,occipital,2 cm above the inion,200,180,20,72,10,90,2.2,85,15,3,14.4
2024-06-12,frontal,8 cm from glabella along midline,127.1,86,41,61.9,22,62,2.1,,,,
"""


def test_a_good_csv_file_imports_one_assessment_per_visit(
    clinic: Clinic, service: AssessmentService, patient: Patient, tmp_path: Path
) -> None:
    path = tmp_path / "trichoscan.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_CSV.replace("\n", "\r\n").encode())
    before = len(audit.entries(clinic.services.db))
    imported = service.import_csv(clinic.clinician, patient.id, path)
    assert [str(a.visit_date) for a in imported] == ["2024-03-12", "2024-06-12"]
    assert all(a.details.source is AssessmentSource.CSV for a in imported)
    assert [len(a.details.regions) for a in imported] == [2, 1]
    assert imported[0].details.clinician_id == clinic.clinician.id
    assert count_rows(clinic) == (2, 3)
    (entry,) = new_entries(clinic, before)
    assert (entry.action, entry.entity) == ("import", "assessment")
    assert entry.detail == {
        "patient": patient.id,
        "assessments": [a.id for a in imported],
        "rows": 3,
    }
    # Importing the same file again would duplicate the visits: refused, row by row.
    with pytest.raises(CsvImportError) as caught:
        service.import_csv(clinic.clinician, patient.id, path)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, visit_date: the patient already has an assessment on 12/03/2024",
        "row 3, visit_date: the patient already has an assessment on 12/03/2024",
        "row 4, visit_date: the patient already has an assessment on 12/06/2024",
    ]
    assert count_rows(clinic) == (2, 3)


def test_a_csv_with_bad_rows_imports_nothing_and_lists_every_error(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    text = GOOD_CSV + (
        "12/06/2024,vertex,,650,80,40,60,25,60,2.0,,,,\n"
        "12/06/2024,mid-scalp,,120,80,40,60,25,60,9,,,,\n"
    )
    with pytest.raises(CsvImportError) as caught:
        service.import_csv(clinic.clinician, patient.id, text)
    assert [str(p) for p in caught.value.problems] == [
        "row 5, total_density: must be between 0 and 600 hairs/cm²",
        "row 6, hairs_per_fu: must be between 1 and 5 hairs/FU",
    ]
    assert count_rows(clinic) == (0, 0)


def test_csv_dates_before_birth_are_reported_per_row(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    text = f"{CSV_HEADER}\n01/01/1980,frontal,,120,80,40,60,25,60,2,,,,\n"
    with pytest.raises(CsvImportError) as caught:
        service.import_csv(clinic.clinician, patient.id, text)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, visit_date: is before the patient's date of birth"
    ]
    assert count_rows(clinic) == (0, 0)


@pytest.mark.parametrize(
    ("content", "start"),
    [
        (b"", "The file is empty"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "The file is not a CSV text file"),
        (b"visit_date,region\n12/03/2024,frontal\n", "The file is missing the required column(s)"),
    ],
)
def test_unreadable_csv_files_fail_with_one_message(
    clinic: Clinic,
    service: AssessmentService,
    patient: Patient,
    tmp_path: Path,
    content: bytes,
    start: str,
) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    with pytest.raises(CsvImportError) as caught:
        service.import_csv(clinic.clinician, patient.id, path)
    assert caught.value.message.startswith(start)
    assert count_rows(clinic) == (0, 0)


def test_a_missing_file_or_a_folder_is_a_clear_error(
    clinic: Clinic, service: AssessmentService, patient: Patient, tmp_path: Path
) -> None:
    with pytest.raises(CsvImportError, match="was not found"):
        service.import_csv(clinic.clinician, patient.id, tmp_path / "nope.csv")
    with pytest.raises(CsvImportError, match="is a folder"):
        service.import_csv(clinic.clinician, patient.id, tmp_path)


# -- permissions ------------------------------------------------------------------------

Call = Callable[[AssessmentService, CurrentUser, Patient, str], Any]

OPERATIONS: dict[str, tuple[Call, set[str]]] = {
    "add": (
        lambda s, u, p, a: s.add(u, p.id, {"visit_date": "13/03/2024"}, [region_row()]),
        {"clinician"},
    ),
    "update": (
        lambda s, u, p, a: s.update(u, a, 1, {"visit_date": "12/03/2024"}, [region_row()]),
        {"clinician"},
    ),
    "archive": (lambda s, u, p, a: s.archive(u, a, 1), {"clinician"}),
    "import": (
        lambda s, u, p, a: s.import_csv(
            u, p.id, f"{CSV_HEADER}\n14/03/2024,vertex,,1,0,0,60,25,1,1,,,,\n"
        ),
        {"clinician"},
    ),
    "get": (lambda s, u, p, a: s.get(u, a), {"clinician", "admin"}),
    "list": (lambda s, u, p, a: s.list_for_patient(u, p.id), {"clinician", "admin"}),
    "table": (lambda s, u, p, a: s.measurements(u, p.id), {"clinician", "admin"}),
    "series": (lambda s, u, p, a: s.series(u, p.id), {"clinician", "admin"}),
    "baseline report": (lambda s, u, p, a: s.baseline_report(u, p.id), {"clinician", "admin"}),
}


@pytest.mark.parametrize("role", ["reception", "clinician", "admin"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_permissions_per_role(
    clinic: Clinic, service: AssessmentService, patient: Patient, operation: str, role: str
) -> None:
    saved = service.add(clinic.clinician, patient.id, {"visit_date": "12/03/2024"}, [region_row()])
    user: CurrentUser = getattr(clinic, role)
    call, allowed = OPERATIONS[operation]
    rows_before = count_rows(clinic)
    before = len(audit.entries(clinic.services.db))
    if role in allowed:
        call(service, user, patient, saved.id)
        return
    with pytest.raises(PermissionDenied):
        call(service, user, patient, saved.id)
    assert count_rows(clinic) == rows_before
    (entry,) = new_entries(clinic, before)
    assert entry.action == "denied" and entry.user_id == user.id
    assert entry.detail == {
        "needs": "edit_clinical_records"
        if operation in ("add", "update", "archive", "import")
        else "view_clinical_records"
    }


def test_the_clinician_must_be_a_clinician(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.add(
            clinic.clinician,
            patient.id,
            {"visit_date": "12/03/2024", "clinician_id": clinic.reception.id},
            [region_row()],
        )
    assert caught.value.errors == {"clinician_id": "must be one of the clinic's clinicians"}


def test_the_baseline_is_the_assessment_on_or_before_the_treatment_date(
    clinic: Clinic, service: AssessmentService, patient: Patient
) -> None:
    for day, total in (("01/01/2024", "110"), ("01/02/2024", "120"), ("01/05/2024", "127.1")):
        service.add(
            clinic.clinician,
            patient.id,
            {"visit_date": day},
            [region_row(total_density=total, terminal_density="60", vellus_density="40")],
        )
    report = service.baseline_report(clinic.clinician, patient.id, treatment_date=date(2024, 2, 1))
    assert report.baseline is not None and report.baseline.visit_date == date(2024, 2, 1)
    (visit,) = report.visits  # the January visit is before the baseline: not compared
    frontal = visit.region(Region.FRONTAL)
    assert frontal is not None
    assert format_change(frontal.changes["total_density"]) == "+7.1 (+5.9%)"
    with pytest.raises(NotFound):
        service.baseline_report(clinic.clinician, patient.id, treatment_id="no-such-treatment")
