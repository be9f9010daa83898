"""Expected problems versus bugs.

A ``UserError`` is something a receptionist can act on: bad input, a locked or newer database,
a record someone else saved first, a missing permission. Its message is plain and complete; the
UI shows it as it is and the CLI prints it on one line. Anything else that escapes is a bug: the
UI shows the crash dialog with details and the traceback goes to the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple


class UserError(Exception):
    """An expected problem with a message meant for the person at the keyboard."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def missing_library(exc: ImportError) -> str:
    """What to say when a library the program needs cannot be loaded: a broken installation
    (a frozen build without one of its files). Most are loaded when first needed, not at
    start, so this can come from the first command or sign-in that needs one."""
    return f"a library is missing: {exc}. Reinstall ClinicDesk."


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


class NhsNumberHolder(NamedTuple):
    """A live patient who already has an NHS number: enough to recognise them (demographics,
    which every role may see) and the record id to open. (A named tuple: this module is read
    before the sign-in dialog, see ``paths.Paths``.)"""

    id: str
    name: str
    born: str  # DD/MM/YYYY
    archived: bool = False

    def describe(self) -> str:
        return f"{self.name}, born {self.born}" + (" (archived)" if self.archived else "")


class DuplicatePatient(UserError):
    """Another live patient already has this NHS number; ``holders`` says who (``existing``
    holds their record ids). Going ahead needs a written reason."""

    def __init__(self, nhs_number: str, holders: Sequence[NhsNumberHolder]) -> None:
        self.nhs_number = nhs_number
        self.holders = list(holders)
        self.existing = [holder.id for holder in self.holders]
        named = "; ".join(f"{h.describe()} (patient id {h.id})" for h in self.holders)
        super().__init__(
            f"NHS number {nhs_number} is already registered to {named}. Open that record "
            "instead; only if the number really is shared, go ahead with a written reason."
        )
