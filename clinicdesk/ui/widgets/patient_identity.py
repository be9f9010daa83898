"""Which patient: every form about one patient names them (name, date of birth, NHS number
where known: ``PatientIdentity``) in its title and on a line at its top
(``name_the_patient``), and opens below the main window's patient header, so the record's
identity stays in view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QBoxLayout, QFormLayout, QLabel, QWidget

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.patient import Patient

IDENTITY_PROPERTY = "patient_identity"
IDENTITY_STYLE = (
    "background: #e8eef5; color: #102a43; border: 1px solid #bcccdc; padding: 4px 6px;"
    " font-weight: bold;"
)
HEADER_NAME = "patient_header"  # the main window's record header (name, born, NHS number)
HEADER_GAP = 8


@dataclass(frozen=True)
class PatientIdentity:
    """Whose record a form is about: the name, date of birth and NHS number (where known)."""

    name: str
    date_of_birth: date | None = None
    nhs_number: str = ""

    @classmethod
    def of(cls, patient: Patient) -> PatientIdentity:
        d = patient.details
        return cls.named(d.first_name, d.last_name, d.preferred_name, d.date_of_birth, d.nhs_number)

    @classmethod
    def named(
        cls,
        first_name: str,
        last_name: str,
        preferred_name: str = "",
        date_of_birth: date | None = None,
        nhs_number: str = "",
    ) -> PatientIdentity:
        name = " ".join(part for part in (first_name, last_name) if part)
        if preferred_name and preferred_name != first_name:
            name += f' ("{preferred_name}")'
        return cls(name, date_of_birth, nhs_number)

    def text(self) -> str:
        """``Siobhán O'Brien · born 03/07/1985 · NHS 943 476 5919`` (no NHS part without
        one), as typed: shown only as plain text."""
        parts = [self.name or "Unnamed patient"]
        if self.date_of_birth is not None:
            parts.append(f"born {format_uk(self.date_of_birth)}")
        if self.nhs_number:
            parts.append(f"NHS {format_nhs_number(self.nhs_number)}")
        return " · ".join(parts)


def identity_title(title: str, who: PatientIdentity | None) -> str:
    return f"{title} — {who.text()}" if who is not None else title


def set_title(dialog: QWidget, title: str) -> None:
    """``title`` for ``dialog``, followed by the patient it names (``name_the_patient``)."""
    text = dialog.property(IDENTITY_PROPERTY)
    dialog.setWindowTitle(f"{title} — {text}" if isinstance(text, str) and text else title)


def identity_line(text: str) -> QLabel:
    """The line at the top of a form naming its patient (``PatientIdentity.text``; plain
    text: a name may hold ``<``)."""
    label = QLabel(text)
    label.setObjectName(IDENTITY_PROPERTY)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(IDENTITY_STYLE)
    label.setAccessibleName("Patient")
    return label


def name_the_patient(dialog: QWidget, who: PatientIdentity | None) -> None:
    """Name ``who`` in ``dialog``'s title (after what it says now) and on a line at the top of
    its layout, and open it below the main window's patient header (``keep_header_in_view``).
    Call it once the dialog's layout is built; again with another patient to change both."""
    if who is not None:
        _name(dialog, who.text())


def name_as(dialog: QWidget, other: QWidget) -> None:
    """Name in ``dialog`` the patient ``other`` names (a question a form asks)."""
    text = other.property(IDENTITY_PROPERTY)
    if isinstance(text, str) and text:
        _name(dialog, text)


def _name(dialog: QWidget, text: str) -> None:
    base = dialog.windowTitle()
    old = dialog.property(IDENTITY_PROPERTY)
    if isinstance(old, str) and old and base.endswith(f" — {old}"):
        base = base[: -len(f" — {old}")]
    dialog.setProperty(IDENTITY_PROPERTY, text)
    set_title(dialog, base)
    line = dialog.findChild(QLabel, IDENTITY_PROPERTY)
    if line is not None:
        line.setText(text)
        line.setStyleSheet(IDENTITY_STYLE)
    else:
        line = identity_line(text)
        layout = dialog.layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(0, line)
        elif isinstance(layout, QFormLayout):
            layout.insertRow(0, line)
    keep_header_in_view(dialog)


def available_area(widget: QWidget) -> QRect | None:
    """The screen area (taskbar excluded) where ``widget`` opens."""
    screen = widget.screen()
    return screen.availableGeometry() if screen is not None else None


def patient_header() -> QWidget | None:
    """The main window's patient header, when a record is on screen."""
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        header = top.findChild(QWidget, HEADER_NAME)
        if header is not None and header.isVisible():
            return header
    return None


def place_below_header(dialog: QWidget) -> None:
    """Move ``dialog`` (and shorten it, as far as its minimum allows) so it starts below the
    main window's patient header: the record's name, date of birth and NHS number stay in
    view while the form is open. Horizontally it stays centred on its parent window."""
    header = patient_header()
    area = available_area(dialog)
    if header is None or area is None:
        return
    top = header.mapToGlobal(QPoint(0, header.height())).y() + HEADER_GAP
    frame = dialog.frameGeometry()
    extra = frame.height() - dialog.height()
    room = area.bottom() + 1 - top - extra
    if room < dialog.height():
        dialog.resize(dialog.width(), max(room, dialog.minimumSizeHint().height(), 120))
    parent = dialog.parentWidget()
    anchor = parent.window() if parent is not None else header.window()
    x = anchor.frameGeometry().center().x() - frame.width() // 2
    x = max(area.left(), min(x, area.right() + 1 - frame.width()))
    y = min(top, area.bottom() + 1 - dialog.height() - extra)
    dialog.move(x, max(y, area.top()))


class _BelowHeader(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            place_below_header(watched)
        return False


def keep_header_in_view(dialog: QWidget) -> None:
    """Each time ``dialog`` is shown, place it below the patient header (``place_below_header``)."""
    if dialog.findChild(_BelowHeader, "below_header") is None:
        keeper = _BelowHeader(dialog)
        keeper.setObjectName("below_header")
        dialog.installEventFilter(keeper)
