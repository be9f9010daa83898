"""RELIABILITY row 37 in the GUI: saving from the preview, printing and the lot list's export
when the database cannot record them (the data disk full): no file the log lacks, and a message
that says what really happened. The service side is tests/reliability/test_recorded_outputs.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.storage import audit
from clinicdesk.storage.database import StorageError
from tests.conftest import Clinic
from tests.reliability.test_recorded_outputs import full
from tests.ui.care.test_lots import open_finder, treat
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal
from tests.ui.documents.test_documents_tab import (
    booked_patient,
    open_documents,
    pdf_printer,
    table_rows,
    wait_for_preview,
)


def test_saving_from_the_preview_when_the_log_cannot_record_it_says_so_truly(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = booked_patient(clinic)
    window, tab = open_documents(open_window, clinic.reception, patient)
    tab.make_consent_pack()
    preview = wait_for_preview(qtbot, tab)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "pack.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a: (str(target), ""))
    monkeypatch.setattr(clinic.services.consents, "record_document", full)
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    preview.save_action.trigger()
    qtbot.waitUntil(lambda: bool(seen))
    assert seen[0].startswith("pack.pdf was not saved") and "disk is full" in seen[0]
    assert preview.status.text() == "pack.pdf was not saved."
    assert list(out.iterdir()) == []  # what the message says
    assert [r["Action"] for r in table_rows(tab, "log")] == ["Generated"]

    monkeypatch.undo()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a: (str(target), ""))
    preview.save_action.trigger()
    assert target.read_bytes() == preview.pdf
    assert [r["Action"] for r in table_rows(tab, "log")] == ["Saved", "Generated"]
    assert preview.status.text() == f"Saved as {target}."
    window.close()


def test_printing_that_cannot_be_recorded_says_it_was_printed_but_not_recorded(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = booked_patient(clinic)
    _window, tab = open_documents(open_window, clinic.reception, patient)
    printed = tmp_path / "printed.pdf"
    tab.printer = pdf_printer(printed)
    tab.make_consent_pack()
    preview = wait_for_preview(qtbot, tab)
    monkeypatch.setattr(clinic.services.consents, "record_document", full)
    # The message opens once the pages have gone (``printed``), after the print dialog.
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Ok), 30000, QMessageBox)
    preview.print_action.trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=30000)
    qtbot.waitUntil(lambda: preview.print_task is None)
    assert seen[0].startswith("“Consent pack” was printed, but that could not be recorded")
    assert "disk is full" in seen[0]
    assert printed.read_bytes().startswith(b"%PDF")  # printed, on the printer it was given


def test_a_lot_list_whose_export_cannot_be_audited_is_not_left_behind(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    treat(clinic, "Ada", "Archer", kit_lot="KIT-1")
    dialog = open_finder(open_window(clinic.clinician))
    type_text(qtbot, dialog.lot_edit, "KIT-1")
    qtbot.keyClick(dialog.lot_edit, Qt.Key.Key_Return)
    append = audit.append

    def append_unless_export(db: object, actor: str, action: str, *rest: object) -> Any:
        if action == "export":
            full()
        return append(db, actor, action, *rest)  # type: ignore[arg-type]

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(audit, "append", append_unless_export)
    with pytest.raises(StorageError, match="nothing was saved"):
        dialog.export_csv(out / "lot.csv")
    assert list(out.iterdir()) == []
