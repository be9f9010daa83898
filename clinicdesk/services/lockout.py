"""A growing wait after repeated failed sign-ins (RELIABILITY.md row 12).

The first ``FREE_ATTEMPTS`` wrong passwords in a row cost nothing; after that each further try
for that user name must wait ``2 ** (failures - FREE_ATTEMPTS)`` seconds after the last failure,
up to ``MAX_DELAY_SECONDS``. A correct password clears the count; failures older than
``FORGET_AFTER_SECONDS`` are forgotten. The counts live in a small JSON file in the data folder,
not in the database: they must hold before the encrypted database can be opened (the password
is what opens it) and survive a restart of the program. The file holds staff user names, counts
and times, never patient data, and is replaced atomically (temporary file, fsync,
``os.replace``) so a crash leaves the old or the new version, never half of one.

Nothing here sleeps: a try that comes too early raises ``LoginDelayed`` at once, so the GUI
thread never waits. Such refused tries are counted too, and ``record_success`` hands back the
failures and refusals it clears, so that the sign-in that finally opens the database can write
them to the audit trail (while the database is locked they cannot be written there).

Two programs on one data folder may each miss a failure the other recorded at the same
instant; that costs an attacker at most one free guess, and is not worth a lock.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from clinicdesk.errors import UserError

log = logging.getLogger(__name__)

FREE_ATTEMPTS = 5
MAX_DELAY_SECONDS = 300.0
FORGET_AFTER_SECONDS = 24 * 60 * 60.0
# Bounds the file when someone tries many made-up user names; the oldest entries go first.
MAX_TRACKED_NAMES = 500
FILE_FORMAT = 1


class LoginDelayed(UserError):
    """A sign-in tried before the wait after repeated failures is over."""

    def __init__(self, username: str, seconds: int, failures: int) -> None:
        unit = "second" if seconds == 1 else "seconds"
        super().__init__(f"Too many failed sign-ins for {username}. Try again in {seconds} {unit}.")
        self.username = username
        self.seconds = seconds
        self.failures = failures


@dataclass(frozen=True)
class FailedSignIns:
    """The failures for one user name since its last good sign-in, and the tries refused
    meanwhile because they came before the wait was over."""

    failures: int
    last_failure_at: float
    refused: int = 0
    # Failures not yet in the audit trail: those at sign-in, before the database was open.
    # A wrong password with the database open (lock screen) is audited at once.
    unaudited: int = 0


def delay_after(failures: int) -> float:
    """Seconds the next try must wait after ``failures`` consecutive failures."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_DELAY_SECONDS, 2.0 ** (failures - FREE_ATTEMPTS))


def _normalise(username: str) -> str:
    # The same folding as sign-in itself, so "Admin " and "admin" share one count.
    return username.strip().lower()


class LoginThrottle:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock

    # -- questions ------------------------------------------------------------------------

    def failures(self, username: str) -> int:
        entry = self._read().get(_normalise(username))
        return 0 if entry is None else entry.failures

    def delay_for(self, username: str) -> float:
        """Seconds still to wait before ``username`` may try again (0 when they may now)."""
        entry = self._read().get(_normalise(username))
        if entry is None:
            return 0.0
        return self._remaining(entry)

    def _remaining(self, entry: FailedSignIns) -> float:
        delay = delay_after(entry.failures)
        # min(): a clock set back must not turn into a wait longer than the delay itself.
        return max(0.0, min(delay, entry.last_failure_at + delay - self.clock()))

    def check(self, username: str) -> None:
        """Raise ``LoginDelayed`` if ``username`` must still wait; otherwise return at once.

        A refused try is counted (for the audit at the next good sign-in) but does not make
        the wait longer: only a wrong password does.
        """
        entries = self._read()
        name = _normalise(username)
        entry = entries.get(name)
        remaining = 0.0 if entry is None else self._remaining(entry)
        if entry is None or remaining <= 0:
            return
        entries[name] = replace(entry, refused=entry.refused + 1)
        self._write(entries)
        raise LoginDelayed(username.strip(), max(1, math.ceil(remaining)), entry.failures)

    # -- bookkeeping ----------------------------------------------------------------------

    def record_failure(self, username: str, *, audited: bool = False) -> int:
        """Count one more wrong password; returns the consecutive failures so far.

        ``audited`` says the failure is already in the audit trail (the database was open).
        """
        entries = self._read()
        name = _normalise(username)
        previous = entries.pop(name, None)
        count = (previous.failures if previous else 0) + 1
        refused = previous.refused if previous else 0
        unaudited = (previous.unaudited if previous else 0) + (0 if audited else 1)
        entries[name] = FailedSignIns(count, self.clock(), refused, unaudited)
        self._write(entries)
        return count

    def record_success(self, username: str) -> FailedSignIns | None:
        """Clear the count after a good password; returns what it held, for the audit trail
        (failures cannot be audited when they happen if the database is still locked)."""
        entries = self._read()
        cleared = entries.pop(_normalise(username), None)
        if cleared is not None:
            self._write(entries)
        return cleared

    # -- the file -------------------------------------------------------------------------

    def _read(self) -> dict[str, FailedSignIns]:
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # A damaged file must not keep everyone out; start counting again.
            log.warning("login attempts file unreadable; starting a new count")
            return {}
        now = self.clock()
        entries: dict[str, FailedSignIns] = {}
        accounts = data.get("accounts") if isinstance(data, dict) else None
        if not isinstance(accounts, dict):
            return {}
        for name, value in accounts.items():
            try:
                count, last_at = int(value["failures"]), float(value["last_failure_at"])
                refused = int(value.get("refused_while_waiting", 0))
                unaudited = int(value.get("unaudited", 0))
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
            if count > 0 and now - last_at < FORGET_AFTER_SECONDS:
                entries[str(name)] = FailedSignIns(count, last_at, refused, unaudited)
        return entries

    def _write(self, entries: dict[str, FailedSignIns]) -> None:
        newest = sorted(entries.items(), key=lambda item: item[1].last_failure_at)
        data = {
            "format": FILE_FORMAT,
            "accounts": {
                name: {
                    "failures": e.failures,
                    "last_failure_at": e.last_failure_at,
                    "refused_while_waiting": e.refused,
                    "unaudited": e.unaudited,
                }
                for name, e in newest[-MAX_TRACKED_NAMES:]
            },
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(
                prefix=".login_attempts-", suffix=".tmp", dir=self.path.parent
            )
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(data, out, indent=1, sort_keys=True)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp_name, self.path)
            except BaseException:
                Path(temp_name).unlink(missing_ok=True)
                raise
        except OSError:
            # A full disk must not stop people signing in; the count just is not kept.
            log.warning("could not save the login attempts file", exc_info=True)
