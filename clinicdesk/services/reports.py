"""Progress reports: gather what a patient's report shows and render it (``documents.report``).

Only clinicians produce a progress report (``Permission.PROGRESS_REPORT``; a refusal is
audited). Everything the report shows is read through the service that owns it (the patient,
treatments, follow-ups, assessments and the baseline report, photos), so each read is
permission-checked and audited as a view exactly as in the GUI, and the measurements and their
changes are the assessment service's own: the PDF cannot disagree with the Measurements tab.
The records are read in one transaction, so the report is one consistent moment of the record
(and the audit entries are written with one commit); the photos are read after it, so the
slow part (decoding and downscaling) never holds the database's write lock.

Before/after photos: for each standard view (the trichoscopy close-ups are left out: the
measurement tables report what they show), the baseline photo is the one taken at the latest
visit on or before the treatment day (the rule the assessments' baseline follows; without a
treatment, the first visit), and "after" is that view's photo at the latest later visit. Each
is an upright, metadata-free copy made from the original and downscaled for print
(``REPORT_PHOTO_SIDE``, ``media.ingest.print_copy``), so six pairs keep the PDF small.

With six photo pairs the report takes about half a second (``tests/bench/bench_report.py``):
the GUI calls this from a worker.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

from clinicdesk.documents.layout import PatientIdentity
from clinicdesk.documents.report import render_progress_report
from clinicdesk.documents.report_data import (
    AdverseEventLine,
    FollowUpLine,
    MissingPair,
    PhotoPair,
    ProgressReportData,
    TreatmentLine,
)
from clinicdesk.domain.clinical import TreatmentDetails
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.photos import Photo, View
from clinicdesk.domain.report_flavours import FLAVOURS, Flavour
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ValidationError
from clinicdesk.media.ingest import ImageRejected, print_copy
from clinicdesk.services.assessments import AssessmentService
from clinicdesk.services.clinic import ClinicService
from clinicdesk.services.clinic_details import ClinicDetailsService
from clinicdesk.services.clinical import ClinicalService
from clinicdesk.services.patients import PatientService
from clinicdesk.services.photos import PhotoService
from clinicdesk.services.report_comment import check_report_comment
from clinicdesk.services.response_settings import ResponseSettings
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.sealed_files import SealBroken, SealedFileMissing

Today = Callable[[], date]
ENTITY = "progress_report"
# Long side of a report photo in pixels: 250 dpi across the 82 mm a photo takes on the page.
REPORT_PHOTO_SIDE = 800
STANDARD_VIEWS = tuple(v for v in View if v is not View.TRICHOSCOPY)
PRINT_WORKERS = max(1, min(4, os.cpu_count() or 1))
# Why a photo of a pair cannot be printed (the pair is listed as unavailable, with this).
PHOTO_MISSING = "photo file missing (restore it from a backup)"
PHOTO_DAMAGED = "photo file damaged (failed its integrity check; restore it from a backup)"
PHOTO_UNREADABLE = "photo file could not be read as an image"
log = logging.getLogger(__name__)

__all__ = [
    "FLAVOURS",
    "REPORT_PHOTO_SIDE",
    "STANDARD_VIEWS",
    "Flavour",
    "ReportService",
    "choose_pairs",
    "identity",
]


class ReportService:
    def __init__(
        self,
        db: Database,
        clinic: ClinicService,
        clinic_details: ClinicDetailsService,
        patients: PatientService,
        clinical: ClinicalService,
        assessments: AssessmentService,
        photos: PhotoService,
        today: Today = date.today,
        response_settings: ResponseSettings | None = None,
    ) -> None:
        self.db = db
        self.clinic = clinic
        self.clinic_details = clinic_details
        self.patients = patients
        self.clinical = clinical
        self.assessments = assessments
        self.photos = photos
        self.today = today
        self.response_settings = response_settings or ResponseSettings(db)

    def progress_report(
        self,
        user: CurrentUser,
        patient_id: str,
        *,
        flavour: Flavour,
        comment: str = "",
        large_print: bool = False,
        generated_at: datetime | None = None,
    ) -> bytes:
        """The patient's progress report as PDF bytes: ``clinical`` (full tables) or
        ``patient`` (plain language). ``comment`` is the clinician's free text, printed as
        typed (at most ``REPORT_COMMENT_MAX`` characters). ``large_print``: 12 pt body text;
        ``generated_at``: the creation date the PDF states."""
        require(self.db, user, Permission.PROGRESS_REPORT, entity=ENTITY, entity_id=patient_id)
        if flavour not in FLAVOURS:
            raise ValidationError({"flavour": "must be clinical or patient"})
        data = self.report_data(user, patient_id, comment=comment)
        pdf = render_progress_report(
            data, flavour, large_print=large_print, generated_at=generated_at
        )
        # Not recorded here: DocumentService.progress_report (services/documents.py) wraps
        # this call and records the report in the documents log, and its save/record_output
        # record printing and saving. Front ends call that one.
        return pdf

    def report_data(
        self, user: CurrentUser, patient_id: str, *, comment: str = ""
    ) -> ProgressReportData:
        """Everything the report shows, read (and audited) through the owning services."""
        require(self.db, user, Permission.PROGRESS_REPORT, entity=ENTITY, entity_id=patient_id)
        comment = check_report_comment(comment)
        with write_transaction(self.db):
            patient = self.patients.get(user, patient_id)
            treatments = self.clinical.treatments(user, patient_id)
            follow_ups = self.clinical.follow_ups(user, patient_id)
            events = self.clinical.adverse_events(user, patient_id)
            threshold = self.response_settings.threshold_percent()
            assessments = self.assessments.list_for_patient(user, patient_id)
            changes = self.assessments.baseline_report(user, patient_id)
            photos = self.photos.list_photos(user, patient_id)
            clinicians = {c.id: c.name for c in self.clinical.clinicians(user)}
            sites = {s.id: s.name for s in self.clinic.sites()}
            # What every document prints about the clinic (settings; the consent forms' too).
            clinic = self.clinic_details.printed(user.site_id)
        treated_on = {t.id: t.details.treated_on for t in treatments}
        pairs, missing = choose_pairs(photos, changes.treatment_date)
        copies = iter(self._print_copies(user, [p for _, pair in pairs for p in pair]))
        shown: list[PhotoPair] = []
        unavailable: list[MissingPair] = []
        for view, (before, after) in pairs:
            before_copy, after_copy = next(copies), next(copies)
            if isinstance(before_copy, bytes) and isinstance(after_copy, bytes):
                shown.append(
                    PhotoPair(view, before.visit_date, before_copy, after.visit_date, after_copy)
                )
                continue
            reasons = [
                f"the {which} photograph ({format_uk(photo.visit_date)}) is unavailable: {copy}"
                for which, photo, copy in (
                    ("baseline", before, before_copy),
                    ("latest", after, after_copy),
                )
                if isinstance(copy, str)
            ]
            unavailable.append(MissingPair(view, "; ".join(reasons)))
        return ProgressReportData(
            clinic=clinic,
            patient=identity(patient),
            prepared_on=self.today(),
            prepared_by=user.display_name,
            treatments=tuple(
                TreatmentLine(
                    treated_on=t.details.treated_on,
                    site=sites.get(t.details.site_id, ""),
                    clinician=clinicians.get(t.details.clinician_id, ""),
                    zones=t.details.treated_zones,
                    punches=t.details.punches,
                    punch_diameter_mm=t.details.punch_diameter_mm,
                    kit_name=t.details.kit_name,
                    kit_lot=t.details.kit_lot,
                    anaesthetic=_anaesthetic(t.details),
                    anaesthetic_lot=t.details.anaesthetic_lot,
                )
                for t in sorted(treatments, key=lambda t: (t.details.treated_on, t.info.created_at))
            ),
            follow_ups=tuple(
                FollowUpLine(treated_on[f.treatment_id], f.kind, f.due_on, f.status)
                for f in sorted(follow_ups, key=lambda f: (f.due_on, f.info.created_at))
                if f.treatment_id in treated_on
            ),
            assessments=tuple(assessments),
            changes=changes,
            photo_pairs=tuple(shown),
            missing_pairs=(*unavailable, *missing),
            comment=comment,
            adverse_events=tuple(
                AdverseEventLine(
                    treated_on=treated_on[e.details.treatment_id],
                    event_type=e.details.event_type,
                    onset_on=e.details.onset_on,
                    severity=e.details.severity,
                    outcome=e.details.outcome,
                    outcome_on=e.details.outcome_on,
                    description=e.details.description,
                    action_taken=e.details.action_taken,
                )
                for e in sorted(events, key=lambda e: (e.details.onset_on, e.info.created_at))
                if e.details.treatment_id in treated_on
            ),
            threshold_percent=threshold,
        )

    def _print_copies(self, user: CurrentUser, photos: Sequence[Photo]) -> list[bytes | str]:
        """Upright, metadata-free copies of ``photos`` downscaled for print, in order; for a
        photo whose file is missing or damaged, why it cannot be shown (as the gallery shows a
        placeholder): one bad file does not stop the report.

        Each is made from the original, read (and audited as a view) here on the caller's
        thread, which owns the database connection, then decoded at a reduced scale on worker
        threads (``media.ingest.print_copy``: about 30 ms for a 12-megapixel JPEG, where a
        display copy not yet cached takes ten times that). Pillow decodes and resizes without
        holding the GIL, so two cores make the copies in about half the time; at most
        ``PRINT_WORKERS`` originals are held in memory at once."""
        copies: list[bytes | str] = []
        with ThreadPoolExecutor(PRINT_WORKERS, thread_name_prefix="report-photos") as pool:
            for start in range(0, len(photos), PRINT_WORKERS):
                batch = photos[start : start + PRINT_WORKERS]
                originals = [self._original(user, photo) for photo in batch]
                copies += pool.map(_print_copy, originals)
        return copies

    def _original(self, user: CurrentUser, photo: Photo) -> bytes | str:
        try:
            return self.photos.original(user, photo.id)
        except SealedFileMissing:
            log.warning("progress report: a photo's file is missing")
            return PHOTO_MISSING
        except SealBroken as exc:
            log.warning("progress report: a photo's file failed its check (%s)", exc.reason)
            return PHOTO_DAMAGED


def _print_copy(original: bytes | str) -> bytes | str:
    if isinstance(original, str):
        return original
    try:
        return print_copy(original, REPORT_PHOTO_SIDE)
    except ImageRejected:
        log.warning("progress report: a photo could not be decoded", exc_info=True)
        return PHOTO_UNREADABLE


def _anaesthetic(details: TreatmentDetails) -> str:
    """``Lidocaine 2% with adrenaline, 4 mL``: the anaesthetic and its dose as recorded."""
    name = details.anaesthetic_name.strip()
    dose = f"{details.anaesthetic_dose:g} {details.anaesthetic_dose_unit.label}"
    return f"{name}, {dose}" if name else dose


def identity(patient: Patient) -> PatientIdentity:
    """The patient as every page names them: full legal name, date of birth, NHS number and
    the clinic's number."""
    d = patient.details
    name = " ".join(part for part in (d.title, d.first_name, d.last_name) if part)
    nhs = format_nhs_number(d.nhs_number) if d.nhs_number else ""
    return PatientIdentity(name, d.date_of_birth, nhs, patient.patient_number)


def choose_pairs(
    photos: Sequence[Photo], treatment_date: date | None
) -> tuple[list[tuple[View, tuple[Photo, Photo]]], tuple[MissingPair, ...]]:
    """Per standard view: (baseline photo, latest later photo), and the views with a photo but
    no pair, saying why. A visit with several photos of one view uses the last taken."""
    pairs: list[tuple[View, tuple[Photo, Photo]]] = []
    missing: list[MissingPair] = []
    for view in STANDARD_VIEWS:
        shots = sorted(
            (p for p in photos if p.view is view), key=lambda p: (p.visit_date, p.taken_at, p.id)
        )
        if not shots:
            continue
        if treatment_date is None:
            first_visit = shots[0].visit_date
            before_candidates = [p for p in shots if p.visit_date == first_visit]
        else:
            before_candidates = [p for p in shots if p.visit_date <= treatment_date]
        if not before_candidates:
            missing.append(MissingPair(view, "no photograph from before the treatment"))
            continue
        before = before_candidates[-1]
        later = [p for p in shots if p.visit_date > before.visit_date]
        if not later:
            since = "the treatment" if treatment_date is not None else "then"
            missing.append(MissingPair(view, f"no photograph since {since} yet"))
            continue
        pairs.append((view, (before, later[-1])))
    return pairs, tuple(missing)
