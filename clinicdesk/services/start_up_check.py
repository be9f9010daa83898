"""The start-up check of a large database on a worker (RELIABILITY row 3, DESIGN start-up budget).

``PRAGMA quick_check`` reads every page, so its time grows with the clinic: over a second at
100,000 patients, longer than the rest of start-up together. The GUI therefore opens the
clinic with the check deferred (``open_clinic(..., defer_check=True)``): writes are held
(``Database.hold_writes``: every write refused with ``CHECKING_MESSAGE``, audit entries of
reads kept in memory) until the check, run on a worker with its own connection once the window
is up, passes; then writes are released and the waiting audit entries written. A damaged file
is switched to read-only for good, as the synchronous check does. The command line keeps the
synchronous check (it has no start-up budget).

``run`` is the worker's part (no Qt here: the GUI moves it to a thread and back); ``finish``
applies the result on the thread that owns the clinic's connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from clinicdesk.storage import audit
from clinicdesk.storage.database import Database, check_database, open_database
from clinicdesk.storage.driver import sqlite3

log = logging.getLogger(__name__)

CHECKING_MESSAGE = (
    "The database is still being checked (as at every start); nothing can be saved until it "
    "is done. Try again in a moment."
)

# Set by ``finish``'s caller (context.check_db): what a damaged file's writes are refused with.
OnDamage = Callable[[Database, list[str]], None]


class StartUpCheck:
    """One deferred check of ``path`` for the open ``db`` (whose writes are held meanwhile)."""

    def __init__(self, db: Database, path: Path, key: bytes | None, on_damage: OnDamage) -> None:
        self.db = db
        self.path = path
        self._key = key
        self._on_damage = on_damage
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self.cancelled = False
        self.done = False
        self.problems: list[str] = []

    def run(self) -> list[str] | None:
        """On a worker: the problems ``PRAGMA quick_check`` finds through a connection of its
        own (empty when sound); None when it could not run there (``finish`` then checks on
        the clinic's own connection) or was cancelled."""
        try:
            own = open_database(self.path, self._key)
        except Exception:  # finish() checks on the main connection instead
            log.warning("start-up check: no connection of its own; checking in place")
            return None
        try:
            own.refuse_writes("the start-up check only reads")
            # This connection is closed right after the check, and ``cancel`` may interrupt it
            # from the GUI thread meanwhile: it must never be swapped for a fresh one
            # (``Database.reconnect`` after damage), which would close the one being
            # interrupted (a crash in SQLite's interrupt).
            own.reopen = None
            with self._lock:
                if self.cancelled:
                    return None
                self._conn = own.conn
            problems = check_database(own)
        finally:
            with self._lock:
                self._conn = None
            own.close()
        if self.cancelled:
            return None
        if any("interrupted" in problem for problem in problems):  # interrupt() from cancel
            return None
        return problems

    def cancel(self) -> None:
        """Stop a running check (the clinic is being closed); ``finish`` then does nothing."""
        with self._lock:
            self.cancelled = True
            if self._conn is not None:
                self._conn.interrupt()

    def finish(self, problems: list[str] | None) -> list[str]:
        """On the thread owning ``db``: apply what ``run`` found (None: check here, now). A
        sound file gets its writes back and the audit entries kept meanwhile written; a
        damaged one is read-only for good. Returns the problems (empty when sound)."""
        if self.done or self.cancelled:
            return self.problems
        if problems is None:
            problems = check_database(self.db)
        self.done = True
        self.problems = problems
        if problems:
            self._on_damage(self.db, problems)
        else:
            self.db.release_writes()
            audit.flush(self.db)
            log.info("start-up check passed")
        return problems
