"""What the progress report's summary box says, in each flavour: the response at the primary
end point per treatment and treated region (CLINICAL.md "Response categories"), with the rule
and the threshold, said technically for the clinician and plainly for the patient (a
non-responder told kindly, with the other options); and what an ongoing shedding event means,
worded for each flavour.
"""

from __future__ import annotations

from reportlab.platypus import Flowable

from clinicdesk.documents.plain_words import PLACES, PLAIN_ZONES, long_date, went
from clinicdesk.documents.report_data import (
    AdverseEventLine,
    ProgressReportData,
    TreatmentLine,
    responses,
)
from clinicdesk.documents.text import para
from clinicdesk.domain.assessments import Change, format_change, format_number
from clinicdesk.domain.clinical import AdverseEventOutcome, AdverseEventType, TreatedZone
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.follow_ups import add_months, time_since_treatment
from clinicdesk.domain.response import (
    PUBLISHED_SOURCE,
    PatientResponse,
    ResponseCategory,
    plain_rule_text,
    rule_text,
)


def clinical_summary(data: ProgressReportData) -> list[Flowable]:
    """The summary box: the response category of each treatment at the primary end point,
    per treated region, with the rule and the threshold; the adverse events in one line."""
    out: list[Flowable] = [para("Summary", "subheading")]
    if not data.treatments:
        out.append(
            para(
                "No treatment has been recorded for this patient, so there is no response to "
                "judge.",
                "body",
            )
        )
    else:
        judged = responses(data)
        for t, response in judged:
            prefix = f"Treatment of {format_uk(t.treated_on)}: " if len(judged) > 1 else ""
            out.append(
                para(
                    f"{prefix}Result at the primary end point (6 months): "
                    f"{response.category.label}.",
                    "table_bold",
                )
            )
            out += [para(text, "body") for text in _clinical_category_lines(response)]
        out.append(para(rule_text(data.threshold_percent), "small"))
        out.append(para(f"Published comparison: {PUBLISHED_SOURCE}.", "small"))
    out.append(para(f"Adverse events: {_adverse_event_count(data)}.", "body"))
    return out


def _clinical_category_lines(response: PatientResponse) -> list[str]:
    start, end = (format_uk(day) for day in response.window)
    category = response.category
    if category is ResponseCategory.TOO_EARLY:
        return [
            f"Too early to tell: the main assessment is at 6 months, due on "
            f"{format_uk(response.due)} (a visit from {start} to {end} counts)."
        ]
    if category is ResponseCategory.NO_END_POINT_VISIT:
        return [
            f"No 6-month visit: no assessment between {start} and {end} (due "
            f"{format_uk(response.due)}), so the response cannot be judged."
        ]
    assert response.end_point is not None
    when = response.end_point.visit_date
    lines = [
        f"End-point visit: {format_uk(when)} "
        f"({time_since_treatment(response.treated_on, when)} after the treatment)."
    ]
    for region in response.regions:
        name = region.region.label
        if region.region == response.main_region:
            name += " (main region)"
        if region.category is ResponseCategory.NOT_MEASURED:
            lines.append(
                f"{name}: not measured both at the baseline and at the end-point visit, so "
                "it cannot be judged."
            )
            continue
        lines.append(
            f"{name}: {region.category.label.lower()}. Terminal density "
            f"{_from_to(region.density, 'hairs/cm²')}; mean shaft diameter "
            f"{_from_to(region.diameter, 'µm')}."
        )
    return lines


def _from_to(change: Change, unit: str) -> str:
    return (
        f"{format_number(change.baseline)} → {format_number(change.value)} {unit}, "
        f"{format_change(change)}"
    )


def _adverse_event_count(data: ProgressReportData) -> str:
    events = data.adverse_events
    if not events:
        return "none recorded"
    kinds = "; ".join(f"{e.event_type.label.lower()}, {e.outcome.label.lower()}" for e in events)
    number = "1 recorded" if len(events) == 1 else f"{len(events)} recorded"
    return f"{number} ({kinds}), listed below"


# Shedding is expected in the first months (CLINICAL.md: "temporary shedding", a material
# risk on the consent form); one still going on after this long is not the usual kind.
EXPECTED_SHEDDING_MONTHS = 4


def shedding_note(data: ProgressReportData, event: AdverseEventLine, *, plain: bool) -> str | None:
    """What an ongoing shedding event means: expected in the first months, to be looked at
    after them. ``None`` for any other event."""
    if event.event_type is not AdverseEventType.SHEDDING:
        return None
    if event.outcome is not AdverseEventOutcome.ONGOING:
        return None
    early = data.prepared_on <= add_months(event.treated_on, EXPECTED_SHEDDING_MONTHS)
    if plain and early:
        return (
            "Some hair shedding in the first weeks and months after the treatment is expected. "
            "It is usually temporary: the hairs that fall are in their resting phase, and new "
            "hairs grow back in the months that follow. It does not mean the treatment has "
            "failed. Tell us if it has not settled by your next check-up."
        )
    if plain:
        return (
            "Shedding that goes on for more than a few months after the treatment is not the "
            "usual temporary shedding: please talk to your clinician about it."
        )
    if early:
        return (
            "Ongoing shedding within the first months after treatment is expected (temporary "
            "telogen shedding, a risk on the consent form); review if it persists beyond "
            f"{EXPECTED_SHEDDING_MONTHS} months."
        )
    return (
        f"Shedding still ongoing more than {EXPECTED_SHEDDING_MONTHS} months after treatment is "
        "beyond the expected temporary shedding: review."
    )


# CLINICAL.md "Consent": the reasonable alternatives, in plain words.
PLAIN_ALTERNATIVES = (
    "minoxidil (a lotion, foam or tablets)",
    "finasteride or dutasteride tablets (for men)",
    "anti-androgen tablets such as spironolactone (for some women)",
    "platelet-rich plasma (PRP) injections",
    "low-level laser treatment",
    "a hair transplant",
    "camouflage products",
    "or no further treatment",
)
PLAIN_CATEGORIES = {
    ResponseCategory.RESPONDED: "responded",
    ResponseCategory.NOT_RESPONDED: "did not respond",
    ResponseCategory.NOT_MEASURED: "was not measured at both check-ups",
}


def patient_summary(data: ProgressReportData) -> list[tuple[str, str]]:
    """The patient's summary box as (text, style) paragraphs; the first says the result (or
    that there is no treatment) plainly. With several treatments, the latest comes first."""
    if not data.treatments:
        first = "You have not had a treatment with us yet, so there is no treatment result to show."
        if data.assessments:
            first += " This report shows the measurements of your scalp taken so far."
        return [(first, "body")]
    judged = responses(data)
    out: list[tuple[str, str]] = []
    for t, response in reversed(judged):
        text = _plain_result(t, response)
        if len(judged) > 1:
            text = f"About your treatment of {long_date(t.treated_on)}: {text}"
        out.append((text, "body"))
        if (areas := _plain_areas(response)) is not None:
            out.append((areas, "body"))
    out.append((plain_rule_text(data.threshold_percent), "small"))
    return out


def _plain_result(t: TreatmentLine, response: PatientResponse) -> str:
    category = response.category
    due = long_date(response.due)
    if category is ResponseCategory.TOO_EARLY:
        return (
            "It is too early to tell whether your treatment has worked. The main assessment "
            f"is at 6 months after the treatment: your 6-month check-up is due on {due}. Hair "
            "grows slowly, so changes before then say little about your final result."
        )
    if category is ResponseCategory.NO_END_POINT_VISIT:
        return (
            "We cannot tell whether your treatment has worked, because there is no "
            "measurement from your 6-month check-up (the main assessment, due on "
            f"{due}). If you would like your result measured, please contact the clinic."
        )
    assert response.end_point is not None
    when = long_date(response.end_point.visit_date)
    main = response.region(response.main_region) if response.main_region else None
    if category is ResponseCategory.NOT_MEASURED or main is None:
        area = PLACES[response.main_region] if response.main_region else "in the area treated"
        return (
            "We cannot tell whether your treatment has worked: your scalp "
            f"{area} was not measured both before your treatment and at your 6-month "
            f"check-up on {when}. Your clinician can explain what this means for you."
        )
    place = PLACES[main.region]
    measured = (
        f"At your 6-month check-up on {when}, the number of thicker hairs {place} "
        f"{went(main.density, 'per cm²', 1)}, and their average thickness "
        f"{went(main.diameter, 'µm', 1)}."
    )
    if category is ResponseCategory.RESPONDED:
        return (
            f"Your measurements have improved. {measured} By the measure we use, the treatment "
            "has worked for you. Gains from this treatment are usually modest and differ from "
            "person to person: in the published study, about 2 in 3 people responded."
        )
    clinician = f"your clinician, {t.clinician}," if t.clinician else "your clinician"
    return (
        "We are sorry to tell you that your measurements have not improved enough to show "
        f"that the treatment has worked for you. {measured} This is not unusual: in the "
        "published study, about 1 in 3 people did not respond to this treatment. There are "
        f"other options, and {clinician} will talk them through with you: "
        f"{', '.join(PLAIN_ALTERNATIVES)}."
    )


def _plain_areas(response: PatientResponse) -> str | None:
    """Each treated area's result, when more than one was treated and measured."""
    if response.end_point is None or len(response.regions) < 2:
        return None
    parts = [
        f"{PLAIN_ZONES[TreatedZone(r.region.value)]} {PLAIN_CATEGORIES[r.category]}"
        for r in response.regions
    ]
    return f"Area by area: {'; '.join(parts)}."
