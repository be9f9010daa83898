"""The clinician's comment on a progress report, checked as it is typed (the GUI) and before
the report is made (``ReportService``). A module of its own so that both the documents log
(``services.documents``) and the report (``services.reports``) can use it without importing
each other, and the GUI checks the comment without importing reportlab at start-up."""

from __future__ import annotations

from clinicdesk.domain.text import TextError, clean_text
from clinicdesk.errors import ValidationError

# A page of text at most (one huge paragraph stalls reportlab).
REPORT_COMMENT_MAX = 2000


def check_report_comment(comment: str) -> str:
    """The progress report's comment as printed (one clean text, lines kept), or a
    ``ValidationError`` under ``comment``: too long, or holding characters that cannot be
    printed."""
    try:
        return clean_text(comment, max_length=REPORT_COMMENT_MAX, multiline=True)
    except TextError as exc:
        raise ValidationError({"comment": str(exc)}) from None
