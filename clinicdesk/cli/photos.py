"""``clinicdesk import-photos PATIENT_ID FILE... [--view VIEW] [--visit DATE] [--json]``.

Imports through the same service as the GUI (clinicians only: reception and admin exit 3).
One line per file: imported, duplicate or refused with the reason; ``--json`` prints an array
of ``{file, status, reason, photo_id}``. Exit 0 when every file was handled, refusals
included (they are reported, not fatal); 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.dates import parse_date
from clinicdesk.domain.photos import View
from clinicdesk.errors import ValidationError

if TYPE_CHECKING:  # the services are imported when the subcommand runs (see cli/__init__.py)
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.photos import ImportOutcome
    from clinicdesk.services.session import CurrentUser


def add_photo_commands(commands: Any) -> None:
    """Add ``import-photos`` to the subcommands (``commands`` is argparse's subparsers)."""
    parser = commands.add_parser("import-photos", help="import a visit's photos for a patient")
    parser.add_argument("patient_id")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--view", choices=[v.value for v in View], help="the standard view")
    parser.add_argument(
        "--region", choices=[r.value for r in Region], help="region of a trichoscopy close-up"
    )
    parser.add_argument("--visit", help="visit date, YYYY-MM-DD or DD/MM/YYYY (default today)")
    parser.add_argument("--json", action="store_true")


def outcome_json(outcome: ImportOutcome) -> dict[str, Any]:
    return {
        "file": str(outcome.file),
        "status": outcome.status,
        "reason": outcome.reason,
        "photo_id": outcome.photo_id,
    }


def run_import_photos(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    visit = None
    if args.visit:
        try:
            visit = parse_date(args.visit)
        except ValueError as exc:
            raise ValidationError({"visit": str(exc) or "is not a date"}) from None
    outcomes = services.photos.import_photos(
        user,
        args.patient_id,
        [Path(name) for name in args.files],
        view=View(args.view) if args.view else None,
        region=Region(args.region) if args.region else None,
        visit_date=visit,
    )
    if args.json:
        out.write(json.dumps([outcome_json(o) for o in outcomes], ensure_ascii=False) + "\n")
        return 0
    for outcome in outcomes:
        if outcome.status == "imported":
            out.write(f"imported   {outcome.file}  {outcome.photo_id}\n")
        else:
            out.write(f"{outcome.status:<10} {outcome.file}  {outcome.reason}\n")
    return 0
