"""The Documents tab: the consent pack and the forms open in the preview, printing and saving
there are recorded in the document log, the tables show the consents and the log, and each
role sees what it may use."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.documents.templates import CONSENT_PACK, TemplateLibrary
from clinicdesk.domain.consent import ConsentKind, ConsentStatus
from clinicdesk.domain.medical import LabResult, LabTest, MedicalHistory
from clinicdesk.domain.patient import Patient
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.documents.pdf_preview import PdfPreviewDialog
from clinicdesk.ui.documents.progress_report import ProgressReportDialog
from clinicdesk.ui.documents.signed_form import AttachmentImageDialog
from clinicdesk.ui.documents.tab import DocumentsTab
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import VALID_PATIENT, Clinic
from tests.documents.pdf_helpers import pages_text
from tests.services.clinical_setup import consultation_form, signature_png
from tests.ui.conftest import WindowFactory, type_text

DISCUSSED_DAYS_AGO = 3  # inside the default 14-day cooling-off period


# -- shared with test_consent_flow and test_clinic_details_dialog -------------------------------


def booked_patient(clinic: Clinic) -> Patient:
    """Zoë Łukasz, booked for micrografting: recent labs, no red flags, and a consultation
    with the consent discussion three days ago (so today is inside the cooling-off period)."""
    services = clinic.services
    today = services.patients.today()
    patient = services.patients.register(
        clinic.reception,
        dict(VALID_PATIENT) | {"first_name": "Zoë", "last_name": "Łukasz", "nhs_number": ""},
    )
    labs_on = today - timedelta(days=10)
    services.patients.save_medical_history(
        clinic.clinician,
        patient.id,
        MedicalHistory(
            labs=(LabResult(LabTest.FERRITIN, 60, labs_on), LabResult(LabTest.TSH, 1.8, labs_on))
        ),
    )
    discussed = (today - timedelta(days=DISCUSSED_DAYS_AGO)).isoformat()
    services.clinical.add_consultation(
        clinic.clinician,
        patient.id,
        consultation_form(
            clinic, consulted_on=discussed, discussed_on=discussed, decided_on=discussed
        ),
    )
    return patient


def open_documents(
    open_window: WindowFactory, user: CurrentUser, patient: Patient
) -> tuple[MainWindow, DocumentsTab]:
    window = open_window(user)
    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.documents)
    return window, window.documents


def pdf_printer(path: Path) -> QPrinter:
    """A printer that writes a PDF file, coarse (72 dpi) so a ten-page pack prints quickly."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setResolution(72)
    return printer


def wait_for_preview(qtbot: QtBot, tab: DocumentsTab) -> PdfPreviewDialog:
    qtbot.waitUntil(lambda: tab.preview is not None and tab.preview.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: tab.task is None)
    assert tab.preview is not None
    return tab.preview


def print_preview(qtbot: QtBot, preview: PdfPreviewDialog) -> None:
    """Print… in the preview, Print in the print dialog (the tests' stand-in, which keeps
    the test's PDF-file printer), and wait for the pages."""
    with qtbot.waitSignal(preview.printed, timeout=30000):
        preview.print_action.trigger()
    qtbot.waitUntil(lambda: preview.print_task is None)


def table_rows(tab: DocumentsTab, which: str = "consents") -> list[dict[str, str]]:
    """What the consents table (or the document log) shows, a dict per row."""
    model = tab.consent_model if which == "consents" else tab.log_model
    columns = model.COLUMNS
    return [
        {title: str(model.index(row, column).data() or "") for column, title in enumerate(columns)}
        for row in range(model.rowCount())
    ]


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# -- tests --------------------------------------------------------------------------------------


def test_reception_makes_the_pack_with_the_shortcut_and_its_saving_is_logged(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = booked_patient(clinic)
    window, tab = open_documents(open_window, clinic.reception, patient)
    window.tabs.setCurrentWidget(window.demographics)  # the shortcut works from any tab
    assert table_rows(tab) == []  # not read until the tab is shown

    qtbot.keyClick(
        window.search_box,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    preview = wait_for_preview(qtbot, tab)
    pages = page_count(preview.pdf)
    assert preview.page_count == pages >= 4
    assert preview.windowTitle() == "Consent pack – Zoë Łukasz"
    assert preview.page_label.text() == f"Page 1 of {pages}"
    text = "\n".join(pages_text(preview.pdf))
    assert "Zoë Łukasz" in text and "micrograft-consent" in text

    target = tmp_path / "pack.pdf"
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda *_args: (str(target), "PDF files (*.pdf)"),
    )
    preview.save_action.trigger()
    assert target.read_bytes() == preview.pdf

    window.tabs.setCurrentWidget(tab)
    log = table_rows(tab, "log")
    assert [(r["Action"], r["Document"], r["By"]) for r in log] == [
        ("Saved", "Consent pack", "Rex Reception"),
        ("Generated", "Consent pack", "Rex Reception"),
    ]
    library = TemplateLibrary()
    assert log[0]["Wording"] == ", ".join(
        f"{template_id} v{library.current(template_id).version}" for template_id in CONSENT_PACK
    )
    # Printing the pack prepared the procedure and the photo consent.
    assert sorted((r["Consent"], r["Status"]) for r in table_rows(tab)) == [
        ("Photo", "Prepared"),
        ("Procedure", "Prepared"),
    ]
    assert tab.sign_action.isEnabled() and not tab.withdraw_action.isEnabled()


def test_each_form_or_sheet_opens_in_the_preview_and_is_logged(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    _window, tab = open_documents(open_window, clinic.reception, patient)
    titles = [action.text() for action in tab.forms_menu.actions()]
    assert titles[0] == "Consent to autologous cellular micrografting for hair loss"
    assert "Aftercare after micrografting" in titles and len(titles) == 5

    tab.form_actions["aftercare"].trigger()
    preview = wait_for_preview(qtbot, tab)
    assert preview.windowTitle() == "Aftercare after micrografting – Zoë Łukasz"
    wording = f"aftercare v{TemplateLibrary().current('aftercare').version}"
    assert wording in " ".join(pages_text(preview.pdf))
    assert [(r["Action"], r["Document"], r["Wording"]) for r in table_rows(tab, "log")] == [
        ("Generated", "Aftercare after micrografting", wording)
    ]
    assert table_rows(tab) == []  # an information sheet prepares no consent

    # A consent form on its own prepares its consent; the previous preview is replaced.
    tab.form_actions["photo-consent"].trigger()
    second = wait_for_preview(qtbot, tab)
    assert second is not preview
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, PdfPreviewDialog)]
    assert [w for w in shown if w.isVisible()] == [second]
    assert [(r["Consent"], r["Status"]) for r in table_rows(tab)] == [("Photo", "Prepared")]


@pytest.mark.parametrize(
    ("role", "report", "clinic_details", "tabs"),
    [
        ("reception", False, False, ["Demographics", "Documents"]),
        ("clinician", True, False, None),
        ("admin", False, True, None),
    ],
)
def test_every_role_has_the_tab_and_only_clinicians_the_progress_report(
    clinic: Clinic,
    open_window: WindowFactory,
    role: str,
    report: bool,
    clinic_details: bool,
    tabs: list[str] | None,
) -> None:
    patient = booked_patient(clinic)
    user = getattr(clinic, role)
    window, tab = open_documents(open_window, user, patient)
    labels = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    assert "Documents" in labels
    if tabs is not None:
        assert labels == tabs
    assert tab.progress_report_button.isVisible() is report
    assert tab.consent_pack_button.isVisible() and tab.forms_button.isVisible()
    assert window.clinic_details_action.isVisible() is clinic_details
    assert window.admin_menu.menuAction().isVisible() is (role == "admin")


def test_a_clinician_makes_the_patients_progress_report_with_a_comment(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    _window, tab = open_documents(open_window, clinic.clinician, patient)
    comment = "Zoë: good early response at the crown."

    def fill(modal: QWidget) -> None:
        assert isinstance(modal, ProgressReportDialog)
        modal.patient.click()
        type_text(qtbot, modal.comment, comment)
        modal.make_button.click()

    tab.progress_report_button.click()
    assert tab.report_dialog is not None and tab.report_dialog.isVisible()
    fill(tab.report_dialog)
    preview = wait_for_preview(qtbot, tab)
    assert preview.windowTitle() == "Your progress report – Zoë Łukasz"
    text = " ".join(" ".join(pages_text(preview.pdf)).split())
    assert comment in text
    assert [(r["Action"], r["Document"], r["Wording"]) for r in table_rows(tab, "log")] == [
        ("Generated", "Progress report", "")
    ]


def test_switching_patient_closes_the_preview_and_empties_the_tables(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    window, tab = open_documents(open_window, clinic.reception, patient)
    tab.consent_pack_button.click()
    preview = wait_for_preview(qtbot, tab)
    assert table_rows(tab)
    window.show_placeholder()
    assert not preview.isVisible() and tab.preview is None
    assert table_rows(tab) == [] and table_rows(tab, "log") == []
    assert not tab.consent_pack_action.isEnabled()


def test_double_clicking_a_signed_consent_shows_the_signed_form(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    services = clinic.services
    pack = services.documents.consent_pack(clinic.reception, patient.id)
    today = services.patients.today()
    consents = {c.kind: c for c in services.consents.consents(clinic.clinician, patient.id)}
    procedure, photo = consents[ConsentKind.PROCEDURE], consents[ConsentKind.PHOTO]
    services.consents.sign(
        clinic.clinician,
        procedure.id,
        procedure.version,
        today,
        clinic.clinician.id,
        scan=("signed pack.pdf", pack.pdf),  # the printed pack, as scanned back in
    )
    services.consents.sign(
        clinic.clinician,
        photo.id,
        photo.version,
        today,
        clinic.clinician.id,
        signature_png=signature_png(patient.id),
        photo_scopes={"clinical_record": True, "teaching": False, "marketing": False},
    )
    _window, tab = open_documents(open_window, clinic.reception, patient)
    rows = {r["Consent"]: r for r in table_rows(tab)}
    assert rows["Photo"]["Photo scopes"] == "Clinical record ✓ · Teaching ✗ · Marketing ✗"
    assert rows["Procedure"]["Status"] == "Signed"
    assert rows["Procedure"]["Taken by"] == "Dr Cara Clinician"

    def activate(kind: str) -> None:
        row = next(i for i, r in enumerate(table_rows(tab)) if r["Consent"] == kind)
        index: QModelIndex = tab.consent_model.index(row, 0)
        tab.consent_table.activated.emit(index)

    activate("Procedure")
    preview = tab.preview
    assert preview is not None and preview.isVisible()
    assert preview.page_count == page_count(pack.pdf)
    assert preview.windowTitle() == "Signed procedure consent – Zoë Łukasz"
    assert not preview.print_action.isVisible() and not preview.save_action.isVisible()

    activate("Photo")
    image_dialog = tab.image_dialog
    assert isinstance(image_dialog, AttachmentImageDialog) and image_dialog.isVisible()
    assert image_dialog.caption.text() == f"Signature drawn on screen on {today:%d/%m/%Y}."
    assert not image_dialog.image.isNull()
    # Each look is an audited view of the consent.
    views = services.db.execute(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'consent' AND action = 'view'"
    ).fetchone()[0]
    assert views == 2
    assert all(c.status is ConsentStatus.SIGNED for c in tab.consents)


def test_the_idle_lock_closes_the_preview_and_hides_the_signing_until_unlocked(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    from tests.conftest import PASSWORD

    patient = booked_patient(clinic)
    window, tab = open_documents(open_window, clinic.reception, patient)
    tab.consent_pack_button.click()
    preview = wait_for_preview(qtbot, tab)
    sign = tab.open_sign_dialog()
    assert sign is not None and sign.isVisible()
    window.idle_lock.lock()
    assert not preview.isVisible() and not sign.isVisible()
    assert not tab.consent_pack_action.isEnabled()  # Ctrl+Shift+P is off while locked
    # The signing being recorded comes back, as it was, for the same user.
    window.idle_lock._unlock(PASSWORD)
    assert sign.isVisible() and not preview.isVisible()
    assert tab.consent_pack_action.isEnabled()
