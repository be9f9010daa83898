"""Photo visits named as the clinic names them, the checklist order, and edited details."""

from __future__ import annotations

from datetime import date, datetime

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.dates import BEFORE_BIRTH
from clinicdesk.domain.photos import (
    ConsentScope,
    Photo,
    PhotoVisit,
    TakenAtSource,
    View,
    check_photo_details,
    in_checklist_order,
    photo_visits,
    view_caption,
)


def photo(n: int, visit: date, view: View | None, minute: int = 0) -> Photo:
    return Photo(
        id=f"p{n}",
        patient_id="patient",
        sha256=f"{n:064x}",
        size_bytes=10,
        width=800,
        height=600,
        format="JPEG",
        view=view,
        region=None,
        visit_date=visit,
        taken_at=datetime(visit.year, visit.month, visit.day, 10, minute),
        taken_at_source=TakenAtSource.EXIF,
        consent_scope=ConsentScope.CLINICAL_RECORD,
        original_name=f"IMG_{n}.JPG",
        version=1,
        archived=False,
        created_at="",
        created_by="",
    )


JAN, MAR, JUN, SEP = date(2025, 1, 6), date(2025, 3, 10), date(2025, 6, 10), date(2025, 9, 10)


def labels(visits: list[PhotoVisit]) -> list[tuple[date, str]]:
    return [(v.visit_date, v.label) for v in visits]


def test_without_a_treatment_the_first_visit_is_the_baseline() -> None:
    photos = [photo(1, JUN, View.FRONTAL), photo(2, MAR, View.VERTEX), photo(3, SEP, None)]
    visits = photo_visits(photos, None)
    assert labels(visits) == [(MAR, "Baseline"), (JUN, "Follow-up 1"), (SEP, "Follow-up 2")]
    assert [v.photo_count for v in visits] == [1, 1, 1]
    assert visits[0].missing == tuple(v for v in View if v is not View.VERTEX)


def test_the_baseline_is_the_last_visit_on_or_before_the_first_treatment() -> None:
    photos = [photo(n, day, View.FRONTAL) for n, day in enumerate((JAN, MAR, JUN, SEP))]
    assert labels(photo_visits(photos, MAR)) == [
        (JAN, "Before treatment"),
        (MAR, "Baseline"),
        (JUN, "Follow-up 1"),
        (SEP, "Follow-up 2"),
    ]
    # Treated before any photo: no baseline, every visit a follow-up.
    assert [v.label for v in photo_visits(photos, date(2024, 12, 1))] == [
        "Follow-up 1",
        "Follow-up 2",
        "Follow-up 3",
        "Follow-up 4",
    ]
    assert photo_visits([], MAR) == []


def test_a_visit_with_every_standard_view_misses_none() -> None:
    photos = [photo(n, MAR, view) for n, view in enumerate(View)] + [photo(99, MAR, None)]
    [visit] = photo_visits(photos, None)
    assert visit.missing == () and visit.photo_count == len(View) + 1


def test_photos_line_up_in_checklist_order_untagged_last() -> None:
    photos = [
        photo(1, MAR, None, minute=1),
        photo(2, MAR, View.VERTEX, minute=5),
        photo(3, MAR, View.FRONTAL, minute=9),
        photo(4, MAR, View.VERTEX, minute=2),
    ]
    assert [p.id for p in in_checklist_order(photos)] == ["p3", "p4", "p2", "p1"]


def test_view_captions() -> None:
    assert view_caption(None) == "Not tagged"
    assert view_caption(View.VERTEX) == "Vertex"
    assert view_caption(View.TRICHOSCOPY, Region.VERTEX) == "Trichoscopy close-up (vertex)"


def test_edited_details_are_checked() -> None:
    born, today = date(1985, 7, 3), date(2025, 6, 1)
    ok = check_photo_details(
        View.FRONTAL, None, datetime(2025, 6, 1, 23, 59), today=today, date_of_birth=born
    )
    assert ok == {}
    future = check_photo_details(
        View.FRONTAL, None, datetime(2025, 6, 2, 0, 1), today=today, date_of_birth=born
    )
    assert future == {"taken_at": "is in the future"}
    early = check_photo_details(
        None, Region.VERTEX, datetime(1985, 7, 2, 12, 0), today=today, date_of_birth=born
    )
    assert early == {"taken_at": BEFORE_BIRTH, "region": "is only for a trichoscopy close-up"}
    # Knowing the time: later today is the future too, beyond a camera clock's few minutes.
    now = datetime(2025, 6, 1, 14, 0)
    later = check_photo_details(
        View.FRONTAL, None, datetime(2025, 6, 1, 16, 30), today=today, date_of_birth=born, now=now
    )
    assert later == {"taken_at": "is in the future"}
    camera_ahead = check_photo_details(
        View.FRONTAL, None, datetime(2025, 6, 1, 14, 8), today=today, date_of_birth=born, now=now
    )
    assert camera_ahead == {}
