"""The PDF preview: pages on screen, zoom, Save as PDF, and printing through QPrinter (to a
PDF file, read back with pypdf and rendered again to check the pages carry the ink)."""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfPageRenderer
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QRadioButton, QWidget
from pytestqt.qtbot import QtBot
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from clinicdesk.errors import UserError
from clinicdesk.storage import sealed_files
from clinicdesk.ui.documents import pdf_preview
from clinicdesk.ui.documents.pdf_preview import PdfPreviewDialog, suggested_file_name
from clinicdesk.ui.documents.printing import PrintCancelled, load_pdf, paper_was_chosen, print_pdf
from tests.ui.conftest import (
    PrintDialogStandIn,
    click_message_button,
    close_dialog,
    when_modal,
)

PreviewFactory = Callable[..., PdfPreviewDialog]
TITLE = "Consent form – Zoë Ó Súilleabháin"


def make_pdf(pages: int = 3, title: str = TITLE) -> bytes:
    """A small A4 document: a large page number (so each page looks different) and text."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle(title)
    for number in range(1, pages + 1):
        pdf.setFont("Helvetica-Bold", 28)
        pdf.drawString(72, 760, f"Page {number} of {pages}")
        pdf.setFont("Helvetica", 11)
        for line in range(12 * number):  # more text on later pages
            pdf.drawString(72, 720 - line * 16, f"Line {line + 1}: the treatment was explained.")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def ink(image: QImage, threshold: int = 240) -> int:
    """How many pixels are not white paper (below ``threshold`` in grey)."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    row_bytes, width = gray.bytesPerLine(), gray.width()
    data = bytes(gray.constBits())
    return sum(
        1
        for y in range(gray.height())
        for value in data[y * row_bytes : y * row_bytes + width]
        if value < threshold
    )


def rendered_pages(pdf: bytes, width: int = 300) -> list[QImage]:
    """Every page of ``pdf`` rendered ``width`` pixels wide, on white."""
    document = load_pdf(pdf)
    pages = []
    for page in range(document.pageCount()):
        size = document.pagePointSize(page)
        target = QSize(width, round(width * size.height() / size.width()))
        image = QImage(target, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.drawImage(0, 0, document.render(page, target))
        painter.end()
        pages.append(image)
    return pages


def ink_box(image: QImage, threshold: int = 240) -> tuple[int, int, int, int]:
    """Left, top, right and bottom of the ink on ``image``, in pixels."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    row_bytes, width = gray.bytesPerLine(), gray.width()
    data = bytes(gray.constBits())
    rows = [data[y * row_bytes : y * row_bytes + width] for y in range(gray.height())]
    inked_rows = [y for y, row in enumerate(rows) if min(row) < threshold]
    inked_columns = [x for x in range(width) if any(rows[y][x] < threshold for y in inked_rows)]
    return inked_columns[0], inked_rows[0], inked_columns[-1], inked_rows[-1]


def pdf_printer(path: Path, dpi: int | None = None) -> QPrinter:
    """A printer that writes a PDF file (1200 dpi, rendered at 300, unless ``dpi`` is given:
    tests that only count and order pages print coarser, to stay quick)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    if dpi is not None:
        printer.setResolution(dpi)
    return printer


@pytest.fixture
def pdf(qapp: QApplication) -> bytes:
    # (QtPdf, QPrinter and QPainter need the application object, even without a window.)
    return make_pdf()


@pytest.fixture
def open_preview(qtbot: QtBot) -> Iterator[PreviewFactory]:
    """Makes previews shown on screen (not modal, so the print dialog is the modal one)."""

    def make(data: bytes, **kwargs: object) -> PdfPreviewDialog:
        dialog = PdfPreviewDialog(data, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(dialog)
        with qtbot.waitActive(dialog):
            dialog.show()
            dialog.activateWindow()
        return dialog

    yield make


# -- print_pdf ---------------------------------------------------------------------------


def test_print_pdf_sends_every_page_with_its_ink(pdf: bytes, tmp_path: Path) -> None:
    out = tmp_path / "printed.pdf"
    progress: list[tuple[int, int]] = []
    assert print_pdf(pdf, pdf_printer(out), progress=lambda d, t: progress.append((d, t))) == 3
    assert progress == [(1, 3), (2, 3), (3, 3)]

    reader = PdfReader(out)
    assert len(reader.pages) == len(PdfReader(io.BytesIO(pdf)).pages) == 3
    for page in reader.pages:
        assert round(float(page.mediabox.width)) == 595  # A4, as the document
        xobjects = page["/Resources"]["/XObject"]
        assert any(xobjects[name]["/Subtype"] == "/Image" for name in xobjects)
    # Rendered back, each printed page carries about the ink of the page it came from, so no
    # page is blank, dropped or swapped.
    for printed, original in zip(
        rendered_pages(out.read_bytes()), rendered_pages(pdf), strict=True
    ):
        assert 0.85 * ink(original) < ink(printed) < 1.15 * ink(original)


def test_print_pdf_honours_the_page_range_and_copies(pdf: bytes, tmp_path: Path) -> None:
    originals = [ink(page) for page in rendered_pages(pdf)]

    def inks(path: Path) -> list[int]:
        return [ink(page) for page in rendered_pages(path.read_bytes())]

    def closest(value: int) -> int:
        # Which original page a printed one is: they differ in how much text they carry.
        return min(range(3), key=lambda page: abs(originals[page] - value))

    ranged = pdf_printer(tmp_path / "range.pdf", dpi=100)
    ranged.setPrintRange(QPrinter.PrintRange.PageRange)
    ranged.setFromTo(2, 3)
    assert print_pdf(pdf, ranged) == 2
    assert [closest(v) for v in inks(tmp_path / "range.pdf")] == [1, 2]

    # A PDF "printer" cannot make copies itself, so the pages are sent again.
    collated = pdf_printer(tmp_path / "collated.pdf", dpi=100)
    collated.setCopyCount(2)
    collated.setCollateCopies(True)
    assert print_pdf(pdf, collated) == 6
    assert [closest(v) for v in inks(tmp_path / "collated.pdf")] == [0, 1, 2, 0, 1, 2]

    grouped = pdf_printer(tmp_path / "grouped.pdf", dpi=100)
    grouped.setCopyCount(2)
    grouped.setCollateCopies(False)
    grouped.setPageOrder(QPrinter.PageOrder.LastPageFirst)
    assert print_pdf(pdf, grouped) == 6
    assert [closest(v) for v in inks(tmp_path / "grouped.pdf")] == [2, 2, 1, 1, 0, 0]


def test_an_a4_form_prints_on_a4_at_its_real_size_on_a_printer_set_to_letter(
    pdf: bytes, tmp_path: Path
) -> None:
    out = tmp_path / "letter printer.pdf"
    printer = pdf_printer(out, dpi=150)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.Letter))  # a printer left on Letter
    assert not paper_was_chosen(printer)  # nobody picked it: the printer's default
    assert print_pdf(pdf, printer) == 3
    for page in PdfReader(out).pages:  # the job asks for A4 paper, upright
        size = (round(float(page.mediabox.width)), round(float(page.mediabox.height)))
        assert size == (595, 842)
    # At its real size (1:1), not shrunk into the printable area: the ink is where it is on
    # the form, to within a pixel or two at 1 pixel per point.
    printed = rendered_pages(out.read_bytes(), width=595)
    for copy, original in zip(printed, rendered_pages(pdf, width=595), strict=True):
        box, expected = ink_box(copy), ink_box(original)
        assert all(abs(a - b) <= 2 for a, b in zip(box, expected, strict=True)), (box, expected)
    # The printer is left on its own paper for whatever prints next.
    assert printer.pageLayout().pageSize().id() == QPageSize.PageSizeId.Letter
    assert not printer.fullPage()


def test_paper_picked_in_the_print_dialog_is_honoured(pdf: bytes, tmp_path: Path) -> None:
    out = tmp_path / "landscape.pdf"
    printer = pdf_printer(out)
    printer.setPageOrientation(QPageLayout.Orientation.Landscape)  # picked by the person
    assert paper_was_chosen(printer)
    assert print_pdf(pdf, printer, fit_to_paper=True) == 3
    page = PdfReader(out).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)
    image = rendered_pages(out.read_bytes(), width=400)[0]
    # The whole portrait page is there, shrunk and centred: ink in the middle third only.
    assert ink(image) > 0
    third = image.width() // 3
    assert ink(image.copy(0, 0, third - 20, image.height())) == 0
    assert ink(image.copy(2 * third + 20, 0, third - 20, image.height())) == 0
    assert printer.pageLayout().orientation() == QPageLayout.Orientation.Landscape


def test_print_pdf_refuses_bad_input_and_stops_when_cancelled(pdf: bytes, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a readable PDF"):
        print_pdf(b"%PDF-1.4 this is not really a PDF", pdf_printer(tmp_path / "x.pdf"))
    outside = pdf_printer(tmp_path / "outside.pdf")
    outside.setPrintRange(QPrinter.PrintRange.PageRange)
    outside.setFromTo(5, 6)
    with pytest.raises(UserError, match=r"pages chosen \(5–6\) are not in this 3-page"):
        print_pdf(pdf, outside)
    assert not (tmp_path / "outside.pdf").exists()

    sent: list[int] = []
    with pytest.raises(PrintCancelled):
        print_pdf(
            pdf,
            pdf_printer(tmp_path / "cancelled.pdf"),
            progress=lambda done, _total: sent.append(done),
            cancelled=lambda: len(sent) >= 1,
        )
    assert sent == [1]


# -- the preview -------------------------------------------------------------------------


def test_preview_shows_the_pages_fitted_to_the_width_with_the_title(
    qtbot: QtBot, open_preview: PreviewFactory, pdf: bytes
) -> None:
    dialog = open_preview(pdf)
    assert dialog.windowTitle() == TITLE  # from the PDF's metadata
    assert dialog.page_count == 3
    assert dialog.page_label.text() == "Page 1 of 3"
    assert not dialog.previous_action.isEnabled() and dialog.next_action.isEnabled()
    assert not dialog.fit_action.isEnabled()  # fitted to the width already

    # Pages are drawn in the background: the text appears on the white page (inside the
    # grey margin around the page).
    def text_on_page() -> int:
        shot = dialog.view.viewport().grab().toImage()
        return ink(shot.copy(40, 40, shot.width() - 80, shot.height() - 80), threshold=128)

    qtbot.waitUntil(lambda: text_on_page() > 500, timeout=5000)

    qtbot.keyClick(dialog.view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert dialog.page_label.text() == "Page 2 of 3"
    dialog.next_action.trigger()
    assert dialog.page_label.text() == "Page 3 of 3"
    assert not dialog.next_action.isEnabled() and dialog.previous_action.isEnabled()
    dialog.previous_action.trigger()
    assert dialog.current_page() == 1

    qtbot.keyClick(dialog.view, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    titled = open_preview(pdf, title="Aftercare sheet", suggested_name="aftercare.pdf")
    assert titled.windowTitle() == "Aftercare sheet"
    assert titled.suggested_name == "aftercare.pdf"


def test_pages_are_redrawn_for_the_new_size_after_a_resize(
    qtbot: QtBot, open_preview: PreviewFactory, pdf: bytes
) -> None:
    # QPdfView keeps a page drawn for the old size if it arrives after the resize, and
    # stretches it: jagged text. The preview has it drawn again at the size shown.
    dialog = open_preview(pdf)
    renderer = dialog.view.findChild(QPdfPageRenderer)
    assert renderer is not None
    drawn: dict[int, int] = {}

    def rendered(page: int, size: QSize, *_args: object) -> None:
        drawn[page] = size.width()

    renderer.pageRendered.connect(rendered)
    dialog.resize(dialog.minimumWidth(), 500)  # before the first page has come back
    qtbot.waitUntil(lambda: abs(drawn.get(0, 0) - dialog.view.wanted_width(0)) <= 2, timeout=5000)
    qtbot.wait(100)  # nothing older arrives after it
    assert abs(drawn[0] - dialog.view.wanted_width(0)) <= 2
    dialog.zoom_in()
    qtbot.waitUntil(lambda: abs(drawn.get(0, 0) - dialog.view.wanted_width(0)) <= 2, timeout=5000)


def test_zoom_keys_zoom_in_out_and_back_to_fit(
    qtbot: QtBot, open_preview: PreviewFactory, pdf: bytes
) -> None:
    dialog = open_preview(pdf)
    fitted = dialog.zoom_factor()
    assert dialog.zoom_label.text() == f"{fitted:.0%}"
    qtbot.keyClick(dialog.view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert dialog.zoom_factor() == pytest.approx(fitted * 1.25)
    assert dialog.fit_action.isEnabled()
    assert dialog.view.horizontalScrollBar().maximum() > 0  # wider than the window now
    qtbot.keyClick(dialog.view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog.view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert dialog.zoom_factor() == pytest.approx(fitted / 1.25)
    assert dialog.zoom_label.text() == f"{fitted / 1.25:.0%}"
    qtbot.keyClick(dialog.view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert dialog.zoom_factor() == pytest.approx(fitted, rel=0.02)
    assert not dialog.fit_action.isEnabled()
    for _ in range(20):
        dialog.zoom_out()
    assert dialog.zoom_factor() == pytest.approx(pdf_preview.MIN_ZOOM)
    assert not dialog.zoom_out_action.isEnabled()


def test_previews_closed_while_pages_are_still_being_drawn_go_away_cleanly(
    qtbot: QtBot, qapp: QApplication
) -> None:
    # Pages are drawn on QtPdf's own thread; the document must outlive the view that asks
    # for them (owned the other way round, closing a preview crashed the program).
    pdf = make_pdf(pages=8)
    for round_ in range(30):
        dialog = PdfPreviewDialog(pdf)
        dialog.show()
        for _ in range(round_ % 4):
            qapp.processEvents()
        if round_ % 3 == 0:
            dialog.zoom_in()
        dialog.close()
        dialog.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(50)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "it is empty"),
        (b"Dear patient, this is plain text.", "not a readable PDF"),
        (b"%PDF-1.7\n%%EOF\n", "not a readable PDF"),
    ],
)
def test_bad_bytes_are_a_clear_error_and_no_window(qtbot: QtBot, data: bytes, reason: str) -> None:
    before = set(QApplication.topLevelWidgets())
    with pytest.raises(UserError, match=reason) as raised:
        PdfPreviewDialog(data, title="Consent form")
    assert raised.value.message.startswith("“Consent form” could not be shown")
    assert not [w for w in set(QApplication.topLevelWidgets()) - before if w.isVisible()]


def test_save_as_writes_the_same_bytes_under_the_suggested_name(
    qtbot: QtBot,
    open_preview: PreviewFactory,
    pdf: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = open_preview(pdf, suggested_name="Consent - Zoë.pdf")
    offered: list[str] = []

    def choose(_parent: QWidget, _caption: str, proposed: str, _filter: str) -> tuple[str, str]:
        offered.append(proposed)
        return str(tmp_path / "chosen name"), "PDF files (*.pdf)"  # typed without .pdf

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.keyClick(dialog.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert Path(offered[0]).name == "Consent - Zoë.pdf"
    target = tmp_path / "chosen name.pdf"
    assert saved.args == [str(target)]
    assert target.read_bytes() == pdf  # the very document shown, byte for byte
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chosen name.pdf"]  # no temp left
    assert "chosen name.pdf" in dialog.status.text()

    # The next Save as starts in the folder used last.
    dialog.save_as()
    assert Path(offered[1]).parent == tmp_path


def test_a_failed_save_names_the_file_and_keeps_the_old_copy(
    qtbot: QtBot,
    open_preview: PreviewFactory,
    pdf: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = open_preview(pdf)
    existing = tmp_path / "consent.pdf"
    existing.write_bytes(b"the copy saved yesterday")

    def read_only(*_args: object, **_kwargs: object) -> tuple[int, str]:
        # Tests run as root on CI, where chmod cannot make a folder read-only.
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(sealed_files.tempfile, "mkstemp", read_only)
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda *_args: (str(existing), "PDF files (*.pdf)"),
    )
    shown = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.save_action.trigger()
    assert shown and "consent.pdf could not be saved" in shown[0]
    assert "read-only" in shown[0]
    assert existing.read_bytes() == b"the copy saved yesterday"
    assert dialog.isVisible()

    monkeypatch.undo()
    with pytest.raises(UserError, match=r"missing\.pdf could not be saved.*does not exist"):
        dialog.save_to(tmp_path / "no such folder" / "missing.pdf")


def test_print_action_prints_through_the_print_dialog_and_signals_printed(
    qtbot: QtBot,
    open_preview: PreviewFactory,
    pdf: bytes,
    tmp_path: Path,
    print_dialog: PrintDialogStandIn,
) -> None:
    out = tmp_path / "printed.pdf"
    dialog = open_preview(pdf, printer=pdf_printer(out))
    with qtbot.waitSignal(dialog.printed, timeout=30000):
        qtbot.keyClick(dialog.view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert print_dialog.asked == [TITLE]
    assert len(PdfReader(out).pages) == 3
    assert dialog.printer.docName() == TITLE
    assert dialog.status.text() == f"Sent 3 pages to {out}."
    qtbot.waitUntil(lambda: dialog.print_task is None and dialog.print_action.isEnabled())

    # Cancelled at the print dialog: nothing is printed and nothing is signalled.
    out.unlink()
    print_dialog.cancel = True
    with qtbot.assertNotEmitted(dialog.printed, wait=200):
        dialog.print_action.trigger()
    assert len(print_dialog.asked) == 2
    assert not out.exists()


def test_print_current_page_prints_the_page_in_view_and_stays_chosen(
    qtbot: QtBot,
    open_preview: PreviewFactory,
    pdf: bytes,
    tmp_path: Path,
    print_dialog: PrintDialogStandIn,
) -> None:
    out = tmp_path / "page2.pdf"
    dialog = open_preview(pdf, printer=pdf_printer(out, dpi=100))
    originals = [ink(page) for page in rendered_pages(pdf)]

    def printed_page() -> int:
        assert len(PdfReader(out).pages) == 1
        printed = ink(rendered_pages(out.read_bytes())[0])
        return min(range(3), key=lambda i: abs(originals[i] - printed))

    dialog.go_to_page(1)
    print_dialog.current_page = True
    with qtbot.waitSignal(dialog.printed, timeout=30000):
        dialog.print_document()
    assert printed_page() == 1
    qtbot.waitUntil(lambda: dialog.print_task is None)
    # "Current page" is still what the printer has: the next Print… offers it again (not
    # "pages 2 to 2"), and on the third page prints the third page.
    assert dialog.printer.printRange() == QPrinter.PrintRange.CurrentPage
    print_dialog.current_page = False  # Print pressed, the choice as it was
    dialog.go_to_page(2)
    with qtbot.waitSignal(dialog.printed, timeout=30000):
        dialog.print_document()
    assert printed_page() == 2


def test_the_print_dialog_keeps_the_print_to_file_chosen_before(
    qapp: QApplication, pdf: bytes, tmp_path: Path, print_dialog: PrintDialogStandIn
) -> None:
    """The system's own print dialog (this machine's printers, if any, are listed): a printer
    last set to "Print to File (PDF)" is offered as it was, not replaced by the default
    printer, and pages, the current page and copies can be chosen."""
    out = tmp_path / "to file.pdf"
    printer = pdf_printer(out)
    seen: list[str] = []

    def accept(modal: QWidget) -> None:
        assert isinstance(modal, QPrintDialog), f"expected the print dialog, got {modal!r}"
        seen.append(modal.windowTitle())
        option = QPrintDialog.PrintDialogOption
        assert modal.testOption(option.PrintPageRange)
        assert modal.testOption(option.PrintCurrentPage)
        assert any("current" in b.text().lower() for b in modal.findChildren(QRadioButton))
        modal.accept()

    when_modal(accept)
    assert print_dialog.real(printer, None, title=TITLE, page_count=3) is printer
    assert seen == [f"Print {TITLE}"]
    assert printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
    assert printer.outputFileName() == str(out)
    assert printer.docName() == TITLE

    when_modal(close_dialog)
    assert print_dialog.real(printer, None, title=TITLE, page_count=3) is None
    assert printer.outputFileName() == str(out)


@pytest.mark.qt_log_ignore(r"QPainter::begin\(\): Returned false", extend=True)
def test_a_printer_that_does_not_start_is_a_clear_error(
    qtbot: QtBot, open_preview: PreviewFactory, pdf: bytes, tmp_path: Path
) -> None:
    out = tmp_path / "no such folder" / "printed.pdf"
    dialog = open_preview(pdf, printer=pdf_printer(out))
    shown = when_modal(click_message_button(QMessageBox.StandardButton.Ok), timeout_ms=20000)
    with qtbot.assertNotEmitted(dialog.printed):
        dialog.start_printing()
        qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "Printing could not start" in shown[0]
    assert dialog.status.text() == "Nothing was printed."


def test_suggested_file_names_are_safe_and_readable() -> None:  # (no Qt needed)
    assert suggested_file_name("Consent – Zoë O'Brien") == "Consent – Zoë O'Brien.pdf"
    assert suggested_file_name('Report 12/03/2026: "final"?') == "Report 12-03-2026- -final.pdf"
    assert suggested_file_name(" ../.. ") == "document.pdf"
