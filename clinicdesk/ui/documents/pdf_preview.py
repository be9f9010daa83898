"""Showing a generated PDF in the app, printing it and saving a copy.

The document is opened from memory and printed by ``printing`` (``load_pdf``, ``print_pdf``;
the print dialog is ``printing.choose_printer``); printing runs on a worker thread, so the
window stays usable.

``PdfPreviewDialog`` knows nothing of patients or services: callers connect ``printed`` and
``saved`` to record and audit what left the building.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QMargins,
    QPointF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPalette,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtPdf import QPdfDocumentRenderOptions, QPdfPageRenderer
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QDialog,
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
from clinicdesk.ui.documents import printing
from clinicdesk.ui.documents.printing import (
    PrintCancelled,
    load_pdf,
    paper_was_chosen,
    pdf_title,
    print_pdf,
)
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.chosen_file import ask_save_path, documents_folder
from clinicdesk.ui.widgets.errors import report_bug, show_user_error

ZOOM_STEP = 1.25
MIN_ZOOM = 0.25
MAX_ZOOM = 5.0
PAGE_GAP = 12  # pixels between pages in the preview
VIEW_BACKGROUND = QColor("#5f6368")  # the pages stand out on grey, as in any PDF viewer


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
        chosen = printing.choose_printer(
            self.printer, self, title=self.title, page_count=self.page_count
        )
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
        folder = self.save_folder or documents_folder()
        path = ask_save_path(self, "Save as PDF", folder / self.suggested_name, ".pdf", "PDF files")
        if path is None:
            return
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


def _initial_size() -> tuple[int, int]:
    # An A4 page fitted to the width, most of it visible, on any screen from 1366x768 up.
    screen = QGuiApplication.primaryScreen()
    available = screen.availableGeometry().size() if screen is not None else QSize(1280, 800)
    return min(900, available.width() - 80), max(480, available.height() - 120)
