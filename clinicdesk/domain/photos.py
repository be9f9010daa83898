"""Treatment photos as records: the standard views, the consent scope and the photo itself.

A photo row describes an original image file kept byte for byte in the content store; the
file is named by its sha256. ``view`` is ``None`` until someone tags the photo; a trichoscopy
close-up also names its scalp region (the same regions as the trichoscopy assessments).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import BEFORE_BIRTH


class View(Coded):
    """The standard views, in the order the per-visit checklist shows them."""

    FRONTAL = "frontal"
    VERTEX = "vertex"
    MIDLINE_PART = "midline_part"
    TEMPORAL_LEFT = "temporal_left"
    TEMPORAL_RIGHT = "temporal_right"
    OCCIPITAL_DONOR = "occipital_donor"
    TRICHOSCOPY = "trichoscopy", "Trichoscopy close-up"


class ConsentScope(StrEnum):
    """What the patient agreed the photo may be used for: the widest scope of their photo
    consent in force when it was taken ("clinical record" without one; ``domain.consent``)."""

    CLINICAL_RECORD = "clinical_record"
    TEACHING = "teaching"
    MARKETING = "marketing"


class TakenAtSource(StrEnum):
    EXIF = "exif"  # the camera's DateTimeOriginal
    FILE = "file"  # the file's modification time (editable later)


PHOTO_FORMATS = ("JPEG", "PNG", "TIFF", "HEIF")


@dataclass(frozen=True)
class Photo:
    id: str
    patient_id: str
    sha256: str
    size_bytes: int
    width: int  # after EXIF orientation, as the photo is shown
    height: int
    format: str  # one of PHOTO_FORMATS
    view: View | None
    region: Region | None
    visit_date: date
    taken_at: datetime  # local time, as the camera's clock gives it (naive)
    taken_at_source: TakenAtSource
    consent_scope: ConsentScope
    original_name: str  # the file name only, never its folder
    version: int
    archived: bool
    created_at: str
    created_by: str
    # Set when the patient withdrew marketing consent: from then the photo is not for marketing.
    marketing_withdrawn_on: date | None = None

    @property
    def for_marketing(self) -> bool:
        """Whether the photo may be used in identifiable marketing now."""
        return self.consent_scope is ConsentScope.MARKETING and self.marketing_withdrawn_on is None


def view_caption(view: View | None, region: Region | None = None) -> str:
    """How a photo's view reads under its thumbnail: "Vertex", "Trichoscopy close-up
    (frontal)", "Not tagged"."""
    if view is None:
        return "Not tagged"
    if view is View.TRICHOSCOPY and region is not None:
        return f"{view.label} ({region.label.lower()})"
    return view.label


def in_checklist_order(photos: Iterable[Photo]) -> list[Photo]:
    """Photos in the checklist's order of views (untagged last), then by capture time, so every
    visit's photos line up the same way in the gallery."""
    rank = {view: number for number, view in enumerate(View)}
    return sorted(
        photos,
        key=lambda p: (rank[p.view] if p.view else len(rank), p.taken_at, p.original_name, p.id),
    )


BASELINE = "Baseline"
BEFORE_TREATMENT = "Before treatment"


@dataclass(frozen=True)
class PhotoVisit:
    """One visit's photos at a glance: what kind of visit it was and which views are missing."""

    visit_date: date
    label: str  # "Baseline", "Follow-up 2", "Before treatment"
    photo_count: int
    missing: tuple[View, ...]  # the standard views with no photo, in checklist order


def photo_visits(photos: Iterable[Photo], first_treatment: date | None) -> list[PhotoVisit]:
    """The visits that have photos, oldest first, each named as the Measurements tab names
    assessments (CLINICAL.md): the baseline is the latest visit on or before the first
    treatment day (without a treatment, the first visit); the visits after it are follow-ups
    1, 2, ...; earlier visits are "Before treatment". Treated with no visit on or before the
    treatment day, there is no baseline and every visit is a follow-up."""
    by_visit: dict[date, list[Photo]] = {}
    for photo in photos:
        by_visit.setdefault(photo.visit_date, []).append(photo)
    days = sorted(by_visit)
    if first_treatment is None:
        baseline = days[0] if days else None
    else:
        before = [day for day in days if day <= first_treatment]
        baseline = before[-1] if before else None
    visits: list[PhotoVisit] = []
    follow_up = 0
    for day in days:
        if day == baseline:
            label = BASELINE
        elif baseline is not None and day < baseline:
            label = BEFORE_TREATMENT
        else:
            follow_up += 1
            label = f"Follow-up {follow_up}"
        present = {p.view for p in by_visit[day]}
        missing = tuple(view for view in View if view not in present)
        visits.append(PhotoVisit(day, label, len(by_visit[day]), missing))
    return visits


CLOCK_SLACK = timedelta(minutes=10)


def check_photo_details(
    view: View | None,
    region: Region | None,
    taken_at: datetime,
    *,
    today: date,
    date_of_birth: date,
    now: datetime | None = None,
) -> dict[str, str]:
    """What is wrong with a photo's edited details, by field (empty when all is well). With
    ``now``, a time later today is refused too (beyond ``CLOCK_SLACK``: a camera's clock runs a
    little ahead of the computer's)."""
    errors: dict[str, str] = {}
    if taken_at.date() > today or (now is not None and taken_at > now + CLOCK_SLACK):
        errors["taken_at"] = "is in the future"
    elif taken_at.date() < date_of_birth:
        errors["taken_at"] = BEFORE_BIRTH
    if region is not None and view is not View.TRICHOSCOPY:
        errors["region"] = "is only for a trichoscopy close-up"
    return errors
