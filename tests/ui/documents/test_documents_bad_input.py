"""What a user may try in the Documents tab and its dialogs that must be refused plainly: each
refusal under its field, naming the file or the field and what to do, with what was typed kept
and nothing saved. (The happy paths are in test_documents_tab and test_consent_flow.)"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from clinicdesk.domain.consent import MAX_ATTACHMENT_BYTES, ConsentKind, ConsentStatus
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.patient import Patient
from clinicdesk.services.clinic_details import LOGO_MAX_BYTES
from clinicdesk.services.report_comment import REPORT_COMMENT_MAX
from clinicdesk.ui.documents.progress_report import ProgressReportDialog
from clinicdesk.ui.documents.sign_consent import SignConsentDialog
from clinicdesk.ui.documents.withdraw_consent import WithdrawConsentDialog
from tests.conftest import Clinic
from tests.services.clinical_setup import signature_png
from tests.ui.admin.test_clinic_details_dialog import logo_png, open_details, retype
from tests.ui.conftest import WindowFactory, type_text
from tests.ui.documents.test_documents_tab import (
    booked_patient,
    open_documents,
    table_rows,
    wait_for_preview,
)

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def patient(clinic: Clinic) -> Patient:
    """Booked, with the consent pack printed: both consents are waiting to be signed."""
    booked = booked_patient(clinic)
    clinic.services.documents.consent_pack(clinic.reception, booked.id)
    return booked


def sign_dialog(open_window: WindowFactory, clinic: Clinic, patient: Patient) -> SignConsentDialog:
    _window, tab = open_documents(open_window, clinic.reception, patient)
    dialog = tab.open_sign_dialog()
    assert isinstance(dialog, SignConsentDialog) and dialog.isVisible()
    assert dialog.consent().kind is ConsentKind.PROCEDURE
    return dialog


def statuses(clinic: Clinic, patient: Patient) -> set[ConsentStatus]:
    return {c.status for c in clinic.services.consents.consents(clinic.clinician, patient.id)}


# -- the scan of the signed form -----------------------------------------------------------------


def sparse_file(path: Path, size: int, head: bytes = b"%PDF-1.7\n") -> Path:
    """A file of ``size`` bytes that takes no room on disk (it is never read whole)."""
    with path.open("wb") as out:
        out.write(head)
        out.truncate(size)
    return path


def test_scans_that_cannot_be_attached_are_refused_naming_the_file_and_what_to_do(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    patient: Patient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = sign_dialog(open_window, clinic, patient)
    dialog.signed_on.clear()
    type_text(qtbot, dialog.signed_on, format_uk(clinic.services.patients.today()))
    type_text(qtbot, dialog.interpreter, "Ana Pereira")
    word = tmp_path / "signed form.docx"
    word.write_bytes(b"PK\x03\x04 a Word document")
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(PDF)
    reading = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "locked.pdf":
            raise PermissionError(13, "Permission denied", str(path))
        return reading(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    huge = sparse_file(tmp_path / "scan 600dpi.pdf", 50 * 1024 * 1024)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    cases = {
        huge: ["scan 600dpi.pdf is too large (50.0 MB; at most 20 MB)", "lower resolution"],
        word: ["signed form.docx is not a PDF, JPEG or PNG file", "save the scan in one of those"],
        tmp_path: [f"{tmp_path.name} is a folder", "choose the file itself"],
        tmp_path / "gone.pdf": ["gone.pdf is no longer there", "choose it again"],
        locked: ["locked.pdf could not be opened", "another program", "choose the copy"],
        empty: ["empty.pdf is empty", "scan the signed form again"],
    }
    assert huge.stat().st_size > MAX_ATTACHMENT_BYTES
    for path, wanted in cases.items():
        assert not dialog.attach_scan(path), path
        message = dialog.errors()["attachment"]
        assert all(part in message for part in wanted), message
        assert dialog.scan is None and dialog.scan_label.text() == "No scan attached."
    # What was typed is all still there, and a good scan clears the message.
    assert dialog.interpreter.text() == "Ana Pereira"
    good = tmp_path / "signed.pdf"
    good.write_bytes(PDF)
    assert dialog.attach_scan(good)
    assert dialog.errors() == {}
    assert dialog.scan_label.text().startswith("✓ Scan attached: signed.pdf")
    assert statuses(clinic, patient) == {ConsentStatus.PREPARED}


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("01/01/2099", "is in the future"),
        ("01/01/2001", "is before the form was prepared"),
        ("31/02/2026", "is not a real date"),
        ("", "is required"),
    ],
)
def test_a_signing_date_that_cannot_be_is_refused_under_it_and_nothing_is_saved(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    patient: Patient,
    typed: str,
    wanted: str,
) -> None:
    dialog = sign_dialog(open_window, clinic, patient)
    dialog.set_signature(signature_png(patient.id))
    dialog.signed_on.clear()
    type_text(qtbot, dialog.signed_on, typed)
    dialog.save_button.click()
    assert dialog.isVisible()
    assert wanted in dialog.errors()["signed_on"]
    assert dialog.message.text().startswith("Not saved")
    assert dialog.signed_on.text() == typed and dialog.signature_png is not None
    assert statuses(clinic, patient) == {ConsentStatus.PREPARED}


# -- withdrawing ---------------------------------------------------------------------------------


def test_a_withdrawal_needs_a_reason_and_a_possible_date(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, patient: Patient
) -> None:
    services = clinic.services
    today = services.patients.today()
    [procedure] = [
        c
        for c in services.consents.consents(clinic.clinician, patient.id)
        if c.kind is ConsentKind.PROCEDURE
    ]
    services.consents.sign(
        clinic.clinician,
        procedure.id,
        procedure.version,
        today,
        clinic.clinician.id,
        signature_png=signature_png(patient.id),
    )
    _window, tab = open_documents(open_window, clinic.reception, patient)
    dialog = tab.open_withdraw_dialog(procedure.id)
    assert isinstance(dialog, WithdrawConsentDialog) and dialog.isVisible()
    for reason in ("", "   \n  "):
        dialog.reason.setPlainText(reason)
        dialog.save_button.click()
        assert dialog.isVisible()
        assert dialog.errors() == {"reason": "is required (at least 3 characters)"}
    type_text(qtbot, dialog.reason, "Changed her mind")
    for typed, wanted in (
        ("01/01/2099", "is in the future"),
        ("01/01/2001", f"is before the consent was signed ({format_uk(today)})"),
    ):
        dialog.withdrawn_on.clear()
        type_text(qtbot, dialog.withdrawn_on, typed)
        dialog.save_button.click()
        assert dialog.errors() == {"withdrawn_on": wanted}
        assert "Changed her mind" in dialog.reason.toPlainText()
    assert [r["Status"] for r in table_rows(tab) if r["Consent"] == "Procedure"] == ["Signed"]


# -- the progress report's comment -----------------------------------------------------------------


def test_a_report_comment_too_long_to_print_keeps_the_dialog_open_with_the_text(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, patient: Patient
) -> None:
    _window, tab = open_documents(open_window, clinic.clinician, patient)
    tab.progress_report_button.click()
    dialog = tab.report_dialog
    assert isinstance(dialog, ProgressReportDialog) and dialog.isVisible()
    dialog.patient.click()
    pasted = " ".join(["Good response at the crown."] * 80)  # pasted in: over the limit
    assert len(pasted) > REPORT_COMMENT_MAX
    dialog.comment.setPlainText(pasted)
    dialog.make_button.click()
    assert dialog.isVisible() and tab.task is None  # nothing is being made
    assert dialog.comment_field.error == (
        f"Your comment is too long ({len(pasted)} characters; at most {REPORT_COMMENT_MAX})."
    )
    assert dialog.comment.toPlainText() == pasted and dialog.flavour() == "patient"
    dialog.comment.setPlainText(pasted[:REPORT_COMMENT_MAX])
    dialog.make_button.click()
    assert not dialog.isVisible() and dialog.comment_field.error == ""
    preview = wait_for_preview(qtbot, tab)
    assert preview.windowTitle().startswith("Your progress report")
    preview.close()


# -- Admin > Clinic details ---------------------------------------------------------------------


def test_clinic_details_refuse_what_documents_cannot_print_and_keep_what_was_typed(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    tmp_path: Path,
) -> None:
    window = open_window(clinic.admin)
    dialog = open_details(window)
    long_name = " and ".join(["Harley Street Hair and Scalp Restoration Clinic"] * 4)
    retype(qtbot, dialog, "name", long_name)
    retype(qtbot, dialog, "phone", "020 7946 0000 (reception), 020 7946 0001 (nurse), ext 12")

    # Logos: too large (its size said), not a PNG, a folder.
    big = tmp_path / "logo-print.png"
    picture = Image.effect_noise((1400, 1400), 100).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "PNG")
    big.write_bytes(out.getvalue())
    assert big.stat().st_size > LOGO_MAX_BYTES
    assert not dialog.set_logo_file(big)
    assert "logo-print.png is too large (" in dialog.errors()["logo_png"]
    assert "at most 512 KB" in dialog.errors()["logo_png"]
    jpeg = tmp_path / "logo.jpg"
    Image.new("RGB", (240, 80), "navy").save(jpeg, "JPEG")
    assert not dialog.set_logo_file(jpeg)
    assert dialog.errors()["logo_png"].startswith("logo.jpg is not a PNG picture. Save the logo")
    assert not dialog.set_logo_file(tmp_path)
    assert "is a folder" in dialog.errors()["logo_png"]
    assert dialog.logo is None and dialog.logo_preview.text() == "No logo"

    # The cooling-off period typed over the limit stays as typed and is refused.
    spin = dialog.cooling_off_days
    assert isinstance(spin, QSpinBox)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "90")
    assert spin.value() == 90
    dialog.save_button.click()
    assert dialog.isVisible()
    assert dialog.errors() == {"cooling_off_days": "must be from 0 to 60 days"}
    # Nothing was saved, not even the fields that were right: all or nothing.
    assert clinic.services.clinic_details.details().name == "Test Clinic"
    assert clinic.services.clinic.cooling_off_days() == 14

    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "21")
    dialog.save_button.click()
    errors = dialog.errors()
    assert errors["name"] == f"is too long ({len(long_name)} characters; at most 120)"
    assert errors["phone"].startswith("is too long (")
    assert dialog.text("name") == long_name  # kept, to shorten rather than retype
    assert dialog.isVisible() and clinic.services.clinic.cooling_off_days() == 14

    retype(qtbot, dialog, "name", "Harley Hair Clinic")
    retype(qtbot, dialog, "phone", "020 7946 0000")
    assert dialog.set_logo_file(logo_png(tmp_path / "small.png"))
    dialog.save_button.click()
    assert not dialog.isVisible()
    assert clinic.services.clinic_details.details().name == "Harley Hair Clinic"
    assert clinic.services.clinic.cooling_off_days() == 21
