"""Correcting a photo's view and capture time, the gallery's visits, and the thumbnail reader
that the gallery's workers use."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.dates import BEFORE_BIRTH
from clinicdesk.domain.photos import Photo, TakenAtSource, View
from clinicdesk.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from clinicdesk.services.photos import PhotoService
from tests.conftest import VALID_PATIENT, Clinic
from tests.media import images
from tests.services.clinical_setup import TREATED_ON, eligible_patient, treatment_form


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


@pytest.fixture
def photos(clinic: Clinic) -> PhotoService:
    return clinic.services.photos


def imported(
    clinic: Clinic,
    patient_id: str,
    folder: Path,
    seed: int,
    view: View | None = View.FRONTAL,
    visit: date | None = None,
) -> Photo:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"IMG_{seed:04d}.JPG"
    path.write_bytes(images.jpeg(seed=seed))
    [outcome] = clinic.services.photos.import_photos(
        clinic.clinician, patient_id, [path], view=view, visit_date=visit
    )
    assert outcome.photo_id is not None
    return clinic.services.photos.photo(clinic.clinician, outcome.photo_id)


def update_rows(clinic: Clinic) -> list[dict[str, object]]:
    rows = clinic.services.db.execute(
        "SELECT detail FROM audit_log WHERE entity = 'photo' AND action = 'update' ORDER BY seq"
    ).fetchall()
    return [json.loads(row[0]) for row in rows]


def test_a_clinician_corrects_the_view_and_the_time_taken(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    yesterday = clinic.services.patients.today() - timedelta(days=1)
    photo = imported(clinic, patient_id, tmp_path, 1, view=None, visit=yesterday)
    assert photo.taken_at_source is TakenAtSource.FILE  # no EXIF: the file's time
    when = datetime.combine(photo.visit_date, datetime.min.time()).replace(hour=9, minute=41)
    saved = photos.update_details(
        clinic.clinician,
        photo.id,
        photo.version,
        view=View.TRICHOSCOPY,
        region=Region.VERTEX,
        taken_at=when,
    )
    assert (saved.view, saved.region, saved.taken_at) == (View.TRICHOSCOPY, Region.VERTEX, when)
    assert saved.version == photo.version + 1
    assert (saved.sha256, saved.visit_date) == (photo.sha256, photo.visit_date)
    assert photos.photo(clinic.clinician, photo.id) == saved
    assert update_rows(clinic) == [
        {"patient": patient_id, "fields": ["view", "region", "taken_at"]}
    ]
    # The checklist follows: the visit now has its trichoscopy close-up.
    assert View.TRICHOSCOPY not in photos.missing_views(
        clinic.clinician, patient_id, photo.visit_date
    )


def test_a_time_in_the_future_or_before_birth_is_refused(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    photo = imported(clinic, patient_id, tmp_path, 2)
    tomorrow = datetime.combine(
        clinic.services.patients.today() + timedelta(days=1), datetime.min.time()
    )
    with pytest.raises(ValidationError) as future:
        photos.update_details(
            clinic.clinician,
            photo.id,
            photo.version,
            view=View.FRONTAL,
            region=None,
            taken_at=tomorrow,
        )
    assert future.value.errors == {"taken_at": "is in the future"}
    # Later today is the future as well (two hours on: past any camera clock's drift).
    with pytest.raises(ValidationError) as later_today:
        photos.update_details(
            clinic.clinician,
            photo.id,
            photo.version,
            view=View.FRONTAL,
            region=None,
            taken_at=datetime.now() + timedelta(hours=2),
        )
    assert later_today.value.errors == {"taken_at": "is in the future"}
    with pytest.raises(ValidationError) as early:
        photos.update_details(
            clinic.clinician,
            photo.id,
            photo.version,
            view=View.VERTEX,
            region=Region.FRONTAL,
            taken_at=datetime(1985, 7, 2, 12, 0),  # the day before the patient's birth
        )
    assert early.value.errors == {
        "taken_at": BEFORE_BIRTH,
        "region": "is only for a trichoscopy close-up",
    }
    assert photos.photo(clinic.clinician, photo.id) == photo  # nothing changed
    assert update_rows(clinic) == []


def test_a_stale_version_overwrites_nothing(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    photo = imported(clinic, patient_id, tmp_path, 3)
    first = photos.update_details(
        clinic.clinician,
        photo.id,
        photo.version,
        view=View.VERTEX,
        region=None,
        taken_at=photo.taken_at,
    )
    with pytest.raises(ConcurrentEdit) as clash:
        photos.update_details(
            clinic.clinician,
            photo.id,
            photo.version,
            view=View.OCCIPITAL_DONOR,
            region=None,
            taken_at=photo.taken_at,
        )
    assert clash.value.theirs == first
    assert isinstance(clash.value.mine, Photo) and clash.value.mine.view is View.OCCIPITAL_DONOR
    assert photos.photo(clinic.clinician, photo.id).view is View.VERTEX
    assert update_rows(clinic) == [{"patient": patient_id, "fields": ["view"]}]


def test_only_clinicians_may_edit_photo_details(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    photo = imported(clinic, patient_id, tmp_path, 4)
    for user in (clinic.reception, clinic.admin):
        with pytest.raises(PermissionDenied):
            photos.update_details(
                user,
                photo.id,
                photo.version,
                view=View.VERTEX,
                region=None,
                taken_at=photo.taken_at,
            )
        with pytest.raises(PermissionDenied):
            photos.thumbnail_reader(user, patient_id)
        with pytest.raises(PermissionDenied):
            photos.visits(user, patient_id, [photo])
    assert photos.photo(clinic.clinician, photo.id).view is View.FRONTAL


def test_an_archived_photo_cannot_be_edited(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    photo = imported(clinic, patient_id, tmp_path, 5)
    archived = photos.archive(clinic.clinician, photo.id, photo.version)
    with pytest.raises(NotFound):
        photos.update_details(
            clinic.clinician,
            photo.id,
            archived.version,
            view=View.VERTEX,
            region=None,
            taken_at=photo.taken_at,
        )


def test_visits_are_named_against_the_first_treatment(
    clinic: Clinic, photos: PhotoService, tmp_path: Path
) -> None:
    patient = eligible_patient(clinic)
    before = imported(clinic, patient.id, tmp_path / "a", 6, visit=TREATED_ON - timedelta(days=40))
    on_the_day = imported(clinic, patient.id, tmp_path / "b", 7, visit=TREATED_ON)
    later = imported(clinic, patient.id, tmp_path / "c", 8, visit=TREATED_ON + timedelta(days=90))
    everything = [before, on_the_day, later]
    untreated = photos.visits(clinic.clinician, patient.id, everything)
    assert [v.label for v in untreated] == ["Baseline", "Follow-up 1", "Follow-up 2"]
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    treated = photos.visits(clinic.clinician, patient.id, everything)
    assert [(v.visit_date, v.label) for v in treated] == [
        (before.visit_date, "Before treatment"),
        (TREATED_ON, "Baseline"),
        (later.visit_date, "Follow-up 1"),
    ]


def test_the_thumbnail_reader_reads_only_its_patients_photos(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    photo = imported(clinic, patient_id, tmp_path / "a", 9)
    other_id = clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "first_name": "Other", "nhs_number": ""}
    ).id
    other_photo = imported(clinic, other_id, tmp_path / "b", 10)
    reader = photos.thumbnail_reader(clinic.clinician, patient_id)
    assert reader.read(photo) == photos.thumbnail(clinic.clinician, photo.id)
    with pytest.raises(NotFound):
        reader.read(other_photo)
    # A lost cache entry is made again from the original.
    for cached in (clinic.paths.cache_dir / "thumbnail").rglob("*"):
        if cached.is_file():
            cached.unlink()
    assert reader.read(photo)[:2] == b"\xff\xd8"  # a JPEG
