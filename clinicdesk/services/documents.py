"""Making the documents a patient is given: consent forms and information sheets from the
versioned templates, the consent pack, and the progress report; and recording each one.

Every document made here is recorded in the document log (type, template id, version and text
hash, the PDF's sha256, who, when) and audited: once when it is generated, and again when it
is printed or saved (``record_output``). Printing a consent form also records the consent as
*prepared* (CLINICAL.md: prepared -> signed -> withdrawn), unless one printed on the same wording
is still waiting to be signed.

The time of generation is taken once: it is both the PDF's creation date and the time the log
records for the generation. Every patient-facing document (forms, sheets, the pack, the
patient's report) can be made in large print (12 pt body text).

What the forms are prefilled with depends on who prints them. Everyone may print (DESIGN.md:
reception prints the pack), so everyone gets the patient's identifiers, the clinic's details
(with its data-protection officer, ICO registration number and processors for the privacy
notice), the treating clinician's name and registration number, the dates of the consent
discussion and decision, the earliest treatment date the cooling-off period allows, and the
treatment that follows the discussion: its date, treated areas and next booked follow-up. What
was said in the discussion (the material risks ticked for this patient, alternatives, the
patient's questions and priorities) is clinical record: it is filled in only for someone who
may see clinical records; reception's copy has ruled lines for the clinician to write on.
Whatever the record does not know stays a ruled line. Every form says when it was printed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from clinicdesk.documents.templates import CONSENT_PACK, Template, TemplateLibrary
from clinicdesk.domain.clinical import Consultation, Treatment
from clinicdesk.domain.consent import (
    Consent,
    ConsentKind,
    ConsentStatus,
    DocumentAction,
    DocumentKind,
)
from clinicdesk.domain.follow_ups import FollowUpStatus
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.report_flavours import Flavour
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


@dataclass(frozen=True)
class Document:
    """A PDF made for a patient, with what the log needs to record what happens to it."""

    patient_id: str
    kind: DocumentKind
    title: str
    file_name: str  # suggested, without a folder
    pdf: bytes
    templates: tuple[Template, ...] = ()  # none for a progress report
    # When it was made (UTC ISO 8601, as the log stores it): the PDF's own creation date.
    generated_at: str = ""

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
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.clinic_details = clinic_details
        self.consents = consents
        self._reports = reports  # built only when a report is asked for
        self.cooling_off_days = cooling_off_days
        self.today = today
        self.now = now
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

    def form(
        self, user: CurrentUser, patient_id: str, template_id: str, *, large_print: bool = False
    ) -> Document:
        """One form or sheet for the patient, prefilled; recorded (and, for a consent form,
        the consent recorded as prepared)."""
        require(self.db, user, Permission.PRINT_DOCUMENTS, entity="document", entity_id=patient_id)
        template = self.library.current(template_id)
        patient = self._patient(patient_id)
        kind = (
            DocumentKind.CONSENT_FORM
            if template.id in CONSENT_KINDS
            else DocumentKind.INFORMATION_SHEET
        )
        document, discussion_id = self._filled_form(
            user, template, patient, kind, template.title, large_print
        )
        self._generated(user, document, discussion_id)
        return document

    def consent_pack(
        self, user: CurrentUser, patient_id: str, *, large_print: bool = False
    ) -> Document:
        """The consent pack (procedure consent, photo consent, data-protection notice,
        pre-treatment instructions) as one PDF, each document with its own stamp and pages."""
        require(self.db, user, Permission.PRINT_DOCUMENTS, entity="document", entity_id=patient_id)
        patient = self._patient(patient_id)
        clinic, fields, discussion_id = self._prefill(user, patient)
        templates = tuple(self.library.current(template_id) for template_id in CONSENT_PACK)
        from clinicdesk.documents.forms import render_pack

        generated, generated_at = self._generation_time()
        pdf = render_pack(
            [(template, self._for_template(template, fields)) for template in templates],
            clinic,
            _identity(patient),
            printed_on=self.today(),
            large_print=large_print,
            generated_at=generated,
        )
        document = Document(
            patient.id,
            DocumentKind.CONSENT_PACK,
            "Consent pack",
            _file_name("Consent pack", patient),
            pdf,
            templates,
            generated_at,
        )
        self._generated(user, document, discussion_id)
        return document

    def consent_copy(
        self, user: CurrentUser, consent_id: str, *, large_print: bool = False
    ) -> Document:
        """A consent form again, on the very wording the consent points at (its own template
        version, whatever the current one is), prefilled as a form printed now; recorded as
        generated, but prepares no new consent: it is a copy of one already on record."""
        consent = self.consents.consent(user, consent_id)
        require(
            self.db,
            user,
            Permission.PRINT_DOCUMENTS,
            entity="document",
            entity_id=consent.patient_id,
        )
        template = self.library.get(consent.template.template_id, consent.template.version)
        if template.text_hash != consent.template.text_hash:
            raise UserError(
                f"The wording this consent was signed on ({template.id} version "
                f"{template.version}) is not the one installed: its text differs. Reinstall "
                "ClinicDesk to print it."
            )
        patient = self._patient(consent.patient_id)
        document, _discussion_id = self._filled_form(
            user,
            template,
            patient,
            DocumentKind.CONSENT_FORM,
            f"{template.title} v{template.version}",
            large_print,
        )
        self._record(user, document, DocumentAction.GENERATED)
        return document

    def _filled_form(
        self,
        user: CurrentUser,
        template: Template,
        patient: Patient,
        kind: DocumentKind,
        file_title: str,
        large_print: bool,
    ) -> tuple[Document, str | None]:
        """``template`` filled in with what the record knows of ``patient``, printed now; with
        the consent discussion it was filled from (if any). Not recorded yet."""
        clinic, fields, discussion_id = self._prefill(user, patient)
        from clinicdesk.documents.forms import render_form

        generated, generated_at = self._generation_time()
        pdf = render_form(
            template,
            clinic,
            _identity(patient),
            self._for_template(template, fields),
            printed_on=self.today(),
            large_print=large_print,
            generated_at=generated,
        )
        document = Document(
            patient.id,
            kind,
            template.title,
            _file_name(file_title, patient),
            pdf,
            (template,),
            generated_at,
        )
        return document, discussion_id

    def progress_report(
        self,
        user: CurrentUser,
        patient_id: str,
        *,
        flavour: Flavour,
        comment: str = "",
        large_print: bool = False,
    ) -> Document:
        """The progress report (clinicians only), recorded in the document log. Large print
        is for the patient's flavour: the clinical one's tables are laid out for the usual
        size, and it is not handed to the patient."""
        require(self.db, user, Permission.PROGRESS_REPORT, entity="document", entity_id=patient_id)
        if large_print and flavour != "patient":
            raise ValidationError(
                {
                    "large_print": "is for the patient's report (flavour patient); the "
                    "clinical report is printed at the usual size"
                }
            )
        patient = self._patient(patient_id)
        generated, generated_at = self._generation_time()
        pdf = self._reports().progress_report(
            user,
            patient.id,
            flavour=flavour,
            comment=comment,
            large_print=large_print,
            generated_at=generated,
        )
        title = "Progress report" if flavour == "clinical" else "Your progress report"
        document = Document(
            patient.id,
            DocumentKind.PROGRESS_REPORT,
            title,
            _file_name(f"Progress report {flavour}", patient),
            pdf,
            generated_at=generated_at,
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

    def _generation_time(self) -> tuple[datetime, str]:
        """Now, to the millisecond the log stores: as a time for the PDF, and as the log's
        text."""
        moment = self.now().astimezone(UTC)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        text = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return moment, text

    def _record(self, user: CurrentUser, document: Document, action: DocumentAction) -> None:
        # The generation is logged at the time the PDF states; printing and saving, now.
        at = (document.generated_at or None) if action is DocumentAction.GENERATED else None
        with write_transaction(self.db):
            if not document.templates:
                self.consents.record_document(
                    user,
                    document.patient_id,
                    document.kind,
                    "",
                    None,
                    "",
                    document.pdf,
                    action,
                    created_at=at,
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
                    created_at=at,
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
        treatment = self._treatment_after(patient.id, consultation)
        printed = self.clinic_details.printed(user.site_id)
        fields = self._fields(user, clinic, consultation, treatment)
        # Demographics, not clinical: every role's copy gives the interpreter's language.
        if language := patient.details.interpreter_language:
            fields["interpreter_language"] = language
        return printed, fields, consultation.id if consultation is not None else None

    def _treatment_after(
        self, patient_id: str, consultation: Consultation | None
    ) -> Treatment | None:
        """The treatment the forms are about: the latest recorded on or after the latest consent
        discussion (any, when no discussion is recorded). An earlier treatment belongs to an
        earlier decision: a new course's forms leave its date and areas to be written in."""
        since = date.min
        if consultation is not None and consultation.details.discussed_on is not None:
            since = consultation.details.discussed_on
        later = [t for t in self.clinical.treatments(patient_id) if t.details.treated_on >= since]
        return max(later, key=lambda t: t.details.treated_on, default=None)

    def _fields(
        self,
        user: CurrentUser,
        clinic: ClinicDocumentDetails,
        consultation: Consultation | None,
        treatment: Treatment | None,
    ) -> dict[str, str]:
        days = self.cooling_off_days()
        fields = {
            "device": clinic.device,
            "cost": clinic.cost,
            "data_protection_contact": clinic.data_protection_contact,
            "ico_registration_number": clinic.ico_registration_number,
            "processors": "\n".join(clinic.processor_list),
            "out_of_hours_phone": clinic.out_of_hours_phone,
            "cooling_off_days": str(days),
        }
        if treatment is not None:
            fields["treatment_date"] = f"{treatment.details.treated_on:%d/%m/%Y}"
            fields["treatment_areas"] = ", ".join(z.label for z in treatment.details.treated_zones)
            fields["next_appointment"] = self._next_appointment(treatment)
        if consultation is None:
            return {k: v for k, v in fields.items() if v}
        details = consultation.details
        clinician = self.users.user_by_id(details.clinician_id)
        if clinician is not None:
            fields["clinician_name"] = clinician.display_name
            fields["clinician_registration"] = clinician.registration_number
        if details.discussed_on is not None:
            fields["consultation_date"] = f"{details.discussed_on:%d/%m/%Y}"
            # The first day consent_blockers lets a treatment be recorded without an override.
            fields["earliest_treatment_date"] = (
                f"{details.discussed_on + timedelta(days=days):%d/%m/%Y}"
            )
        if details.decided_on is not None:
            fields["decision_date"] = f"{details.decided_on:%d/%m/%Y}"
        if allows(user.role, Permission.VIEW_CLINICAL_RECORDS):
            # The risks ticked for this patient, one per line: not the form's generic list.
            fields["risks_discussed"] = "\n".join(r.label for r in details.risks_discussed)
            fields["alternatives_discussed"] = "; ".join(
                a.label for a in details.alternatives_discussed
            )
            fields["patient_questions"] = details.patient_questions
            fields["patient_priorities"] = details.patient_priorities
        return {k: v for k, v in fields.items() if v}

    def _next_appointment(self, treatment: Treatment) -> str:
        """The treatment's next follow-up booked for today or later ("" when none is)."""
        today = self.today()
        booked = [
            f
            for f in self.clinical.follow_ups_of_treatment(treatment.id)
            if f.status is FollowUpStatus.BOOKED
            and f.booked_at is not None
            and f.booked_at.date() >= today
        ]
        if not booked:
            return ""
        first = min(booked, key=lambda f: f.booked_at or datetime.max)
        assert first.booked_at is not None
        return f"{first.booked_at:%d/%m/%Y at %H:%M} — {first.kind.label}"

    def _for_template(self, template: Template, fields: Mapping[str, str]) -> dict[str, str]:
        """``fields`` with what depends on the template: a notice's effective date is the day
        its wording took effect, or the day the clinic last changed its data-protection
        details (the contact, ICO number or processors it prints), whichever is later."""
        out = dict(fields)
        if template.effective_on is not None:
            changed = self.clinic_details.data_protection_changed_on()
            effective = max(d for d in (template.effective_on, changed) if d is not None)
            out["notice_effective_date"] = f"{effective:%d/%m/%Y}"
        return out

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
