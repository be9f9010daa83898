"""Consent records and the document log: preparing, signing and withdrawing consents, the
photo consent's scopes, the scanned or drawn signatures, and every PDF made for a patient.

Who may do what (DESIGN.md "Security model"): recording a consent signed or withdrawn is
everyone's (``RECORD_CONSENT``), but consent is taken by a clinician (GMC guidance), so
``consent_taken_by_id`` must be an enabled clinician, and a receptionist who records a signing
is recorded as its witness (their own name; the consent taker is never them). A consent holds
no clinical notes (only the id of the consultation it belongs to), so reception may read it and
its attachment. Printing is ``PRINT_DOCUMENTS``, a progress report ``PROGRESS_REPORT``.

The scan of the signed paper (PDF, JPEG or PNG, checked by its first bytes, at most 20 MB) and
the signature drawn on screen (PNG) are sealed in their own ``ContentStore``
(``paths.consent_files_dir``, subkey ``consent-files``), bound to the **patient** id as photos
are: one scan of a whole signed pack can be attached to the procedure and the photo consent
alike and is stored once, while a file moved into another patient's record fails to open. The
file is written before the row that names it; a save that then fails (a concurrent edit) leaves
an unnamed sealed file behind, which is harmless.

Every change and every view writes one audit entry (entity ``consent``; actions ``create``,
``sign``, ``withdraw``, ``view``), in the transaction of the change, with the patient id in the
detail and never a name. Withdrawing marketing consent marks the patient's photos as not for
marketing in the same transaction.

``treatment_consent_blockers`` is what ``ClinicalService`` adds to the eligibility check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Literal

from clinicdesk.domain.consent import (
    AttachmentFormat,
    Consent,
    ConsentKind,
    DocumentAction,
    DocumentKind,
    DocumentRecord,
    TemplateRef,
    attachment_format,
    check_scan,
    check_signature,
    consent_blockers,
    consent_discussion_on,
    photo_scopes_on,
    validate_signing,
    validate_template,
    validate_withdrawal,
)
from clinicdesk.domain.dates import BEFORE_BIRTH
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.domain.roles import Permission, Role
from clinicdesk.errors import ConcurrentEdit, NotFound, ValidationError
from clinicdesk.paths import Paths
from clinicdesk.services.clinic import cooling_off_days_of
from clinicdesk.services.file_keys import file_key
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.clinical import ClinicalRepository
from clinicdesk.storage.consents import ConsentRepository, SignedValues
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.photos import PhotoRepository
from clinicdesk.storage.sealed_files import ContentConflict, ContentStore

ENTITY = "consent"
DOCUMENT_ENTITY = "document"
Attachment = Literal["scan", "signature"]

__all__ = [
    "ConsentService",
    "treatment_consent_blockers",
]


def treatment_consent_blockers(db: Database, patient_id: str, treated_on: date) -> list[str]:
    """What consent rules block a treatment of the patient on ``treated_on`` (empty: none):
    no signed procedure consent in force, no consent discussion, or inside the clinic's
    cooling-off period from the latest discussion on or before that day."""
    consents = ConsentRepository(db).for_patient(patient_id)
    discussions = (c.details.discussed_on for c in ClinicalRepository(db).consultations(patient_id))
    discussed_on = consent_discussion_on(discussions, treated_on)
    days = cooling_off_days_of(ClinicRepository(db))
    return consent_blockers(consents, discussed_on, treated_on, days)


class ConsentService:
    def __init__(
        self,
        db: Database,
        paths: Paths,
        data_key: bytes | None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.db = db
        self.paths = paths
        self.repo = ConsentRepository(db)
        self.patients = PatientRepository(db)
        self.clinic = ClinicRepository(db)
        self.clinical = ClinicalRepository(db)
        self.photos = PhotoRepository(db)
        self.today = today
        self._data_key = data_key

    @property
    def store(self) -> ContentStore:
        key = file_key(self._data_key, "consent-files", "Signed consent forms")
        return ContentStore(self.paths.consent_files_dir, key)

    # -- preparing ----------------------------------------------------------------------------

    def prepare(
        self,
        user: CurrentUser,
        patient_id: str,
        template_id: str,
        template_version: int,
        template_hash: str,
        kind: ConsentKind | str,
        consultation_id: str | None = None,
        *,
        prepared_on: date | None = None,
    ) -> Consent:
        """Record that a consent form (template id, version, text hash) was printed for the
        patient, to be signed; ``consultation_id`` names the consent discussion it belongs to.
        ``prepared_on`` defaults to today (an earlier day records a form printed then)."""
        require(self.db, user, Permission.RECORD_CONSENT, entity=ENTITY, entity_id=patient_id)
        errors: dict[str, str] = {}
        try:
            consent_kind = ConsentKind(kind)
        except ValueError:
            errors["kind"] = "must be a procedure or a photo consent"
        try:
            template = validate_template(template_id, template_version, template_hash)
        except ValidationError as exc:
            errors.update(exc.errors)
        day = prepared_on or self.today()
        if day > self.today():
            errors["prepared_on"] = "is in the future"
        with write_transaction(self.db):
            patient = self._patient(patient_id)
            if day < patient.details.date_of_birth:
                errors.setdefault("prepared_on", BEFORE_BIRTH)
            if consultation_id is not None:
                consultation = self.clinical.consultation(consultation_id)
                if consultation is None or consultation.patient_id != patient.id:
                    errors["consultation_id"] = "is not one of this patient's consultations"
            if errors:
                raise ValidationError(errors)
            new_id = self.repo.insert(
                patient.id, consent_kind, template, consultation_id, day, user.actor
            )
            audit.append(
                self.db,
                user.actor,
                "create",
                ENTITY,
                new_id,
                {
                    "patient": patient.id,
                    "kind": consent_kind.value,
                    "template": template.template_id,
                    "template_version": template.version,
                },
            )
        return self._must(new_id)

    # -- signing ------------------------------------------------------------------------------

    def sign(
        self,
        user: CurrentUser,
        consent_id: str,
        version: int,
        signed_on: date | str,
        consent_taken_by_id: str,
        witness_name: str = "",
        interpreter_name: str = "",
        signature_png: bytes | None = None,
        scan: tuple[str, bytes] | None = None,
        photo_scopes: Mapping[str, bool] | None = None,
    ) -> Consent:
        """Record the consent as signed: on ``signed_on``, consent taken by the clinician
        ``consent_taken_by_id``, with the scanned signed paper (``scan``: file name and bytes)
        or the signature drawn on screen (``signature_png``) or both. A photo consent takes
        each scope granted (True) or refused (False; a scope left out is refused).

        A receptionist records a signing as its witness: the witness is them (their name is
        filled in when left empty; another name is refused)."""
        require(self.db, user, Permission.RECORD_CONSENT, entity=ENTITY, entity_id=consent_id)
        if user.role is Role.RECEPTION:
            if witness_name.strip() and witness_name.strip() != user.display_name:
                raise ValidationError(
                    {
                        "witness_name": "is you when reception records the signing "
                        f"({user.display_name}); ask the clinician to record another witness"
                    }
                )
            witness_name = user.display_name
        current = self._must(consent_id)
        patient = self._patient(current.patient_id)
        signing = validate_signing(
            current,
            signed_on=signed_on,
            witness_name=witness_name,
            interpreter_name=interpreter_name,
            photo_scopes=photo_scopes,
            today=self.today(),
        )
        errors: dict[str, str] = {}
        if signing.signed_on < patient.details.date_of_birth:
            errors["signed_on"] = BEFORE_BIRTH
        taker = self.clinic.user_by_id(consent_taken_by_id)
        if taker is None or not taker.active or taker.role != Role.CLINICIAN.value:
            errors["consent_taken_by_id"] = "must be one of the clinic's clinicians (enabled)"
        if signature_png is None and scan is None:
            errors["attachment"] = (
                "attach the scanned signed form or capture the patient's signature on screen"
            )
        scan_name, scan_format = "", None
        if signature_png is not None:
            try:
                check_signature(signature_png)
            except ValidationError as exc:
                errors.update(exc.errors)
        if scan is not None:
            try:
                scan_name, scan_format = check_scan(scan[0], scan[1])
            except ValidationError as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        # The files first: a row never names a file that is not there.
        store = self.store
        signature_sha = scan_sha = None
        try:
            if signature_png is not None:
                field = "signature"
                signature_sha = store.put(signature_png, patient.id)
            if scan is not None:
                field = "scan"
                scan_sha = store.put(scan[1], patient.id)
        except ContentConflict:
            what = f"{scan_name}: this file" if field == "scan" else "This signature"
            raise ValidationError(
                {
                    field: f"{what} is already attached to another patient's record; check "
                    "that it is this patient's signed form"
                }
            ) from None
        values = SignedValues(
            signed_on=signing.signed_on,
            consent_taken_by_id=consent_taken_by_id,
            witness_name=signing.witness_name,
            interpreter_name=signing.interpreter_name,
            signature_sha256=signature_sha,
            scan_sha256=scan_sha,
            scan_format=scan_format,
            scan_name=scan_name,
        )
        with write_transaction(self.db):
            latest = self._must(consent_id)
            if not self.repo.sign(consent_id, version, values, user.actor):
                raise ConcurrentEdit("consent", values, latest)
            if signing.scopes:
                self.repo.insert_scopes(
                    consent_id, patient.id, signing.scopes, signing.signed_on, user.actor
                )
            audit.append(
                self.db,
                user.actor,
                "sign",
                ENTITY,
                consent_id,
                {
                    "patient": patient.id,
                    "kind": current.kind.value,
                    "consent_taken_by": consent_taken_by_id,
                    "witness": bool(signing.witness_name),
                    "interpreter": bool(signing.interpreter_name),
                    "attachments": [
                        name
                        for name, sha in (("signature", signature_sha), ("scan", scan_sha))
                        if sha
                    ],
                    **(
                        {"scopes": {s.value: g for s, g in signing.scopes.items()}}
                        if signing.scopes
                        else {}
                    ),
                },
            )
        return self._must(consent_id)

    # -- withdrawing --------------------------------------------------------------------------

    def withdraw(
        self,
        user: CurrentUser,
        consent_id: str,
        version: int,
        withdrawn_on: date | str,
        reason: str,
        scopes: Iterable[ConsentScope | str] | None = None,
    ) -> Consent:
        """Record the patient's withdrawal of a signed consent on ``withdrawn_on``, with their
        reason. For a photo consent, ``scopes`` withdraws only those scopes (None: all); the
        consent itself is withdrawn once no granted scope is left. Withdrawing marketing marks
        every photo of the patient as not for marketing from that day."""
        require(self.db, user, Permission.RECORD_CONSENT, entity=ENTITY, entity_id=consent_id)
        with write_transaction(self.db):
            current = self._must(consent_id)
            withdrawal = validate_withdrawal(
                current,
                withdrawn_on=withdrawn_on,
                reason=reason,
                scopes=None if scopes is None else [str(s) for s in scopes],
                today=self.today(),
            )
            if current.version != version:
                raise ConcurrentEdit("consent", withdrawal, current)
            for grant in current.scopes:
                if grant.scope in withdrawal.scopes:
                    self.repo.withdraw_scope(
                        grant, withdrawal.withdrawn_on, withdrawal.reason, user.actor
                    )
            if withdrawal.whole:
                saved = self.repo.withdraw(
                    consent_id, version, withdrawal.withdrawn_on, withdrawal.reason, user.actor
                )
            else:
                saved = self.repo.touch(consent_id, version, user.actor)
            if not saved:
                raise ConcurrentEdit("consent", withdrawal, current)
            marked = 0
            if ConsentScope.MARKETING in withdrawal.scopes:
                marked = self.photos.mark_not_for_marketing(
                    current.patient_id, withdrawal.withdrawn_on, user.actor
                )
            audit.append(
                self.db,
                user.actor,
                "withdraw",
                ENTITY,
                consent_id,
                {
                    "patient": current.patient_id,
                    "kind": current.kind.value,
                    "whole": withdrawal.whole,
                    **(
                        {
                            "scopes": sorted(s.value for s in withdrawal.scopes),
                            "photos_marked_not_for_marketing": marked,
                        }
                        if current.kind is ConsentKind.PHOTO
                        else {}
                    ),
                },
            )
        return self._must(consent_id)

    # -- reading ------------------------------------------------------------------------------

    def consents(self, user: CurrentUser, patient_id: str) -> list[Consent]:
        """The patient's consents, newest first (one audited view)."""
        require(self.db, user, Permission.RECORD_CONSENT, entity="consents", entity_id=patient_id)
        patient = self._patient(patient_id)
        self._viewed(user, "consents", patient.id, patient.id)
        return self.repo.for_patient(patient.id)

    def consent(self, user: CurrentUser, consent_id: str) -> Consent:
        """One consent (audited view)."""
        require(self.db, user, Permission.RECORD_CONSENT, entity=ENTITY, entity_id=consent_id)
        found = self._must(consent_id)
        self._viewed(user, ENTITY, consent_id, found.patient_id)
        return found

    def photo_scopes_on(self, patient_id: str, on: date) -> frozenset[ConsentScope]:
        """The photo consent scopes in force for the patient on ``on`` (empty: clinical record
        only). Names no one and shows no record, so it is neither checked nor audited: other
        services ask it (what scope does a photo taken that day carry?)."""
        return photo_scopes_on(self.repo.for_patient(patient_id), on)

    def attachment(
        self, user: CurrentUser, consent_id: str, which: Attachment | None = None
    ) -> bytes:
        """The scanned signed form (``which="scan"``) or the drawn signature (``"signature"``);
        by default the scan when there is one. Audited as a view. ``attachment_format`` tells
        PDF from JPEG or PNG."""
        require(self.db, user, Permission.RECORD_CONSENT, entity=ENTITY, entity_id=consent_id)
        consent = self._must(consent_id)
        chosen: Attachment = which or ("scan" if consent.scan_sha256 else "signature")
        sha256 = consent.scan_sha256 if chosen == "scan" else consent.signature_sha256
        if sha256 is None:
            raise NotFound(
                "This consent has no scanned form."
                if chosen == "scan"
                else "This consent has no signature drawn on screen."
            )
        data = self.store.get(sha256, consent.patient_id)
        self._viewed(user, ENTITY, consent_id, consent.patient_id, copy=chosen)
        return data

    # -- the document log ---------------------------------------------------------------------

    def record_document(
        self,
        user: CurrentUser,
        patient_id: str,
        kind: DocumentKind | str,
        template_id: str,
        version: int | None,
        template_hash: str,
        pdf_bytes: bytes,
        action: DocumentAction | str,
        *,
        created_at: str | None = None,
    ) -> DocumentRecord:
        """Record (and audit: ``generate``, ``print`` or ``export``) a PDF made for the patient.

        Forms and sheets name their template (id, version, text hash); a progress report has
        none (empty id and hash, no version). A consent pack is recorded once per template it
        holds, each row with the pack's PDF hash, so every printed wording is on record.
        ``created_at`` (UTC ISO 8601) is the time of a generation the PDF itself states as its
        creation date, so the log and the file agree; without it, now."""
        try:
            doc_kind = DocumentKind(kind)
        except ValueError:
            raise ValidationError({"kind": "is not a kind of document"}) from None
        needed = (
            Permission.PROGRESS_REPORT
            if doc_kind is DocumentKind.PROGRESS_REPORT
            else Permission.PRINT_DOCUMENTS
        )
        require(self.db, user, needed, entity=DOCUMENT_ENTITY, entity_id=patient_id)
        errors: dict[str, str] = {}
        try:
            doc_action = DocumentAction(action)
        except ValueError:
            errors["action"] = "must be generated, printed or saved"
        template: TemplateRef | None = None
        if template_id or template_hash or version is not None:
            try:
                template = validate_template(template_id, version or 0, template_hash)
            except ValidationError as exc:
                errors.update(exc.errors)
        elif doc_kind is not DocumentKind.PROGRESS_REPORT:
            errors["template_id"] = "is required for a form or sheet"
        if attachment_format(pdf_bytes) is not AttachmentFormat.PDF:
            errors["pdf"] = "is not a PDF"
        if errors:
            raise ValidationError(errors)
        pdf_sha256 = hashlib.sha256(pdf_bytes).hexdigest()
        with write_transaction(self.db):
            patient = self._patient(patient_id)
            new_id = self.repo.insert_document(
                patient.id, doc_kind, template, pdf_sha256, doc_action, user.actor, created_at
            )
            audit.append(
                self.db,
                user.actor,
                doc_action.audit_action,
                DOCUMENT_ENTITY,
                new_id,
                {
                    "patient": patient.id,
                    "kind": doc_kind.value,
                    "template": template.template_id if template else "",
                    "template_version": template.version if template else None,
                    "pdf_sha256": pdf_sha256,
                },
            )
        found = self.repo.document(new_id)
        assert found is not None
        return found

    def documents(self, user: CurrentUser, patient_id: str) -> list[DocumentRecord]:
        """The patient's document log, newest first (one audited view)."""
        require(self.db, user, Permission.PRINT_DOCUMENTS, entity="documents", entity_id=patient_id)
        patient = self._patient(patient_id)
        self._viewed(user, "documents", patient.id, patient.id)
        return self.repo.documents(patient.id)

    # -- helpers ------------------------------------------------------------------------------

    def _patient(self, patient_id: str) -> Patient:
        return existing_patient(self.patients, patient_id)

    def _viewed(
        self, user: CurrentUser, entity: str, entity_id: str, patient_id: str, **detail: str
    ) -> None:
        """One audited view, with the patient id in the detail (never a name)."""
        audit.record(
            self.db, user.actor, "view", entity, entity_id, {"patient": patient_id, **detail}
        )

    def _must(self, consent_id: str) -> Consent:
        found = self.repo.get(consent_id)
        if found is None:
            raise NotFound("That consent record does not exist; it may have been removed.")
        return found
