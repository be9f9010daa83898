"""The SQLite driver: SQLCipher's build of SQLite (``sqlcipher3``) for every connection.

Every connection, encrypted or not, is a ``sqlcipher3`` connection, and sqlite-utils is made
to use the same module: sqlite-utils catches its driver's exception classes, and
``sqlcipher3`` raises its own, so with the standard library's classes 7 of 10 sqlite-utils
error paths break on a SQLCipher connection (DESIGN.md, "Traps"). Importing this module
before sqlite-utils registers ``sqlcipher3`` under the name sqlite-utils looks for first
(``pysqlite3``). ``clinicdesk.storage`` imports it first thing, so it always runs before
sqlite-utils is imported through us.

Code that catches database errors imports ``sqlite3`` from here, never the standard library.

SQLCipher logs to stderr by itself ("ERROR CORE ... hmac check failed for pgno=1", three lines
per unreadable page): on a wrong key or a damaged file those lines came before ClinicDesk's
one-line message, and a long-running window could print thousands. Its log level is global to
the process, so it is set to NONE here, once, before any connection is used; the errors still
reach us as exceptions, which are described and logged (without page contents) by our code.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the same API; the standard library's stubs type it
    import sqlite3 as sqlite3
else:
    import sqlcipher3
    from sqlcipher3 import dbapi2 as sqlite3

    sys.modules.setdefault("pysqlite3", sqlcipher3)
    sys.modules.setdefault("pysqlite3.dbapi2", sqlite3)

    def _silence_sqlcipher_log() -> None:
        conn = sqlite3.connect(":memory:")
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
        finally:
            conn.close()

    _silence_sqlcipher_log()

__all__ = ["sqlite3"]
