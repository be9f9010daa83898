"""Admin > Clinic details: each site's own address, printed at the top of what that site
produces (the satellite's documents give the satellite's address)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from clinicdesk.services.clinic_details import SITE_ADDRESS
from clinicdesk.ui.admin.clinic_details import ClinicDetailsDialog
from tests.conftest import Clinic
from tests.ui.conftest import WindowFactory, type_text


def open_details(window: object) -> ClinicDetailsDialog:
    window.clinic_details_action.trigger()  # type: ignore[attr-defined]
    dialog = window.clinic_details_dialog  # type: ignore[attr-defined]
    assert isinstance(dialog, ClinicDetailsDialog) and dialog.isVisible()
    return dialog


def test_the_admin_gives_the_satellite_its_own_address(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    satellite = next(s for s in clinic.services.clinic.sites() if s.kind == "satellite")
    window = open_window(clinic.admin)
    dialog = open_details(window)
    editor = dialog.findChild(QPlainTextEdit, "site_address_S")
    assert isinstance(editor, QPlainTextEdit)
    label = dialog.form.labelForField(dialog.fields[f"{SITE_ADDRESS}:{satellite.id}"])
    assert label is not None and label.text() == "Address at Satellite clinic"  # type: ignore[attr-defined]
    type_text(qtbot, editor, "5 Harbour View")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    type_text(qtbot, editor, "Whitby YO21 3PU")
    dialog.grab().save(str(tmp_path / "clinic-details.png"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    stored = {s.name: s.address for s in clinic.services.clinic_details.sites()}
    assert stored == {"Main clinic": "", "Satellite clinic": "5 Harbour View\nWhitby YO21 3PU"}


def test_a_site_address_too_long_is_refused_under_its_field(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    main = next(s for s in clinic.services.clinic.sites() if s.kind == "main")
    dialog = open_details(open_window(clinic.admin))
    editor = dialog.findChild(QPlainTextEdit, "site_address_M")
    assert isinstance(editor, QPlainTextEdit)
    editor.setPlainText("x" * 301)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    error = dialog.errors().get(f"{SITE_ADDRESS}:{main.id}", "")
    assert "300" in error
    assert [s.address for s in clinic.services.clinic_details.sites()] == ["", ""]
