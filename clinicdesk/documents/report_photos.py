"""The progress report's before-and-after photographs: each standard view's baseline and
latest photo side by side, scaled to fit and captioned with the view and dates, and the views
that have no pair, with the reason.
"""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, KeepTogether, Table, TableStyle

from clinicdesk.documents.report_data import ProgressReportData
from clinicdesk.documents.text import para
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import View

PHOTO_BOX = (80 * mm, 54 * mm)  # three pairs to a page


PLAIN_VIEWS = {
    View.FRONTAL: "Front",
    View.VERTEX: "Crown, from above",
    View.MIDLINE_PART: "Parting",
    View.TEMPORAL_LEFT: "Left side",
    View.TEMPORAL_RIGHT: "Right side",
    View.OCCIPITAL_DONOR: "Back of the head",
    View.TRICHOSCOPY: "Close-up",
}


def photo_section(data: ProgressReportData, *, plain: bool) -> list[Flowable]:
    if not data.photo_pairs and not data.missing_pairs:
        return []
    if not plain:
        heading = para("Standard views", "heading")
    else:
        heading = para("Before and after" if data.treatments else "Photographs", "heading")
    out: list[Flowable] = []
    if not data.photo_pairs:
        none = "before-and-after photographs" if data.treatments else "photographs to compare"
        out += [heading, para(f"There are no {none} to show yet.", "body")]
    for pair in data.photo_pairs:
        images = [_fitted(pair.before_jpeg), _fitted(pair.after_jpeg)]
        name = PLAIN_VIEWS[pair.view] if plain else pair.view.label
        if not plain:
            before, after = "baseline", "latest"
        else:
            before, after = ("before", "after") if data.treatments else ("first", "latest")
        captions = [
            para(f"{name}: {before}, {format_uk(pair.before_on)}", "small"),
            para(f"{name}: {after}, {format_uk(pair.after_on)}", "small"),
        ]
        table = Table(
            [images, captions],
            colWidths=[PHOTO_BOX[0] + 4 * mm] * 2,
            rowHeights=[PHOTO_BOX[1] + 2 * mm, None],
        )
        table.setStyle(
            TableStyle(
                [
                    ("ALIGN", (0, 0), (-1, 0), "LEFT"),  # photo and caption share an edge
                    ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 1), (-1, 1), 4 * mm),
                ]
            )
        )
        table.hAlign = "LEFT"
        out.append(KeepTogether([*([] if out else [heading]), para(name, "subheading"), table]))
    for missing in data.missing_pairs:
        name = PLAIN_VIEWS[missing.view] if plain else missing.view.label
        out.append(para(f"{name}: {missing.reason}.", "small"))
    return out


def _fitted(jpeg: bytes) -> Image:
    """The photo scaled to fit the photo box, keeping its shape."""
    width, height = ImageReader(io.BytesIO(jpeg)).getSize()
    scale = min(PHOTO_BOX[0] / width, PHOTO_BOX[1] / height)
    return Image(io.BytesIO(jpeg), width * scale, height * scale)
