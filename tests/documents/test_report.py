"""The progress report's rendering, from data made by hand (no database): what the pages say,
read back with pypdf, and what they embed."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from clinicdesk.documents.layout import ClinicDetails, PatientIdentity
from clinicdesk.documents.plain_words import plain_change, plain_number
from clinicdesk.documents.report import DOCUMENT_ID, render_progress_report, report_hash
from clinicdesk.documents.report_data import (
    AdverseEventLine,
    FollowUpLine,
    MissingPair,
    PhotoPair,
    ProgressReportData,
    TreatmentLine,
)
from clinicdesk.domain.assessments import (
    Assessment,
    AssessmentDetails,
    Change,
    Region,
    RegionMeasurement,
    changes_from_baseline,
)
from clinicdesk.domain.clinical import (
    AdverseEventOutcome,
    AdverseEventType,
    Severity,
    TreatedZone,
)
from clinicdesk.domain.follow_ups import FollowUpKind, FollowUpStatus
from clinicdesk.domain.ids import PatientId, SiteId, UserId
from clinicdesk.domain.photos import View
from tests.media import images

TREATED_ON = date(2025, 3, 10)
PATIENT = PatientIdentity("Zoë Ångström-Nić", date(1980, 2, 29), "9434765919")


def measured(region: Region, total: float, diameter: float, site: str = "") -> RegionMeasurement:
    return RegionMeasurement(
        region=region,
        total_density=total,
        terminal_density=round(total * 0.8, 1),
        vellus_density=round(total * 0.15, 1),
        mean_diameter_um=diameter,
        thin_hairs_pct=18.0,
        fu_density=round(total / 2, 1),
        hairs_per_fu=2.0,
        measurement_site=site,
    )


def visit(day: date, *regions: RegionMeasurement) -> Assessment:
    return Assessment(
        id=f"a-{day.isoformat()}",
        patient_id=PatientId("p-1"),
        details=AssessmentDetails(visit_date=day, regions=regions),
        version=1,
        site_id=SiteId("s-1"),
        created_at=f"{day.isoformat()}T09:00:00.000Z",
        updated_at=f"{day.isoformat()}T09:00:00.000Z",
        created_by=UserId("u-1"),
        updated_by=UserId("u-1"),
    )


def course(
    *, days: tuple[date, ...] = (), photo_pairs: tuple[PhotoPair, ...] = ()
) -> list[Assessment]:
    """Baseline on the treatment day; frontal 120 -> 131 and vertex 160 -> 151 by 10/09."""
    later = days or (date(2025, 6, 10), date(2025, 9, 10))
    frontal = (120.0, *(120.0 + 11.0 * (n + 1) / len(later) for n in range(len(later))))
    vertex = (160.0, *(160.0 - 9.0 * (n + 1) / len(later) for n in range(len(later))))
    return [
        visit(
            day,
            measured(Region.FRONTAL, frontal[n], 55.0 + 1.5 * n / len(later), "hairline + 2 cm"),
            measured(Region.VERTEX, vertex[n], 60.0, "whorl"),
            measured(Region.OCCIPITAL, 200.0, 70.0, "protuberance + 2 cm"),
        )
        for n, day in enumerate((TREATED_ON, *later))
    ]


def report_data(assessments: list[Assessment], **changes: object) -> ProgressReportData:
    data = ProgressReportData(
        clinic=ClinicDetails("Hair & Scalp <Clinic>", "Main clinic"),
        patient=PATIENT,
        prepared_on=date(2025, 9, 20),
        prepared_by="Dr Cara Clinician",
        treatments=(
            TreatmentLine(
                TREATED_ON,
                "Main clinic",
                "Dr Cara Clinician",
                (TreatedZone.FRONTAL,),
                3,
                2.5,
                "Rigenera HBW",
                "KIT-2025-001",
            ),
        ),
        follow_ups=(
            FollowUpLine(
                TREATED_ON, FollowUpKind.MONTH_1, date(2025, 4, 10), FollowUpStatus.ATTENDED
            ),
            FollowUpLine(
                TREATED_ON, FollowUpKind.MONTH_3, date(2025, 6, 10), FollowUpStatus.DID_NOT_ATTEND
            ),
            FollowUpLine(
                TREATED_ON, FollowUpKind.MONTH_6, date(2025, 9, 10), FollowUpStatus.ATTENDED
            ),
            FollowUpLine(
                TREATED_ON, FollowUpKind.MONTH_12, date(2026, 3, 10), FollowUpStatus.NOT_BOOKED
            ),
        ),
        assessments=tuple(assessments),
        changes=changes_from_baseline(assessments, TREATED_ON),
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def text_of(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace (line breaks too) as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_clinical_tables_show_each_region_visit_and_change_against_the_baseline() -> None:
    text = text_of(render_progress_report(report_data(course()), "clinical"))
    assert PATIENT.name in text
    # Frontal density 120.0 -> 125.5 -> 131.0: +5.5 (+4.6%) then +11.0 (11/120 = +9.2%).
    assert "125.5 +5.5 (+4.6%)" in text
    assert "131.0 +11.0 (+9.2%)" in text
    # Vertex 160.0 -> 151.0 is -9.0 (-5.6%): a fall is shown like a gain.
    assert "151.0 -9.0 (-5.6%)" in text
    # Every region measured has its table, treated or not, the reference included.
    for title in ("Frontal (treated)", "Vertex (not treated)", "Occipital (reference)"):
        assert title in text
    assert "Baseline: the assessment of 10/03/2025" in text
    assert "Attended 2 of the 3 follow-ups due so far." in text
    assert "favourable response in 66%" in text and "4.5 to 7.1 hairs/cm²" in text


def test_patient_flavour_says_it_in_plain_words() -> None:
    text = text_of(render_progress_report(report_data(course()), "patient"))
    assert "Your hair density at the front went from 120 to 131 hairs per cm² (up 9%)" in text
    assert (
        "Your hair density at the crown, which was not treated, went from 160 to 151 hairs per "
        "cm² (down 6%)" in text
    )
    assert "the average thickness of your hairs went from 55 to 56.5 µm (up 3%)" in text
    assert "at the back of your head stayed at 200 hairs per cm²" in text
    assert "about two in three (66%)" in text
    assert "You have come to 2 of the 3 check-ups due so far." in text
    for jargon in ("trichoscopy", "baseline", "vellus", "follicular"):
        assert jargon not in text.lower()


def test_the_same_data_gives_the_same_bytes_and_other_data_another_hash() -> None:
    data = report_data(course())
    assert render_progress_report(data, "clinical") == render_progress_report(data, "clinical")
    assert report_hash(data, "clinical") != report_hash(data, "patient")
    commented = replace(data, comment="A note.")
    assert report_hash(commented, "clinical") != report_hash(data, "clinical")
    stamp = f"{DOCUMENT_ID} v1 · sha256 {report_hash(data, 'clinical')[:12]}"
    assert stamp in text_of(render_progress_report(data, "clinical"))


def test_names_and_comments_are_printed_as_typed_never_as_markup() -> None:
    comment = 'Keep <b>minoxidil</b> & review <img src="/etc/passwd"/>.\nSecond line.'
    data = report_data(course(), comment=comment)
    for flavour in ("clinical", "patient"):
        text = text_of(render_progress_report(data, flavour))
        assert 'Keep <b>minoxidil</b> & review <img src="/etc/passwd"/>.' in text
        assert "Second line." in text
        assert "Hair & Scalp <Clinic>" in text


def test_every_visit_appears_when_there_are_more_than_one_table_holds() -> None:
    days = tuple(date(2025, month, 10) for month in range(4, 12))  # eight later visits
    text = text_of(render_progress_report(report_data(course(days=days)), "clinical"))
    for day in days:
        assert day.strftime("%d/%m/%Y") in text
    assert "Frontal (treated), continued" in text
    assert "131.0 +11.0 (+9.2%)" in text  # the last visit, in the second table


def test_without_a_baseline_the_report_says_no_change_can_be_calculated() -> None:
    later = [a for a in course() if a.visit_date > TREATED_ON]
    data = report_data(later)
    clinical = text_of(render_progress_report(data, "clinical"))
    assert "there is no baseline and no change can be calculated" in clinical
    assert "(+" not in clinical  # no change is made up
    patient = text_of(render_progress_report(data, "patient"))
    assert "There is no measurement from before your treatment" in patient


def test_photo_pairs_are_captioned_with_their_view_and_dates() -> None:
    photo = images.jpeg((400, 300))
    pairs = (PhotoPair(View.VERTEX, TREATED_ON, photo, date(2025, 9, 10), photo),)
    missing = (MissingPair(View.FRONTAL, "no photograph since the treatment yet"),)
    data = report_data(course(), photo_pairs=pairs, missing_pairs=missing)
    text = text_of(render_progress_report(data, "clinical"))
    assert "Vertex: baseline, 10/03/2025" in text and "Vertex: latest, 10/09/2025" in text
    assert "Frontal: no photograph since the treatment yet." in text
    patient = text_of(render_progress_report(data, "patient"))
    assert "Crown, from above: before, 10/03/2025" in patient


def test_plain_numbers_and_changes() -> None:
    assert [plain_number(v) for v in (120.0, 56.5, 0.04)] == ["120", "56.5", "0"]
    assert plain_change(Change(120.0, 131.0)) == "up 9%"
    assert plain_change(Change(160.0, 151.0)) == "down 6%"
    assert plain_change(Change(200.0, 200.6)) == "up less than 1%"
    assert plain_change(Change(100.0, 100.5)) == "up 1%"  # halves round up, not to even
    assert plain_change(Change(70.0, 70.0)) == "no change"
    assert plain_change(Change(0.0, 3.0)) == "up 3"  # no per cent of nothing
    # Where a result is judged against a 5% threshold: 4.9% is not rounded up to 5%.
    assert plain_change(Change(108.5, 113.8), 1) == "up 4.9%"
    assert plain_change(Change(200.0, 200.1), 1) == "up less than 0.1%"


def test_an_unknown_flavour_is_refused() -> None:
    with pytest.raises(ValueError, match="flavour"):
        render_progress_report(report_data(course()), "marketing")  # type: ignore[arg-type]


def test_a_portrait_photo_keeps_its_shape() -> None:
    portrait = io.BytesIO()
    Image.new("RGB", (300, 400), "grey").save(portrait, "JPEG")
    pair = PhotoPair(
        View.FRONTAL, TREATED_ON, portrait.getvalue(), date(2025, 9, 10), images.jpeg()
    )
    reader = PdfReader(
        io.BytesIO(render_progress_report(report_data(course(), photo_pairs=(pair,)), "clinical"))
    )
    shapes = {
        (image.image.width, image.image.height)
        for page in reader.pages
        for image in page.images
        if image.image is not None
    }
    assert (300, 400) in shapes


# -- issue 15: complete and plainly honest -------------------------------------------------


def after(text: str, heading: str) -> str:
    """What the report says after ``heading`` (its first occurrence)."""
    assert heading in text, heading
    return text.split(heading, 1)[1].strip()


def frontal_course(*values: tuple[date, float, float]) -> list[Assessment]:
    """The frontal region (the treated one) at each (day, total density, diameter), with the
    occipital reference unchanged."""
    return [
        visit(
            day,
            measured(Region.FRONTAL, total, diameter, "hairline + 2 cm"),
            measured(Region.OCCIPITAL, 200.0, 70.0, "protuberance + 2 cm"),
        )
        for day, total, diameter in values
    ]


SIX_MONTHS = date(2025, 9, 10)
NOT_RESPONDING = frontal_course(
    (TREATED_ON, 120.0, 55.0), (date(2025, 6, 10), 121.0, 55.0), (SIX_MONTHS, 121.0, 54.8)
)
EVENTS = (
    AdverseEventLine(
        TREATED_ON,
        AdverseEventType.SHEDDING,
        date(2025, 3, 31),
        Severity.MILD,
        AdverseEventOutcome.ONGOING,
        description="Diffuse shedding in the treated area",
    ),
    AdverseEventLine(
        TREATED_ON,
        AdverseEventType.DONOR_SITE_INFECTION,
        date(2025, 3, 15),
        Severity.MODERATE,
        AdverseEventOutcome.RESOLVED,
        outcome_on=date(2025, 3, 28),
        action_taken="Flucloxacillin for 7 days",
    ),
)


def test_adverse_events_are_listed_with_onset_and_outcome_in_both_flavours() -> None:
    data = report_data(course(), adverse_events=EVENTS)
    clinical = text_of(render_progress_report(data, "clinical"))
    events = after(clinical, "Adverse events Event")
    assert "Shedding 31/03/2025 day 21 after the treatment Mild Ongoing" in events
    assert "Donor-site infection 15/03/2025 day 5 after the treatment Moderate Resolved, " in events
    assert "28/03/2025 Action: Flucloxacillin for 7 days." in events
    assert "Adverse events: 2 recorded (shedding, ongoing; donor-site infection, resolved)" in (
        clinical
    )
    patient = text_of(render_progress_report(data, "patient"))
    assert "Hair shedding, mild, from 31 March 2025: still going on" in patient
    assert (
        "An infection where the small skin samples were taken, moderate, from 15 March 2025: "
        "cleared up by 28 March 2025." in patient
    )
    for flavour in ("clinical", "patient"):
        text = text_of(render_progress_report(report_data(course()), flavour))
        heading = "Adverse events" if flavour == "clinical" else "Side effects and problems"
        assert after(text, f"{heading} None recorded.")
        assert "Adverse events: none recorded." in text or flavour == "patient"


def test_ongoing_shedding_in_the_first_months_is_explained_as_expected() -> None:
    early = report_data(course(), adverse_events=EVENTS[:1], prepared_on=date(2025, 5, 1))
    patient = text_of(render_progress_report(early, "patient"))
    assert "Some hair shedding in the first weeks and months after the treatment is expected" in (
        patient
    )
    assert "It does not mean the treatment has failed." in patient
    clinical = text_of(render_progress_report(early, "clinical"))
    assert "Ongoing shedding within the first months after treatment is expected" in clinical
    # Still going on at six months: not the usual kind, and not called expected.
    late = text_of(
        render_progress_report(report_data(course(), adverse_events=EVENTS[:1]), "patient")
    )
    assert "is expected" not in late
    assert "not the usual temporary shedding: please talk to your clinician" in late


def test_a_responder_s_summary_says_responded_per_region_with_the_rule() -> None:
    data = report_data(course())  # frontal terminal 96.0 -> 104.8 (+9.2%), diameter +2.7%
    clinical = after(text_of(render_progress_report(data, "clinical")), "Summary")
    assert clinical.startswith("Result at the primary end point (6 months): Responded.")
    assert "End-point visit: 10/09/2025 (6 months after the treatment)." in clinical
    assert "Frontal (main region): responded. Terminal density 96.0 → 104.8 hairs/cm², " in (
        clinical
    )
    assert "at least 5% from the baseline" in clinical  # the rule, with the threshold
    assert "Zari 2021: favourable response in 66% (frontal)" in clinical
    patient = after(text_of(render_progress_report(data, "patient")), "Your result")
    assert patient.startswith("Your measurements have improved.")
    assert "the number of thicker hairs at the front went from 96 to 104.8 per cm² (up 9.2%)" in (
        patient
    )
    assert "gone up by at least 5%" in patient  # the rule in plain words


def test_the_clinic_s_threshold_decides_and_is_printed() -> None:
    data = report_data(course(), threshold_percent=10.0)  # +9.2% is short of 10%
    clinical = after(text_of(render_progress_report(data, "clinical")), "Summary")
    assert clinical.startswith("Result at the primary end point (6 months): Did not respond.")
    assert "at least 10% from the baseline" in clinical


def test_a_non_responder_is_told_plainly_in_the_first_paragraph() -> None:
    data = report_data(NOT_RESPONDING)
    clinical = after(text_of(render_progress_report(data, "clinical")), "Summary")
    assert clinical.startswith("Result at the primary end point (6 months): Did not respond.")
    assert "Frontal (main region): did not respond." in clinical
    patient = after(text_of(render_progress_report(data, "patient")), "Your result")
    first = patient.split(" Area by area:")[0].split(" How we judge the result:")[0]
    assert first.startswith(
        "We are sorry to tell you that your measurements have not improved enough to show "
        "that the treatment has worked for you."
    )
    assert (
        "the number of thicker hairs at the front went from 96 to 96.8 per cm² (up 0.8%)" in first
    )
    assert "about 1 in 3 people did not respond" in first
    assert "your clinician, Dr Cara Clinician, will talk them through with you" in first
    for option in ("minoxidil", "finasteride", "a hair transplant", "no further treatment"):
        assert option in first


def test_a_three_month_patient_is_too_early_to_tell_and_told_when_the_main_assessment_is() -> None:
    three = [a for a in course() if a.visit_date <= date(2025, 6, 10)]
    data = report_data(three, prepared_on=date(2025, 6, 20))
    clinical = after(text_of(render_progress_report(data, "clinical")), "Summary")
    assert clinical.startswith("Result at the primary end point (6 months): Too early to tell.")
    assert "the main assessment is at 6 months, due on 10/09/2025" in clinical
    patient = after(text_of(render_progress_report(data, "patient")), "Your result")
    assert patient.startswith(
        "It is too early to tell whether your treatment has worked. The main assessment is at "
        "6 months after the treatment: your 6-month check-up is due on 10 September 2025."
    )
    # Missed the whole window: said as such, not as too early.
    lapsed = report_data(three, prepared_on=date(2025, 12, 1))
    text = after(text_of(render_progress_report(lapsed, "clinical")), "Summary")
    assert text.startswith("Result at the primary end point (6 months): No 6-month visit.")


def test_percentage_measures_change_in_percentage_points_only() -> None:
    assessments = course()
    thinner = []
    for a, thin in zip(assessments, (18.0, 19.5, 21.0), strict=True):
        regions = tuple(replace(m, thin_hairs_pct=thin) for m in a.details.regions)
        thinner.append(replace(a, details=replace(a.details, regions=regions)))
    text = text_of(render_progress_report(report_data(thinner), "clinical"))
    assert "21.0 +3.0 percentage points" in text
    assert "+16.7%" not in text  # 3/18: a per cent of a per cent
    assert "19.5 +1.5 percentage points" in text


def test_visits_are_named_by_the_schedule_and_the_time_since_treatment() -> None:
    days = (date(2025, 3, 17), date(2025, 6, 10), date(2025, 7, 12), SIX_MONTHS)
    text = text_of(render_progress_report(report_data(course(days=days)), "clinical"))
    for label in (
        "10/03/2025 baseline",
        "17/03/2025 1 week",
        "10/06/2025 3 months",
        "12/07/2025 4 months",  # off the schedule: the nearest whole month
        "10/09/2025 6 months — primary end point",
    ):
        assert label in text
    assert not re.search(r"\bday \d+", text)  # not days since the baseline ("day 92")


def test_the_clinical_flavour_holds_the_rest_of_the_record() -> None:
    assessments = course()
    later = assessments[-1]
    frontal = replace(later.details.regions[0], hair_mass=7.4)
    details = replace(
        later.details,
        regions=(frontal, *later.details.regions[1:]),
        pull_test_pulled=3,
        pull_test_of=60,
        satisfaction=7,
        global_photo_score=2,
        photo_score_blinded=True,
    )
    assessments[-1] = replace(later, details=details)
    [treatment] = report_data(assessments).treatments
    with_anaesthetic = replace(
        treatment, anaesthetic="Lidocaine 2% with adrenaline, 4 mL", anaesthetic_lot="LD7731"
    )
    data = report_data(assessments, treatments=(with_anaesthetic,))
    text = text_of(render_progress_report(data, "clinical"))
    assert "Rigenera HBW, lot KIT-2025-001" in text
    assert "Lidocaine 2% with adrenaline, 4 mL, lot LD7731" in text
    assert "Pull test (hairs pulled) — — 3 of 60" in text
    assert "Patient satisfaction (0-10) — — 7" in text
    assert "+2 moderately improved (blinded)" in text
    # Terminal:vellus is 0.8/0.15 of the total at every visit; frontal/occipital 55/70.
    assert "Terminal:vellus ratio 5.33 5.33 5.33" in text
    assert "Frontal/occipital diameter ratio 0.79" in text
    assert "Hair mass, cumulative thickness (mm/cm²)" in text and "7.4" in text


def test_a_patient_never_treated_is_told_so_first_and_nothing_says_otherwise() -> None:
    visits = [a for a in course() if a.visit_date != date(2025, 6, 10)]
    data = report_data(visits, treatments=(), follow_ups=())
    patient = text_of(render_progress_report(data, "patient"))
    assert after(patient, "Your result").startswith(
        "You have not had a treatment with us yet, so there is no treatment result to show."
    )
    for contradiction in (
        "your treatment,",
        "since your treatment",
        "before your treatment",
        "after the treatment",
        "treatment has worked",
        "6-month check-up",
    ):
        assert contradiction not in patient
    assert "These compare your first measurements, on 10 March 2025, with your latest" in patient
    clinical = text_of(render_progress_report(data, "clinical"))
    assert after(clinical, "Summary").startswith(
        "No treatment has been recorded for this patient, so there is no response to judge."
    )
    assert "Result at the primary end point" not in clinical
    assert "10/09/2025 6 months later" in clinical
