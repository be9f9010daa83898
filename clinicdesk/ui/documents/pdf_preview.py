"""Showing a generated PDF in the app, printing it and saving a copy.

Documents arrive as bytes (the renderers in ``documents/`` never write temporary files), so
``load_pdf`` opens them from memory with QtPdf, and so do the preview and the printing. QtPdf
cannot draw a page as vectors onto a QPainter, only as an image, so ``print_pdf`` renders each
page at the printer's resolution (capped at ``MAX_PRINT_DPI``, which keeps one page in memory
at about 35 MB) and paints it onto the QPrinter. The paper follows the document: an A4 form
goes to the printer as an A4 job and is printed at its real size, whatever paper the printer
is set to by default (a printer left on US Letter would otherwise shrink every form), unless
the person picked other paper in the print dialog; then each page is fitted to that paper. It
is a plain function with a progress callback and a cancel check, so the preview runs it on a
worker thread (Qt allows painting on a QPrinter outside the GUI thread) and the window stays
usable.

``choose_printer`` is the one place the app asks which printer (the system's print dialog).
Tests replace it, so that no test depends on, or prints to, the printers of the machine it
runs on.

``PdfPreviewDialog`` knows nothing of patients or services: callers connect ``printed`` and
``saved`` to record and audit what left the building.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMargins,
    QPointF,
    QRectF,
    QSize,
    QSizeF,
    QStandardPaths,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPageLayout,
    QPageSize,
    QPainter,
    QPalette,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions, QPdfPageRenderer
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QSizePolicy,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.errors import UserError
from clinicdesk.services.files import save_copy
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.errors import report_bug, show_user_error

# 300 dpi is what office printers render text at; the printer's own 600 or 1200 would take
# 140 MB to 560 MB per A4 page for no visible gain on a consent form.
MAX_PRINT_DPI = 300
ZOOM_STEP = 1.25
MIN_ZOOM = 0.25
MAX_ZOOM = 5.0
PAGE_GAP = 12  # pixels between pages in the preview
VIEW_BACKGROUND = QColor("#5f6368")  # the pages stand out on grey, as in any PDF viewer


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


def suggested_file_name(title: str) -> str:
    """A file name made from a document title: "Consent – Zoë.pdf" stays readable, while
    characters that Windows or Linux refuse in names are replaced."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", title).strip(" .-")
    return f"{cleaned or 'document'}.pdf"


class PageView(QPdfView):
    """QPdfView that also zooms with Ctrl + wheel (the wheel alone scrolls), says when its
    size changes (a fitted zoom changes with it), and never keeps a page drawn for another
    size.

    QPdfView draws pages on a thread and caches whatever comes back, whatever size it was
    drawn for (``QPdfViewPrivate::pageRendered`` ignores the size, Qt 6.11). A page asked for
    just before a resize or zoom arrives after the cache was emptied, is kept, and is then
    stretched without smoothing: jagged text until the next zoom. So each page that arrives
    at a size other than the one the view now wants empties the cache again.
    """

    zoom_requested = Signal(int)  # wheel steps: positive to zoom in
    resized = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        renderer = self.findChild(QPdfPageRenderer)
        if renderer is not None:  # connected after QPdfView's own handler, so it runs after
            renderer.pageRendered.connect(self._page_rendered)

    def wanted_width(self, page: int) -> float:
        """How wide, in device pixels, the view wants ``page`` drawn now."""
        document = self.document()
        if document is None:
            return 0.0
        margins = self.documentMargins()
        width: float
        if self.zoomMode() == QPdfView.ZoomMode.FitToWidth:
            width = self.viewport().width() - margins.left() - margins.right()
        elif self.zoomMode() == QPdfView.ZoomMode.Custom:
            points = document.pagePointSize(page).width()
            width = points * _screen_pixels_per_point() * self.zoomFactor()
        else:  # FitInView: not used here; never second-guess it
            return -1.0
        return float(width * self.devicePixelRatioF())

    def _page_rendered(
        self,
        page: int,
        size: QSize,
        _image: QImage,
        _options: QPdfDocumentRenderOptions,
        _request: int,
    ) -> None:
        wanted = self.wanted_width(page)
        if wanted > 0 and abs(size.width() - wanted) > 2:  # rounding differs by a pixel
            spacing = self.pageSpacing()
            self.setPageSpacing(spacing + 1)  # the public way to empty QPdfView's cache
            self.setPageSpacing(spacing)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = round(event.angleDelta().y() / 120)
            if steps:
                self.zoom_requested.emit(steps)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class PdfPreviewDialog(QDialog):
    """A PDF shown page after page, fitted to the width, with Print… and Save as PDF….

    ``printed`` fires when every page has been sent to the printer (not when the print dialog
    is merely accepted); ``saved(path)`` when the copy is on disk. ``save`` writes the copy:
    by default whole or not at all; a caller that must record the saving passes its own,
    which writes and records both or neither (``DocumentService.save``), so a copy is never on
    disk unrecorded. Raises ``UserError`` before any window exists when the bytes are not a
    readable PDF.
    """

    printed = Signal()
    saved = Signal(str)

    def __init__(
        self,
        pdf: bytes,
        *,
        title: str | None = None,
        suggested_name: str | None = None,
        printer: QPrinter | None = None,
        save: Callable[[Path, bytes], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        document = load_pdf(pdf, f"“{title}”" if title else "The document")
        super().__init__(parent)
        self.setObjectName("pdf_preview")
        self._pdf = bytes(pdf)
        self.document = document
        # The dialog's child, made before the view: children go in order, so the document is
        # closed while the view still exists. As the view's child it would be closed inside
        # the view's destructor, whose status handler then touches the dying view (a crash).
        document.setParent(self)
        self.title = title or pdf_title(document) or "Document"
        self.setWindowTitle(self.title)
        self.suggested_name = suggested_name or suggested_file_name(self.title)
        # One printer per preview (or the caller's, shared between previews), so a second
        # Print… starts from the printer, copies and paper chosen the first time.
        self.printer = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
        self.print_task: BackgroundTask | None = None
        self.save_folder: Path | None = None
        self._save = save or save_copy

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.toolbar = QToolBar("Document")
        self.toolbar.setObjectName("pdf_toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout.addWidget(self.toolbar)

        self.view = PageView(self)
        self.view.setObjectName("pdf_view")
        self.view.setDocument(document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setPageSpacing(PAGE_GAP)
        self.view.setDocumentMargins(QMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP))
        palette = self.view.palette()
        palette.setColor(QPalette.ColorRole.Dark, VIEW_BACKGROUND)
        self.view.setPalette(palette)
        self.view.setFrameShape(QPdfView.Shape.NoFrame)
        layout.addWidget(self.view, 1)

        self.status = QLabel()
        self.status.setObjectName("pdf_status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setContentsMargins(8, 4, 8, 4)
        self.status.setVisible(False)
        layout.addWidget(self.status)

        style = self.style()
        self.previous_action = self._action(
            "Previous page", self.previous_page, "Ctrl+PgUp", icon_text="Previous"
        )
        self.previous_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp))
        self.next_action = self._action(
            "Next page", self.next_page, "Ctrl+PgDown", icon_text="Next"
        )
        self.next_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown))
        self.page_label = QLabel()
        self.page_label.setObjectName("pdf_page_label")
        self.page_label.setContentsMargins(6, 0, 6, 0)
        self.zoom_out_action = self._action("Zoom out", self.zoom_out, "Ctrl+-", icon_text="\u2212")
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("pdf_zoom_label")
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("500%__"))
        self.zoom_in_action = self._action(
            "Zoom in", self.zoom_in, "Ctrl+=", "Ctrl++", icon_text="+"
        )
        self.fit_action = self._action(
            "Fit to width", self.fit_width, "Ctrl+0", icon_text="Fit width"
        )
        self.print_action = self._action(
            "Print…", self.print_document, "Ctrl+P", icon_text="Print…"
        )
        self.save_action = self._action(
            "Save as PDF…", self.save_as, "Ctrl+S", icon_text="Save as PDF…"
        )
        # Esc is QDialog's own: reject() closes the preview.
        self.close_action = self._action("Close", self.reject, tip_key="Esc")
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar = self.toolbar
        toolbar.addAction(self.previous_action)
        toolbar.addAction(self.next_action)
        for action in (self.previous_action, self.next_action):
            self._button(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        toolbar.addWidget(self.page_label)
        toolbar.addSeparator()
        toolbar.addAction(self.zoom_out_action)
        toolbar.addWidget(self.zoom_label)
        toolbar.addAction(self.zoom_in_action)
        toolbar.addAction(self.fit_action)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.print_action)
        toolbar.addAction(self.save_action)
        toolbar.addSeparator()
        toolbar.addAction(self.close_action)
        print_button = self._button(self.print_action)
        print_button.setObjectName("pdf_print_button")
        bold = print_button.font()
        bold.setBold(True)
        print_button.setFont(bold)

        self.view.pageNavigator().currentPageChanged.connect(self._page_changed)
        self.view.zoomFactorChanged.connect(self._zoom_changed)
        self.view.zoomModeChanged.connect(self._zoom_mode_changed)
        self.view.zoom_requested.connect(self._zoom_steps)
        self.view.resized.connect(self._update_zoom_label)
        self._update_page_label()
        self._update_zoom_label()
        # Never so narrow that Print… or Close hides in the toolbar's overflow menu.
        self.setMinimumWidth(self.toolbar.sizeHint().width())
        self.resize(*_initial_size())

    def _action(
        self,
        text: str,
        slot: Callable[[], None],
        *keys: str,
        icon_text: str | None = None,
        tip_key: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon_text is not None:
            action.setIconText(icon_text)  # what the toolbar button shows
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        tip = tip_key or (
            QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText) if keys else ""
        )
        action.setToolTip(f"{text.rstrip('…')} ({tip})" if tip else text)

        def triggered(_checked: bool = False) -> None:
            slot()

        action.triggered.connect(triggered)
        self.addAction(action)
        return action

    def _button(self, action: QAction) -> QToolButton:
        button = self.toolbar.widgetForAction(action)
        assert isinstance(button, QToolButton)
        return button

    # -- the document ---------------------------------------------------------------------

    @property
    def pdf(self) -> bytes:
        """The bytes shown, printed and saved (never changed by the preview)."""
        return self._pdf

    @property
    def page_count(self) -> int:
        return self.document.pageCount()

    def current_page(self) -> int:
        """The page in view, counting from 0."""
        return self.view.pageNavigator().currentPage()

    def go_to_page(self, page: int) -> None:
        page = min(max(page, 0), self.page_count - 1)
        navigator = self.view.pageNavigator()
        navigator.jump(page, QPointF(), navigator.currentZoom())

    def next_page(self) -> None:
        self.go_to_page(self.current_page() + 1)

    def previous_page(self) -> None:
        self.go_to_page(self.current_page() - 1)

    def _page_changed(self, _page: int) -> None:
        self._update_page_label()

    def _update_page_label(self) -> None:
        page = self.current_page()
        self.page_label.setText(f"Page {page + 1} of {self.page_count}")
        self.previous_action.setEnabled(page > 0)
        self.next_action.setEnabled(page < self.page_count - 1)

    # -- zoom -----------------------------------------------------------------------------

    def zoom_factor(self) -> float:
        """The zoom in use, 1.0 being the page at its real size on this screen."""
        view = self.view
        if view.zoomMode() == QPdfView.ZoomMode.Custom:
            return float(view.zoomFactor())
        # Fitted: QPdfView works the factor out while laying out and does not expose it.
        margins = view.documentMargins()
        available = view.viewport().width() - margins.left() - margins.right()
        page_width = self.document.pagePointSize(self.current_page()).width()
        return max(available, 1) / max(page_width * _screen_pixels_per_point(), 1.0)

    def set_zoom(self, factor: float) -> None:
        factor = min(max(factor, MIN_ZOOM), MAX_ZOOM)
        # Stay on the same part of the document: keep where the scroll bars are, in proportion.
        bars = (self.view.horizontalScrollBar(), self.view.verticalScrollBar())
        where = [
            bar.value() / bar.maximum() if bar.maximum() > 0 else centre
            for bar, centre in zip(bars, (0.5, 0.0), strict=True)
        ]
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(factor)
        for bar, fraction in zip(bars, where, strict=True):
            bar.setValue(round(fraction * bar.maximum()))
        self._update_zoom_label()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom_factor() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom_factor() / ZOOM_STEP)

    def _zoom_steps(self, steps: int) -> None:
        self.set_zoom(self.zoom_factor() * ZOOM_STEP**steps)

    def fit_width(self) -> None:
        page = self.current_page()
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.go_to_page(page)
        self._update_zoom_label()

    def _zoom_changed(self, _factor: float) -> None:
        self._update_zoom_label()

    def _zoom_mode_changed(self, _mode: QPdfView.ZoomMode) -> None:
        self._update_zoom_label()

    def _update_zoom_label(self) -> None:
        fitted = self.view.zoomMode() != QPdfView.ZoomMode.Custom
        self.zoom_label.setText(f"{self.zoom_factor():.0%}")
        self.fit_action.setEnabled(not fitted)
        self.zoom_in_action.setEnabled(self.zoom_factor() < MAX_ZOOM * 0.999)
        self.zoom_out_action.setEnabled(self.zoom_factor() > MIN_ZOOM * 1.001)

    # -- printing -------------------------------------------------------------------------

    def print_document(self) -> None:
        """Ask which printer and pages (the system's print dialog), then send the pages in
        the background; ``printed`` fires when they have all gone. What was picked stays on
        the printer, so the next Print… starts from it."""
        if self.print_task is not None:
            return
        chosen = choose_printer(self.printer, self, title=self.title, page_count=self.page_count)
        if chosen is None:
            return
        self.printer = chosen
        self.start_printing()

    def start_printing(self) -> None:
        """Send the document to ``self.printer`` as it is configured, in the background: on
        the document's paper at its real size, unless other paper was picked."""
        pdf, printer, page = self._pdf, self.printer, self.current_page()
        fit = paper_was_chosen(printer)

        def work(progress: Progress, cancelled: Cancelled) -> int:
            return print_pdf(
                pdf,
                printer,
                fit_to_paper=fit,
                current_page=page,
                progress=progress,
                cancelled=cancelled,
            )

        self.print_action.setEnabled(False)
        self.print_task = BackgroundTask(
            self, f"Printing “{self.title}”…", work, self._printing_done, self._printing_failed
        )
        self.print_task.finished.connect(self._print_task_finished)
        self.print_task.start()

    def _printing_done(self, pages: object) -> None:
        where = self.printer.printerName() or self.printer.outputFileName() or "the printer"
        count = pages if isinstance(pages, int) else 0
        self.show_status(f"Sent {count} page{'s' if count != 1 else ''} to {where}.")
        self.printed.emit()

    def _printing_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PrintCancelled):
            self.show_status("Printing cancelled.")
        elif isinstance(exc, UserError):
            self.show_status("Nothing was printed.")
            show_user_error(self, exc, "Print")
        else:
            report_bug(type(exc), exc, exc.__traceback__, self)

    def _print_task_finished(self) -> None:
        if self.print_task is not None:
            self.print_task.dialog.deleteLater()
            self.print_task.deleteLater()
        self.print_task = None
        self.print_action.setEnabled(True)

    # -- saving ---------------------------------------------------------------------------

    def save_as(self) -> None:
        """Ask where, then save a copy of the PDF there (problems are shown, not raised)."""
        folder = self.save_folder or _documents_folder()
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save as PDF", str(folder / self.suggested_name), "PDF files (*.pdf)"
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        try:
            self.save_to(path)
        except UserError as exc:
            show_user_error(self, exc, "Save as PDF")

    def save_to(self, path: Path) -> Path:
        """Write the PDF to ``path`` whole or not at all (temp file, fsync, rename), then emit
        ``saved``. ``UserError`` naming the file when it cannot be written."""
        path = Path(path)
        try:
            self._save(path, self._pdf)
        except UserError:
            self.show_status(f"{path.name} was not saved.")
            raise
        self.save_folder = path.parent
        self.show_status(f"Saved as {path}.")
        self.saved.emit(str(path))
        return path

    def show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(True)


def _screen_pixels_per_point() -> float:
    # The resolution QPdfView itself lays pages out with (the primary screen's logical dpi).
    screen = QGuiApplication.primaryScreen()
    return (screen.logicalDotsPerInch() if screen is not None else 96.0) / 72.0


def _documents_folder() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(location) if location else Path.home()


def _initial_size() -> tuple[int, int]:
    # An A4 page fitted to the width, most of it visible, on any screen from 1366x768 up.
    screen = QGuiApplication.primaryScreen()
    available = screen.availableGeometry().size() if screen is not None else QSize(1280, 800)
    return min(900, available.width() - 80), max(480, available.height() - 120)
