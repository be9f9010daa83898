"""Admin > Clinic details: what the documents print about the clinic, the logo and the
cooling-off period, saved through the services with each problem at its field."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from clinicdesk.services.clinic_details import LOGO_MAX_BYTES
from clinicdesk.ui.admin import clinic_details as clinic_details_dialog
from clinicdesk.ui.admin.clinic_details import ClinicDetailsDialog
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import Clinic
from tests.documents.pdf_helpers import pages_text
from tests.ui.conftest import WindowFactory, type_text
from tests.ui.documents.test_documents_tab import booked_patient, wait_for_preview

ADDRESS = "12 Harley Stréet\nLondon W1G 9PF"


def logo_png(path: Path) -> Path:
    picture = Image.new("RGB", (240, 80), (20, 60, 120))
    out = io.BytesIO()
    picture.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileName",
        lambda *_args: (str(path), clinic_details_dialog.LOGO_FILTER),
    )


def open_details(window: MainWindow) -> ClinicDetailsDialog:
    window.clinic_details_action.trigger()
    dialog = window.clinic_details_dialog
    assert isinstance(dialog, ClinicDetailsDialog) and dialog.isVisible()
    return dialog


def retype(qtbot: QtBot, dialog: ClinicDetailsDialog, key: str, text: str) -> None:
    editor = dialog.editors[key]
    assert isinstance(editor, (QLineEdit, QPlainTextEdit))
    editor.clear()
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        type_text(qtbot, editor, line)


def test_the_admin_saves_the_clinic_details_and_the_next_document_prints_them(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = booked_patient(clinic)
    window = open_window(clinic.admin)
    assert window.admin_menu.menuAction().isVisible()
    dialog = open_details(window)
    assert dialog.cooling_off_days.value() == 14
    assert dialog.logo_preview.text() == "No logo" and not dialog.remove_logo_button.isEnabled()

    retype(qtbot, dialog, "name", "Harley Hair Clinic")
    retype(qtbot, dialog, "address", ADDRESS)
    retype(qtbot, dialog, "phone", "020 7946 0000")
    choose_file(monkeypatch, logo_png(tmp_path / "logo.png"))
    dialog.choose_logo_button.click()
    assert not dialog.logo_preview.pixmap().isNull() and dialog.remove_logo_button.isEnabled()
    dialog.cooling_off_days.setValue(21)
    dialog.save_button.click()

    assert not dialog.isVisible()
    details = clinic.services.clinic_details.details()
    assert (details.name, details.address, details.phone) == (
        "Harley Hair Clinic",
        ADDRESS,
        "020 7946 0000",
    )
    assert details.logo_png is not None and details.logo_png.startswith(b"\x89PNG")
    assert clinic.services.clinic.cooling_off_days() == 21
    assert window.windowTitle().startswith("ClinicDesk — Harley Hair Clinic")
    # One audited update, naming only what changed.
    [fields] = [
        row[0]
        for row in clinic.services.db.execute(
            "SELECT detail FROM audit_log WHERE entity = 'setting' AND action = 'update' "
            "AND entity_id = 'clinic_details'"
        ).fetchall()
    ]
    assert '"address"' in fields and '"device"' not in fields

    # The next document made prints them.
    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.documents)
    window.documents.form_actions["aftercare"].trigger()
    preview = wait_for_preview(qtbot, window.documents)
    first_page = " ".join(pages_text(preview.pdf)[0].split())
    assert "Harley Hair Clinic" in first_page
    assert "12 Harley Stréet" in first_page and "London W1G 9PF" in first_page


def test_problems_are_shown_at_their_fields_and_nothing_is_saved(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(clinic.admin)
    dialog = open_details(window)
    not_a_picture = tmp_path / "logo.png"
    not_a_picture.write_text("this is not a picture")
    choose_file(monkeypatch, not_a_picture)
    dialog.choose_logo_button.click()
    assert dialog.errors()["logo_png"].startswith("logo.png is not a PNG picture.")
    too_big = tmp_path / "huge.png"
    too_big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * LOGO_MAX_BYTES)
    choose_file(monkeypatch, too_big)
    dialog.choose_logo_button.click()
    assert "huge.png is too large" in dialog.errors()["logo_png"]
    assert dialog.logo is None

    retype(qtbot, dialog, "name", "")
    retype(qtbot, dialog, "address", "Line with a \u202e bidi override")
    dialog.save_button.click()
    errors = dialog.errors()
    assert errors["name"] == "is required"
    assert "address" in errors
    assert dialog.isVisible() and dialog.message.text().startswith("Not saved")
    assert clinic.services.clinic_details.details().name == "Test Clinic"


@pytest.mark.parametrize("role", ["clinician", "reception"])
def test_only_administrators_have_clinic_details(
    clinic: Clinic, open_window: WindowFactory, role: str
) -> None:
    window = open_window(getattr(clinic, role))
    assert not window.clinic_details_action.isVisible()


def test_the_data_protection_details_typed_here_are_on_the_next_privacy_notice(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    window = open_window(clinic.admin)
    dialog = open_details(window)
    retype(qtbot, dialog, "data_protection_contact", "Dr Amina Patel (DPO)\ndpo@harley.example")
    retype(qtbot, dialog, "ico_registration_number", "Z12345")
    retype(qtbot, dialog, "processors", "Acme Cloud Ltd: backups\nTextRelay Ltd: reminders")
    dialog.save_button.click()
    # A number not on the ICO's pattern is refused at its field; nothing is saved.
    assert "ICO's register" in dialog.errors()["ico_registration_number"]
    assert dialog.isVisible() and clinic.services.clinic_details.details().processors == ""

    retype(qtbot, dialog, "ico_registration_number", "za123456")
    dialog.save_button.click()
    assert not dialog.isVisible()
    details = clinic.services.clinic_details.details()
    assert details.ico_registration_number == "ZA123456"
    [fields] = [
        row[0]
        for row in clinic.services.db.execute(
            "SELECT detail FROM audit_log WHERE entity_id = 'clinic_details'"
        ).fetchall()
    ]
    assert '"ico_registration_number"' in fields and '"processors"' in fields

    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.documents)
    window.documents.form_actions["data-protection"].trigger()
    preview = wait_for_preview(qtbot, window.documents)
    text = " ".join(" ".join(pages_text(preview.pdf)).split())
    assert "Data protection officer or contact Dr Amina Patel (DPO) dpo@harley.example" in text
    assert "ICO registration number ZA123456" in text
    assert "keep it secure: Acme Cloud Ltd: backups TextRelay Ltd: reminders" in text
