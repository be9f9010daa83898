"""Opening a generated PDF from memory and printing it.

Documents arrive as bytes (the renderers in ``documents/`` never write temporary files), so
``load_pdf`` opens them from memory with QtPdf, and so does the printing. QtPdf cannot draw a
page as vectors onto a QPainter, only as an image, so ``print_pdf`` renders each page at the
printer's resolution (capped at ``MAX_PRINT_DPI``, which keeps one page in memory at about
35 MB) and paints it onto the QPrinter. The paper follows the document: an A4 form goes to the
printer as an A4 job and is printed at its real size, whatever paper the printer is set to by
default (a printer left on US Letter would otherwise shrink every form), unless the person
picked other paper in the print dialog; then each page is fitted to that paper. It is a plain
function with a progress callback and a cancel check, so the preview runs it on a worker
thread (Qt allows painting on a QPrinter outside the GUI thread) and the window stays usable.

``choose_printer`` is the one place the app asks which printer (the system's print dialog);
callers reach it as ``printing.choose_printer``. Tests replace it, so that no test depends on,
or prints to, the printers of the machine it runs on.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, QSizeF
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QDialog, QWidget

from clinicdesk.errors import UserError
from clinicdesk.ui.widgets.background import Cancelled, Progress

# 300 dpi is what office printers render text at; the printer's own 600 or 1200 would take
# 140 MB to 560 MB per A4 page for no visible gain on a consent form.
MAX_PRINT_DPI = 300


class PrintCancelled(Exception):
    """The person pressed Cancel while the pages were being sent; the job was aborted."""


def _error_text(error: QPdfDocument.Error) -> str:
    if error in (
        QPdfDocument.Error.IncorrectPassword,
        QPdfDocument.Error.UnsupportedSecurityScheme,
    ):
        return "it is protected by a password"
    if error == QPdfDocument.Error.InvalidFileFormat:
        return "it is not a readable PDF (it may be damaged)"
    return "it could not be read"


def load_pdf(pdf: bytes, name: str = "The document") -> QPdfDocument:
    """``pdf`` opened for display or printing. ``UserError`` (saying what is wrong, beginning
    with ``name``) when it is empty, damaged or has no pages. The document reads its bytes
    lazily from a buffer it owns, so it can be used for as long as it lives. It has no
    parent: Python owns it (and frees it in the thread that drops it, which matters on a
    worker thread, where ``deleteLater`` would never run) until someone ``setParent``s it."""
    if not pdf:
        raise UserError(f"{name} could not be shown: it is empty.")
    document = QPdfDocument()
    buffer = QBuffer(document)  # owned by the document: it reads pages from it on demand
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready:
        raise UserError(f"{name} could not be shown: {_error_text(document.error())}.")
    if document.pageCount() < 1:
        raise UserError(f"{name} could not be shown: it has no pages.")
    return document


def pdf_title(document: QPdfDocument) -> str:
    """The title stored in the PDF's metadata ("" when it has none)."""
    value = document.metaData(QPdfDocument.MetaDataField.Title)
    return value.strip() if isinstance(value, str) else ""


def _pages_to_print(printer: QPrinter, page_count: int, current_page: int) -> list[int]:
    """0-based page numbers in the order they go to the printer: the range chosen in the
    print dialog ("Current page" being ``current_page``), last page first if asked, and the
    copies the printer cannot make itself."""
    first, last = 1, page_count
    if printer.printRange() == QPrinter.PrintRange.CurrentPage:
        first = last = min(max(current_page, 0), page_count - 1) + 1
    elif printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first = printer.fromPage()
        last = min(printer.toPage() or page_count, page_count)
    if first > last:
        raise UserError(
            f"The pages chosen ({printer.fromPage()}–{printer.toPage()}) are not in this "
            f"{page_count}-page document, so nothing was printed."
        )
    pages = list(range(first - 1, last))
    if printer.pageOrder() == QPrinter.PageOrder.LastPageFirst:
        pages.reverse()
    copies = 1 if printer.supportsMultipleCopies() else max(printer.copyCount(), 1)
    if copies == 1:
        return pages
    if printer.collateCopies():
        return pages * copies
    return [page for page in pages for _ in range(copies)]


def paper_was_chosen(printer: QPrinter) -> bool:
    """Whether the paper ``printer`` is set to was picked by the person (in the print dialog's
    page settings) rather than set by the dialog on its own. Qt's dialog puts every printer it
    selects on that printer's default paper, upright; anything else is a choice. (A person who
    picks exactly the default paper cannot be told apart: they get the document's paper.)"""
    layout = printer.pageLayout()
    if layout.orientation() != QPageLayout.Orientation.Portrait:
        return True
    if printer.outputFormat() != QPrinter.OutputFormat.NativeFormat:
        return False  # "Print to File (PDF)": a PDF of the document, on the document's paper
    info = QPrinterInfo(printer)
    return not info.isNull() and not layout.pageSize().isEquivalentTo(info.defaultPageSize())


def _use_document_paper(printer: QPrinter, page_points: QSizeF) -> None:
    """Set ``printer`` to paper the size and shape of a page of ``page_points``, the painter's
    origin at the paper's corner, so the page prints at its real size (1:1)."""
    width, height = page_points.width(), page_points.height()
    landscape = width > height
    size = QPageSize(
        QSizeF(min(width, height), max(width, height)),
        QPageSize.Unit.Point,
        "",
        QPageSize.SizeMatchPolicy.FuzzyMatch,  # reportlab's A4 is A4 to within a point
    )
    printer.setPageSize(size)
    printer.setPageOrientation(
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    )
    printer.setFullPage(True)


def _page_target(page_points: QSizeF, printer: QPrinter) -> QRectF:
    """Where one page goes on the paper, in printer pixels, relative to the printable area
    (the painter's origin): its real size if that fits, otherwise shrunk to fit, centred."""
    area = printer.pageRect(QPrinter.Unit.DevicePixel)
    resolution = printer.resolution()
    width = page_points.width() * resolution / 72
    height = page_points.height() * resolution / 72
    scale = min(1.0, area.width() / width, area.height() / height)
    width, height = width * scale, height * scale
    return QRectF((area.width() - width) / 2, (area.height() - height) / 2, width, height)


def _render_on_white(document: QPdfDocument, page: int, size: QSize) -> QImage:
    # QtPdf leaves the paper transparent; composed on white so every printer driver and the
    # PDF printer get an opaque page (a transparent image can come out black).
    rendered = document.render(page, size)
    flat = QImage(size, QImage.Format.Format_RGB32)
    flat.fill(QColor("white"))
    painter = QPainter(flat)
    painter.drawImage(0, 0, rendered)
    painter.end()
    return flat


def print_pdf(
    pdf: bytes,
    printer: QPrinter,
    *,
    fit_to_paper: bool = False,
    current_page: int = 0,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> int:
    """Print ``pdf`` on ``printer`` as configured (by a QPrintDialog or by code): its page
    range ("Current page" being ``current_page``, counting from 0), page order and copies.
    The job's paper is the document's (the size and shape of the first page printed) and each
    page prints at its real size; with ``fit_to_paper`` (the person picked the paper) the paper
    is the printer's and each page is fitted to its printable area, its shape kept. The
    printer's paper settings are as before when the function returns.

    Returns how many pages were sent (copies included). ``progress(done, total)`` reports each
    page; when ``cancelled()`` turns true the job is aborted and ``PrintCancelled`` raised.
    ``UserError`` when the document is unreadable, the range is empty or the printer does not
    start. Needs the QApplication; safe to call on a worker thread (Qt allows painting on a
    QPrinter there, and the function opens its own copy of the document)."""
    document = load_pdf(pdf)
    pages = _pages_to_print(printer, document.pageCount(), current_page)
    layout, full_page = printer.pageLayout(), printer.fullPage()
    if not fit_to_paper:
        _use_document_paper(printer, document.pagePointSize(pages[0]))
    painter = QPainter()
    try:
        if not painter.begin(printer):
            name = printer.printerName() or printer.outputFileName() or "the printer"
            raise UserError(f"Printing could not start on {name}; nothing was printed.")
        render_dpi = min(printer.resolution(), MAX_PRINT_DPI)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        for done, page in enumerate(pages):
            if cancelled is not None and cancelled():
                # Windows drops the job; Qt's CUPS and PDF engines cannot abort, so there the
                # pages already sent still come out (QPdfPrintEngine::abort returns false).
                printer.abort()
                raise PrintCancelled()
            if done:
                printer.newPage()
            target = _page_target(document.pagePointSize(page), printer)
            factor = render_dpi / printer.resolution()
            size = QSize(
                max(1, math.ceil(target.width() * factor)),
                max(1, math.ceil(target.height() * factor)),
            )
            painter.drawImage(target, _render_on_white(document, page, size))
            if progress is not None:
                progress(done + 1, len(pages))
    finally:
        if painter.isActive():
            painter.end()
        printer.setFullPage(full_page)
        printer.setPageLayout(layout)
    return len(pages)


def choose_printer(
    printer: QPrinter, parent: QWidget | None, *, title: str, page_count: int = 1
) -> QPrinter | None:
    """Ask which printer, pages and copies in the system's print dialog, which sets them on
    ``printer``; returns it, or None when the person cancels. The one place the app opens the
    print dialog: tests replace this function (so none depends on the machine's printers).

    Qt's Unix dialog selects the system's default printer as it is made, which turns a printer
    last set to "Print to File (PDF)" into the default printer; the file is put back, so the
    dialog offers what was chosen the time before."""
    output_format, file_name = printer.outputFormat(), printer.outputFileName()
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    if (
        output_format == QPrinter.OutputFormat.PdfFormat
        and file_name
        and printer.outputFormat() != output_format
    ):
        printer.setOutputFormat(output_format)
        printer.setOutputFileName(file_name)
    dialog.setObjectName("print_dialog")
    dialog.setWindowTitle(f"Print {title}")
    dialog.setMinMax(1, max(page_count, 1))
    option = QAbstractPrintDialog.PrintDialogOption
    dialog.setOption(option.PrintPageRange, page_count > 1)
    dialog.setOption(option.PrintCurrentPage, page_count > 1)
    dialog.setOption(option.PrintCollateCopies, True)
    dialog.setOption(option.PrintSelection, False)
    try:
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()
    return printer if accepted else None
