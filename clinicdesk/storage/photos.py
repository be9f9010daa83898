"""Rows of the ``photos`` table (the files themselves are in ``sealed_files.ContentStore``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.ids import utc_now
from clinicdesk.domain.photos import ConsentScope, Photo, TakenAtSource, View
from clinicdesk.storage.database import Database
from clinicdesk.storage.records import Actor, insert_record, set_archived, update_record

_COLUMNS = (
    "id",
    "patient_id",
    "sha256",
    "size_bytes",
    "width",
    "height",
    "format",
    "view",
    "region",
    "visit_date",
    "taken_at",
    "taken_at_source",
    "consent_scope",
    "original_name",
    "version",
    "deleted_at",
    "created_at",
    "created_by",
    "marketing_withdrawn_on",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM photos"


def _photo(row: Sequence[Any]) -> Photo:
    r = dict(zip(_COLUMNS, row, strict=True))
    return Photo(
        id=r["id"],
        patient_id=r["patient_id"],
        sha256=r["sha256"],
        size_bytes=r["size_bytes"],
        width=r["width"],
        height=r["height"],
        format=r["format"],
        view=View(r["view"]) if r["view"] else None,
        region=Region(r["region"]) if r["region"] else None,
        visit_date=date.fromisoformat(r["visit_date"]),
        taken_at=datetime.fromisoformat(r["taken_at"]),
        taken_at_source=TakenAtSource(r["taken_at_source"]),
        consent_scope=ConsentScope(r["consent_scope"]),
        original_name=r["original_name"],
        version=r["version"],
        archived=r["deleted_at"] is not None,
        created_at=r["created_at"],
        created_by=r["created_by"],
        marketing_withdrawn_on=(
            date.fromisoformat(r["marketing_withdrawn_on"]) if r["marketing_withdrawn_on"] else None
        ),
    )


class PhotoRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, photo: Photo, actor: Actor) -> str:
        """A new row from ``photo`` (its id, version and bookkeeping fields are ignored)."""
        return insert_record(
            self.db,
            "photos",
            {
                "patient_id": photo.patient_id,
                "sha256": photo.sha256,
                "size_bytes": photo.size_bytes,
                "width": photo.width,
                "height": photo.height,
                "format": photo.format,
                "view": photo.view.value if photo.view else None,
                "region": photo.region.value if photo.region else None,
                "visit_date": photo.visit_date.isoformat(),
                "taken_at": photo.taken_at.isoformat(timespec="seconds"),
                "taken_at_source": photo.taken_at_source.value,
                "consent_scope": photo.consent_scope.value,
                "original_name": photo.original_name,
                "marketing_withdrawn_on": (
                    photo.marketing_withdrawn_on.isoformat()
                    if photo.marketing_withdrawn_on
                    else None
                ),
            },
            actor,
        )

    def get(self, photo_id: str, *, include_archived: bool = False) -> Photo | None:
        live = "" if include_archived else " AND deleted_at IS NULL"
        row = self.db.execute(f"{_SELECT} WHERE id = ?{live}", [photo_id]).fetchone()
        return _photo(row) if row else None

    def for_patient(self, patient_id: str) -> list[Photo]:
        """The patient's live photos, by visit then capture time."""
        rows = self.db.execute(
            f"{_SELECT} WHERE patient_id = ? AND deleted_at IS NULL "
            "ORDER BY visit_date, taken_at, created_at, id",
            [patient_id],
        ).fetchall()
        return [_photo(row) for row in rows]

    def of_views(self, patient_ids: Sequence[str], views: Sequence[View]) -> list[Photo]:
        """The live photos of ``views`` of any of ``patient_ids`` (the blinded grading)."""
        found: list[Photo] = []
        codes = [view.value for view in views]
        for start in range(0, len(patient_ids), 500):
            chunk = list(patient_ids[start : start + 500])
            rows = self.db.execute(
                f"{_SELECT} WHERE deleted_at IS NULL "
                f"AND view IN ({', '.join('?' for _ in codes)}) "
                f"AND patient_id IN ({', '.join('?' for _ in chunk)})",
                [*codes, *chunk],
            ).fetchall()
            found.extend(_photo(row) for row in rows)
        return found

    def find_live(self, patient_id: str, sha256: str) -> Photo | None:
        row = self.db.execute(
            f"{_SELECT} WHERE sha256 = ? AND patient_id = ? AND deleted_at IS NULL "
            "ORDER BY created_at LIMIT 1",
            [sha256, patient_id],
        ).fetchone()
        return _photo(row) if row else None

    def is_stored(self, sha256: str) -> bool:
        """Whether any photo row, live or archived, of any patient points at this file."""
        row = self.db.execute("SELECT 1 FROM photos WHERE sha256 = ? LIMIT 1", [sha256])
        return row.fetchone() is not None

    def all_sha256s(self) -> set[str]:
        """Every file a photo row (live or archived) points at."""
        return {row[0] for row in self.db.execute("SELECT DISTINCT sha256 FROM photos")}

    def views_on(self, patient_id: str, visit_date: date) -> set[View]:
        rows = self.db.execute(
            "SELECT DISTINCT view FROM photos WHERE patient_id = ? AND visit_date = ? "
            "AND deleted_at IS NULL AND view IS NOT NULL",
            [patient_id, visit_date.isoformat()],
        ).fetchall()
        return {View(row[0]) for row in rows}

    def mark_not_for_marketing(self, patient_id: str, since: date, actor: Actor) -> int:
        """Mark each of the patient's photos not yet marked as not for marketing from ``since``
        (marketing consent withdrawn); each row's version moves on. Returns how many."""
        cursor = self.db.execute(
            "UPDATE photos SET marketing_withdrawn_on = ?, updated_at = ?, updated_by = ?, "
            "version = version + 1 WHERE patient_id = ? AND marketing_withdrawn_on IS NULL",
            [since.isoformat(), utc_now(), actor.user_id, patient_id],
        )
        return int(cursor.rowcount)

    def archive(self, photo_id: str, expected_version: int, actor: Actor) -> bool:
        return set_archived(self.db, "photos", photo_id, expected_version, True, actor)

    def update_details(
        self,
        photo_id: str,
        expected_version: int,
        view: View | None,
        region: Region | None,
        taken_at: datetime,
        actor: Actor,
        *,
        consent_scope: ConsentScope,
        marketing_withdrawn_on: date | None,
    ) -> bool:
        """The details a clinician may correct after import (optimistic: ``False`` when the row
        is no longer at ``expected_version``), with the consent worked out again for the
        corrected time. The file and its hash never change."""
        return update_record(
            self.db,
            "photos",
            photo_id,
            expected_version,
            {
                "view": view.value if view else None,
                "region": region.value if region else None,
                "taken_at": taken_at.isoformat(timespec="seconds"),
                "consent_scope": consent_scope.value,
                "marketing_withdrawn_on": (
                    marketing_withdrawn_on.isoformat() if marketing_withdrawn_on else None
                ),
            },
            actor,
        )
