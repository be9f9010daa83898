"""GUI fixtures: real widgets, offscreen, driven with qtbot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.documents import printing
from clinicdesk.ui.shell.main_window import MainWindow
from clinicdesk.ui.widgets.guarded_dialog import install_form_rules
from tests.conftest import Clinic

WindowFactory = Callable[[CurrentUser], MainWindow]


@pytest.fixture(autouse=True)
def form_rules(qapp: QApplication) -> None:
    """The application-wide form rules, installed as ``run_gui`` installs them."""
    install_form_rules(qapp)


@dataclass
class PrintDialogStandIn:
    """Answers for the system's print dialog (``printing.choose_printer``) in every GUI
    test, so that no test depends on the machine's printers or sends a job to one: as if Print
    were pressed with the printer as it is (the test's PDF-file QPrinter), or, when told,
    with "Current page" chosen, or Cancel. ``asked`` lists the titles it was asked about."""

    cancel: bool = False
    current_page: bool = False
    asked: list[str] = field(default_factory=list)
    real: Callable[..., QPrinter | None] = printing.choose_printer

    def __call__(
        self, printer: QPrinter, _parent: object, *, title: str, page_count: int = 1
    ) -> QPrinter | None:
        assert page_count >= 1
        self.asked.append(title)
        printer.setDocName(title)
        if self.cancel:
            return None
        if self.current_page:
            printer.setPrintRange(QPrinter.PrintRange.CurrentPage)
        return printer


@pytest.fixture(autouse=True)
def print_dialog() -> Iterator[PrintDialogStandIn]:
    """Every GUI test prints through ``PrintDialogStandIn``; a test of the real dialog calls
    ``print_dialog.real`` (with a PDF-file QPrinter, which the dialog keeps). Not through
    ``monkeypatch``, which a test may ``undo()`` halfway."""
    real = printing.choose_printer
    stand_in = PrintDialogStandIn(real=real)
    printing.choose_printer = stand_in
    try:
        yield stand_in
    finally:
        printing.choose_printer = real


@pytest.fixture
def open_window(qtbot: QtBot, clinic: Clinic) -> Iterator[WindowFactory]:
    windows: list[MainWindow] = []

    def make(user: CurrentUser) -> MainWindow:
        window = MainWindow(clinic.services, user)
        with qtbot.waitActive(window):
            window.show()
            window.activateWindow()
        windows.append(window)
        return window

    yield make
    for window in windows:
        # Leave without prompting: the test has made its assertions.
        window._demographics_dirty = False
        window._medical_dirty = False
        window.idle_lock.kept.clear()  # forms hidden by a lock the test left in place
        window.close()
        window.deleteLater()


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type like a user, including letters such as ë and Ł that QTest's keyClicks rejects."""
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


def when_modal(
    handle: Callable[[QWidget], None],
    timeout_ms: int = 5000,
    kind: type[QWidget] = QWidget,
) -> list[str]:
    """Run ``handle`` on the next modal dialog of ``kind`` that opens (a QMessageBox.question
    blocks the test until it is answered; ``kind=QMessageBox`` passes over a modal window already
    open, or a progress dialog, for the message it shows). Returns a list that receives the
    dialog's text."""
    seen: list[str] = []
    waited = [0]

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if not isinstance(modal, kind):
            waited[0] += 20
            if waited[0] < timeout_ms:
                QTimer.singleShot(20, poll)
            return
        if isinstance(modal, QMessageBox):
            seen.append(modal.text())
        handle(modal)

    QTimer.singleShot(0, poll)
    return seen


def click_message_button(button: QMessageBox.StandardButton) -> Callable[[QWidget], None]:
    def handle(modal: QWidget) -> None:
        assert isinstance(modal, QMessageBox), f"expected a message box, got {modal!r}"
        modal.button(button).click()

    return handle


def close_dialog(modal: QWidget) -> None:
    assert isinstance(modal, QDialog)
    modal.reject()
