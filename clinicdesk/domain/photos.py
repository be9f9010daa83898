"""Treatment photos as records: the standard views, the consent scope and the photo itself.

A photo row describes an original image file kept byte for byte in the content store; the
file is named by its sha256. ``view`` is ``None`` until someone tags the photo; a trichoscopy
close-up also names its scalp region (the same regions as the trichoscopy assessments).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from clinicdesk.domain.assessments import Region


class View(StrEnum):
    """The standard views, in the order the per-visit checklist shows them."""

    FRONTAL = "frontal"
    VERTEX = "vertex"
    MIDLINE_PART = "midline_part"
    TEMPORAL_LEFT = "temporal_left"
    TEMPORAL_RIGHT = "temporal_right"
    OCCIPITAL_DONOR = "occipital_donor"
    TRICHOSCOPY = "trichoscopy"

    @property
    def label(self) -> str:
        return _VIEW_LABELS[self]


_VIEW_LABELS = {
    View.FRONTAL: "Frontal",
    View.VERTEX: "Vertex",
    View.MIDLINE_PART: "Midline part",
    View.TEMPORAL_LEFT: "Temporal left",
    View.TEMPORAL_RIGHT: "Temporal right",
    View.OCCIPITAL_DONOR: "Occipital donor",
    View.TRICHOSCOPY: "Trichoscopy close-up",
}


class ConsentScope(StrEnum):
    """What the patient agreed the photo may be used for, as in force when it was taken.
    Every photo is "clinical record only" until the documents issue records photo consent."""

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
