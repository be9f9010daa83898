"""``clinicdesk verify [--json]``: check the clinic's data (administrators).

The same check as Admin > Check the clinic's data (``services.verify``): the database's
integrity and foreign keys, every photo and consent file present with the right hash, files no
record names, the cache, the audit chain. All well: one line on stdout ("All is well: ..."),
exit 0. Otherwise a summary line and then each problem on a line of its own on stdout (what,
which record or file, what to do), exit ``PROBLEMS_EXIT``. ``--json`` prints one object
(``all_well``, the counts, and ``problems``: each with ``kind``, ``what``, ``where``,
``action``, ``patient_id``, ``record_id``, ``file``). A missing or damaged file names the
newest backup (in the automatic backup folder or the data folder's ``backups/``) that holds it;
``--restore-files`` puts such files back from those backups and checks again. Other roles exit
3, as every refused command. The run is audited.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the services are imported when the subcommand runs (see cli/__init__.py)
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser
    from clinicdesk.services.verify import VerifyReport

# Problems a backup can mend: the file is put back as it was.
RESTORABLE = frozenset(
    {"photo_missing", "photo_damaged", "consent_file_missing", "consent_file_damaged"}
)
PROBLEMS_EXIT = 4  # not 2 (a user error) nor 3 (refused): the check ran and found problems


def add_verify_commands(commands: Any) -> None:
    """Add ``verify`` to the subcommands (``commands`` is argparse's subparsers object)."""
    parser = commands.add_parser(
        "verify",
        help="check the clinic's data: database, photo and consent files, audit chain (admin)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--restore-files",
        action="store_true",
        help="put back missing or damaged photo and consent files from the newest backup "
        "holding each, then check again",
    )


def report_json(report: VerifyReport) -> dict[str, Any]:
    return {
        "all_well": report.all_well,
        "patients": report.patients,
        "photos": report.photos,
        "consent_files": report.consent_files,
        "audit_entries": report.audit_entries,
        "cache_entries_rebuilt": report.cache_entries_rebuilt,
        "problems": [asdict(problem) for problem in report.problems],
    }


def run_verify(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    from clinicdesk.services.backup_files import restore_from_backups, which_backup_holds
    from clinicdesk.services.verify import VerifyService

    checker = VerifyService(services.db, services.paths, services.data_key)
    report = checker.verify(user, which_backup_holds=which_backup_holds(services))
    lost = [p.file for p in report.problems if p.file and p.kind in RESTORABLE]
    if args.restore_files and lost:
        done, nowhere = restore_from_backups(services, user, lost)
        for restored in done:
            out.write(
                f"Put back {len(restored.restored)} file(s) from the backup {restored.archive}.\n"
            )
        for name in nowhere:
            out.write(f"No backup here holds {name}.\n")
        report = checker.verify(user, which_backup_holds=which_backup_holds(services))
    code = 0 if report.all_well else PROBLEMS_EXIT
    if args.json:
        out.write(json.dumps(report_json(report), ensure_ascii=False) + "\n")
        return code
    out.write(report.summary() + "\n")
    for problem in report.problems:
        out.write(f"  {problem.line()}\n")
    if note := report.rebuilt_note():
        out.write(note + "\n")
    return code
