"""The progress report's input: the plain data ``services.reports`` gathers (the treatments,
follow-ups, adverse events, assessments, baseline report and photo pairs), and what the report
reads off it in every section: the visits shown against the baseline, the regions treated and
measured, the follow-ups attended, each treatment's response at the primary end point and the
name of each visit ("3 months", "6 months — primary end point").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from clinicdesk.documents.layout import ClinicDetails, PatientIdentity
from clinicdesk.domain.assessments import Assessment, BaselineReport, Region
from clinicdesk.domain.clinical import AdverseEventOutcome, AdverseEventType, Severity, TreatedZone
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.follow_ups import FollowUpKind, FollowUpStatus, time_since_treatment
from clinicdesk.domain.photos import View
from clinicdesk.domain.response import DEFAULT_THRESHOLD_PERCENT, PatientResponse, patient_response

# -- the input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreatmentLine:
    treated_on: date
    site: str
    clinician: str
    zones: tuple[TreatedZone, ...]
    punches: int
    punch_diameter_mm: float
    kit_name: str
    kit_lot: str
    anaesthetic: str = ""  # name and dose as recorded: "Lidocaine 2% with adrenaline, 4 mL"
    anaesthetic_lot: str = ""


@dataclass(frozen=True)
class AdverseEventLine:
    treated_on: date  # the treatment it is recorded against
    event_type: AdverseEventType
    onset_on: date
    severity: Severity
    outcome: AdverseEventOutcome
    outcome_on: date | None = None
    description: str = ""
    action_taken: str = ""


@dataclass(frozen=True)
class FollowUpLine:
    treated_on: date  # the treatment it follows
    kind: FollowUpKind
    due_on: date
    status: FollowUpStatus


@dataclass(frozen=True)
class PhotoPair:
    """One standard view before (the baseline photo) and after (the latest photo since).
    The JPEGs are upright, downscaled and carry no metadata (``media.ingest``)."""

    view: View
    before_on: date
    before_jpeg: bytes
    after_on: date
    after_jpeg: bytes


@dataclass(frozen=True)
class MissingPair:
    view: View
    reason: str  # "no photo since the treatment", ...


@dataclass(frozen=True)
class ProgressReportData:
    clinic: ClinicDetails
    patient: PatientIdentity
    prepared_on: date
    prepared_by: str  # the clinician's name
    treatments: tuple[TreatmentLine, ...]  # oldest first
    follow_ups: tuple[FollowUpLine, ...]  # by due date
    assessments: tuple[Assessment, ...]  # every assessment, in visit order
    changes: BaselineReport  # the assessment service's baseline report
    photo_pairs: tuple[PhotoPair, ...] = ()
    missing_pairs: tuple[MissingPair, ...] = ()
    comment: str = ""
    adverse_events: tuple[AdverseEventLine, ...] = ()  # by onset
    # The clinic's response threshold (CLINICAL.md "Response categories"), in per cent.
    threshold_percent: float = DEFAULT_THRESHOLD_PERCENT


# -- what every section reads off it ------------------------------------------------------


def shown_visits(data: ProgressReportData) -> tuple[Assessment, ...]:
    """The baseline and every later visit; without a baseline, every assessment."""
    report = data.changes
    if report.baseline is None:
        return data.assessments
    return (report.baseline, *(v.assessment for v in report.visits))


def earlier_visits(data: ProgressReportData) -> list[Assessment]:
    """Assessments before the baseline (pre-treatment history, not part of the comparison)."""
    baseline = data.changes.baseline
    if baseline is None:
        return []
    shown = {a.id for a in shown_visits(data)}
    return [a for a in data.assessments if a.id not in shown]


def treated_regions(data: ProgressReportData) -> set[Region]:
    """The regions that were a treated zone in any treatment (zones and regions share names)."""
    zones = {zone.value for t in data.treatments for zone in t.zones}
    return {region for region in Region if region.value in zones}


def measured_regions(visits: Iterable[Assessment]) -> list[Region]:
    """Every region measured at any of ``visits``, in the usual order."""
    measured = {m.region for a in visits for m in a.details.regions}
    return [r for r in Region if r in measured]


def responses(data: ProgressReportData) -> list[tuple[TreatmentLine, PatientResponse]]:
    """Each treatment (oldest first) with its response at the primary end point, by the
    domain's rule and the clinic's threshold (``domain.response``)."""
    return [
        (
            t,
            patient_response(
                data.assessments,
                t.treated_on,
                [zone.value for zone in t.zones],
                data.threshold_percent,
                data.prepared_on,
            ),
        )
        for t in data.treatments
    ]


def visit_label(data: ProgressReportData, visit: Assessment) -> str:
    """A visit named by the schedule and the time since the treatment before it ("3 months",
    "6 months — primary end point"); the baseline as such. Without a treatment, the time since
    the first assessment."""
    baseline = data.changes.baseline
    if baseline is not None and visit.id == baseline.id:
        return "baseline"
    before = [t.treated_on for t in data.treatments if t.treated_on <= visit.visit_date]
    if not before:
        if data.treatments:
            return "before the treatment"
        if baseline is None or visit.visit_date == baseline.visit_date:
            return "same day" if baseline is not None else ""
        return f"{time_since_treatment(baseline.visit_date, visit.visit_date)} later"
    treated_on = max(before)
    label = time_since_treatment(treated_on, visit.visit_date)
    if len({t.treated_on for t in data.treatments}) > 1:
        label += f" after the treatment of {format_uk(treated_on)}"
    end_points = {r.end_point.id for _, r in responses(data) if r.end_point is not None}
    if visit.id in end_points:
        label += " — primary end point"
    return label


def attendance(data: ProgressReportData) -> tuple[int, int]:
    """(attended, due so far): a follow-up is due once its date has come, unless cancelled;
    one attended early counts as due."""
    attended = sum(f.status is FollowUpStatus.ATTENDED for f in data.follow_ups)
    due = sum(
        f.status is FollowUpStatus.ATTENDED
        or (f.due_on <= data.prepared_on and f.status is not FollowUpStatus.CANCELLED)
        for f in data.follow_ups
    )
    return attended, due
