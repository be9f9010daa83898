"""``clinicdesk audit ...``: checking the audit trail from the command line (administrators).

``audit verify`` checks every site's chain separately (each site keeps its own; sync carries
the others' entries): every entry's keyed seal, the links between entries, the recorded newest
entry (in the database and in the anchor file beside it), and the patients, consultations,
treatments and adverse events each entry sealed. Intact: "Audit trail intact: N entries" on
stdout, then, when the trail holds several sites' chains, one line per site ("Main clinic:
1,234 entries intact"), exit 0. Damaged: a summary line and one line per problem on stderr,
naming the entries affected (and their site: "Satellite clinic: entry 57 was altered"), then
the per-site lines after "By site:", exit 2. Any other role gets exit 3, like every refused
command. The check is audited, as in Admin > Audit trail. ``audit verify --hub DIR`` checks the
hub's trail (read-only) in the same way. ``audit anchor`` writes a new anchor
file when it was lost (never over a sound one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the services are imported when the subcommand runs (see cli/__init__.py)
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

TAMPERED_EXIT = 2


def add_audit_commands(commands: Any) -> None:
    """Add ``audit`` to the subcommands (``commands`` is argparse's subparsers object)."""
    trail = commands.add_parser("audit", help="the audit trail (administrators only)")
    actions = trail.add_subparsers(dest="audit_command", metavar="ACTION")
    actions.required = True
    verify = actions.add_parser(
        "verify", help="check that no entry was edited, removed, reordered or cut from the end"
    )
    verify.add_argument(
        "--hub",
        metavar="DIR",
        help="check the trail of the clinic's hub in DIR instead of this installation's",
    )
    actions.add_parser(
        "anchor",
        help="anchor the trail as it stands, when the anchor file beside the database was lost "
        "and no backup holds it",
    )


def run_audit(
    services: ClinicServices,
    user: CurrentUser,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    from clinicdesk.services.audit import AuditService

    err = sys.stderr if err is None else err
    if args.audit_command == "verify":
        service = AuditService(services.db)
        hub = getattr(args, "hub", None)
        check = (
            service.verify_hub(user, Path(hub), services.data_key) if hub else service.verify(user)
        )
        if check.intact:
            out.write(check.summary() + "\n")
            for line in check.site_lines():
                out.write(f"  {line}\n")
            return 0
        err.write(f"clinicdesk: {check.summary()}:\n")
        for problem in check.problems:
            err.write(f"  {problem}\n")
        sites = check.site_lines()
        if sites:
            err.write("By site:\n")
            for line in sites:
                err.write(f"  {line}\n")
        return TAMPERED_EXIT
    if args.audit_command == "anchor":
        seq = AuditService(services.db).anchor(user)
        out.write(f"Audit trail anchored at entry {seq}.\n")
        return 0
    raise AssertionError(f"unknown audit command {args.audit_command!r}")
