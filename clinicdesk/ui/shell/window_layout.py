"""How the main window is laid out on screen, kept out of ``main_window`` so it stays small there.

- ``fit_patient_list``: the patient list's columns sized from the font (the Name column takes
  what is left), so all of them show without a horizontal scroll bar in a 1440 px window.
- ``EmptyListMessage``: "No patients" (or "No patients match") over a list with no rows.
- ``keep_tabs_whole``: the record tabs never hide behind scroll arrows; the record side is kept
  wide enough for every tab's whole label.
- ``WindowLayout``: the window's geometry and the list/record splitter are remembered between
  sessions (an ini file in the data folder: sizes only, nothing about any patient), and a
  restored window is kept inside the screen's available area so its status bar stays visible.
- ``bring_to_front``: another window (the follow-up list, the lot finder) opened a record.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHeaderView,
    QLabel,
    QLayout,
    QMainWindow,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTabWidget  # made with the record's side, not at start-up

SETTINGS_FILE = "window.ini"
GEOMETRY_KEY = "main_window/geometry"
SPLITTER_KEY = "main_window/splitter"
MAXIMIZED_KEY = "main_window/maximized"
# The widest text each fixed column of the patient list shows (Name takes the rest).
PATIENT_LIST_SAMPLES = {
    1: "00/00/0000",
    2: "000",
    3: "000 000 0000",
    4: "0000 000 0000",
    5: "WW00 0WW",
    6: "WW-00000",
}
NAME_MIN_WIDTH = 150
CELL_PADDING = 16


def fit_patient_list(view: QTableView) -> None:
    """Size the fixed columns to their widest value and let Name stretch into the rest."""
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(30)
    metrics = view.fontMetrics()
    header_metrics = header.fontMetrics()
    model = view.model()
    for column, sample in PATIENT_LIST_SAMPLES.items():
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        width = max(metrics.horizontalAdvance(sample), header_metrics.horizontalAdvance(title))
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        view.setColumnWidth(column, width + CELL_PADDING)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)


def patient_list_min_width(view: QTableView) -> int:
    """The list's width with every fixed column whole and a usable Name column."""
    fixed = sum(view.columnWidth(column) for column in PATIENT_LIST_SAMPLES)
    scroll_bar = view.verticalScrollBar().sizeHint().width()
    return fixed + NAME_MIN_WIDTH + scroll_bar + 2 * view.frameWidth()


def place_splitter(splitter: QSplitter, view: QTableView, margins: int) -> None:
    """The list starts wide enough for its columns; a wider window widens the record."""
    splitter.setChildrenCollapsible(False)
    splitter.setStretchFactor(0, 0)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([patient_list_min_width(view) + margins, 10_000])


class EmptyListMessage(QLabel):
    """A grey line of text over a list's viewport while its model has no rows. A layout on
    the viewport keeps it the viewport's size (no event filter: each filtered event costs a
    call into Python, and the first ones make enums for every event class PySide meets)."""

    def __init__(self, view: QAbstractItemView, text: Callable[[], str]) -> None:
        viewport = own_viewport(view)
        super().__init__(viewport)
        self.setObjectName("empty_list_message")
        self._view = view
        self._text = text
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setWordWrap(True)
        self.setStyleSheet("color: gray; padding-top: 24px;")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QVBoxLayout(viewport)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # the view sizes it
        layout.addWidget(self)
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._refresh)
        self._refresh()

    def _refresh(self, *_args: object) -> None:
        empty = self._view.model().rowCount() == 0
        if empty:
            self.setText(self._text())
        self.setVisible(empty)


def own_viewport(view: QAbstractScrollArea) -> QWidget:
    """A new viewport for ``view``, made here (a plain widget, as Qt makes it). Asked for the
    one Qt made, PySide meets an object new to it and looks for its Python class among every
    widget class, making all their enums: some 8 ms, at start-up for the patient list."""
    viewport = QWidget(view)
    view.setViewport(viewport)
    return viewport


def keep_tabs_whole(tabs: QTabWidget) -> None:
    """Every tab's label stays whole and in view: no scroll arrows, no eliding. The tab bar's
    minimum width is then the sum of the labels, which the splitter respects."""
    bar = tabs.tabBar()
    bar.setUsesScrollButtons(False)
    bar.setElideMode(Qt.TextElideMode.ElideNone)
    bar.setExpanding(False)


def fit_to_screen(window: QWidget, available: QRect | None = None) -> None:
    """Move and shrink ``window`` into ``available`` (by default its screen's available area,
    the taskbar excluded), so its title and status bars are on screen."""
    if available is None:
        screen = window.screen()
        if screen is None:
            return
        available = screen.availableGeometry()
    frame = window.frameGeometry()
    extra_w = frame.width() - window.width()
    extra_h = frame.height() - window.height()
    width = min(window.width(), available.width() - extra_w)
    height = min(window.height(), available.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(max(width, window.minimumWidth()), max(height, window.minimumHeight()))
    frame = window.frameGeometry()
    x = min(max(frame.x(), available.x()), available.right() + 1 - frame.width())
    y = min(max(frame.y(), available.y()), available.bottom() + 1 - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(x, available.x()), max(y, available.y()))


# A screen no larger than this in either direction opens the first window maximised.
ROOMY_SCREEN = QSize(1600, 1000)


def _screen_is_small(window: QWidget, available: QRect | None) -> bool:
    if available is None:
        screen = window.screen()
        if screen is None:
            return False
        available = screen.availableGeometry()
    return available.width() < ROOMY_SCREEN.width() or available.height() < ROOMY_SCREEN.height()


class WindowLayout:
    """Remembers ``window``'s place and size (and whether it was maximised) and ``splitter``'s
    sizes in ``data_dir/window.ini``. The place is stored as a plain rectangle and fitted to
    the screen on restore, so a window saved on a large monitor opens whole on a laptop."""

    def __init__(self, window: QMainWindow, splitter: QSplitter, data_dir: Path) -> None:
        self.window = window
        self.splitter = splitter
        self.settings = QSettings(str(data_dir / SETTINGS_FILE), QSettings.Format.IniFormat)

    def restore(self, available: QRect | None = None) -> None:
        """The saved geometry and splitter, fitted into ``available`` (the screen's). Call it
        once the window is shown: only then does its frame (the title bar) count."""
        geometry = self.settings.value(GEOMETRY_KEY)
        if isinstance(geometry, QRect) and geometry.isValid():
            self.window.setGeometry(geometry)
        elif _screen_is_small(self.window, available):
            # First start on a laptop or a 1440 px monitor: the default size would squeeze the
            # patient list's columns beside an open record, so use the whole screen.
            self.window.showMaximized()
            return
        sizes = self.settings.value(SPLITTER_KEY)
        if isinstance(sizes, QByteArray) and not sizes.isEmpty():
            self.splitter.restoreState(sizes)
        fit_to_screen(self.window, available)
        if self.settings.value(MAXIMIZED_KEY) in (True, "true"):
            self.window.showMaximized()

    def save(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.window.normalGeometry())
        self.settings.setValue(MAXIMIZED_KEY, self.window.isMaximized())
        self.settings.setValue(SPLITTER_KEY, self.splitter.saveState())
        self.settings.sync()


def bring_to_front(window: QWidget) -> None:
    """Show ``window`` (restored if minimised), raised and active."""
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
        window.show()
    window.raise_()
    window.activateWindow()
