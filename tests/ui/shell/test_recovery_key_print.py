"""The printed recovery key: the clinic's name, the date and the key in large monospaced type,
on one A4 page, sent to the printer chosen in the print dialog."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.domain.dates import format_uk
from clinicdesk.storage.keys import format_recovery_key, parse_recovery_key
from clinicdesk.ui.shell.recovery_key import RecoveryKeyDialog
from tests.ui.conftest import PrintDialogStandIn, click_message_button, when_modal
from tests.ui.documents.test_pdf_preview import ink, pdf_printer, rendered_pages

KEY = format_recovery_key(bytes(range(32)))
CLINIC_NAME = "Harley Hair Clinic – Zoë's Satellite"
TODAY = date(2026, 3, 4)


def key_dialog(qtbot: QtBot) -> RecoveryKeyDialog:
    dialog = RecoveryKeyDialog(KEY, CLINIC_NAME, TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def text_runs(pdf: bytes) -> list[tuple[str, str, float]]:
    """Every piece of text on the first page: (text, font name, size in points)."""
    runs: list[tuple[str, str, float]] = []

    def visit(text: str, _cm: object, tm: list[float], font: object, size: float) -> None:
        if text.strip() and isinstance(font, dict):
            runs.append((text.strip(), str(font["/BaseFont"]).lstrip("/"), size * abs(tm[3])))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return runs


def test_the_printed_key_names_the_clinic_and_date_with_the_key_large_and_monospaced(
    qtbot: QtBot,
) -> None:
    dialog = key_dialog(qtbot)
    pdf = dialog.key_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = page.extract_text()
    assert CLINIC_NAME in text
    assert f"Printed on {format_uk(TODAY)}" in text
    runs = text_runs(pdf)
    key_runs = [run for run in runs if re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4})*", run[0])]
    # The whole key, in order, four groups a line, and it types back as the same key.
    assert "-".join(t for t, _, _ in key_runs) == KEY
    assert parse_recovery_key(" ".join(t for t, _, _ in key_runs)) == bytes(range(32))
    assert all(len(t.split("-")) <= 4 for t, _, _ in key_runs)
    for _, font, size in key_runs:
        # Monospaced (O and 0, I and 1 line up in columns), and embedded (a subset: "ABCDEF+").
        assert re.fullmatch(r"[A-Z]{6}\+DejaVuSansMono-Bold", font), font
        assert size >= 16
    # Nothing else on the page is that large: the key is what stands out.
    assert max(size for t, _, size in runs if (t, _, size) not in key_runs) < 22


def test_print_sends_the_key_page_to_the_printer_chosen(
    qtbot: QtBot, tmp_path: Path, print_dialog: PrintDialogStandIn
) -> None:
    dialog = key_dialog(qtbot)
    out = tmp_path / "key.pdf"
    dialog.printer = pdf_printer(out, dpi=150)
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert print_dialog.asked == ["ClinicDesk recovery key"]
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    # The page printed is the key's page (about the same ink), at its real size.
    printed, original = rendered_pages(out.read_bytes())[0], rendered_pages(dialog.key_pdf())[0]
    assert 0.9 * ink(original) < ink(printed) < 1.1 * ink(original)
    assert dialog.status.text().startswith(f"Sent to {out}.")

    # Cancelled in the print dialog: nothing is sent.
    out.unlink()
    print_dialog.cancel = True
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert not out.exists()


@pytest.mark.qt_log_ignore(r"QPainter::begin\(\): Returned false", extend=True)
def test_a_printer_that_does_not_start_says_the_key_was_not_printed(
    qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = key_dialog(qtbot)
    dialog.printer = pdf_printer(tmp_path / "no such folder" / "key.pdf")
    shown = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert shown and "Printing could not start" in shown[0]
    assert dialog.status.text() == "The recovery key was not printed."
