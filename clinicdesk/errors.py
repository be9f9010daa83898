"""Expected problems versus bugs.

A ``UserError`` is something a receptionist can act on: bad input, a locked or newer database,
a record someone else saved first, a missing permission. Its message is plain and complete; the
UI shows it as it is and the CLI prints it on one line. Anything else that escapes is a bug: the
UI shows the crash dialog with details and the traceback goes to the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class UserError(Exception):
    """An expected problem with a message meant for the person at the keyboard."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(UserError):
    """One or more fields are wrong. ``errors`` maps each field name to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        summary = "; ".join(
            f"{field.replace('_', ' ')}: {msg}" for field, msg in self.errors.items()
        )
        super().__init__(f"Please correct: {summary}")


class ConcurrentEdit(UserError):
    """Someone else saved the record after it was opened here; nothing was overwritten.

    ``mine`` is what this user tried to save and ``theirs`` is what is now stored, so the UI can
    show both versions side by side.
    """

    def __init__(self, entity: str, mine: Any, theirs: Any) -> None:
        super().__init__(
            f"This {entity} was changed by someone else after you opened it. "
            "Your changes were not saved; compare both versions and save again."
        )
        self.entity = entity
        self.mine = mine
        self.theirs = theirs


class NotFound(UserError):
    """The record asked for does not exist (or is not visible to this user)."""


class PermissionDenied(UserError):
    """The acting user's role does not allow this."""

    exit_code = 3


class PasswordChangeRequired(UserError):
    """The account's password was set by an administrator and its owner has not yet chosen
    their own: nothing but changing the password is allowed until they do."""


class DatabaseTooNew(UserError):
    """The database was written by a newer ClinicDesk than this one."""


class AuthenticationFailed(UserError):
    """Wrong user name or password."""


class DuplicatePatient(UserError):
    """A live patient already has this NHS number; ``existing`` holds their record ids."""

    def __init__(self, existing: list[str]) -> None:
        super().__init__(
            "A patient with this NHS number is already registered. Open that record instead, "
            "or register this one anyway if the number really is shared."
        )
        self.existing = existing
