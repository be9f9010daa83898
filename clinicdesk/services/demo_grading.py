"""Demo blinded photo grading: two more clinicians, one of whom has already graded every
before/after pair of the demo photos (the second grader), so signing in as the other and
grading shows the agreement between two graders at once.

Neither treated anyone, so both may grade every pair. The second grader's grade follows the
change in hair density the photo was drawn from (the demo photos follow the trichoscopy of
their region, ``demo_photos``), with a grader's usual scatter: about one grade in three a
point off. Each grade goes through ``PhotoGradingService.grade`` like a real one (stored,
audited, fed into the end-point assessment's blinded photo score). Twenty-odd pairs: cheap.
"""

from __future__ import annotations

import random

from clinicdesk.domain.assessments import Assessment, Region
from clinicdesk.domain.grading import HIGHEST, LOWEST, PhotoPair, Side, blinded
from clinicdesk.domain.roles import Role
from clinicdesk.services.clinic import hash_password
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.demo_photos import REGION_OF_VIEW
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage.assessments import AssessmentRepository
from clinicdesk.storage.database import write_transaction

# username, name, registration: the one who grades first in the demo, then the second grader.
GRADER = ("grader", "Dr Priya Shah", "GMC 7123456")
SECOND_GRADER = ("grader2", "Dr Tom Ellis", "GMC 7234567")
SCATTER = 0.35  # share of grades one point off the density change's

# Per cent change in total density -> the grade a careful eye gives it (upper bounds).
_STEPS = ((-15.0, -3), (-8.0, -2), (-3.0, -1), (4.0, 0), (10.0, 1), (20.0, 2))


def add_demo_graders(
    services: ClinicServices, admin: CurrentUser, password: str, rng: random.Random
) -> int:
    """Add the two grading clinicians (``password``) and the second grader's grades of every
    pair; returns how many pairs were graded."""
    with write_transaction(services.db):
        for username, name, registration in (GRADER, SECOND_GRADER):
            services.clinic.repo.add_user(
                username,
                name,
                Role.CLINICIAN,
                hash_password(password),
                admin.actor,
                registration_number=registration,
            )
    for username, _name, _registration in (GRADER, SECOND_GRADER):
        services.clinic.password_set(username, password)
    grader = services.clinic.user(SECOND_GRADER[0])
    grading = services.photo_grading
    assessments = AssessmentRepository(services.db)
    pairs = grading.all_pairs()
    for item in blinded(pairs, rng):
        score = _grade_of(item.pair, assessments.for_patient(item.pair.patient_id), rng)
        shown = score if item.before_side is Side.LEFT else -score
        grading.grade(grader, item, shown)
    return len(pairs)


def _grade_of(pair: PhotoPair, assessments: list[Assessment], rng: random.Random) -> int:
    region = REGION_OF_VIEW[pair.view]
    by_day = {a.visit_date: a for a in assessments}
    before, after = by_day.get(pair.before.visit_date), by_day.get(pair.after.visit_date)
    measured = [
        a.details.region(region) or a.details.region(Region.FRONTAL) if a else None
        for a in (before, after)
    ]
    score = 0
    if measured[0] is not None and measured[1] is not None and measured[0].total_density:
        change = 100 * (measured[1].total_density / measured[0].total_density - 1)
        score = next((grade for bound, grade in _STEPS if change < bound), HIGHEST)
    if rng.random() < SCATTER:
        score += rng.choice((-1, 1))
    return min(max(score, LOWEST), HIGHEST)
