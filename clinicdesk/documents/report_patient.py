"""The patient flavour's sections of the progress report in plain words: the treatment and
the check-ups attended, the side effects, and a sentence per region measured ("Your hair density
at the crown went from 120 to 131 hairs per cm² (up 9%)"), a fall said as plainly as a gain.
"""

from __future__ import annotations

from datetime import date

from reportlab.platypus import Flowable

from clinicdesk.documents.plain_words import PLACES, PLAIN_ZONES, join_words, long_date, went
from clinicdesk.documents.report_data import (
    AdverseEventLine,
    ProgressReportData,
    attendance,
    measured_regions,
    shown_visits,
    treated_regions,
)
from clinicdesk.documents.report_summary import shedding_note
from clinicdesk.documents.text import para
from clinicdesk.domain.assessments import Region
from clinicdesk.domain.clinical import AdverseEventOutcome, AdverseEventType
from clinicdesk.domain.follow_ups import time_since_treatment


def plain_adverse_events(data: ProgressReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Side effects and problems", "heading")]
    if not data.adverse_events:
        return [*out, para("None recorded.", "body")]
    notes: list[str] = []
    for event in data.adverse_events:
        what = PLAIN_EVENTS[event.event_type]
        if event.event_type is AdverseEventType.OTHER and event.description:
            what += f" ({event.description})"
        text = f"{what}, {event.severity.label.lower()}, from {long_date(event.onset_on)}: "
        text += _plain_outcome(event) + "."
        out.append(para(text, "body"))
        if (note := shedding_note(data, event, plain=True)) is not None and note not in notes:
            notes.append(note)
    return out + [para(note, "body") for note in notes]


PLAIN_EVENTS = {
    AdverseEventType.DONOR_SITE_INFECTION: "An infection where the small skin samples were taken",
    AdverseEventType.SCARRING_KELOID: "Scarring where the small skin samples were taken",
    AdverseEventType.SHEDDING: "Hair shedding",
    AdverseEventType.HEADACHE: "Headache",
    AdverseEventType.ANAESTHETIC_REACTION: "A reaction to the local anaesthetic",
    AdverseEventType.OTHER: "Another problem",
}


def _plain_outcome(event: AdverseEventLine) -> str:
    by = f" by {long_date(event.outcome_on)}" if event.outcome_on is not None else ""
    if event.outcome is AdverseEventOutcome.ONGOING:
        return "still going on when this report was prepared"
    if event.outcome is AdverseEventOutcome.RESOLVED:
        return f"cleared up{by}"
    return f"cleared up{by}, with some lasting effects"


def plain_treatments(data: ProgressReportData) -> list[str]:
    if not data.treatments:
        return ["No treatment has been recorded yet."]
    lines = []
    for t in data.treatments:
        zones = join_words([PLAIN_ZONES[z] for z in t.zones])
        lines.append(
            f"You had a micrograft treatment on {long_date(t.treated_on)} at {t.site}, "
            f"with {t.clinician}, to {zones}."
        )
    attended, due = attendance(data)
    if due:
        lines.append(f"You have come to {attended} of the {due} check-ups due so far.")
    return lines


def plain_results(data: ProgressReportData) -> list[str]:
    report = data.changes
    if report.baseline is None:
        if not data.assessments:
            return ["Your scalp has not been measured yet."]
        return [
            "There is no measurement from before your treatment, so we cannot show how your "
            "hair has changed."
        ]
    first = long_date(report.baseline.visit_date)
    treated_on = report.treatment_date if data.treatments else None
    if not report.visits:
        when = f"on {first}, before your treatment" if treated_on else f"on {first}"
        return [
            f"Your scalp was measured {when}. There has been no measurement since, so there is "
            "no change to show yet."
        ]
    latest = report.visits[-1].assessment.visit_date
    if treated_on is not None:
        since = time_since_treatment(treated_on, latest)
        compared = (
            f"These compare your measurements of {first}, before your treatment, with your "
            f"latest, on {long_date(latest)} ({since} after the treatment)."
        )
    else:
        compared = (
            f"These compare your first measurements, on {first}, with your latest, on "
            f"{long_date(latest)}."
        )
    lines = [
        f"{compared} Density is the number of hairs in one square centimetre of scalp; "
        "thickness is the average width of a hair, in micrometres (µm, thousandths of a "
        "millimetre)."
    ]
    for region in measured_regions(shown_visits(data)):
        lines.append(_plain_region(data, region, latest))
    if any(r.is_reference for r in measured_regions(shown_visits(data))):
        lines.append(
            "The back of your head is not treated. We measure it for comparison: a change "
            "there shows how much measurements vary on their own."
        )
    return lines


def _plain_region(data: ProgressReportData, region: Region, latest: date) -> str:
    report = data.changes
    place = PLACES[region]
    if data.treatments and not region.is_reference and region not in treated_regions(data):
        place += ", which was not treated,"
    changes = [(v.assessment.visit_date, c) for v in report.visits if (c := v.region(region))]
    if not changes:
        assert report.baseline is not None
        before = "before your treatment" if data.treatments else "at your first visit"
        if report.baseline.details.region(region) is None:
            return (
                f"Your scalp {place} was not measured {before}, so we cannot show a change there."
            )
        since = "your treatment" if data.treatments else "your first visit"
        return f"Your scalp {place} has not been measured again since {since}."
    when, last = changes[-1]
    density, thickness = last.changes["total_density"], last.changes["mean_diameter_um"]
    text = (
        f"Your hair density {place} {went(density, 'hairs per cm²')}, and the average "
        f"thickness of your hairs {went(thickness, 'µm')}."
    )
    if when != latest:
        text += f" (This area was last measured on {long_date(when)}.)"
    return text
