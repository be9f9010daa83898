"""``clinicdesk export-patient PATIENT_ID -o OUT.zip``: the subject access export.

Administrators only (others exit 3, the refusal audited). Writes one zip holding everything
the clinic holds about the patient (``services.subject_access``: a summary PDF, every record
as JSON, photos without metadata, consent scans, the access log) and prints its path. A photo
or scan that is missing or damaged is left out, named on stderr with why, and the rest is
written: exit 0, as the export was made (its problems.txt and summary list them too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

EXPORT_COMMANDS = frozenset({"export-patient"})


def add_export_commands(commands: Any) -> None:
    """Add ``export-patient`` (``commands`` is argparse's subparsers)."""
    export = commands.add_parser(
        "export-patient",
        help="subject access: everything held about a patient in one zip (admins)",
    )
    export.add_argument("patient_id")
    export.add_argument("-o", "--output", required=True, metavar="OUT.zip", help="file to write")


def run_export(
    services: ClinicServices,
    user: CurrentUser,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    err = sys.stderr if err is None else err
    result = services.subject_access.export_patient(user, args.patient_id, Path(args.output))
    out.write(f"{result.path}\n")
    for item in result.left_out:
        err.write(f"left out: {item.what}: {item.reason}\n")
    return 0
