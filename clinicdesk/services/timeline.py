"""A patient's clinical timeline: every clinical record, newest first, with a one-line title.

The service (``ClinicalService.timeline``) checks the permission and audits the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from clinicdesk.domain.assessments import Assessment, Region
from clinicdesk.domain.clinical import AdverseEvent, Consultation, Treatment
from clinicdesk.domain.follow_ups import FollowUp
from clinicdesk.storage.assessments import AssessmentRepository
from clinicdesk.storage.clinical import ClinicalRepository


class TimelineKind(StrEnum):
    CONSULTATION = "consultation"
    TREATMENT = "treatment"
    ADVERSE_EVENT = "adverse_event"
    FOLLOW_UP = "follow_up"
    ASSESSMENT = "assessment"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


TimelineRecord = Consultation | Treatment | AdverseEvent | FollowUp | Assessment


@dataclass(frozen=True)
class TimelineItem:
    """One entry of a patient's clinical timeline; ``record`` opens it for editing."""

    kind: TimelineKind
    on: date
    title: str
    record: TimelineRecord


def assessment_title(assessment: Assessment) -> str:
    """``Trichoscopy assessment: frontal, vertex, occipital`` and the bedside scores, if any."""
    details = assessment.details
    regions = ", ".join(
        _REGION_NAMES.get(m.region, m.region.label.lower()) for m in details.regions
    )
    title = f"Trichoscopy assessment: {regions or 'no regions'}"
    scores = []
    if details.satisfaction is not None:
        scores.append(f"satisfaction {details.satisfaction}/10")
    if details.global_photo_score is not None:
        blinded = "blinded " if details.photo_score_blinded else ""
        score = details.global_photo_score
        scores.append(f"{blinded}photo score {score:+d}" if score else f"{blinded}photo score 0")
    return f"{title} ({', '.join(scores)})" if scores else title


_REGION_NAMES = {Region.OCCIPITAL: "occipital"}


def clinical_timeline(
    repo: ClinicalRepository, assessments: AssessmentRepository, patient_id: str
) -> list[TimelineItem]:
    """Every consultation, treatment, assessment, adverse event and follow-up of a patient,
    newest first (by date, then by when it was entered)."""
    items: list[tuple[str, TimelineItem]] = []
    for c in repo.consultations(patient_id):
        title = "Consultation" + (
            f" ({c.details.classification_label})" if c.details.classification_scale else ""
        )
        items.append(
            (
                c.info.created_at,
                TimelineItem(TimelineKind.CONSULTATION, c.details.consulted_on, title, c),
            )
        )
    for t in repo.treatments(patient_id):
        zones = ", ".join(z.label for z in t.details.treated_zones)
        items.append(
            (
                t.info.created_at,
                TimelineItem(
                    TimelineKind.TREATMENT,
                    t.details.treated_on,
                    f"Micrograft treatment: {zones}",
                    t,
                ),
            )
        )
    for e in repo.adverse_events(patient_id):
        title = (
            f"Adverse event: {e.details.event_type.label} "
            f"({e.details.severity.label.lower()}, {e.details.outcome.label.lower()})"
        )
        items.append(
            (
                e.info.created_at,
                TimelineItem(TimelineKind.ADVERSE_EVENT, e.details.onset_on, title, e),
            )
        )
    for f in repo.follow_ups(patient_id):
        on = f.booked_at.date() if f.booked_at else f.due_on
        title = f"Follow-up {f.kind.label}: {f.status.label.lower()}"
        items.append((f.info.created_at, TimelineItem(TimelineKind.FOLLOW_UP, on, title, f)))
    for a in assessments.for_patient(patient_id):
        items.append(
            (
                a.created_at,
                TimelineItem(TimelineKind.ASSESSMENT, a.details.visit_date, assessment_title(a), a),
            )
        )
    items.sort(key=lambda pair: (pair[1].on, pair[0]), reverse=True)
    return [item for _, item in items]
