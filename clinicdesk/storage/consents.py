"""Consents, the scopes of photo consents and the document log, in SQL. Writers must run inside
``write_transaction``; the service owns permissions, state checks and audit.

The sealed files a consent names (scan, drawn signature) are in a ``ContentStore``; only their
sha256 is here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinicdesk.domain.consent import (
    AttachmentFormat,
    Consent,
    ConsentKind,
    ConsentStatus,
    DocumentAction,
    DocumentKind,
    DocumentRecord,
    ScopeGrant,
    TemplateRef,
)
from clinicdesk.domain.ids import PatientId, UserId
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.storage.database import Database
from clinicdesk.storage.records import Actor, insert_record, record_info, update_record

_INFO = "version, site_id, created_at, updated_at, created_by, updated_by"
_CONSENT_COLUMNS = (
    "patient_id, kind, template_id, template_version, template_hash, consultation_id, status, "
    "prepared_on, signed_on, consent_taken_by_id, witness_name, interpreter_name, "
    "signature_sha256, scan_sha256, scan_format, scan_name, withdrawn_on, withdrawal_reason"
)
_SCOPE_COLUMNS = (
    "id, version, consent_id, scope, granted, granted_on, withdrawn_on, withdrawal_reason"
)
_DOCUMENT_COLUMNS = (
    "id, patient_id, kind, template_id, template_version, template_hash, pdf_sha256, action, "
    "created_by, created_at"
)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _grant(row: Sequence[Any]) -> tuple[str, ScopeGrant]:
    grant_id, version, consent_id, scope, granted, granted_on, withdrawn_on, reason = row
    return consent_id, ScopeGrant(
        scope=ConsentScope(scope),
        granted=bool(granted),
        granted_on=_day(granted_on),
        withdrawn_on=_day(withdrawn_on),
        withdrawal_reason=reason,
        id=grant_id,
        version=version,
    )


def _consent(row: Sequence[Any], scopes: Sequence[ScopeGrant]) -> Consent:
    (
        consent_id,
        version,
        site_id,
        created_at,
        updated_at,
        created_by,
        updated_by,
        patient_id,
        kind,
        template_id,
        template_version,
        template_hash,
        consultation_id,
        status,
        prepared_on,
        signed_on,
        taken_by,
        witness,
        interpreter,
        signature,
        scan,
        scan_format,
        scan_name,
        withdrawn_on,
        reason,
    ) = row
    order = {scope: n for n, scope in enumerate(ConsentScope)}
    return Consent(
        id=consent_id,
        patient_id=PatientId(patient_id),
        kind=ConsentKind(kind),
        template=TemplateRef(template_id, template_version, template_hash),
        consultation_id=consultation_id,
        status=ConsentStatus(status),
        prepared_on=date.fromisoformat(prepared_on),
        info=record_info((version, site_id, created_at, updated_at, created_by, updated_by)),
        signed_on=_day(signed_on),
        consent_taken_by_id=UserId(taken_by) if taken_by else None,
        witness_name=witness,
        interpreter_name=interpreter,
        signature_sha256=signature,
        scan_sha256=scan,
        scan_format=AttachmentFormat(scan_format) if scan_format else None,
        scan_name=scan_name,
        withdrawn_on=_day(withdrawn_on),
        withdrawal_reason=reason,
        scopes=tuple(sorted(scopes, key=lambda g: order[g.scope])),
    )


@dataclass(frozen=True)
class SignedValues:
    """What signing writes on the consent row."""

    signed_on: date
    consent_taken_by_id: str
    witness_name: str
    interpreter_name: str
    signature_sha256: str | None
    scan_sha256: str | None
    scan_format: AttachmentFormat | None
    scan_name: str


class ConsentRepository:
    """SQL for consent records, photo consent scopes and the document log."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- consents -------------------------------------------------------------------------

    def insert(
        self,
        patient_id: str,
        kind: ConsentKind,
        template: TemplateRef,
        consultation_id: str | None,
        prepared_on: date,
        actor: Actor,
    ) -> str:
        values = {
            "patient_id": patient_id,
            "kind": kind.value,
            "template_id": template.template_id,
            "template_version": template.version,
            "template_hash": template.text_hash,
            "consultation_id": consultation_id,
            "status": ConsentStatus.PREPARED.value,
            "prepared_on": prepared_on.isoformat(),
        }
        return insert_record(self.db, "consents", values, actor)

    def sign(self, consent_id: str, version: int, signed: SignedValues, actor: Actor) -> bool:
        values = {
            "status": ConsentStatus.SIGNED.value,
            "signed_on": signed.signed_on.isoformat(),
            "consent_taken_by_id": signed.consent_taken_by_id,
            "witness_name": signed.witness_name,
            "interpreter_name": signed.interpreter_name,
            "signature_sha256": signed.signature_sha256,
            "scan_sha256": signed.scan_sha256,
            "scan_format": signed.scan_format.value if signed.scan_format else None,
            "scan_name": signed.scan_name,
        }
        return update_record(self.db, "consents", consent_id, version, values, actor)

    def withdraw(
        self, consent_id: str, version: int, withdrawn_on: date, reason: str, actor: Actor
    ) -> bool:
        values = {
            "status": ConsentStatus.WITHDRAWN.value,
            "withdrawn_on": withdrawn_on.isoformat(),
            "withdrawal_reason": reason,
        }
        return update_record(self.db, "consents", consent_id, version, values, actor)

    def touch(self, consent_id: str, version: int, actor: Actor) -> bool:
        """Move the consent's version on (a scope changed but the consent stays signed), so the
        consent's version guards its scopes too."""
        return update_record(self.db, "consents", consent_id, version, {}, actor)

    def _select(self, where: str, params: Sequence[Any]) -> list[Consent]:
        rows = self.db.execute(
            f"SELECT id, {_INFO}, {_CONSENT_COLUMNS} FROM consents WHERE {where}", list(params)
        ).fetchall()
        if not rows:
            return []
        ids = [r[0] for r in rows]
        marks = ", ".join("?" for _ in ids)
        scopes: dict[str, list[ScopeGrant]] = {}
        for row in self.db.execute(
            f"SELECT {_SCOPE_COLUMNS} FROM photo_consent_scopes "
            f"WHERE consent_id IN ({marks}) AND deleted_at IS NULL",
            ids,
        ):
            consent_id, grant = _grant(row)
            scopes.setdefault(consent_id, []).append(grant)
        return [_consent(r, scopes.get(r[0], ())) for r in rows]

    def get(self, consent_id: str) -> Consent | None:
        found = self._select("id = ? AND deleted_at IS NULL", [consent_id])
        return found[0] if found else None

    def for_patient(self, patient_id: str) -> list[Consent]:
        """The patient's consents, newest first."""
        return self._select(
            "patient_id = ? AND deleted_at IS NULL "
            "ORDER BY prepared_on DESC, created_at DESC, id DESC",
            [patient_id],
        )

    # -- photo consent scopes -------------------------------------------------------------

    def insert_scopes(
        self,
        consent_id: str,
        patient_id: str,
        scopes: Mapping[ConsentScope, bool],
        granted_on: date,
        actor: Actor,
    ) -> None:
        for scope, granted in scopes.items():
            insert_record(
                self.db,
                "photo_consent_scopes",
                {
                    "consent_id": consent_id,
                    "patient_id": patient_id,
                    "scope": scope.value,
                    "granted": int(granted),
                    "granted_on": granted_on.isoformat() if granted else None,
                    "withdrawn_on": None,
                    "withdrawal_reason": "",
                },
                actor,
            )

    def withdraw_scope(
        self, grant: ScopeGrant, withdrawn_on: date, reason: str, actor: Actor
    ) -> bool:
        values = {"withdrawn_on": withdrawn_on.isoformat(), "withdrawal_reason": reason}
        return update_record(
            self.db, "photo_consent_scopes", grant.id, grant.version, values, actor
        )

    # -- the document log -----------------------------------------------------------------

    def insert_document(
        self,
        patient_id: str,
        kind: DocumentKind,
        template: TemplateRef | None,
        pdf_sha256: str,
        action: DocumentAction,
        actor: Actor,
        created_at: str | None = None,
    ) -> str:
        """One line of the document log; ``created_at`` (UTC ISO 8601, as ``utc_now``) when
        the time is the one the document itself states (its creation date), else now."""
        values: dict[str, Any] = {
            "patient_id": patient_id,
            "kind": kind.value,
            "template_id": template.template_id if template else "",
            "template_version": template.version if template else None,
            "template_hash": template.text_hash if template else "",
            "pdf_sha256": pdf_sha256,
            "action": action.value,
        }
        if created_at is not None:
            values["created_at"] = created_at
        return insert_record(self.db, "documents", values, actor)

    def _documents(self, where: str, params: Sequence[Any]) -> list[DocumentRecord]:
        rows = self.db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE {where}", list(params)
        ).fetchall()
        return [
            DocumentRecord(
                id=doc_id,
                patient_id=PatientId(patient_id),
                kind=DocumentKind(kind),
                template=TemplateRef(template_id, version, text_hash) if template_id else None,
                pdf_sha256=pdf_sha256,
                action=DocumentAction(action),
                created_by=UserId(created_by),
                created_at=created_at,
            )
            for (
                doc_id,
                patient_id,
                kind,
                template_id,
                version,
                text_hash,
                pdf_sha256,
                action,
                created_by,
                created_at,
            ) in rows
        ]

    def document(self, document_id: str) -> DocumentRecord | None:
        found = self._documents("id = ?", [document_id])
        return found[0] if found else None

    def documents(self, patient_id: str) -> list[DocumentRecord]:
        """The patient's document log, newest first."""
        return self._documents(
            "patient_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC",
            [patient_id],
        )
