"""The start-up check of the database, run on a worker once the main window is up.

The clinic was opened with its check deferred (``open_clinic(..., defer_check=True)``): writes
are refused with a "still being checked" message until it passes. ``check_in_background``
starts ``StartUpCheck.run`` on the global thread pool (its own connection) and applies the
result on the GUI thread: a sound file gets its writes back; a damaged one stays read-only
with the banner across the window, as when the check ran before the window.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QMainWindow

from clinicdesk.services.context import ClinicServices
from clinicdesk.services.start_up_check import StartUpCheck

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the GUI thread; the worker's result reaches it through a queued signal."""

    found = Signal(object)

    def __init__(
        self, parent: QObject, check: StartUpCheck, done: Callable[[list[str]], None]
    ) -> None:
        super().__init__(parent)
        self.check = check
        self.done = done
        self.found.connect(self._finish)

    @Slot(object)
    def _finish(self, problems: object) -> None:
        assert problems is None or isinstance(problems, list)
        self.done(self.check.finish(problems))
        self.deleteLater()


class _Run(QRunnable):
    def __init__(self, relay: _Relay) -> None:
        super().__init__()
        self.check = relay.check
        self.found = relay.found

    def run(self) -> None:
        problems = self.check.run()
        if self.check.cancelled:
            return  # the window and the clinic are being closed
        with contextlib.suppress(RuntimeError):  # the relay was deleted meanwhile
            self.found.emit(problems)


def check_in_background(
    window: QMainWindow, services: ClinicServices, on_damaged: Callable[[str], object]
) -> None:
    """Run the deferred start-up check (if any) on a worker, starting once the event loop
    turns (the window is painted first); ``on_damaged(reason)`` when the file is damaged."""
    check = services.start_up_check
    if check is None or check.done:
        return

    def done(problems: list[str]) -> None:
        if problems and services.read_only is not None:
            on_damaged(services.read_only)

    relay = _Relay(window, check, done)
    QTimer.singleShot(0, relay, lambda: QThreadPool.globalInstance().start(_Run(relay)))
