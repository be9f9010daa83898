"""When the work that need not delay the first window is done: while the sign-in dialog waits
for a password, and once the main window is up.

The sign-in dialog is the first screen, and it imports little. The clinic's services and the
main window's modules (with the Qt classes and enums they bring) are imported while it waits for
someone to type a password, which takes longer than the imports (``SIGNED_IN_MODULES``, one a
turn: ``import_in_idle_time``), and then the main window's widgets, menus and actions are made,
which need no clinic (``application.prepare_main_window``), so the main window comes sooner
after the password: it is given the clinic and who signed in (``MainWindow.bind``) and put up
first (the patient list and the search box, ready for a key); what it can do without for a
moment comes ``AFTER_WINDOW_UP_MS`` later, each on a turn of the event loop of its own: the
list's count line, the day's backups. The record's tabs follow in idle time
(``record_tabs.WARM_UP_AFTER_MS``), and the form rules and the idle watcher, whose event filters
have PySide make every Qt class left, later still (``EVENT_FILTERS_AFTER_MS``).
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

# Long enough for the window to be painted and the first key to be handled; short enough that
# nobody sees the count line empty.
AFTER_WINDOW_UP_MS = 100

# What signing in and the main window import (the clinic's services, then the window's
# modules), one a turn while the sign-in dialog waits for the password; biggest first within
# each (``application.sign_in_dialog``).
SIGNED_IN_MODULES = (
    "clinicdesk.services.session",
    "clinicdesk.services.clinic",
    "clinicdesk.services.patients",
    "clinicdesk.services.context",
    "clinicdesk.ui.shell.main_window",
    "clinicdesk.ui.shell.window_layout",
    "clinicdesk.ui.shell.database_check",
    "clinicdesk.ui.sync.control",
    "clinicdesk.ui.shell.user_guide",
    "clinicdesk.ui.shell.storage_banner",
    "clinicdesk.services.database_errors",
)
# How long after a window is made an application-wide event filter is installed: the form rules
# (``application``, from the program's start) and the idle watcher (``idle_lock``, from the
# main window's). The first event a Python event filter sees for an object whose Python class
# PySide has not made yet (the window's own QWindow, say) has it make every Qt class it has
# left, with their enums: some 75 ms on the development machine. Before the window is usable
# that would delay it; half a second later it falls in the idle time after it.
EVENT_FILTERS_AFTER_MS = 500

# Between two imports: keys typed meanwhile are handled in between.
IMPORT_STEP_MS = 20


class IdleSteps(QObject):
    """Runs ``steps`` in idle time, one a turn of the event loop: the first ``after_ms`` from
    now, each next ``step_ms`` after the one before (keys typed meanwhile are handled in
    between), while its parent lives. Stops early once ``stop()`` is true; ``done`` once
    every step has run or been dropped. The one way the shell puts work off until a window is
    up (a QTimer of its own: ``QTimer.singleShot`` with a receiver loads QMetaMethod's enums)."""

    def __init__(
        self,
        steps: Sequence[Callable[[], object]],
        parent: QObject,
        *,
        after_ms: int,
        step_ms: int = 0,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(parent)
        self._left = list(steps)
        self._step_ms = step_ms
        self._stop = stop
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next)
        self._timer.start(after_ms)

    @property
    def done(self) -> bool:
        return not self._left

    def drop(self) -> None:
        """Leave the steps not yet run."""
        self._left.clear()

    def _next(self) -> None:
        if self._stop():
            self.drop()
        if not self._left:
            return
        self._left.pop(0)()
        if self._left:
            self._timer.start(self._step_ms)


def import_in_idle_time(
    modules: Sequence[str], parent: QObject, then: Callable[[], object] | None = None
) -> IdleSteps:
    """Import ``modules`` one a turn, ``IMPORT_STEP_MS`` apart, from ``AFTER_WINDOW_UP_MS``
    after now (its parent, a dialog waiting for input, on screen first), and ``then`` call
    ``then`` on a turn of its own. A module that fails to import (a broken installation) is
    logged and the rest dropped, ``then`` too: the window that needs it imports it again,
    and says so."""

    def step(name: str) -> None:
        try:
            importlib.import_module(name)
        except Exception:
            log.exception("importing %s ahead of need failed", name)
            steps.drop()

    steps = IdleSteps(
        [functools.partial(step, name) for name in modules] + ([then] if then else []),
        parent,
        after_ms=AFTER_WINDOW_UP_MS,
        step_ms=IMPORT_STEP_MS,
    )
    return steps
