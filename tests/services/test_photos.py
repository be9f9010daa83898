"""Importing, viewing, exporting and archiving treatment photos through the service."""

from __future__ import annotations

import io
import json
import os
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.photos import ConsentScope, TakenAtSource, View
from clinicdesk.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from clinicdesk.services.context import unlock_clinic
from clinicdesk.services.photos import PhotoService
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.media import images


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


@pytest.fixture
def photos(clinic: Clinic) -> PhotoService:
    return clinic.services.photos


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def audit_rows(clinic: Clinic, entity: str = "photo") -> list[tuple[str, str, dict[str, str]]]:
    rows = clinic.services.db.execute(
        "SELECT action, entity_id, detail FROM audit_log WHERE entity = ? ORDER BY seq", [entity]
    ).fetchall()
    return [(action, entity_id, json.loads(detail)) for action, entity_id, detail in rows]


def test_a_batch_imports_the_good_files_and_refuses_the_bad_with_reasons(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    card = tmp_path / "DCIM"
    files = [
        write(card, "IMG_0001.JPG", images.jpeg_with_metadata()),
        write(card, "scan.jpg", images.pdf()),
        write(card, "empty.jpg", b""),
        write(card, "noise.heic", bytes(range(256)) * 8),
        write(card, "half.jpg", images.truncated_jpeg()),
        write(card, "bomb.png", images.bomb_png(10_000)),
        write(card, "scan.tif", images.tiff()),
        write(card, "cmyk.jpg", images.cmyk_jpeg()),
        write(card, "deep.png", images.png_16_bit()),
        card / "gone.jpg",
    ]
    progress: list[tuple[int, int]] = []
    outcomes = photos.import_photos(
        clinic.clinician,
        patient_id,
        files,
        view=View.FRONTAL,
        visit_date=date(2024, 5, 1),
        progress=lambda done, total: progress.append((done, total)),
    )
    assert [(o.file.name, o.status) for o in outcomes] == [
        ("IMG_0001.JPG", "imported"),
        ("scan.jpg", "refused"),
        ("empty.jpg", "refused"),
        ("noise.heic", "refused"),
        ("half.jpg", "refused"),
        ("bomb.png", "refused"),
        ("scan.tif", "imported"),
        ("cmyk.jpg", "imported"),
        ("deep.png", "imported"),
        ("gone.jpg", "refused"),
    ]
    reasons = {o.file.name: o.reason for o in outcomes if o.status == "refused"}
    assert "not a JPEG, PNG, TIFF or HEIC" in reasons["scan.jpg"]
    assert "empty" in reasons["empty.jpg"]
    assert "damaged or incomplete" in reasons["half.jpg"]
    assert "too large" in reasons["bomb.png"]
    assert "could not be read" in reasons["gone.jpg"]
    assert all(reason.startswith(name) for name, reason in reasons.items())
    assert progress == [(n, 10) for n in range(1, 11)]

    stored = photos.list_photos(clinic.clinician, patient_id)
    assert [p.original_name for p in stored] == ["IMG_0001.JPG", "scan.tif", "cmyk.jpg", "deep.png"]
    # The originals are written while the check runs; a refused file's copy is removed again.
    on_disk = sorted(p.name for p in clinic.paths.photos_dir.rglob("*") if p.is_file())
    assert on_disk == sorted(p.sha256 for p in stored)
    first = stored[0]
    assert (first.format, first.width, first.height) == ("JPEG", 40, 80)
    assert (first.taken_at, first.taken_at_source) == (
        datetime(2024, 5, 1, 10, 30),
        TakenAtSource.EXIF,
    )
    assert first.view is View.FRONTAL and first.visit_date == date(2024, 5, 1)
    assert first.consent_scope is ConsentScope.CLINICAL_RECORD
    assert stored[1].taken_at_source is TakenAtSource.FILE
    imported = [row for row in audit_rows(clinic) if row[0] == "import"]
    assert [row[1] for row in imported] == [p.id for p in stored]
    assert all(row[2]["patient"] == patient_id for row in imported)


def test_the_same_file_twice_is_a_duplicate_stored_once(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    data = images.jpeg(seed=1)
    first = write(tmp_path / "a", "one.jpg", data)
    again = write(tmp_path / "b", "copy.jpg", data)
    outcomes = photos.import_photos(clinic.clinician, patient_id, [first, again, first])
    assert [o.status for o in outcomes] == ["imported", "duplicate", "duplicate"]
    assert outcomes[1].photo_id == outcomes[0].photo_id
    assert "already in this patient's record" in outcomes[1].reason
    assert len(photos.list_photos(clinic.clinician, patient_id)) == 1
    assert len([p for p in clinic.paths.photos_dir.rglob("*") if p.is_file()]) == 1


def test_the_same_file_for_another_patient_is_refused(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    other = clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "first_name": "Other", "nhs_number": ""}
    ).id
    path = write(tmp_path, "one.jpg", images.jpeg(seed=2))
    assert photos.import_photos(clinic.clinician, patient_id, [path])[0].status == "imported"
    outcome = photos.import_photos(clinic.clinician, other, [path])[0]
    assert outcome.status == "refused" and "another record" in outcome.reason


def test_original_round_trips_byte_identical_and_is_encrypted_on_disk(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    data = images.jpeg_with_metadata()
    [outcome] = photos.import_photos(
        clinic.clinician, patient_id, [write(tmp_path, "IMG.JPG", data)]
    )
    assert outcome.photo_id is not None
    assert photos.original(clinic.clinician, outcome.photo_id) == data
    [on_disk] = [p for p in clinic.paths.photos_dir.rglob("*") if p.is_file()]
    blob = on_disk.read_bytes()
    assert not blob.startswith(b"\xff\xd8")
    for plaintext in (b"Exif", b"GPS", b"SN-CAMERA-0042", data[100:140]):
        assert plaintext not in blob
    assert ("view", outcome.photo_id) in [(a, i) for a, i, _ in audit_rows(clinic)]


def test_display_thumbnail_and_export_are_upright_and_metadata_free(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    [outcome] = photos.import_photos(
        clinic.clinician, patient_id, [write(tmp_path, "IMG.JPG", images.jpeg_with_metadata())]
    )
    photo_id = outcome.photo_id
    assert photo_id is not None
    for copy in (
        photos.display(clinic.clinician, photo_id),
        photos.thumbnail(clinic.clinician, photo_id),
        photos.export_copy(clinic.clinician, photo_id),
    ):
        for leak in images.LEAKS:
            assert leak not in copy
        with Image.open(io.BytesIO(copy)) as shown:
            assert not shown.getexif()
            assert shown.size[1] > shown.size[0]
    assert "export" in [action for action, _, _ in audit_rows(clinic)]


def test_thumbnail_cache_is_sealed_and_rebuilt_when_missing(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    [outcome] = photos.import_photos(
        clinic.clinician, patient_id, [write(tmp_path, "a.jpg", images.jpeg((600, 400)))]
    )
    assert outcome.photo_id is not None
    # Made during the import from the check's decode: the gallery need not decode it again.
    cached = [p for p in (clinic.paths.cache_dir / "thumbnail").rglob("*") if p.is_file()]
    assert len(cached) == 1 and not cached[0].read_bytes().startswith(b"\xff\xd8")
    first = photos.thumbnail(clinic.clinician, outcome.photo_id)
    with Image.open(io.BytesIO(first)) as small:
        assert small.size == (256, 171)
    cached[0].write_bytes(b"damaged")
    assert photos.thumbnail(clinic.clinician, outcome.photo_id) == first
    cached[0].unlink()
    assert photos.thumbnail(clinic.clinician, outcome.photo_id) == first


@pytest.mark.parametrize("role", ["reception", "admin"])
def test_reception_and_admin_may_not_use_photos(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path, role: str
) -> None:
    user = getattr(clinic, role)
    path = write(tmp_path, "a.jpg", images.jpeg())
    with pytest.raises(PermissionDenied):
        photos.import_photos(user, patient_id, [path])
    with pytest.raises(PermissionDenied):
        photos.list_photos(user, patient_id)
    [outcome] = photos.import_photos(clinic.clinician, patient_id, [path])
    assert outcome.photo_id is not None
    for call in (photos.original, photos.display, photos.thumbnail, photos.export_copy):
        with pytest.raises(PermissionDenied):
            call(user, outcome.photo_id)
    denied = clinic.services.db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'denied' AND user_id = ? AND entity = ?",
        [user.id, "photo"],
    ).fetchone()[0]
    assert denied == 6


def test_archive_hides_the_photo_but_keeps_the_file(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    [outcome] = photos.import_photos(
        clinic.clinician, patient_id, [write(tmp_path, "a.jpg", images.jpeg())]
    )
    assert outcome.photo_id is not None
    archived = photos.archive(clinic.clinician, outcome.photo_id, 1)
    assert archived.archived and archived.version == 2
    with pytest.raises(NotFound):
        photos.archive(clinic.clinician, outcome.photo_id, 2)
    assert photos.list_photos(clinic.clinician, patient_id) == []
    with pytest.raises(NotFound):
        photos.original(clinic.clinician, outcome.photo_id)
    assert clinic.services.photos.store.exists(archived.sha256)
    assert ("archive", outcome.photo_id) in [(a, i) for a, i, _ in audit_rows(clinic)]


def test_archive_with_a_stale_version_is_a_concurrent_edit(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    [outcome] = photos.import_photos(
        clinic.clinician, patient_id, [write(tmp_path, "a.jpg", images.jpeg())]
    )
    assert outcome.photo_id is not None
    with pytest.raises(ConcurrentEdit):
        photos.archive(clinic.clinician, outcome.photo_id, 7)


def test_missing_views_checklist_for_a_visit(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    visit = date(2024, 5, 1)
    assert photos.missing_views(clinic.clinician, patient_id, visit) == list(View)
    photos.import_photos(
        clinic.clinician,
        patient_id,
        [write(tmp_path, "v.jpg", images.jpeg(seed=3))],
        view=View.VERTEX,
        visit_date=visit,
    )
    photos.import_photos(
        clinic.clinician,
        patient_id,
        [write(tmp_path, "t.jpg", images.jpeg(seed=4))],
        view=View.TRICHOSCOPY,
        region=Region.VERTEX,
        visit_date=visit,
    )
    missing = photos.missing_views(clinic.clinician, patient_id, visit)
    assert View.VERTEX not in missing and View.TRICHOSCOPY not in missing
    assert View.FRONTAL in missing
    assert photos.missing_views(clinic.clinician, patient_id, date(2024, 6, 1)) == list(View)
    trichoscopy = [p for p in photos.list_photos(clinic.clinician, patient_id) if p.region]
    assert [p.region for p in trichoscopy] == [Region.VERTEX]


def test_bad_visit_or_region_is_a_validation_error(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "a.jpg", images.jpeg())
    with pytest.raises(ValidationError, match="future"):
        photos.import_photos(clinic.clinician, patient_id, [path], visit_date=date(2999, 1, 1))
    with pytest.raises(ValidationError, match="date of birth"):
        photos.import_photos(clinic.clinician, patient_id, [path], visit_date=date(1950, 1, 1))
    with pytest.raises(ValidationError, match="trichoscopy"):
        photos.import_photos(
            clinic.clinician, patient_id, [path], view=View.FRONTAL, region=Region.VERTEX
        )
    with pytest.raises(NotFound):
        photos.import_photos(clinic.clinician, "no-such-patient", [path])


def test_cancel_stops_before_the_next_file(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    files = [write(tmp_path, f"{n}.jpg", images.jpeg(seed=n)) for n in range(3)]
    handled: list[int] = []
    outcomes = photos.import_photos(
        clinic.clinician,
        patient_id,
        files,
        progress=lambda done, _total: handled.append(done),
        cancelled=lambda: len(handled) >= 1,
    )
    assert [o.status for o in outcomes] == ["imported"]


def test_sign_in_clears_what_a_crashed_import_left_in_the_photo_store(
    clinic: Clinic, photos: PhotoService, patient_id: str, tmp_path: Path
) -> None:
    [kept] = photos.import_photos(
        clinic.clinician, patient_id, [write(tmp_path, "a.jpg", images.jpeg(seed=21))]
    )
    store = photos.store
    orphan = store.put(images.jpeg(seed=22), patient_id)  # the crash came before the row
    recent = store.put(images.jpeg(seed=23), patient_id)  # another import, under way now
    temp = store.path_of(orphan).parent / f".{orphan}.abc123.tmp"
    temp.write_bytes(b"half a sealed file")
    hour_ago = time.time() - 2 * 3600
    for path in (store.path_of(orphan), temp):
        os.utime(path, (hour_ago, hour_ago))

    signed = unlock_clinic(clinic.paths, "clinician", PASSWORD)
    signed.services.close()

    [photo] = photos.list_photos(clinic.clinician, patient_id)
    on_disk = sorted(p.name for p in clinic.paths.photos_dir.rglob("*") if p.is_file())
    assert on_disk == sorted([photo.sha256, recent])
    assert photo.id == kept.photo_id
    # Moved aside, not destroyed: a database restored from an older backup leaves rows out.
    moved = clinic.paths.unreferenced_photos_dir / orphan
    assert moved.is_file()
