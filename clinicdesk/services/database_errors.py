"""What to tell a person when the database itself fails (a damaged file, a lock held too long,
a full or read-only disk) rather than our code: the GUI's last-resort error handler asks here,
so it never imports storage to tell such failures from bugs."""

from __future__ import annotations

import sys


def database_failure_message(exc: BaseException) -> str | None:
    """A message a receptionist can act on when ``exc`` is a database failure that happens in
    real life; ``None`` when it is anything else (a bug, to be reported as one)."""
    if "clinicdesk.storage.driver" not in sys.modules:
        # Nothing has opened a database yet, so this is no database failure. (The handler is
        # installed before the sign-in dialog, which has no need of the driver yet.)
        return None
    from clinicdesk.storage.database import describe_sqlite_error, is_expected_sqlite_error
    from clinicdesk.storage.driver import sqlite3

    if isinstance(exc, sqlite3.Error) and is_expected_sqlite_error(exc):
        return describe_sqlite_error(exc)
    return None
