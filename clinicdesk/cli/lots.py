"""``clinicdesk lots find LOT``: which patients received a device kit or anaesthetic lot.

The answer to a field safety notice. A lot matches exactly (trimmed, any case; never a prefix),
in the kit lot or the anaesthetic lot of a treatment. One line per treatment: patient id, name,
date of birth, treatment date and the kit and anaesthetic with their lots, the matching one
marked with ``*``; ``--json`` prints an array of objects. Clinicians and administrators only
(reception: exit 3), and the look-up is audited as in the GUI.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the services are imported when the subcommand runs (see cli/__init__.py)
    from clinicdesk.services.clinical import LotMatch
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser


def add_lot_commands(commands: Any) -> None:
    """Add ``lots`` to the subcommands (``commands`` is argparse's subparsers object)."""
    lots = commands.add_parser("lots", help="device kit and anaesthetic lot numbers")
    actions = lots.add_subparsers(dest="lots_command", metavar="ACTION")
    actions.required = True
    find = actions.add_parser("find", help="patients treated with a kit or anaesthetic lot")
    find.add_argument("lot", help="the lot number, as on the label")
    find.add_argument("--json", action="store_true")


def lot_match_json(match: LotMatch) -> dict[str, Any]:
    return {
        "patient_id": match.patient_id,
        "first_name": match.first_name,
        "last_name": match.last_name,
        "date_of_birth": match.date_of_birth.isoformat(),
        "treatment_id": match.treatment_id,
        "treated_on": match.treated_on.isoformat(),
        "kit_name": match.kit_name,
        "kit_lot": match.kit_lot,
        "anaesthetic_name": match.anaesthetic_name,
        "anaesthetic_lot": match.anaesthetic_lot,
        "matched": list(match.matched),
    }


def _line(match: LotMatch) -> str:
    kit_mark = "*" if "kit" in match.matched else ""
    anaesthetic_mark = "*" if "anaesthetic" in match.matched else ""
    return (
        f"{match.patient_id}  {match.last_name.upper()}, {match.first_name}  "
        f"{match.date_of_birth:%d/%m/%Y}  treated {match.treated_on:%d/%m/%Y}  "
        f"kit {match.kit_name} lot {match.kit_lot}{kit_mark}  "
        f"anaesthetic {match.anaesthetic_name} lot {match.anaesthetic_lot}{anaesthetic_mark}\n"
    )


def run_lots(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    if args.lots_command == "find":
        matches = services.clinical.patients_for_lot(user, args.lot)
        if args.json:
            out.write(json.dumps([lot_match_json(m) for m in matches], ensure_ascii=False) + "\n")
        elif not matches:
            out.write(f"No treatment used lot {args.lot.strip()!r}.\n")
        else:
            for match in matches:
                out.write(_line(match))
        return 0
    raise AssertionError(f"unknown lots command {args.lots_command!r}")
