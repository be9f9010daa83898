"""Blinded photo grading through the service: who may grade, what a session holds, how grades
are stored and unblinded, how they feed the end-point assessment, and agreement."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest

from clinicdesk.domain.grading import Side, Weights, weighted_kappa
from clinicdesk.domain.photos import View
from clinicdesk.errors import PermissionDenied, UserError, ValidationError
from clinicdesk.services.assessments import AssessmentService
from clinicdesk.services.photo_grading import PhotoGradingService
from clinicdesk.storage.driver import sqlite3
from tests.conftest import Clinic
from tests.services.clinical_setup import TREATED_ON
from tests.services.grading_setup import (
    END_POINT,
    Graded,
    add_clinician,
    treated_patient_with_pairs,
)


@pytest.fixture
def service(clinic: Clinic) -> PhotoGradingService:
    return clinic.services.photo_grading


@pytest.fixture
def graded(clinic: Clinic, tmp_path: Path) -> Graded:
    return treated_patient_with_pairs(clinic, tmp_path / "card")


def audit_rows(clinic: Clinic, entity: str) -> list[tuple[str, str, dict[str, object]]]:
    rows = clinic.services.db.execute(
        "SELECT action, entity_id, detail FROM audit_log WHERE entity = ? ORDER BY seq", [entity]
    ).fetchall()
    return [(a, i, json.loads(d)) for a, i, d in rows]


def test_reception_and_admins_are_refused_and_the_refusal_is_audited(
    clinic: Clinic, service: PhotoGradingService, graded: Graded
) -> None:
    item = service.session(graded.grader).pairs[0]
    for user in (clinic.reception, clinic.admin):
        with pytest.raises(PermissionDenied):
            service.session(user)
        with pytest.raises(PermissionDenied):
            service.grade(user, item, 1)
        with pytest.raises(PermissionDenied):
            service.images(user, item)
    with pytest.raises(PermissionDenied):
        service.agreement(clinic.reception)
    denied = [row for row in audit_rows(clinic, "photo_grade") if row[0] == "denied"]
    assert len(denied) == 7
    assert clinic.services.db.execute("SELECT count(*) FROM photo_grades").fetchone()[0] == 0


def test_a_session_holds_each_view_blinded_and_leaves_out_the_graders_own_patients(
    clinic: Clinic, service: PhotoGradingService, graded: Graded
) -> None:
    session = service.session(graded.grader, random.Random(1))
    assert [item.number for item in session.pairs] == [1, 2]
    assert {item.pair.view for item in session.pairs} == {View.FRONTAL, View.VERTEX}
    for item in session.pairs:
        assert (item.pair.before.visit_date, item.pair.after.visit_date) == (TREATED_ON, END_POINT)
        assert {item.left.id, item.right.id} == {item.pair.before.id, item.pair.after.id}
    assert session.skipped_own == 0
    # The treating clinician is not asked to grade their own patient: another clinician can.
    own = service.session(clinic.clinician)
    assert (len(own.pairs), own.skipped_own, own.skipped_own_patients) == (0, 2, 1)


def test_a_lone_clinician_grades_their_own_patients(
    clinic: Clinic, service: PhotoGradingService, tmp_path: Path
) -> None:
    treated_patient_with_pairs(clinic, tmp_path / "card", grader=False)
    session = service.session(clinic.clinician)
    assert (len(session.pairs), session.skipped_own) == (2, 0)


def test_a_grade_is_stored_per_pair_and_grader_and_unblinded_only_once_given(
    clinic: Clinic, service: PhotoGradingService, graded: Graded
) -> None:
    item = next(
        i
        for seed in range(50)
        for i in service.session(graded.grader, random.Random(seed)).pairs
        if i.before_side is Side.RIGHT
    )
    left, right = service.images(graded.grader, item)
    assert left[:2] == right[:2] == b"\xff\xd8"  # JPEG display copies
    # "The right photo is slightly worse than the left": the right is the before, so the
    # after is slightly better than the before.
    unblinded = service.grade(graded.grader, item, -1)
    assert unblinded.grade.score == 1 and unblinded.grade.shown_score == -1
    assert unblinded.grade.before_side is Side.RIGHT
    assert unblinded.grade.grader_id == graded.grader.id
    assert unblinded.patient_name == graded.patient_name
    assert (unblinded.before_date, unblinded.after_date) == (TREATED_ON, END_POINT)
    row = clinic.services.db.execute(
        "SELECT grader_id, before_photo_id, after_photo_id, before_side, shown_score, score, "
        "site_id, version FROM photo_grades"
    ).fetchone()
    assert tuple(row) == (
        graded.grader.id,
        item.pair.before.id,
        item.pair.after.id,
        "right",
        -1,
        1,
        graded.grader.site_id,
        1,
    )
    # Graded once per grader: the next session no longer holds it, a second grade is refused.
    assert item.pair.key not in {i.pair.key for i in service.session(graded.grader).pairs}
    assert service.session(graded.grader).already_graded == 1
    with pytest.raises(UserError, match="already graded"):
        service.grade(graded.grader, item, 2)
    with pytest.raises(ValidationError):
        service.grade(graded.grader, service.session(graded.grader).pairs[0], 4)
    [created] = [r for r in audit_rows(clinic, "photo_grade") if r[0] == "create"]
    assert created[2]["patient"] == graded.patient_id


def test_the_schema_keeps_the_grade_consistent_with_the_side_shown(
    clinic: Clinic, service: PhotoGradingService, graded: Graded
) -> None:
    item = service.session(graded.grader).pairs[0]
    grade = service.grade(graded.grader, item, 2).grade
    with pytest.raises(sqlite3.IntegrityError):
        clinic.services.db.execute(
            "UPDATE photo_grades SET score = -score WHERE id = ? AND score != 0", [grade.id]
        )


def test_grades_feed_the_end_point_assessments_blinded_photo_score_through_the_audited_edit(
    clinic: Clinic, service: PhotoGradingService, graded: Graded
) -> None:
    before = clinic.services.assessments.get(clinic.clinician, graded.assessment_id)
    assert (before.details.global_photo_score, before.details.photo_score_blinded) == (1, False)
    first, second = sorted(
        service.session(graded.grader).pairs, key=lambda i: list(View).index(i.pair.view)
    )

    def shown_for(item_score: int, side: Side) -> int:
        return item_score if side is Side.LEFT else -item_score

    unblinded = service.grade(graded.grader, first, shown_for(3, first.before_side))
    assessment = clinic.services.assessments.get(clinic.clinician, graded.assessment_id)
    assert (assessment.details.global_photo_score, assessment.details.photo_score_blinded) == (
        3,
        True,
    )
    assert assessment.details.regions == before.details.regions  # nothing else changed
    assert unblinded.recorded_score == 3 and "+3 Greatly improved" in unblinded.note
    updates = [r for r in audit_rows(clinic, "assessment") if r[0] == "update"]
    assert updates[-1][2]["fields"] == ["global_photo_score", "photo_score_blinded"]
    grade_entry = [r for r in audit_rows(clinic, "photo_grade") if r[0] == "create"][-1][2]
    assert grade_entry["previous_photo_score"] == "1 (unblinded)"
    assert grade_entry["assessment"] == graded.assessment_id

    # The vertex looks no different: the visit's grades are averaged, (3 + 0) / 2 -> +2
    # (rounded half away from zero); a second grader's +1 and +1 make (3 + 0 + 1 + 1) / 4 -> +1.
    service.grade(graded.grader, second, 0)
    assert (
        clinic.services.assessments.get(
            clinic.clinician, graded.assessment_id
        ).details.global_photo_score
        == 2
    )
    other = add_clinician(clinic, "second", "Dr Sol Second")
    for item in service.session(other).pairs:
        service.grade(other, item, shown_for(1, item.before_side))
    assert (
        clinic.services.assessments.get(
            clinic.clinician, graded.assessment_id
        ).details.global_photo_score
        == 1
    )


def test_a_visit_without_an_assessment_keeps_the_grade_and_says_nothing_was_recorded(
    clinic: Clinic, service: PhotoGradingService, graded: Graded
) -> None:
    current = clinic.services.assessments.get(clinic.clinician, graded.assessment_id)
    clinic.services.assessments.archive(clinic.clinician, current.id, current.version)
    item = service.session(graded.grader).pairs[0]
    unblinded = service.grade(graded.grader, item, 1)
    assert unblinded.assessment_id is None and unblinded.recorded_score is None
    assert "no assessment on 10/09/2025" in unblinded.note
    assert clinic.services.db.execute("SELECT count(*) FROM photo_grades").fetchone()[0] == 1


def test_agreement_between_two_graders_of_the_same_pairs(
    clinic: Clinic, service: PhotoGradingService, graded: Graded
) -> None:
    other = add_clinician(clinic, "second", "Dr Sol Second")
    answers = {View.FRONTAL: (2, 1), View.VERTEX: (0, 0)}  # after against before
    for index, grader in enumerate((graded.grader, other)):
        for item in service.session(grader).pairs:
            score = answers[item.pair.view][index]
            service.grade(grader, item, score if item.before_side is Side.LEFT else -score)
    [found] = service.agreement(clinic.admin)  # admins may see the agreement
    assert {found.first_name, found.second_name} == {"Dr Gina Grader", "Dr Sol Second"}
    assert (found.agreement.pairs, found.agreement.identical) == (2, 1)
    assert found.agreement.quadratic == pytest.approx(
        weighted_kappa([(2, 1), (0, 0)], Weights.QUADRATIC)
    )


def test_an_assessment_that_no_longer_passes_its_checks_keeps_its_score_and_the_grade_is_kept(
    clinic: Clinic, graded: Graded
) -> None:
    # A workstation whose clock is behind the visit: the assessment's own edit would refuse
    # its date ("in the future"); the grade must not be lost for it.
    services = clinic.services
    behind = AssessmentService(services.db, lambda: date(2025, 9, 1))
    service = PhotoGradingService(services.db, services.photos, behind)
    unblinded = service.grade(graded.grader, service.session(graded.grader).pairs[0], 2)
    assert "could not take the score" in unblinded.note and "visit_date" in unblinded.note
    assert unblinded.assessment_id is None
    assert services.db.execute("SELECT count(*) FROM photo_grades").fetchone()[0] == 1
    kept = services.assessments.get(clinic.clinician, graded.assessment_id)
    assert (kept.details.global_photo_score, kept.details.photo_score_blinded) == (1, False)
