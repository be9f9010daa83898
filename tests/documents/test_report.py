"""The progress report's rendering, from data made by hand (no database): what the pages say,
read back with pypdf, and what they embed."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from clinicdesk.documents.layout import ClinicDetails, PatientIdentity
from clinicdesk.documents.plain_words import plain_change, plain_number
from clinicdesk.documents.report import (
    DOCUMENT_ID,
    FollowUpLine,
    MissingPair,
    PhotoPair,
    ProgressReportData,
    TreatmentLine,
    render_progress_report,
    report_hash,
)
from clinicdesk.domain.assessments import (
    Assessment,
    AssessmentDetails,
    Change,
    Region,
    RegionMeasurement,
    changes_from_baseline,
)
from clinicdesk.domain.clinical import TreatedZone
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
