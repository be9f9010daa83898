"""From the printed consent pack to the treatment, through the GUI: reception prints the pack and
records it signed, and the clinician's treatment inside the cooling-off period is blocked until
they give an override reason. Then the details of the signing and withdrawal dialogs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.domain.consent import ConsentKind, ConsentStatus
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.ui.care.treatment_form import OverrideDialog
from clinicdesk.ui.documents import sign_consent
from clinicdesk.ui.documents.sign_consent import SignConsentDialog
from clinicdesk.ui.documents.signature_pad import SignatureDialog, SignaturePad
from clinicdesk.ui.documents.tab import DocumentsTab
from clinicdesk.ui.documents.withdraw_consent import MARKETING_NOTE, WithdrawConsentDialog
from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog
from tests.conftest import Clinic
from tests.services.clinical_setup import signature_png
from tests.ui.care.test_timeline import fill_treatment, rows, treatment_form_of
from tests.ui.conftest import WindowFactory, type_text, when_modal
from tests.ui.documents.test_documents_tab import (
    DISCUSSED_DAYS_AGO,
    booked_patient,
    open_documents,
    page_count,
    pdf_printer,
    print_preview,
    table_rows,
    wait_for_preview,
)


def sign_dialog(tab: DocumentsTab) -> SignConsentDialog:
    tab.findChild(QWidget, "record_signed").click()  # type: ignore[union-attr]
    dialog = tab.sign_dialog
    assert isinstance(dialog, SignConsentDialog) and dialog.isVisible()
    return dialog


def withdraw_dialog(tab: DocumentsTab) -> WithdrawConsentDialog:
    tab.findChild(QWidget, "withdraw_consent").click()  # type: ignore[union-attr]
    dialog = tab.withdraw_dialog
    assert isinstance(dialog, WithdrawConsentDialog) and dialog.isVisible()
    return dialog


def choose_scan(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The file chooser answers ``path``, as if the user picked it."""
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileName",
        lambda *_args: (str(path), sign_consent.SCAN_FILTER),
    )


def drag(pad: SignaturePad, points: Sequence[QPoint]) -> None:
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(pad, left, none, points[0])
    for point in points[1:]:
        QTest.mouseMove(pad, point)
    QTest.mouseRelease(pad, left, none, points[-1])


def sign_with_the_mouse(modal: QWidget) -> None:
    assert isinstance(modal, SignatureDialog), f"expected the signature pad, got {modal!r}"
    drag(modal.pad, [QPoint(40 + 12 * i, 90 + (18 if i % 2 else -18)) for i in range(20)])
    drag(modal.pad, [QPoint(60, 120), QPoint(300, 118)])
    modal.ok_button.click()


def test_reception_prints_and_records_the_pack_then_the_cooling_off_blocks_until_overridden(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = booked_patient(clinic)
    today = clinic.services.patients.today()

    # Reception prints the pack: preview, then Print… through QPrinter to a PDF file.
    _window, tab = open_documents(open_window, clinic.reception, patient)
    printed = tmp_path / "printed pack.pdf"
    tab.printer = pdf_printer(printed)
    tab.consent_pack_button.click()
    preview = wait_for_preview(qtbot, tab)
    pages = preview.page_count
    assert pages == page_count(preview.pdf) and preview.page_label.text() == f"Page 1 of {pages}"
    print_preview(qtbot, preview)
    assert page_count(printed.read_bytes()) == pages
    log = table_rows(tab, "log")
    assert [(r["Action"], r["Document"], r["By"]) for r in log] == [
        ("Printed", "Consent pack", "Rex Reception"),
        ("Generated", "Consent pack", "Rex Reception"),
    ]
    assert log[0]["When"].startswith(format_uk(today))
    preview.close()

    # The patient signs the paper; reception scans it and records the procedure consent.
    dialog = sign_dialog(tab)
    assert dialog.consent().kind is ConsentKind.PROCEDURE  # the newest prepared procedure one
    assert dialog.signed_on.text() == format_uk(today)
    assert dialog.taken_by.currentText() == "Dr Cara Clinician (GMC 1234567)"  # led the talk
    assert dialog.witness.text() == "Rex Reception" and dialog.witness.isReadOnly()
    assert not dialog.scopes_box.isVisibleTo(dialog)  # scopes are the photo consent's
    dialog.save_button.click()  # nothing attached yet
    assert dialog.isVisible()
    assert "scanned signed form" in dialog.errors()["attachment"]
    choose_scan(monkeypatch, printed)  # the printed copy stands in for the scan
    dialog.attach_button.click()
    assert dialog.scan_label.text().startswith("✓ Scan attached: printed pack.pdf")
    dialog.save_button.click()
    assert not dialog.isVisible()
    consents = {r["Consent"]: r for r in table_rows(tab)}
    assert consents["Procedure"]["Status"] == "Signed"
    assert consents["Procedure"]["Signed"] == format_uk(today)
    assert consents["Procedure"]["Taken by"] == "Dr Cara Clinician"
    assert consents["Procedure"]["Witness"] == "Rex Reception"
    assert consents["Photo"]["Status"] == "Prepared"
    assert tab.status.text() == f"Procedure consent recorded as signed on {format_uk(today)}."

    # The clinician records the treatment today: inside the cooling-off period.
    clinician_window = open_window(clinic.clinician)
    clinician_window.open_patient(patient.id)
    clinician_window.tabs.setCurrentWidget(clinician_window.timeline)
    timeline = clinician_window.timeline
    form = treatment_form_of(timeline)
    fill_treatment(qtbot, form, treated_on=format_uk(today))
    seen: list[str] = []

    def cancel(modal: QWidget) -> None:
        assert isinstance(modal, OverrideDialog)
        seen.append(modal.reasons.text())
        modal.reject()

    when_modal(cancel)
    form.save_button.click()  # type: ignore[union-attr]
    discussed = today - timedelta(days=DISCUSSED_DAYS_AGO)
    assert seen == [
        f"•  Inside the 14-day cooling-off period: the consent discussion was on "
        f"{format_uk(discussed)}; treatment is possible from "
        f"{format_uk(discussed + timedelta(days=14))}."
    ]
    assert form.isVisible()
    assert clinic.services.clinical.treatments(clinic.clinician, patient.id) == []

    reason = "Patient travels abroad for six months; discussed the risks again today"

    def override(modal: QWidget) -> None:
        assert isinstance(modal, OverrideDialog)
        type_text(qtbot, modal.reason, reason)
        modal.save_button.click()

    when_modal(override)
    form.save_button.click()  # type: ignore[union-attr]
    assert not form.isVisible()
    [treatment] = clinic.services.clinical.treatments(clinic.clinician, patient.id)
    assert [o.reason for o in treatment.overrides] == [reason]
    assert (format_uk(today), "Treatment") in [(row[0], row[1]) for row in rows(timeline)]


def test_a_photo_consent_signed_on_screen_keeps_the_scopes_ticked(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    clinic.services.documents.form(clinic.reception, patient.id, "photo-consent")
    _window, tab = open_documents(open_window, clinic.clinician, patient)
    dialog = sign_dialog(tab)
    assert dialog.consent().kind is ConsentKind.PHOTO
    assert dialog.scopes_box.isVisibleTo(dialog)
    assert dialog.taken_by.currentData() == clinic.clinician.id
    assert not dialog.witness.isReadOnly() and dialog.witness.text() == ""

    dialog.signed_on.setText(format_uk(clinic.services.patients.today() + timedelta(days=1)))
    type_text(qtbot, dialog.interpreter, "Agnieszka Wójcik")
    dialog.save_button.click()
    assert dialog.errors() == {"signed_on": "is in the future"}
    assert dialog.message.text().startswith("Not saved")

    dialog.signed_on.setText(format_uk(clinic.services.patients.today()))
    when_modal(sign_with_the_mouse)
    dialog.draw_button.click()
    assert dialog.signature_png is not None and dialog.signature_png.startswith(b"\x89PNG")
    assert dialog.signature_label.text() == "✓ Signature drawn on screen:"
    assert dialog.signature_preview.isVisible()
    dialog.scope_boxes[ConsentScope.CLINICAL_RECORD].click()
    dialog.scope_boxes[ConsentScope.MARKETING].click()
    dialog.save_button.click()
    assert not dialog.isVisible()
    [row] = table_rows(tab)
    assert row["Status"] == "Signed"
    assert row["Photo scopes"] == "Clinical record ✓ · Teaching ✗ · Marketing ✓"
    assert row["Witness"] == "Interpreter: Agnieszka Wójcik"
    [consent] = clinic.services.consents.consents(clinic.clinician, patient.id)
    assert consent.interpreter_name == "Agnieszka Wójcik"
    assert consent.signature_sha256 is not None and consent.scan_sha256 is None


def _signed_photo_consent(clinic: Clinic, patient_id: str) -> None:
    services = clinic.services
    services.documents.form(clinic.reception, patient_id, "photo-consent")
    [prepared] = services.consents.consents(clinic.clinician, patient_id)
    services.consents.sign(
        clinic.clinician,
        prepared.id,
        prepared.version,
        services.patients.today(),
        clinic.clinician.id,
        signature_png=signature_png(patient_id),
        photo_scopes={"clinical_record": True, "teaching": True, "marketing": True},
    )


def test_withdrawing_marketing_consent_shows_in_the_table(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    _signed_photo_consent(clinic, patient.id)
    _window, tab = open_documents(open_window, clinic.reception, patient)
    dialog = withdraw_dialog(tab)
    # Marketing alone is what patients usually withdraw: it is ticked, and what it does is said.
    ticked = [s for s, box in dialog.scope_boxes.items() if box.isChecked()]
    assert ticked == [ConsentScope.MARKETING]
    assert dialog.note.text() == MARKETING_NOTE and dialog.note.isVisibleTo(dialog)
    dialog.save_button.click()
    assert dialog.errors()["reason"].startswith("is required")

    type_text(qtbot, dialog.reason, "Does not want to appear on the website")
    dialog.save_button.click()
    assert not dialog.isVisible()
    today = format_uk(clinic.services.patients.today())
    [row] = table_rows(tab)
    assert row["Status"] == "Signed"  # clinical record and teaching stay in force
    assert row["Photo scopes"] == (
        f"Clinical record ✓ · Teaching ✓ · Marketing ✗ (withdrawn {today})"
    )
    assert row["Withdrawn"] == f"Marketing {today}: Does not want to appear on the website"

    # Withdrawing the rest withdraws the consent itself.
    dialog = withdraw_dialog(tab)
    assert not dialog.scope_boxes[ConsentScope.MARKETING].isEnabled()
    for scope in (ConsentScope.CLINICAL_RECORD, ConsentScope.TEACHING):
        dialog.scope_boxes[scope].click()
    assert "the photo consent is withdrawn" in dialog.note.text()
    type_text(qtbot, dialog.reason, "Moving abroad")
    dialog.save_button.click()
    [row] = table_rows(tab)
    assert row["Status"] == "Withdrawn"
    assert not tab.withdraw_action.isEnabled()


def test_a_withdrawal_someone_else_saved_first_shows_both_versions(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    _signed_photo_consent(clinic, patient.id)
    _window, tab = open_documents(open_window, clinic.clinician, patient)
    dialog = withdraw_dialog(tab)
    type_text(qtbot, dialog.reason, "No adverts, please")
    # Meanwhile at the desk: teaching is withdrawn on another workstation.
    [consent] = clinic.services.consents.consents(clinic.reception, patient.id)
    clinic.services.consents.withdraw(
        clinic.reception,
        consent.id,
        consent.version,
        clinic.services.patients.today(),
        "No teaching",
        scopes=["teaching"],
    )
    compared: list[list[str]] = []

    def keep_mine(modal: QWidget) -> None:
        assert isinstance(modal, ConcurrentEditDialog)
        table = modal.table
        compared.extend(
            [item.text() if (item := table.item(r, c)) else "" for c in range(3)]
            for r in range(table.rowCount())
        )
        modal.keep_mine.click()

    when_modal(keep_mine)
    dialog.save_button.click()
    assert ["Scopes withdrawn", "Identifiable marketing", "Anonymised teaching"] in compared
    assert dialog.isVisible() and "Press Withdraw consent again" in dialog.message.text()
    dialog.save_button.click()  # knowingly, on top of the other change
    assert not dialog.isVisible()
    [stored] = clinic.services.consents.consents(clinic.clinician, patient.id)
    assert stored.status is ConsentStatus.SIGNED
    assert {g.scope for g in stored.scopes if g.withdrawn_on is not None} == {
        ConsentScope.TEACHING,
        ConsentScope.MARKETING,
    }
    [row] = table_rows(tab)
    assert "Teaching ✗ (withdrawn" in row["Photo scopes"]


# A popup menu on the offscreen platform: grabbing the keyboard is what it cannot do.
@pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard", extend=True)
def test_a_signed_consent_prints_again_on_its_own_wording_from_the_consents_menu(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    from clinicdesk.documents.templates import TemplateLibrary
    from tests.documents.pdf_helpers import pages_text

    patient = booked_patient(clinic)
    old = TemplateLibrary().get("micrograft-consent", 1)
    consents = clinic.services.consents
    prepared = consents.prepare(
        clinic.clinician, patient.id, old.id, old.version, old.text_hash, ConsentKind.PROCEDURE
    )
    consents.sign(
        clinic.clinician,
        prepared.id,
        prepared.version,
        clinic.services.patients.today(),
        clinic.clinician.id,
        signature_png=signature_png(patient.id),
    )
    _window, tab = open_documents(open_window, clinic.reception, patient)
    rect = tab.consent_table.visualRect(tab.consent_model.index(0, 0))
    tab.consent_table.customContextMenuRequested.emit(rect.center())
    menu = tab.consent_menu
    assert menu is not None
    [copy] = [a for a in menu.actions() if a.objectName() == "consent_copy"]
    assert copy.text() == "Print a copy of this form (version 1)" and copy.isEnabled()
    qtbot.waitExposed(menu)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(copy).center())
    preview = wait_for_preview(qtbot, tab)
    pages = pages_text(preview.pdf)
    # The wording signed (v1), not the current one; and the copy made is in the log.
    assert all(f"micrograft-consent v1 · sha256 {old.short_hash}" in page for page in pages)
    assert "relatively new" not in "".join(pages)
    assert len(consents.consents(clinic.clinician, patient.id)) == 1  # no new consent
    log = consents.documents(clinic.reception, patient.id)
    assert [(r.action.value, r.template and r.template.version) for r in log] == [("generated", 1)]
    assert "right-click" in tab.consents_hint.text()
