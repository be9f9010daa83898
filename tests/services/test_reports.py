"""The progress report through the service: the numbers are the stored measurements', the
photos leave without metadata, only clinicians may make one, and what it read is audited."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from clinicdesk.domain.assessments import MEASURE_BY_NAME, format_change
from clinicdesk.domain.photos import ConsentScope, Photo, TakenAtSource, View
from clinicdesk.errors import PermissionDenied, ValidationError
from clinicdesk.services.reports import REPORT_PHOTO_SIDE, choose_pairs
from tests.conftest import Clinic
from tests.media import images
from tests.media.images import LEAKS
from tests.services import report_setup as setup
from tests.services.clinical_setup import TREATED_ON

# 6 pairs of 1600x1200 noisy photos make about 0.9 MB; a clinic's photos compress better.
MAX_PDF_BYTES = 2_000_000


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def patient(clinic: Clinic) -> setup.TreatedPatient:
    return setup.treated_patient(clinic)


def audit_rows(clinic: Clinic, since: int = 0) -> list[tuple[str, str, str, dict[str, str]]]:
    rows = clinic.services.db.execute(
        "SELECT action, entity, entity_id, detail FROM audit_log WHERE seq > ? ORDER BY seq",
        [since],
    ).fetchall()
    return [
        (action, entity, entity_id, json.loads(detail))
        for action, entity, entity_id, detail in rows
    ]


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the image data (SOS)."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while data[at] == 0xFF and data[at + 1] != 0xDA:
        markers.append(data[at + 1])
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return markers


APP1, COMMENT = 0xE1, 0xFE  # EXIF and XMP live in APP1 segments; COM holds free text


def assert_metadata_free(data: bytes) -> None:
    """No EXIF, GPS, XMP or comment: checked by the JPEG's structure, not by searching the
    compressed bytes for short words (which random image data contains now and then)."""
    assert APP1 not in jpeg_markers(data) and COMMENT not in jpeg_markers(data)
    with Image.open(io.BytesIO(data)) as opened:
        assert opened.format == "JPEG"
        assert not opened.getexif()
        assert "exif" not in opened.info and "xmp" not in opened.info
    assert setup.CAMERA_SERIAL.encode() not in data


def last_seq(clinic: Clinic) -> int:
    return int(clinic.services.db.execute("SELECT max(seq) FROM audit_log").fetchone()[0])


def expected_change(before: float, after: float) -> str:
    """The change as a clinician would work it out: absolute, then per cent of the baseline."""
    return f"{after - before:+.1f} ({(after - before) / before * 100:+.1f}%)"


def test_clinical_report_shows_every_stored_measurement_and_its_change(
    clinic: Clinic, patient: setup.TreatedPatient
) -> None:
    text = text_of(
        clinic.services.reports.progress_report(clinic.clinician, patient.id, flavour="clinical")
    )
    assert patient.name in text  # "Siobhán Łukasiewicz-O'Brien", as typed
    # Worked by hand from the stored values: frontal 120.0 -> 131.0 is +11.0 (+9.2%), vertex
    # 160.0 -> 151.0 is -9.0 (-5.6%), occipital 200.0 -> 200.6 is +0.6 (+0.3%).
    assert "131.0 +11.0 (+9.2%)" in text
    assert "151.0 -9.0 (-5.6%)" in text
    assert "200.6 +0.6 (+0.3%)" in text
    # Every region at every visit after the baseline, density and diameter alike.
    for region in setup.DENSITY:
        baseline_density, baseline_diameter = setup.DENSITY[region][1], setup.DIAMETER[region][1]
        for number in range(2, 5):
            density, diameter = setup.DENSITY[region][number], setup.DIAMETER[region][number]
            assert f"{density:.1f} {expected_change(baseline_density, density)}" in text
            assert f"{diameter:.1f} {expected_change(baseline_diameter, diameter)}" in text
    # The earlier, pre-treatment assessment is mentioned, not compared.
    assert "Earlier assessments (01/12/2024) are in the record but not compared here." in text
    assert "Attended 4 of the 5 follow-ups due so far." in text


def test_the_numbers_are_the_assessment_services_own(
    clinic: Clinic, patient: setup.TreatedPatient
) -> None:
    text = text_of(
        clinic.services.reports.progress_report(clinic.clinician, patient.id, flavour="clinical")
    )
    report = clinic.services.assessments.baseline_report(clinic.clinician, patient.id)
    assert report.baseline is not None and report.baseline.visit_date == TREATED_ON
    for later in report.visits:
        for region in later.regions:
            for name, change in region.changes.items():
                if change.value is not None:
                    # Thin hairs, anagen and telogen are percentages: their changes are in
                    # percentage points.
                    points = MEASURE_BY_NAME[name].is_percentage
                    assert format_change(change, points=points) in text


def test_patient_report_says_the_same_in_plain_words(
    clinic: Clinic, patient: setup.TreatedPatient
) -> None:
    text = text_of(
        clinic.services.reports.progress_report(
            clinic.clinician, patient.id, flavour="patient", comment="Well done."
        )
    )
    assert patient.name in text
    # 11/120 = 9.2% -> 9%; 9/160 = 5.6% -> 6%; 1.5/55 = 2.7% -> 3%; 0.6/60 = 1.0% -> 1%.
    assert "Your hair density at the front went from 120 to 131 hairs per cm² (up 9%)" in text
    assert "the average thickness of your hairs went from 55 to 56.5 µm (up 3%)" in text
    # Treated zones here are frontal and vertex: a fall at the crown is said as plainly.
    assert "Your hair density at the crown went from 160 to 151 hairs per cm² (down 6%)" in text
    assert "went from 60 to 59.4 µm (down 1%)" in text
    assert "went from 200 to 200.6 hairs per cm² (up less than 1%)" in text
    assert "You had a micrograft treatment on 10 March 2025" in text
    assert "Well done." in text


def test_the_same_record_gives_the_same_pdf(
    clinic: Clinic, patient: setup.TreatedPatient, tmp_path: Path
) -> None:
    setup.import_views(clinic, patient.id, tmp_path, views=(View.FRONTAL, View.VERTEX))
    reports = clinic.services.reports
    for flavour in ("clinical", "patient"):
        first = reports.progress_report(clinic.clinician, patient.id, flavour=flavour)
        again = reports.progress_report(clinic.clinician, patient.id, flavour=flavour)
        assert first == again


def test_six_photo_pairs_leave_without_metadata_and_the_pdf_stays_small(
    clinic: Clinic, patient: setup.TreatedPatient, tmp_path: Path
) -> None:
    setup.import_views(clinic, patient.id, tmp_path)
    pdf = clinic.services.reports.progress_report(clinic.clinician, patient.id, flavour="clinical")
    assert len(pdf) < MAX_PDF_BYTES
    reader = PdfReader(io.BytesIO(pdf))
    embedded = [image for page in reader.pages for image in page.images]
    assert len(embedded) == 12
    for image in embedded:
        assert_metadata_free(image.data)
        with Image.open(io.BytesIO(image.data)) as opened:
            assert max(opened.size) == REPORT_PHOTO_SIDE  # downscaled from 1600 x 1200
    text = text_of(pdf)
    for view in ("Frontal", "Vertex", "Midline part", "Temporal left", "Temporal right"):
        assert f"{view}: baseline, 10/03/2025" in text
        assert f"{view}: latest, 10/09/2025" in text
    assert "Occipital donor: baseline, 10/03/2025" in text


def test_a_photo_is_printed_upright_and_never_enlarged(
    clinic: Clinic, patient: setup.TreatedPatient, tmp_path: Path
) -> None:
    # Stored on its side with EXIF orientation 6 (and GPS and a camera serial), smaller than
    # a print copy: printed upright, at its own size, without the metadata.
    for day, width in ((setup.BASELINE, 80), (setup.LATEST, 82)):
        path = tmp_path / f"{day.isoformat()}.jpg"
        path.write_bytes(images.jpeg_with_metadata((width, 40)))
        clinic.services.photos.import_photos(
            clinic.clinician, patient.id, [path], view=View.VERTEX, visit_date=day
        )
    pdf = clinic.services.reports.progress_report(clinic.clinician, patient.id, flavour="patient")
    embedded = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    sizes = []
    for image in embedded:
        assert_metadata_free(image.data)
        assert not any(leak in image.data for leak in LEAKS)
        with Image.open(io.BytesIO(image.data)) as opened:
            sizes.append(opened.size)
    assert sorted(sizes) == [(40, 80), (40, 82)]


def test_reception_and_admin_may_not_make_a_report_and_the_refusal_is_audited(
    clinic: Clinic, patient: setup.TreatedPatient
) -> None:
    for user in (clinic.reception, clinic.admin):
        since = last_seq(clinic)
        with pytest.raises(PermissionDenied):
            clinic.services.reports.progress_report(user, patient.id, flavour="patient")
        assert audit_rows(clinic, since) == [
            ("denied", "progress_report", patient.id, {"needs": "progress_report"})
        ]


def test_what_the_report_read_is_audited_as_views_of_the_record(
    clinic: Clinic, patient: setup.TreatedPatient, tmp_path: Path
) -> None:
    setup.import_views(clinic, patient.id, tmp_path, views=(View.FRONTAL,))
    since = last_seq(clinic)
    clinic.services.reports.progress_report(clinic.clinician, patient.id, flavour="clinical")
    rows = audit_rows(clinic, since)
    assert {action for action, *_ in rows} == {"view"}
    assert all(detail.get("patient", entity_id) == patient.id for _, _, entity_id, detail in rows)
    viewed = {entity for _, entity, _, _ in rows}
    assert {"patient", "treatments", "follow_ups", "assessments", "photo"} <= viewed
    photo_views = [
        detail for _, entity, _, detail in rows if entity == "photo" and "copy" in detail
    ]
    assert len(photo_views) == 2  # the frontal pair, before and after


@pytest.mark.parametrize(
    ("comment", "field_message"),
    [("x" * 2001, "too long"), ("bell\x07", "control character")],
)
def test_a_comment_that_cannot_be_printed_is_refused(
    clinic: Clinic, patient: setup.TreatedPatient, comment: str, field_message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        clinic.services.reports.progress_report(
            clinic.clinician, patient.id, flavour="clinical", comment=comment
        )
    assert field_message in refused.value.errors["comment"]


def test_an_unknown_flavour_is_refused(clinic: Clinic, patient: setup.TreatedPatient) -> None:
    with pytest.raises(ValidationError) as refused:
        clinic.services.reports.progress_report(
            clinic.clinician,
            patient.id,
            flavour="marketing",  # type: ignore[arg-type]
        )
    assert "flavour" in refused.value.errors


def test_a_patient_with_no_treatment_or_measurements_gets_an_honest_report(
    clinic: Clinic,
) -> None:
    patient = clinic.services.patients.register(
        clinic.reception,
        {"first_name": "Zoë", "last_name": "Ng", "date_of_birth": "01/01/1990", "sex": "F"},
    )
    text = text_of(
        clinic.services.reports.progress_report(clinic.clinician, patient.id, flavour="patient")
    )
    assert "Zoë Ng" in text
    assert "No treatment has been recorded yet." in text
    assert "Your scalp has not been measured yet." in text
    # The first sentence says so, and no sentence speaks of a treatment as if there were one.
    assert (
        text.split("Your result", 1)[1]
        .strip()
        .startswith(
            "You have not had a treatment with us yet, so there is no treatment result to show."
        )
    )
    assert "since your treatment" not in text and "before your treatment" not in text
    assert "Side effects and problems None recorded." in text


def test_adverse_events_the_anaesthetic_and_the_response_come_from_the_record(
    clinic: Clinic, patient: setup.TreatedPatient
) -> None:
    clinic.services.clinical.add_adverse_event(
        clinic.clinician,
        patient.id,
        {
            "treatment_id": patient.treatment_id,
            "onset_on": "31/03/2025",
            "event_type": "shedding",
            "severity": "mild",
            "outcome": "resolved",
            "outcome_on": "12/05/2025",
            "description": "Diffuse shedding from week 3",
        },
    )
    reports = clinic.services.reports
    clinical = text_of(reports.progress_report(clinic.clinician, patient.id, flavour="clinical"))
    # Frontal (the main region) terminal density 96.0 -> 104.8 at six months: +9.2%.
    assert "Result at the primary end point (6 months): Responded." in clinical
    assert "Shedding 31/03/2025 day 21 after the treatment Mild Resolved, 12/05/2025" in clinical
    assert "Lidocaine 2% with adrenaline, 4 mL, lot LD7731" in clinical
    assert "10/09/2025 6 months — primary end point" in clinical
    patient_text = text_of(reports.progress_report(clinic.clinician, patient.id, flavour="patient"))
    assert "Hair shedding, mild, from 31 March 2025: cleared up by 12 May 2025." in patient_text
    # The clinic's threshold, set by an administrator, decides and is printed.
    clinic.services.response_settings.set_threshold_percent(clinic.admin, "10")
    clinical = text_of(reports.progress_report(clinic.clinician, patient.id, flavour="clinical"))
    assert "Result at the primary end point (6 months): Did not respond." in clinical
    assert "at least 10% from the baseline" in clinical


# -- choosing the before/after pairs -----------------------------------------------------


def photo(view: View, day: date, hour: int = 10, photo_id: str = "") -> Photo:
    return Photo(
        id=photo_id or f"{view.value}-{day.isoformat()}-{hour}",
        patient_id="p-1",
        sha256="0" * 64,
        size_bytes=1,
        width=4,
        height=3,
        format="JPEG",
        view=view,
        region=None,
        visit_date=day,
        taken_at=datetime(day.year, day.month, day.day, hour),
        taken_at_source=TakenAtSource.EXIF,
        consent_scope=ConsentScope.CLINICAL_RECORD,
        original_name="x.jpg",
        version=1,
        archived=False,
        created_at="",
        created_by="",
    )


def test_pairs_are_the_baseline_photo_and_the_latest_of_the_same_view() -> None:
    earlier, baseline = date(2025, 1, 5), TREATED_ON
    photos = [
        photo(View.FRONTAL, earlier),
        photo(View.FRONTAL, baseline, hour=9),
        photo(View.FRONTAL, baseline, hour=11),  # the last taken at the baseline visit
        photo(View.FRONTAL, date(2025, 6, 10)),
        photo(View.FRONTAL, date(2025, 9, 10)),
        photo(View.VERTEX, baseline),  # never photographed again
        photo(View.MIDLINE_PART, date(2025, 6, 10)),  # no photo from before the treatment
        photo(View.TRICHOSCOPY, baseline),  # close-ups are not standard views
        photo(View.TRICHOSCOPY, date(2025, 9, 10)),
    ]
    pairs, missing = choose_pairs(photos, TREATED_ON)
    assert [(view, before.id, after.id) for view, (before, after) in pairs] == [
        (View.FRONTAL, "frontal-2025-03-10-11", "frontal-2025-09-10-10")
    ]
    assert [(m.view, m.reason) for m in missing] == [
        (View.VERTEX, "no photograph since the treatment yet"),
        (View.MIDLINE_PART, "no photograph from before the treatment"),
    ]


def test_without_a_treatment_the_first_visit_is_the_before() -> None:
    photos = [photo(View.VERTEX, date(2025, 9, 10)), photo(View.VERTEX, date(2025, 1, 5))]
    pairs, missing = choose_pairs(photos, None)
    assert [(b.visit_date, a.visit_date) for _, (b, a) in pairs] == [
        (date(2025, 1, 5), date(2025, 9, 10))
    ]
    assert missing == ()


def test_a_missing_or_damaged_photo_file_leaves_the_rest_of_the_report(
    clinic: Clinic, patient: setup.TreatedPatient, tmp_path: Path
) -> None:
    """One photo file deleted and another with a byte flipped. The report
    is still made: the other pairs are in it, and the two views say why they are not."""
    views = (View.FRONTAL, View.VERTEX, View.OCCIPITAL_DONOR)
    setup.import_views(clinic, patient.id, tmp_path, views=views)
    photos = {
        (p.view, p.visit_date): p
        for p in clinic.services.photos.list_photos(clinic.clinician, patient.id)
    }
    store = clinic.services.photos.store
    store.path_of(photos[(View.FRONTAL, setup.LATEST)].sha256).unlink()
    damaged = store.path_of(photos[(View.VERTEX, setup.BASELINE)].sha256)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))

    for flavour in ("clinical", "patient"):
        document = clinic.services.documents.progress_report(
            clinic.clinician, patient.id, flavour=flavour
        )
        text = text_of(document.pdf)
        reader = PdfReader(io.BytesIO(document.pdf))
        assert sum(len(page.images) for page in reader.pages) == 2  # the occipital pair
        assert "unavailable: photo file missing" in text
        assert "unavailable: photo file damaged (failed its integrity check" in text
    clinical = text_of(
        clinic.services.reports.progress_report(clinic.clinician, patient.id, flavour="clinical")
    )
    assert f"{View.OCCIPITAL_DONOR.label}: baseline" in clinical
    missing_at = clinical.index("photo file missing")
    assert f"{View.FRONTAL.label}: the latest photograph" in clinical[:missing_at]
    damaged_at = clinical.index("photo file damaged")
    assert f"{View.VERTEX.label}: the baseline photograph" in clinical[:damaged_at]
