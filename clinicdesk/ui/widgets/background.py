"""Running long work off the GUI thread, with a progress dialog only when it is slow.

Long work is a plain function ``work(progress, cancelled) -> result`` (testable without Qt):
``progress(done, total)`` reports, ``cancelled()`` says whether the user pressed Cancel. The
runner moves it to the global QThreadPool and back: the callbacks run on the GUI thread
through queued signals. The progress dialog appears only after ``SHOW_AFTER_MS``, so quick
work never flashes a window. The work must open its own database connection (SQLite
connections belong to the thread that made them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

SHOW_AFTER_MS = 500

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
Work = Callable[[Progress, Cancelled], Any]


class _Signals(QObject):
    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Work, signals: _Signals, cancel: threading.Event) -> None:
        super().__init__()
        self.work = work
        self.signals = signals
        self.cancel = cancel

    def run(self) -> None:
        try:
            result = self.work(self.signals.progressed.emit, self.cancel.is_set)
        except BaseException as exc:  # handed to the GUI thread, which decides how to show it
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)


class BackgroundTask(QObject):
    """One piece of long work; keep a reference until ``finished`` fires."""

    finished = Signal()

    def __init__(
        self,
        parent: QWidget,
        label: str,
        work: Work,
        on_success: Callable[[Any], None],
        on_failure: Callable[[BaseException], None],
        *,
        quiet: bool = False,
    ) -> None:
        """``quiet``: no progress dialog at all (work the person did not ask for, such as the
        day's automatic backup, must not put a window in front of them)."""
        super().__init__(parent)
        self.quiet = quiet
        self._cancel = threading.Event()
        self._on_success = on_success
        self._on_failure = on_failure
        self.done = False
        self.dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
        self.dialog.setObjectName("progress_dialog")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.canceled.connect(self._cancel_requested)
        self.dialog.reset()  # QProgressDialog shows itself on construction otherwise
        self.dialog.hide()
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self._show_dialog)
        self._signals = _Signals()
        self._signals.progressed.connect(self._progressed)
        self._signals.succeeded.connect(self._succeeded)
        self._signals.failed.connect(self._failed)
        self._job = _Job(work, self._signals, self._cancel)
        self._job.setAutoDelete(False)

    def start(self) -> None:
        if not self.quiet:
            self._show_timer.start(SHOW_AFTER_MS)
        QThreadPool.globalInstance().start(self._job)

    def _show_dialog(self) -> None:
        if not self.done:
            self.dialog.show()

    def _cancel_requested(self) -> None:
        self._cancel.set()
        self.dialog.setLabelText("Cancelling…")

    def _progressed(self, done: int, total: int) -> None:
        self.dialog.setMaximum(max(total, 1))
        self.dialog.setValue(min(done, max(total, 1)))

    def _finish(self) -> None:
        self.done = True
        self._show_timer.stop()
        self.dialog.hide()
        self.finished.emit()

    def _succeeded(self, result: object) -> None:
        self._finish()
        self._on_success(result)

    def _failed(self, exc: object) -> None:
        self._finish()
        assert isinstance(exc, BaseException)
        self._on_failure(exc)
