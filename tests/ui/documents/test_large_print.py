"""The Documents tab's "Large print" check box: what is made while it is ticked has 12 pt body
text, and unticking it goes back to the usual size."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.conftest import Clinic
from tests.ui.conftest import WindowFactory
from tests.ui.documents.test_documents_tab import booked_patient, open_documents, wait_for_preview


def sizes(pdf: bytes) -> set[float]:
    found: set[float] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        content = page.get_contents()
        assert content is not None
        found |= {float(s) for s in re.findall(rb"/[\w+]+ ([\d.]+) Tf", content.get_data())}
    return found


def test_the_large_print_box_makes_the_next_document_in_large_print(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    _window, tab = open_documents(open_window, clinic.reception, patient)
    box = tab.large_print_box
    assert box.isVisible() and not box.isChecked()

    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert box.isChecked()
    tab.form_actions["pre-treatment"].trigger()
    preview = wait_for_preview(qtbot, tab)
    assert 12.0 in sizes(preview.pdf) and 9.0 not in sizes(preview.pdf)

    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert not box.isChecked()
    tab.form_actions["pre-treatment"].trigger()
    qtbot.waitUntil(lambda: tab.preview is not preview and tab.preview is not None)
    normal = wait_for_preview(qtbot, tab)
    assert 9.0 in sizes(normal.pdf) and 12.0 not in sizes(normal.pdf)


def test_large_print_makes_the_patients_report_large_and_leaves_the_clinical_one(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = booked_patient(clinic)
    _window, tab = open_documents(open_window, clinic.clinician, patient)
    qtbot.mouseClick(tab.large_print_box, Qt.MouseButton.LeftButton)
    tab.make_progress_report("patient")
    preview = wait_for_preview(qtbot, tab)
    assert 12.0 in sizes(preview.pdf) and 9.0 not in sizes(preview.pdf)
    # The clinical report's tables are laid out for the usual size (and it stays in the
    # clinic): still ticked, it is made as usual, not refused.
    tab.make_progress_report("clinical")
    qtbot.waitUntil(lambda: tab.preview is not preview and tab.preview is not None)
    clinical = wait_for_preview(qtbot, tab)
    assert 9.0 in sizes(clinical.pdf) and 12.0 not in sizes(clinical.pdf)
