"""What the Documents tab's two tables show: the patient's consents (the exact wording each
points at, where it stands, the photo consent's scopes) and the document log (one line per
document made, printed or saved: the rows the service keeps for each template of a pack are
shown as one line)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from clinicdesk.domain.consent import (
    PHOTO_SCOPES,
    Consent,
    ConsentKind,
    ConsentStatus,
    DocumentKind,
    DocumentRecord,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.ui.widgets.table_model import AnyIndex, ListTableModel

# What is read at a glance first (where each consent stands); the rest scrolls into view.
CONSENT_COLUMNS = (
    "Consent",
    "Status",
    "Signed",
    "Taken by",
    "Photo scopes",
    "Withdrawn",
    "Witness",
    "Prepared",
    "Wording",
)
CONSENT_WIDTHS = (82, 78, 84, 130, 420, 220, 140, 84)
LOG_COLUMNS = ("When", "Action", "Document", "By", "Wording")
LOG_WIDTHS = (120, 80, 220, 130)
KIND_SHORT = {ConsentKind.PROCEDURE: "Procedure", ConsentKind.PHOTO: "Photo"}
SCOPE_SHORT = {
    ConsentScope.CLINICAL_RECORD: "Clinical record",
    ConsentScope.TEACHING: "Teaching",
    ConsentScope.MARKETING: "Marketing",
}
STATUS_SHORT = {
    ConsentStatus.PREPARED: "Prepared",
    ConsentStatus.SIGNED: "Signed",
    ConsentStatus.WITHDRAWN: "Withdrawn",
}
_STATUS_COLOURS = {
    ConsentStatus.PREPARED: QColor("#8a5300"),
    ConsentStatus.SIGNED: QColor("#1e6b34"),
    ConsentStatus.WITHDRAWN: QColor("#8a1c1c"),
}
_MUTED = QColor("#6b7785")


# -- what the tables show -----------------------------------------------------------------------


def scopes_text(consent: Consent) -> str:
    """The photo consent's scopes as read at a glance:
    ``Clinical record ✓ · Teaching ✓ · Marketing ✗ (withdrawn 03/04/2026)``."""
    if consent.kind is not ConsentKind.PHOTO or consent.status is ConsentStatus.PREPARED:
        return ""
    parts = []
    for scope in PHOTO_SCOPES:
        grant = consent.grant(scope)
        name = SCOPE_SHORT[scope]
        if grant is None or not grant.granted:
            parts.append(f"{name} ✗")
        elif grant.withdrawn_on is not None:
            parts.append(f"{name} ✗ (withdrawn {format_uk(grant.withdrawn_on)})")
        else:
            parts.append(f"{name} ✓")
    return " · ".join(parts)


def withdrawal_text(consent: Consent) -> str:
    """When and why the consent (or one of its scopes) was withdrawn."""
    if consent.withdrawn_on is not None:
        return f"{format_uk(consent.withdrawn_on)}: {consent.withdrawal_reason}"
    return "; ".join(
        f"{SCOPE_SHORT[g.scope]} {format_uk(g.withdrawn_on)}: {g.withdrawal_reason}"
        for g in consent.scopes
        if g.withdrawn_on is not None
    )


def witness_text(consent: Consent) -> str:
    """The witness, and the interpreter when there was one."""
    interpreter = consent.interpreter_name
    if not interpreter:
        return consent.witness_name
    if not consent.witness_name:
        return f"Interpreter: {interpreter}"
    return f"{consent.witness_name} (interpreter: {interpreter})"


@dataclass(frozen=True)
class ConsentLine:
    consent: Consent
    values: tuple[str, ...]  # one per CONSENT_COLUMNS


@dataclass(frozen=True)
class LogLine:
    records: tuple[DocumentRecord, ...]  # the rows of one document (a pack has several)
    values: tuple[str, ...]  # one per LOG_COLUMNS


class ConsentTableModel(ListTableModel[ConsentLine]):
    COLUMNS = CONSENT_COLUMNS

    def consent_at(self, row: int) -> Consent | None:
        line = self.row_at(row)
        return line.consent if line is not None else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        line = self.row_for(index)
        if line is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = line.values[index.column()]
            return text if role == Qt.ItemDataRole.DisplayRole or text else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if index.column() == CONSENT_COLUMNS.index("Status"):
                return QBrush(_STATUS_COLOURS[line.consent.status])
            if line.consent.status is ConsentStatus.WITHDRAWN:
                return QBrush(_MUTED)
        return None


class DocumentLogModel(ListTableModel[LogLine]):
    COLUMNS = LOG_COLUMNS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        line = self.row_for(index)
        if line is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return line.values[index.column()]
        return None


def local_time(stamp: str) -> str:
    """A stored UTC timestamp as the clinic reads it: ``26/11/2026 14:05`` (local time)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%d/%m/%Y %H:%M")


def group_log(records: Sequence[DocumentRecord]) -> list[list[DocumentRecord]]:
    """The log's rows, one group per document: the service records a pack once per template
    it holds (same PDF, action and person, one after the other); a template seen again
    starts another document (the same pack printed twice)."""
    groups: list[list[DocumentRecord]] = []
    for record in records:
        last = groups[-1] if groups else None
        if (
            last is not None
            and record.kind is DocumentKind.CONSENT_PACK
            and last[0].kind is DocumentKind.CONSENT_PACK
            and (record.pdf_sha256, record.action, record.created_by)
            == (last[0].pdf_sha256, last[0].action, last[0].created_by)
            and record.template is not None
            and all(r.template != record.template for r in last)
        ):
            last.append(record)
        else:
            groups.append([record])
    return groups


# -- the progress report's options --------------------------------------------------------------
