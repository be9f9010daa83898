"""Making the documents a patient is given: consent forms and information sheets from the
versioned templates, the consent pack, and the progress report; and recording each one.

Every document made here is recorded in the document log (type, template id, version and text
hash, the PDF's sha256, who, when) and audited: once when it is generated, and again when it
is printed or saved (``record_output``). Printing a consent form also records the consent as
*prepared* (CLINICAL.md: prepared -> signed -> withdrawn), unless one printed on the same wording
is still waiting to be signed.

What the forms are prefilled with depends on who prints them. Everyone may print (DESIGN.md:
reception prints the pack), so everyone gets the patient's identifiers, the clinic's details,
the treating clinician's name and registration number and the dates of the consent discussion
and decision. What was said in the discussion (material risks, alternatives, the patient's
questions) is clinical record: it is filled in only for someone who may see clinical records;
reception's copy has ruled lines for the clinician to write on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from clinicdesk.documents.templates import CONSENT_PACK, Template, TemplateLibrary
from clinicdesk.domain.clinical import Consultation
from clinicdesk.domain.consent import (
    Consent,
    ConsentKind,
    ConsentStatus,
    DocumentAction,
    DocumentKind,
)
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.roles import Permission, Role, allows
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.clinic_details import ClinicDetailsService, ClinicDocumentDetails
from clinicdesk.services.consents import ConsentService
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.clinical import ClinicalRepository
from clinicdesk.storage.database import Database, StorageError, write_transaction
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.recorded_files import save_recorded

if TYPE_CHECKING:
    # reportlab (through documents.layout and the report) takes a tenth of a second to import:
    # it is imported when the first document is made, not when the program starts.
    from clinicdesk.documents.layout import ClinicDetails, PatientIdentity
    from clinicdesk.services.reports import ReportService

# The templates a signature on paper makes a consent record of.
CONSENT_KINDS: Mapping[str, ConsentKind] = {
    "micrograft-consent": ConsentKind.PROCEDURE,
    "photo-consent": ConsentKind.PHOTO,
}
Flavour = Literal["clinical", "patient"]
FLAVOURS: tuple[Flavour, ...] = ("clinical", "patient")


@dataclass(frozen=True)
class Document:
    """A PDF made for a patient, with what the log needs to record what happens to it."""

    patient_id: str
    kind: DocumentKind
    title: str
    file_name: str  # suggested, without a folder
    pdf: bytes
    templates: tuple[Template, ...] = ()  # none for a progress report

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


@dataclass(frozen=True)
class ConsentTaker:
    """A clinician who can be named as having taken consent."""

    id: str
    name: str
    registration_number: str


class DocumentService:
    def __init__(
        self,
        db: Database,
        clinic_details: ClinicDetailsService,
        consents: ConsentService,
        reports: Callable[[], ReportService],
        cooling_off_days: Callable[[], int],
        today: Callable[[], date] = date.today,
        library: TemplateLibrary | None = None,
    ) -> None:
        self.db = db
        self.clinic_details = clinic_details
        self.consents = consents
        self._reports = reports  # built only when a report is asked for
        self.cooling_off_days = cooling_off_days
        self.today = today
        self.library = library or TemplateLibrary()
        self.patients = PatientRepository(db)
        self.clinical = ClinicalRepository(db)
        self.users = ClinicRepository(db)

    # -- what can be printed ---------------------------------------------------------------

    def templates(self) -> list[Template]:
        """The current version of every form and sheet, consent pack first, then by title."""
        current = [self.library.current(template_id) for template_id in self.library.ids()]
        order = {template_id: n for n, template_id in enumerate(CONSENT_PACK)}
        return sorted(current, key=lambda t: (order.get(t.id, len(order)), t.title.casefold()))

    def consent_takers(self, user: CurrentUser) -> list[ConsentTaker]:
        """The enabled clinicians, for "consent taken by" when a signed consent is recorded
        (whoever may record consent, reception included, needs the list)."""
        require(self.db, user, Permission.RECORD_CONSENT, entity="consent")
        takers = [
            ConsentTaker(row.id, row.display_name, row.registration_number)
            for row in self.users.users()
            if row.role == Role.CLINICIAN.value and row.active
        ]
        return sorted(takers, key=lambda t: (t.name.casefold(), t.id))

    # -- making documents --------------------------------------------------------------------

    def form(self, user: CurrentUser, patient_id: str, template_id: str) -> Document:
        """One form or sheet for the patient, prefilled; recorded (and, for a consent form,
        the consent recorded as prepared)."""
        require(self.db, user, Permission.PRINT_DOCUMENTS, entity="document", entity_id=patient_id)
        template = self.library.current(template_id)
        patient = self._patient(patient_id)
        clinic, fields, discussion_id = self._prefill(user, patient)
        from clinicdesk.documents.forms import render_form

        pdf = render_form(template, clinic, _identity(patient), fields)
        kind = (
            DocumentKind.CONSENT_FORM
            if template.id in CONSENT_KINDS
            else DocumentKind.INFORMATION_SHEET
        )
        document = Document(
            patient.id,
            kind,
            template.title,
            _file_name(template.title, patient),
            pdf,
            (template,),
        )
        self._generated(user, document, discussion_id)
        return document

    def consent_pack(self, user: CurrentUser, patient_id: str) -> Document:
        """The consent pack (procedure consent, photo consent, data-protection notice,
        pre-treatment instructions) as one PDF, each document with its own stamp and pages."""
        require(self.db, user, Permission.PRINT_DOCUMENTS, entity="document", entity_id=patient_id)
        patient = self._patient(patient_id)
        clinic, fields, discussion_id = self._prefill(user, patient)
        templates = tuple(self.library.current(template_id) for template_id in CONSENT_PACK)
        from clinicdesk.documents.forms import render_pack

        pdf = render_pack(
            [(template, fields) for template in templates], clinic, _identity(patient)
        )
        document = Document(
            patient.id,
            DocumentKind.CONSENT_PACK,
            "Consent pack",
            _file_name("Consent pack", patient),
            pdf,
            templates,
        )
        self._generated(user, document, discussion_id)
        return document

    def progress_report(
        self, user: CurrentUser, patient_id: str, *, flavour: Flavour, comment: str = ""
    ) -> Document:
        """The progress report (clinicians only), recorded in the document log."""
        require(self.db, user, Permission.PROGRESS_REPORT, entity="document", entity_id=patient_id)
        patient = self._patient(patient_id)
        pdf = self._reports().progress_report(user, patient.id, flavour=flavour, comment=comment)
        title = "Progress report" if flavour == "clinical" else "Your progress report"
        document = Document(
            patient.id,
            DocumentKind.PROGRESS_REPORT,
            title,
            _file_name(f"Progress report {flavour}", patient),
            pdf,
        )
        self._generated(user, document)
        return document

    # -- what happens to a document ----------------------------------------------------------

    def record_output(self, user: CurrentUser, document: Document, action: DocumentAction) -> None:
        """Record that ``document`` was printed or saved (audited like its generation)."""
        if action is DocumentAction.GENERATED:
            raise ValueError("generation is recorded when the document is made")
        self._record(user, document, action)

    def save(self, user: CurrentUser, document: Document, path: Path) -> None:
        """Write the PDF to ``path`` and record it as saved, both or neither: the PDF is
        written whole under a temporary name, then renamed into place in the transaction that
        records it (``storage.recorded_files``; RELIABILITY row 37). ``UserError`` (naming the
        file, saying nothing was saved) when either fails."""
        path = Path(path)
        if not document.pdf:
            raise ValueError("refusing to write an empty PDF")
        try:
            save_recorded(
                self.db,
                path,
                document.pdf,
                lambda: self._record(user, document, DocumentAction.SAVED),
            )
        except StorageError as exc:
            raise UserError(
                f"{path.name} was not saved: it could not be recorded in the patient's document "
                f"log. {exc.message}"
            ) from exc

    # -- helpers ------------------------------------------------------------------------------

    def _generated(
        self, user: CurrentUser, document: Document, discussion_id: str | None = None
    ) -> None:
        """Record the document as generated, and each consent form in it as prepared for the
        consent discussion ``discussion_id`` (unless one on that wording awaits signing)."""
        with write_transaction(self.db):
            on_record = self.consents.repo.for_patient(document.patient_id)
            for template in document.templates:
                kind = CONSENT_KINDS.get(template.id)
                if kind is not None and not _waiting(on_record, template):
                    self.consents.prepare(
                        user,
                        document.patient_id,
                        template.id,
                        template.version,
                        template.text_hash,
                        kind,
                        discussion_id,
                    )
            self._record(user, document, DocumentAction.GENERATED)

    def _record(self, user: CurrentUser, document: Document, action: DocumentAction) -> None:
        with write_transaction(self.db):
            if not document.templates:
                self.consents.record_document(
                    user, document.patient_id, document.kind, "", None, "", document.pdf, action
                )
            for template in document.templates:
                self.consents.record_document(
                    user,
                    document.patient_id,
                    document.kind,
                    template.id,
                    template.version,
                    template.text_hash,
                    document.pdf,
                    action,
                )

    def _latest_discussion(self, patient_id: str) -> Consultation | None:
        discussed = [
            c for c in self.clinical.consultations(patient_id) if c.details.discussed_on is not None
        ]
        return max(discussed, key=lambda c: c.details.discussed_on or date.min, default=None)

    def _prefill(
        self, user: CurrentUser, patient: Patient
    ) -> tuple[ClinicDetails, dict[str, str], str | None]:
        """What a form is filled in with: the clinic as printed, the fields, and the consent
        discussion a consent form printed now belongs to (read once per document)."""

        clinic = self.clinic_details.details()
        consultation = self._latest_discussion(patient.id)
        printed = self.clinic_details.printed(user.site_id)
        fields = self._fields(user, clinic, consultation)
        return printed, fields, consultation.id if consultation is not None else None

    def _fields(
        self,
        user: CurrentUser,
        clinic: ClinicDocumentDetails,
        consultation: Consultation | None,
    ) -> dict[str, str]:
        fields = {
            "device": clinic.device,
            "cost": clinic.cost,
            "data_protection_contact": clinic.data_protection_contact,
            "out_of_hours_phone": clinic.out_of_hours_phone,
            "cooling_off_days": str(self.cooling_off_days()),
        }
        if consultation is None:
            return {k: v for k, v in fields.items() if v}
        details = consultation.details
        clinician = self.users.user_by_id(details.clinician_id)
        if clinician is not None:
            fields["clinician_name"] = clinician.display_name
            fields["clinician_registration"] = clinician.registration_number
        if details.discussed_on is not None:
            fields["consultation_date"] = f"{details.discussed_on:%d/%m/%Y}"
        if details.decided_on is not None:
            fields["decision_date"] = f"{details.decided_on:%d/%m/%Y}"
        if allows(user.role, Permission.VIEW_CLINICAL_RECORDS):
            fields["risks_discussed"] = "; ".join(r.label for r in details.risks_discussed)
            fields["alternatives_discussed"] = "; ".join(
                a.label for a in details.alternatives_discussed
            )
            fields["patient_questions"] = details.patient_questions
        return {k: v for k, v in fields.items() if v}

    def _patient(self, patient_id: str) -> Patient:
        return existing_patient(self.patients, patient_id)


def _waiting(on_record: list[Consent], template: Template) -> bool:
    """A consent on this very wording already printed and not yet signed."""
    return any(
        c.status is ConsentStatus.PREPARED
        and c.template.template_id == template.id
        and c.template.version == template.version
        for c in on_record
    )


def _identity(patient: Patient) -> PatientIdentity:
    from clinicdesk.services.reports import identity

    return identity(patient)


def _file_name(title: str, patient: Patient) -> str:
    """``Consent pack - Surname Firstname.pdf``, safe on every file system."""
    name = f"{patient.details.last_name} {patient.details.first_name}"
    text = f"{title} - {name}"
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", text).strip(" .")
    return f"{safe[:120]}.pdf"


def check_flavour(value: str) -> Flavour:
    if value == "clinical":
        return "clinical"
    if value == "patient":
        return "patient"
    raise ValidationError({"flavour": "must be clinical or patient"})


def recovery_key_pdf(clinic_name: str, recovery_key: str, printed_on: date) -> bytes:
    """The printed recovery key (one A4 page: the clinic's name, the date, the key in large
    monospaced type). Neither recorded nor audited: the key itself must never be stored."""
    from clinicdesk import APP_NAME
    from clinicdesk.documents.recovery import render_recovery_key

    return render_recovery_key(clinic_name, recovery_key, printed_on, APP_NAME)
