"""``clinicdesk backup DEST_DIR`` and ``clinicdesk restore ARCHIVE`` (administrators).

``backup`` signs in as every command does and prints the archive's path once it has been
written and verified. ``restore`` needs no clinic: it writes into ``--data-dir``, which must be
new or empty, and unlocks the archive with ``--user``'s password (``CLINICDESK_PASSWORD`` or a
prompt) or with the recovery key (``CLINICDESK_RECOVERY_KEY``, or at the prompt: leave the
password empty). It prints the counts of what was restored and anything the person must know
(the backup's date, a newer backup of the same clinic beside it).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk.cli.session import PASSWORD_ENV
from clinicdesk.errors import UserError

if TYPE_CHECKING:
    from clinicdesk.paths import Paths
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

RECOVERY_KEY_ENV = "CLINICDESK_RECOVERY_KEY"
NO_SIGN_IN_COMMANDS = ("restore",)


def add_backup_commands(commands: argparse._SubParsersAction[Any]) -> None:
    backup = commands.add_parser(
        "backup", help="write one encrypted, verified backup archive into DEST_DIR (admins)"
    )
    backup.add_argument("dest_dir", metavar="DEST_DIR", help="folder to write the archive in")
    restore = commands.add_parser(
        "restore",
        help="restore a backup archive into --data-dir, which must be new or empty (an admin's "
        f"password, or the recovery key from {RECOVERY_KEY_ENV})",
    )
    restore.add_argument("archive", metavar="ARCHIVE", help="the .cdbackup file")


def run_backup(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    from clinicdesk.services import backup_schedule
    from clinicdesk.services.backup import make_backup, read_archive_info

    result = make_backup(services, user, Path(args.dest_dir))
    backup_schedule.note_archive(
        services.paths, result.path, read_archive_info(result.path).created
    )
    for problem in result.audit_problems:
        print(
            f"clinicdesk: warning: the audit trail backed up has a problem: {problem}",
            file=sys.stderr,
        )
    out.write(f"{result.path}\n")
    return 0


def _secrets(username: str) -> tuple[str | None, str | None]:
    """(password, recovery key): one of them."""
    recovery = os.environ.get(RECOVERY_KEY_ENV)
    if recovery:
        return None, recovery
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password, None
    if not sys.stdin.isatty():
        raise UserError(
            f"No password or recovery key given: set {PASSWORD_ENV} or {RECOVERY_KEY_ENV}, "
            "or run from a terminal."
        )
    password = getpass.getpass(f"Password for {username} (leave empty to give the recovery key): ")
    if password:
        return password, None
    return None, getpass.getpass("Recovery key: ")


def run_restore(args: argparse.Namespace, paths: Paths, out: TextIO) -> int:
    from clinicdesk.services.restore import restore_backup

    if not args.user:
        raise UserError("restore needs an administrator of the backed-up clinic: add --user NAME.")
    password, recovery_key = _secrets(args.user)
    result = restore_backup(
        Path(args.archive), paths, args.user, password=password, recovery_key=recovery_key
    )
    out.write(f"Restored into {result.data_dir}:\n")
    for table, count in sorted(result.counts.items()):
        if table.startswith("_") or "_search_" in table:  # bookkeeping and the search index
            continue
        out.write(f"  {table}: {count}\n")
    out.write(f"  photo and consent files: {result.files}\n")
    for note in result.notes():
        out.write(f"{note}\n")
    return 0
