"""Blinded photo grading (``domain.grading``): a clinician grades before/after pairs of the
treated patients' photos without knowing whose they are or which is which, and each grade feeds
the blinded photo score of the patient's end-point assessment.

A session lists the pairs the grader has not graded yet, in a random order with the before on a
random side. Where the clinic has more than one clinician, pairs of patients the grader treated
are left out (and counted, so the screen can say so): another clinician grades them. Only
clinicians grade (viewing photos and editing assessments are theirs alone); reception and
admins are refused, and the refusal is audited.

Nothing that identifies the pair comes back until the grade is stored (``grade`` returns the
patient, the dates and the side). Storing a grade recomputes the blinded photo score of the
patient's assessment at the pair's after visit (every grade of that visit's pairs, combined by
``domain.grading.combined_score``) and saves it through ``AssessmentService.update``, the
audited edit every correction takes; the grade's own audit entry keeps the score the
assessment had before, so a score typed unblinded is never lost without trace. A visit with no
assessment keeps its grades and records nothing (an assessment is a visit's measurements:
grading does not invent one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date

from clinicdesk.domain.assessments import Assessment, assessment_form, region_form
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.grading import (
    GRADED_VIEWS,
    Agreement,
    BlindPair,
    Grade,
    PhotoPair,
    agreements,
    blinded,
    check_score,
    combined_score,
    first_grades,
    photo_pairs,
    score_from_shown,
    score_label,
)
from clinicdesk.domain.photos import Photo
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import NotFound, UserError, ValidationError
from clinicdesk.services.assessments import AssessmentService
from clinicdesk.services.photos import PhotoService
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.assessments import AssessmentRepository
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.photo_grades import PhotoGradeRepository
from clinicdesk.storage.photos import PhotoRepository

ENTITY = "photo_grade"


@dataclass(frozen=True)
class GradingSession:
    pairs: tuple[BlindPair, ...]  # still to grade, in the session's random order
    already_graded: int  # pairs this grader graded before
    skipped_own: int  # pairs left out: patients this grader treated
    skipped_own_patients: int


@dataclass(frozen=True)
class Unblinded:
    """What the grader learns once the grade is stored."""

    grade: Grade
    patient_id: str
    patient_name: str
    treated_on: date
    before_date: date
    after_date: date
    assessment_id: str | None  # the end-point assessment the grade fed, if any
    recorded_score: int | None  # its blinded photo score now
    note: str  # what happened to the assessment, in words


@dataclass(frozen=True)
class GraderAgreement:
    agreement: Agreement
    first_name: str
    second_name: str


class PhotoGradingService:
    def __init__(
        self,
        db: Database,
        photos: PhotoService,
        assessments: AssessmentService,
    ) -> None:
        self.db = db
        self.photos = photos
        self.assessments = assessments
        self.repo = PhotoGradeRepository(db)
        self.photo_rows = PhotoRepository(db)
        self.assessment_rows = AssessmentRepository(db)
        self.patients = PatientRepository(db)

    def _require(self, user: CurrentUser, entity_id: str = "") -> None:
        require(self.db, user, Permission.PHOTOS, entity=ENTITY, entity_id=entity_id)
        require(self.db, user, Permission.EDIT_CLINICAL_RECORDS, entity=ENTITY, entity_id=entity_id)

    # -- the session --------------------------------------------------------------------

    def all_pairs(self) -> list[PhotoPair]:
        """Every pair there is to grade in the clinic, patient by patient."""
        treatments = self.repo.first_treatments()
        by_patient: dict[str, list[Photo]] = {}
        for photo in self.photo_rows.of_views(sorted(treatments), GRADED_VIEWS):
            by_patient.setdefault(photo.patient_id, []).append(photo)
        pairs: list[PhotoPair] = []
        for patient_id, photos in sorted(by_patient.items()):
            treatment_id, treated_on = treatments[patient_id]
            pairs += photo_pairs(photos, treatment_id, treated_on)
        return pairs

    def session(self, user: CurrentUser, rng: random.Random | None = None) -> GradingSession:
        """The pairs ``user`` has still to grade, blinded (see the module docstring)."""
        self._require(user)
        pairs = self.all_pairs()
        graded = self.repo.graded_by(user.id)
        own = self._own_patients(user)
        waiting = [p for p in pairs if p.key not in graded]
        skipped = [p for p in waiting if p.patient_id in own]
        to_grade = [p for p in waiting if p.patient_id not in own]
        audit.record(
            self.db,
            user.actor,
            "view",
            ENTITY,
            "",
            {"what": "grading session", "pairs": len(to_grade), "skipped_own": len(skipped)},
        )
        return GradingSession(
            tuple(blinded(to_grade, rng or random.Random())),
            already_graded=len(pairs) - len(waiting),
            skipped_own=len(skipped),
            skipped_own_patients=len({p.patient_id for p in skipped}),
        )

    def images(self, user: CurrentUser, item: BlindPair) -> tuple[bytes, bytes]:
        """The left and right photos as shown: upright display copies with no metadata (no
        EXIF date, camera or file name). Each is audited as a view of the patient's photo."""
        self._require(user)
        return (
            self.photos.display(user, item.left.id),
            self.photos.display(user, item.right.id),
        )

    # -- grading --------------------------------------------------------------------------

    def grade(self, user: CurrentUser, item: BlindPair, shown_score: int) -> Unblinded:
        """Store ``user``'s grade of ``item`` (``shown_score``: the right photo against the
        left, -3 .. +3), feed the end-point assessment, and unblind the pair."""
        self._require(user)
        shown = check_score(shown_score)
        pair = item.pair
        score = score_from_shown(shown, item.before_side)
        with write_transaction(self.db):
            for photo in (pair.before, pair.after):
                if self.photo_rows.get(photo.id) is None:
                    raise NotFound(
                        f"Pair {item.number}: one of its photos has been archived meanwhile; "
                        "it is no longer graded. Go on with the next pair."
                    )
            if pair.key in self.repo.graded_by(user.id):
                raise UserError(f"You have already graded pair {item.number}.")
            if pair.patient_id in self._own_patients(user):
                raise UserError(
                    f"Pair {item.number} is of a patient you treated: another clinician grades it."
                )
            grade_id = self.repo.insert(
                patient_id=pair.patient_id,
                treatment_id=pair.treatment_id,
                before_photo_id=pair.before.id,
                after_photo_id=pair.after.id,
                view=pair.view,
                before_side=item.before_side,
                shown_score=shown,
                score=score,
                actor=user.actor,
            )
            fed, note, previous = self._feed(user, pair.patient_id, pair.after.visit_date)
            audit.append(
                self.db,
                user.actor,
                "create",
                ENTITY,
                grade_id,
                {
                    "patient": pair.patient_id,
                    "view": pair.view.value,
                    "score": score,
                    "assessment": fed.id if fed else "",
                    "previous_photo_score": previous,
                },
            )
        stored = self.repo.get(grade_id)
        assert stored is not None
        patient = self.patients.get(pair.patient_id)
        return Unblinded(
            stored,
            pair.patient_id,
            patient.display_name if patient else "",
            pair.treated_on,
            pair.before.visit_date,
            pair.after.visit_date,
            fed.id if fed else None,
            fed.details.global_photo_score if fed else None,
            note,
        )

    def _feed(
        self, user: CurrentUser, patient_id: str, visit_date: date
    ) -> tuple[Assessment | None, str, str]:
        """Set the blinded photo score of the patient's assessment on ``visit_date`` from
        every grade of that visit's pairs. Returns the assessment (as saved), what happened
        in words, and the score it had before (``"3"``, ``"3 (unblinded)"`` or ``""``)."""
        day = format_uk(visit_date)
        found = [
            a for a in self.assessment_rows.for_patient(patient_id) if a.visit_date == visit_date
        ]
        if not found:
            return (
                None,
                f"There is no assessment on {day}, so the grade is kept but no photo score "
                "is recorded.",
                "",
            )
        current = found[0]
        grades = list(first_grades(self.repo.for_after_visit(patient_id, visit_date)).values())
        score = combined_score([g.score for g in grades])
        assert score is not None  # the grade just stored is among them
        details = current.details
        previous = (
            ""
            if details.global_photo_score is None
            else f"{details.global_photo_score}"
            + ("" if details.photo_score_blinded else " (unblinded)")
        )
        how = f"the mean of {len(grades)} grades, rounded" if len(grades) > 1 else "this grade"
        if details.global_photo_score == score and details.photo_score_blinded:
            return (
                current,
                f"The assessment of {day} keeps its blinded photo score {score_label(score)} "
                f"({how}).",
                previous,
            )
        raw = assessment_form(replace(details, global_photo_score=score, photo_score_blinded=True))
        try:
            saved = self.assessments.update(
                user,
                current.id,
                current.version,
                raw,
                [region_form(m) for m in details.regions],
            )
        except ValidationError as exc:
            # The assessment as stored no longer passes today's checks (its own edit form
            # says what to correct): the grade is still kept, the score waits for the fix.
            fields = ", ".join(sorted(exc.errors))
            return (
                None,
                f"The assessment of {day} could not take the score: correct it first "
                f"({fields}); the grade is kept and is used when the next grade is given.",
                previous,
            )
        return (
            saved,
            f"The assessment of {day} now has the blinded photo score {score_label(score)} "
            f"({how}).",
            previous,
        )

    # -- agreement ----------------------------------------------------------------------

    def agreement(self, user: CurrentUser) -> list[GraderAgreement]:
        """Weighted kappa for every two graders who graded the same pairs."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=ENTITY)
        names = self.repo.display_names()
        return [
            GraderAgreement(
                found,
                names.get(found.first_grader_id, "?"),
                names.get(found.second_grader_id, "?"),
            )
            for found in agreements(self.repo.all())
        ]

    # -- helpers --------------------------------------------------------------------------

    def _own_patients(self, user: CurrentUser) -> set[str]:
        """The patients ``user`` may not grade: those they treated, when the clinic has
        another clinician to grade them (alone, a clinician grades their own)."""
        if self.repo.clinician_count() <= 1:
            return set()
        return self.repo.treated_by(user.id)
