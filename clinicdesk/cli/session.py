"""Signing in on the command line: the password (from CLINICDESK_PASSWORD or a prompt), the
recovery key notice, and what is said when the audit trail could not be written."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from clinicdesk.errors import UserError

if TYPE_CHECKING:
    from clinicdesk.paths import Paths
    from clinicdesk.services.context import ClinicServices, SignedIn

PASSWORD_ENV = "CLINICDESK_PASSWORD"


def read_secret(env: str, what: str, prompt: str) -> tuple[str, bool]:
    """A password from the environment variable ``env`` or, without it, typed at the terminal
    after ``prompt`` (then True: a new password is asked twice). Without either, refused
    saying what to do (``what``: "password", "new password")."""
    value = os.environ.get(env)
    if value is not None:
        return value, False
    if not sys.stdin.isatty():
        raise UserError(f"No {what} given: set {env} or run from a terminal.")
    return getpass.getpass(prompt), True


def ask_password(prompt: str) -> str:
    return read_secret(PASSWORD_ENV, "password", prompt)[0]


def sign_in(paths: Paths, args: argparse.Namespace) -> SignedIn:
    """Unlock the clinic as ``--user`` (password from CLINICDESK_PASSWORD or a prompt)."""
    from clinicdesk.services.context import unlock_clinic

    if not paths.holds_clinic():
        raise UserError("This data folder holds no clinic yet: run `clinicdesk init` or `demo`.")
    if not args.user:
        raise UserError("This command needs a user: add --user NAME.")
    signed = unlock_clinic(paths, args.user, ask_password(f"Password for {args.user}: "))
    if signed.recovery_key:
        print(recovery_notice(signed.recovery_key, converted=True), file=sys.stderr)
    if reason := unrecorded_reason(signed.services):
        # RELIABILITY row 26: a full disk must not lock everyone out of the records, so the
        # sign-in goes on; the person is told plainly what that means.
        print(
            f"clinicdesk: {reason}, so this sign-in could not be written to the audit trail: "
            "only reading is possible until that is fixed.",
            file=sys.stderr,
        )
    return signed


def unrecorded_reason(services: ClinicServices) -> str | None:
    from clinicdesk.services.audit import unrecorded_reason

    return unrecorded_reason(services.db)


def warn_unrecorded(services: ClinicServices) -> None:
    """What a command read while no audit entry could be written: the entries waited in
    memory (the GUI writes them when space returns); a command ends here, so they are lost,
    and it says so on stderr (one line; the log file says it without naming anyone)."""
    from clinicdesk.services.audit import unrecorded_count, unrecorded_reason

    left = unrecorded_count(services.db)
    if left and (reason := unrecorded_reason(services.db)):
        entries = "entry" if left == 1 else "entries"
        print(
            f"clinicdesk: {reason}: {left} audit {entries} (this sign-in and what was read) "
            "could not be written; the command went on, and they are lost now that it ends.",
            file=sys.stderr,
        )


def recovery_notice(recovery_key: str, *, converted: bool = False) -> str:
    what = "The database is now encrypted. " if converted else ""
    return (
        f"{what}Recovery key (print it and keep it in the practice safe; it is shown only "
        f"this once and opens the clinic if every administrator password is lost):\n"
        f"  {recovery_key}"
    )
