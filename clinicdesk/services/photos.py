"""Treatment photos: import, list, view, export and archive.

Photos are clinical records for clinicians only (reception and admin are refused, and the
refusal is audited). ``import_photos`` is a plain long-running function (STYLE.md 5): each file
is read, fully decoded by ``media.ingest.inspect_image`` and, if it is a photo we can keep,
its original bytes are stored unchanged in the encrypted content store *before* its row is
committed with an audit entry. A bad file gets a reason and the rest carry on.

The content store binds each file to a record id; for photos that is the **patient id**, not
the photo row's id: the same bytes imported again for the same patient find the file already
there (stored once, reported as a duplicate), while the same bytes for another patient are
refused (``ContentConflict``): one photograph belongs to one patient, and a file moved into
another patient's folder of records fails to open instead of showing the wrong person.

Display copies and thumbnails are derived from the original into ``paths.cache_dir``, sealed
with their own subkeys; a missing or unreadable cache entry is simply made again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.consent import photo_consent_for
from clinicdesk.domain.dates import BEFORE_BIRTH
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.photos import (
    ConsentScope,
    Photo,
    PhotoVisit,
    TakenAtSource,
    View,
    check_photo_details,
    photo_visits,
)
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ConcurrentEdit, NotFound, UserError, ValidationError
from clinicdesk.media.ingest import ImageRejected, display_copy, inspect_image, read_image_file
from clinicdesk.media.ingest import thumbnail as make_thumbnail
from clinicdesk.paths import Paths
from clinicdesk.services.file_keys import file_key
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.assessments import AssessmentRepository
from clinicdesk.storage.consents import ConsentRepository
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.photos import PhotoRepository
from clinicdesk.storage.sealed_files import (
    ContentStore,
    SealBroken,
    SealedFileError,
    SealedFileMissing,
    read_sealed,
    write_sealed,
)

log = logging.getLogger(__name__)

ENTITY = "photo"
MAX_FILE_BYTES = 200 * 1024 * 1024  # far above any camera's photo; bounds memory per file
THUMBNAIL_SIZE = 256
CACHE_KINDS = ("thumbnail", "display")  # folders of paths.cache_dir
# A stored original with no row is an orphan only after this long: the row follows the file
# within a second, so an import under way (in this instance or another) is never touched.
ORPHAN_GRACE_SECONDS = 3600
Status = Literal["imported", "duplicate", "refused"]
Progress = Callable[[int, int], None]  # (files handled, files in the batch)
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class ImportOutcome:
    file: Path
    status: Status
    reason: str = ""  # why it was refused, or what it duplicates
    photo_id: str | None = None  # the new photo, or the one it duplicates


class PhotoService:
    def __init__(
        self,
        db: Database,
        paths: Paths,
        data_key: bytes | None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.db = db
        self.paths = paths
        self.repo = PhotoRepository(db)
        self.consents = ConsentRepository(db)
        self.patients = PatientRepository(db)
        self.today = today
        self._data_key = data_key

    # -- keys and stores --------------------------------------------------------------------

    def _key(self, purpose: str) -> bytes:
        return file_key(self._data_key, purpose, "Photos")

    @property
    def store(self) -> ContentStore:
        return ContentStore(self.paths.photos_dir, self._key("photos"))

    # -- import -----------------------------------------------------------------------------

    def import_photos(
        self,
        user: CurrentUser,
        patient_id: str,
        paths: Sequence[Path],
        *,
        view: View | None = None,
        region: Region | None = None,
        visit_date: date | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> list[ImportOutcome]:
        """Import ``paths`` for the patient, one outcome per file handled, in order. When
        ``cancelled()`` turns true the files not yet started are left out of the result."""
        require(self.db, user, Permission.PHOTOS, entity=ENTITY)
        patient = self._patient(patient_id)
        visit = self._check_visit(patient, view, region, visit_date)
        store = self.store
        outcomes: list[ImportOutcome] = []
        for done, path in enumerate(paths):
            if cancelled is not None and cancelled():
                break
            outcomes.append(self._import_one(user, patient, Path(path), view, region, visit, store))
            if progress is not None:
                progress(done + 1, len(paths))
        return outcomes

    def _check_visit(
        self, patient: Patient, view: View | None, region: Region | None, visit_date: date | None
    ) -> date:
        visit = visit_date or self.today()
        errors: dict[str, str] = {}
        if visit > self.today():
            errors["visit_date"] = "is in the future"
        elif visit < patient.details.date_of_birth:
            errors["visit_date"] = BEFORE_BIRTH
        if region is not None and view is not View.TRICHOSCOPY:
            errors["region"] = "is only for a trichoscopy close-up"
        if errors:
            raise ValidationError(errors)
        return visit

    def _import_one(
        self,
        user: CurrentUser,
        patient: Patient,
        path: Path,
        view: View | None,
        region: Region | None,
        visit: date,
        store: ContentStore,
    ) -> ImportOutcome:
        try:
            data, modified = read_image_file(path, MAX_FILE_BYTES)
        except ImageRejected as exc:
            return ImportOutcome(path, "refused", exc.message)
        # Hash, seal and write the original on a second thread while the check decodes (all
        # release the GIL). A file this import wrote is removed again unless a row points at
        # it by the end, whatever stopped it: a refusal, a failed insert, an unexpected error.
        storing = _WRITER.submit(_hash_and_store, store, data, patient.id)
        recorded = False
        try:
            outcome = self._check_and_record(
                user, patient, path, data, modified, view, region, visit, store, storing
            )
            recorded = outcome.status == "imported"
            return outcome
        finally:
            if not recorded:
                self._discard_unused(store, storing)

    def _check_and_record(
        self,
        user: CurrentUser,
        patient: Patient,
        path: Path,
        data: bytes,
        modified: float,
        view: View | None,
        region: Region | None,
        visit: date,
        store: ContentStore,
        storing: Future[_Stored],
    ) -> ImportOutcome:
        name = path.name
        try:
            facts = inspect_image(data, name, thumbnail_size=THUMBNAIL_SIZE)
        except ImageRejected as exc:
            return ImportOutcome(path, "refused", exc.message)
        stored = storing.result()
        sha256 = stored.sha256
        if existing := self.repo.find_live(patient.id, sha256):
            return ImportOutcome(path, "duplicate", _duplicate(name, existing), existing.id)
        try:
            if stored.error is not None:
                raise stored.error
            if not stored.created:  # already there: check it opens for this patient
                store.put(data, patient.id, sha256=sha256)
        except SealedFileError as exc:
            return ImportOutcome(path, "refused", f"{name}: {exc.message}")
        taken_at, source = facts.taken_at, TakenAtSource.EXIF
        if taken_at is None:
            taken_at = datetime.fromtimestamp(int(modified))
            source = TakenAtSource.FILE
        photo = Photo(
            id="",
            patient_id=patient.id,
            sha256=sha256,
            size_bytes=len(data),
            width=facts.width,
            height=facts.height,
            format=facts.format,
            view=view,
            region=region,
            visit_date=visit,
            taken_at=taken_at,
            taken_at_source=source,
            consent_scope=ConsentScope.CLINICAL_RECORD,
            original_name=name[:255],
            version=1,
            archived=False,
            created_at="",
            created_by="",
        )
        with write_transaction(self.db):
            # Checked again under the write lock: two imports of one file at once make one row.
            if existing := self.repo.find_live(patient.id, sha256):
                return ImportOutcome(path, "duplicate", _duplicate(name, existing), existing.id)
            # The widest photo consent scope in force on the day it was taken (read under the
            # write lock, so a marketing withdrawal saved meanwhile is seen).
            scope, not_for_marketing = photo_consent_for(
                self.consents.for_patient(patient.id), taken_at.date()
            )
            photo = replace(photo, consent_scope=scope, marketing_withdrawn_on=not_for_marketing)
            photo_id = self.repo.insert(photo, user.actor)
            audit.append(
                self.db,
                user.actor,
                "import",
                ENTITY,
                photo_id,
                {"patient": patient.id, "view": view.value if view else None},
            )
        if facts.thumbnail is not None:  # made from the check's decode: no second decode
            self._cache(photo, "thumbnail", facts.thumbnail)
        return ImportOutcome(path, "imported", "", photo_id)

    def _discard_unused(self, store: ContentStore, storing: Future[_Stored]) -> None:
        """Remove the original an import wrote if no row points at it (another import of the
        same bytes may have recorded it meanwhile). When that cannot be told, the file stays
        for ``tidy_store`` at the next start."""
        try:
            stored = storing.result()
            if stored.created and not self.repo.is_stored(stored.sha256):
                store.discard(stored.sha256)
        except Exception as exc:  # never hide the error that brought us here
            log.warning("could not remove an unrecorded photo file: %s", type(exc).__name__)

    def tidy_store(self, *, grace_seconds: float = ORPHAN_GRACE_SECONDS) -> int:
        """Clear what an import stopped by a crash left in the photo store: temp files, and
        sealed originals that no row (live or archived) points at. The originals are moved to
        ``paths.unreferenced_photos_dir``, not deleted (a database restored from an older
        backup leaves the later photos without rows; they stay recoverable). Only files older
        than ``grace_seconds`` are touched, so another instance's import under way is left
        alone. Called at sign-in; one folder listing and one query, no file is read. Returns
        how many files were cleared; never raises."""
        try:
            found = ContentStore.scan(self.paths.photos_dir)
            if not found.originals and not found.temp_files:
                return 0
            cleared = ContentStore.clear(
                found,
                self.repo.all_sha256s(),
                older_than=time.time() - grace_seconds,
                move_to=self.paths.unreferenced_photos_dir,
            )
        except Exception as exc:  # tidying is a convenience: never stop a sign-in
            log.warning("could not tidy the photo store: %s", type(exc).__name__)
            return 0
        if cleared:
            log.info("photo store tidied: %d unrecorded or temporary file(s)", cleared)
        return cleared

    # -- reading ----------------------------------------------------------------------------

    def list_photos(self, user: CurrentUser, patient_id: str) -> list[Photo]:
        require(self.db, user, Permission.PHOTOS, entity=ENTITY)
        patient = self._patient(patient_id)
        photos = self.repo.for_patient(patient.id)
        audit.record(self.db, user.actor, "view", ENTITY, "", {"patient": patient.id})
        return photos

    def photo(self, user: CurrentUser, photo_id: str) -> Photo:
        require(self.db, user, Permission.PHOTOS, entity=ENTITY, entity_id=photo_id)
        return self._must_get(photo_id)

    def original(self, user: CurrentUser, photo_id: str) -> bytes:
        """The original file, byte for byte (audited as a view)."""
        photo = self.photo(user, photo_id)
        data = self.store.get(photo.sha256, photo.patient_id)
        self._audit(user, "view", photo, {"copy": "original"})
        return data

    def display(self, user: CurrentUser, photo_id: str) -> bytes:
        """The upright, metadata-free JPEG shown in the viewer (audited as a view)."""
        photo = self.photo(user, photo_id)
        data = self._derived(photo, "display", display_copy)
        self._audit(user, "view", photo, {"copy": "display"})
        return data

    def thumbnail(self, user: CurrentUser, photo_id: str) -> bytes:
        """A small JPEG for the gallery. Not audited one by one: opening the gallery is
        (``list_photos``)."""
        photo = self.photo(user, photo_id)
        return self._derived(photo, "thumbnail", lambda data: make_thumbnail(data, THUMBNAIL_SIZE))

    def export_copy(self, user: CurrentUser, photo_id: str) -> bytes:
        """A copy to take out of the program: upright, no EXIF, GPS, XMP or camera serial."""
        photo = self.photo(user, photo_id)
        data = display_copy(self.store.get(photo.sha256, photo.patient_id))
        self._audit(user, "export", photo, {"copy": "metadata-free"})
        return data

    def missing_views(self, user: CurrentUser, patient_id: str, visit_date: date) -> list[View]:
        """The standard views with no photo at that visit, in checklist order."""
        require(self.db, user, Permission.PHOTOS, entity=ENTITY)
        present = self.repo.views_on(self._patient(patient_id).id, visit_date)
        return [view for view in View if view not in present]

    def visits(
        self, user: CurrentUser, patient_id: str, photos: Sequence[Photo]
    ) -> list[PhotoVisit]:
        """The visits of ``photos`` (the patient's, from ``list_photos``), oldest first, each
        named Baseline / Follow-up n against the patient's first treatment, with its missing
        views."""
        require(self.db, user, Permission.PHOTOS, entity=ENTITY)
        patient = self._patient(patient_id)
        first_treatment = AssessmentRepository(self.db).first_treatment_date(patient.id)
        return photo_visits((p for p in photos if p.patient_id == patient.id), first_treatment)

    def thumbnail_reader(self, user: CurrentUser, patient_id: str) -> ThumbnailReader:
        """Thumbnails of the patient's photos for a worker thread: the permission is checked
        here, once; the reader touches no database, only the sealed files."""
        require(self.db, user, Permission.PHOTOS, entity=ENTITY)
        return ThumbnailReader(self, self._patient(patient_id).id)

    # -- editing ----------------------------------------------------------------------------

    def update_details(
        self,
        user: CurrentUser,
        photo_id: str,
        expected_version: int,
        *,
        view: View | None,
        region: Region | None,
        taken_at: datetime,
    ) -> Photo:
        """Correct a photo's view (and trichoscopy region) and its capture time, for instance
        a file time taken when the camera wrote no EXIF date. The time may not be in the future
        nor before the patient's birth. Optimistic (``ConcurrentEdit`` when someone else saved
        first) and audited with the fields that changed. Returns the saved photo."""
        require(self.db, user, Permission.PHOTOS, entity=ENTITY, entity_id=photo_id)
        taken_at = taken_at.replace(microsecond=0, tzinfo=None)
        with write_transaction(self.db):
            current = self._must_get(photo_id)
            patient = self._patient(current.patient_id)
            errors = check_photo_details(
                view,
                region,
                taken_at,
                today=self.today(),
                date_of_birth=patient.details.date_of_birth,
                # This computer's time of day, on the clinic's today.
                now=datetime.combine(self.today(), datetime.now().time()),
            )
            if errors:
                raise ValidationError(errors)
            # The consent in force on the corrected day; a "not for marketing" mark stays.
            scope, not_for_marketing = photo_consent_for(
                self.consents.for_patient(patient.id), taken_at.date()
            )
            mine = replace(
                current,
                view=view,
                region=region,
                taken_at=taken_at,
                consent_scope=scope,
                marketing_withdrawn_on=current.marketing_withdrawn_on or not_for_marketing,
            )
            if not self.repo.update_details(
                photo_id,
                expected_version,
                view,
                region,
                taken_at,
                user.actor,
                consent_scope=mine.consent_scope,
                marketing_withdrawn_on=mine.marketing_withdrawn_on,
            ):
                raise ConcurrentEdit("photo", mine, current)
            changed = [
                name
                for name in ("view", "region", "taken_at", "consent_scope")
                if getattr(mine, name) != getattr(current, name)
            ]
            audit.append(
                self.db,
                user.actor,
                "update",
                ENTITY,
                photo_id,
                {"patient": current.patient_id, "fields": changed},
            )
        return self._must_get(photo_id)

    # -- archiving --------------------------------------------------------------------------

    def archive(self, user: CurrentUser, photo_id: str, expected_version: int) -> Photo:
        """Take a photo out of the record (soft delete, audited). The file is kept: nothing
        the clinic imported is ever lost. Returns the archived photo."""
        require(self.db, user, Permission.PHOTOS, entity=ENTITY, entity_id=photo_id)
        with write_transaction(self.db):
            current = self._must_get(photo_id)
            if not self.repo.archive(photo_id, expected_version, user.actor):
                raise ConcurrentEdit("photo", None, current)
            audit.append(
                self.db, user.actor, "archive", ENTITY, photo_id, {"patient": current.patient_id}
            )
        archived = self.repo.get(photo_id, include_archived=True)
        assert archived is not None
        return archived

    # -- helpers ----------------------------------------------------------------------------

    def _derived(self, photo: Photo, kind: str, make: Callable[[bytes], bytes]) -> bytes:
        """A cached derivative of the original, made (and cached) again when missing or
        unreadable. The cache is a convenience: failing to write it is logged, not raised."""
        key, path, associated = self._cache_place(photo, kind)
        try:
            return read_sealed(path, key, associated)
        except SealedFileError:
            pass  # not made yet, or damaged: make it again
        data = make(self.store.get(photo.sha256, photo.patient_id))
        self._cache(photo, kind, data)
        return data

    def _cache_place(self, photo: Photo, kind: str) -> tuple[bytes, Path, bytes]:
        return self._cache_entry(kind, photo.sha256, photo.patient_id)

    def _cache_entry(self, kind: str, sha256: str, patient_id: str) -> tuple[bytes, Path, bytes]:
        key = self._key(f"{kind}-cache")
        path = self.paths.cache_dir / kind / sha256[:2] / sha256
        associated = f"clinicdesk {kind}\x00{sha256}\x00{patient_id}".encode()
        return key, path, associated

    def drop_bad_cache_entries(self, owners: Mapping[str, str]) -> int:
        """Remove every thumbnail and display copy in the cache that does not open (damaged,
        truncated) or that belongs to no photo file (``owners``: each photo file's sha256 and
        its patient id); each is made again from its original when next shown, so nothing of
        the clinic's is lost. Returns how many were removed (for the clinic data check)."""
        dropped = 0
        for kind in CACHE_KINDS:
            listing = ContentStore.scan(self.paths.cache_dir / kind)
            for sha256, path in listing.originals.items():
                owner = owners.get(sha256)
                if owner is not None:
                    key, _, associated = self._cache_entry(kind, sha256, owner)
                    try:
                        read_sealed(path, key, associated)
                        continue
                    except SealedFileError:
                        pass
                with contextlib.suppress(OSError):
                    path.unlink()
                    dropped += 1
        if dropped:
            log.info("photo cache: %d damaged or stale entries removed", dropped)
        return dropped

    def _cache(self, photo: Photo, kind: str, data: bytes) -> None:
        """Keep a derivative in the cache; failing to is logged, not raised."""
        key, path, associated = self._cache_place(photo, kind)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_sealed(path, data, key, associated, sync=False)  # rebuilt if ever lost
        except (OSError, SealedFileError) as exc:
            log.warning("could not cache a %s: %s", kind, type(exc).__name__)

    def _audit(self, user: CurrentUser, action: str, photo: Photo, detail: dict[str, str]) -> None:
        audit.record(
            self.db,
            user.actor,
            action,
            ENTITY,
            photo.id,
            {"patient": photo.patient_id, **detail},
        )

    def _patient(self, patient_id: str) -> Patient:
        return existing_patient(self.patients, patient_id)

    def _must_get(self, photo_id: str) -> Photo:
        photo = self.repo.get(photo_id)
        if photo is None:
            raise NotFound("That photo does not exist; it may have been archived.")
        return photo


_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-store")


@dataclass(frozen=True)
class _Stored:
    sha256: str
    created: bool  # this call wrote the file (it was not there before)
    error: SealedFileError | None = None


def _hash_and_store(store: ContentStore, data: bytes, patient_id: str) -> _Stored:
    """The file first (a row never points at nothing): written here unless already there."""
    sha256 = hashlib.sha256(data).hexdigest()
    if store.exists(sha256):
        return _Stored(sha256, created=False)
    try:
        store.put(data, patient_id, sha256=sha256)
    except SealedFileError as exc:
        return _Stored(sha256, created=False, error=exc)
    return _Stored(sha256, created=True)


class ThumbnailReader:
    """The gallery's thumbnails of one patient's photos, safe to use from a worker thread: it
    reads (and if need be remakes) the sealed thumbnail cache and the content store, never the
    database. Made by ``PhotoService.thumbnail_reader`` once the permission is checked; a photo
    of another patient is refused."""

    def __init__(self, service: PhotoService, patient_id: str) -> None:
        self._service = service
        self.patient_id = patient_id

    def read(self, photo: Photo) -> bytes:
        """A small JPEG of ``photo`` (raises ``UserError`` when its file cannot be read)."""
        if photo.patient_id != self.patient_id:
            raise NotFound("That photo belongs to another patient record.")
        store = self._service.store
        if not store.exists(photo.sha256):
            # A thumbnail still in the cache would hide that the photo itself is gone.
            raise SealedFileMissing(
                "The photo's file is missing from the photos folder; restore it from a backup "
                "(Admin > Check the clinic's data names every missing file)."
            )
        return self._service._derived(
            photo, "thumbnail", lambda data: make_thumbnail(data, THUMBNAIL_SIZE)
        )


def why_unreadable(exc: UserError) -> str:
    """Why a photo cannot be shown, in a few words for its place in the gallery (the message
    itself says what to do)."""
    if isinstance(exc, SealedFileMissing):
        return "File missing"
    if isinstance(exc, SealBroken):
        return "File damaged"
    return "Cannot be shown"


def _duplicate(name: str, existing: Photo) -> str:
    return (
        f"{name}: already in this patient's record (imported for the visit of "
        f"{existing.visit_date:%d/%m/%Y}); it was not stored again."
    )
