"""The house table: a header row on a light fill, a fine grid, 8.5 pt text, left-aligned. The
progress report's clinical tables and the subject access export's record tables use it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Table, TableStyle

from clinicdesk.documents.fonts import FONT, FONT_BOLD

GRID = colors.HexColor("#b8c2cc")
HEADER_FILL = colors.HexColor("#e9eef3")


def grid_table(rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
    """``rows`` (cells: text or paragraphs; the first row the header, repeated on each page)
    in columns of ``widths``."""
    table = Table(list(rows), colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    table.hAlign = "LEFT"
    return table
