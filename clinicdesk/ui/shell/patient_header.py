"""The header above an open record: photo placeholder, name, age and identifiers, and the
red-flag banner (``MainWindow.header``; emptied while the idle lock hides the record)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.ui.widgets.patient_identity import HEADER_NAME

if TYPE_CHECKING:
    from clinicdesk.domain.medical import BannerItem
    from clinicdesk.domain.patient import Patient


class PatientHeader(QWidget):
    """Photo placeholder, name, age and identifiers, and the red-flag banner."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(HEADER_NAME)  # forms open below it (patient_identity.place_below_header)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.photo = QLabel()
        self.photo.setObjectName("photo_placeholder")
        self.photo.setFixedSize(72, 72)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setTextFormat(Qt.TextFormat.PlainText)
        self.photo.setToolTip("No photo yet")
        self.photo.setStyleSheet(
            "background: #d9e2ec; color: #334e68; border-radius: 36px; font-size: 22px;"
        )
        layout.addWidget(self.photo)
        text = QVBoxLayout()
        self.name = QLabel()
        self.name.setObjectName("patient_name")
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.facts = QLabel()
        self.facts.setObjectName("patient_facts")
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.banner = QLabel()
        self.banner.setObjectName("red_flag_banner")
        self.banner.setTextFormat(Qt.TextFormat.RichText)  # built from escaped text only
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fde8e8; color: #8a1c1c; border: 1px solid #f5b5b5; padding: 4px;"
        )
        text.addWidget(self.name)
        text.addWidget(self.facts)
        text.addWidget(self.banner)
        layout.addLayout(text, 1)
        self.clear()

    def clear(self) -> None:
        self.photo.setText("")
        self.name.setText("")
        self.facts.setText("")
        self.banner.setText("")
        self.banner.setVisible(False)

    def show_new(self) -> None:
        self.clear()
        self.photo.setText("+")
        self.name.setText("New patient")
        self.facts.setText("Fill in the details and press Save (Ctrl+S).")

    def show_patient(self, patient: Patient, age: int, banner: Sequence[BannerItem]) -> None:
        d = patient.details
        initials = (d.first_name[:1] + d.last_name[:1]).upper()
        self.photo.setText(initials)
        name = " ".join(part for part in (d.title, d.first_name, d.last_name) if part)
        if d.preferred_name:
            name += f' ("{d.preferred_name}")'
        if patient.archived:
            name += "  [archived]"
        self.name.setText(name)
        facts = [f"Born {format_uk(d.date_of_birth)} (age {age})", d.sex.label]
        if patient.patient_number:  # the clinic's own number: a second identifier without NHS
            facts.insert(0, f"Clinic no. {patient.patient_number}")
        if d.nhs_number:
            facts.append(f"NHS {format_nhs_number(d.nhs_number)}")
        self.facts.setText("   ·   ".join(facts))
        self.set_banner(banner)

    def set_banner(self, banner: Sequence[BannerItem]) -> None:
        parts = [
            ("<b>" if item.severity == "danger" else "")
            + html.escape(item.text)
            + ("</b>" if item.severity == "danger" else "")
            for item in banner
        ]
        self.banner.setText("⚠ " + " &nbsp;|&nbsp; ".join(parts) if parts else "")
        self.banner.setVisible(bool(parts))

    def banner_text(self) -> str:
        """The banner as plain text (what a user reads)."""
        doc = self.banner.text()

        return QTextDocumentFragment.fromHtml(doc).toPlainText() if doc else ""
