"""Two records of one person, registered at two sites before they synced, merged into one:
every row of both kept, the files still open, the merged-away record archived, all audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from clinicdesk.domain.photos import View
from clinicdesk.errors import ConcurrentEdit, PermissionDenied
from clinicdesk.services.patient_merge import PatientMergeService
from clinicdesk.storage.patient_merge import count_rows
from tests.conftest import Clinic
from tests.services import subject_access_setup
from tests.services.clinical_setup import eligible_patient
from tests.services.report_setup import NAME
from tests.sync.helpers import jpeg


def at_satellite(clinic: Clinic) -> Clinic:
    site = next(s for s in clinic.services.clinic.sites() if s.name == "Satellite clinic")
    return replace(
        clinic,
        reception=replace(clinic.reception, site_id=site.id),
        clinician=replace(clinic.clinician, site_id=site.id),
    )


def two_records(clinic: Clinic, tmp_path: Path) -> tuple[str, str]:
    """The full course of care at the main clinic, and the same person registered at the
    satellite with a medical history, a signed consent and a photo of their own."""
    main = subject_access_setup.full_course(clinic, tmp_path / "main").patient_id
    satellite = at_satellite(clinic)
    second = eligible_patient(satellite, **NAME).id
    photo = jpeg(tmp_path / "satellite.jpg", (200, 40, 40))
    [outcome] = clinic.services.photos.import_photos(
        satellite.clinician, second, [photo], view=View.FRONTAL, visit_date=date(2025, 11, 1)
    )
    assert outcome.status == "imported", outcome.reason
    return main, second


def test_the_same_person_at_two_sites_is_offered_and_merged_keeping_every_row(
    clinic: Clinic, tmp_path: Path
) -> None:
    main, second = two_records(clinic, tmp_path)
    service = PatientMergeService(clinic.services)
    [pair] = service.duplicates(clinic.clinician)
    assert {pair.first.id, pair.second.id} == {main, second}
    assert pair.reason == "same name and date of birth"
    db = clinic.services.db
    before_main, before_second = count_rows(db, main), count_rows(db, second)
    assert {"photos", "consents", "treatments", "assessments", "follow_ups"} <= set(before_main)
    kept = clinic.services.patients.get(clinic.admin, main)
    away = clinic.services.patients.get(clinic.admin, second)

    merged = service.merge(clinic.clinician, main, kept.version, second, away.version)

    after_main, after_second = count_rows(db, main), count_rows(db, second)
    # Every row of both is held, on the kept record but for the one medical history per patient.
    for table in set(before_main) | set(before_second):
        total = before_main.get(table, 0) + before_second.get(table, 0)
        assert after_main.get(table, 0) + after_second.get(table, 0) == total, table
    assert after_second == {"medical_histories": 1}
    assert merged.stayed == ["medical_histories"]
    assert after_main["photos"] == before_main["photos"] + 1
    # Every photo and consent file opens for the kept record.
    for photo in clinic.services.photos.list_photos(clinic.clinician, main):
        assert clinic.services.photos.store.opens_for(photo.sha256, main)
    # The merged-away record is archived, not deleted, and says where it went.
    assert clinic.services.patients.get(clinic.admin, second).archived
    entries = db.execute(
        "SELECT action, entity_id, detail FROM audit_log WHERE action LIKE 'merge%' ORDER BY seq"
    ).fetchall()
    assert [(e[0], e[1]) for e in entries] == [("merge_away", second), ("merge", main)]
    assert main in entries[0][2]
    assert service.duplicates(clinic.clinician) == []


def test_a_record_changed_meanwhile_is_not_merged(clinic: Clinic, tmp_path: Path) -> None:
    main, second = two_records(clinic, tmp_path)
    service = PatientMergeService(clinic.services)
    kept = clinic.services.patients.get(clinic.admin, main)
    away = clinic.services.patients.get(clinic.admin, second)
    before = count_rows(clinic.services.db, second)
    with pytest.raises(ConcurrentEdit):
        service.merge(clinic.clinician, main, kept.version, second, away.version - 1)
    assert count_rows(clinic.services.db, second) == before
    # Its files still open for it (bound back).
    for photo in clinic.services.photos.list_photos(clinic.clinician, second):
        assert clinic.services.photos.store.opens_for(photo.sha256, second)


def test_reception_may_not_merge(clinic: Clinic) -> None:
    with pytest.raises(PermissionDenied):
        PatientMergeService(clinic.services).duplicates(clinic.reception)
