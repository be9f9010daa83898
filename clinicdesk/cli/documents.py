"""The documents a patient takes away, as PDF files from the command line.

``clinicdesk report PATIENT_ID -o OUT.pdf [--flavour clinical|patient] [--comment TEXT]``
writes the patient's progress report (clinicians only: reception and admin exit 3), through the
same document service as the GUI, so the report is recorded in the documents log as generated
and as saved (audited as an export). The file is written atomically: it is either the whole
PDF or not there (a full disk leaves no 0-byte file). On success the path written is printed;
exit 0. A usage error (an unknown patient, a
folder that cannot be written, a comment too long) exits 2 with one line on stderr.

``clinicdesk consent-form PATIENT_ID --template TEMPLATE_ID -o OUT.pdf`` writes one form or
information sheet (any role: reception prints them) from the current version of the template,
prefilled as the GUI prefills it; a consent form is recorded as prepared, and the document as
generated and saved. ``--template pack`` writes the whole consent pack. An unknown template
exits 2 and lists the templates there are.

``--large-print`` (both commands) makes the document in large print: 12 pt body text. For the
report it needs ``--flavour patient`` (the clinical report stays at the usual size; exit 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk.domain.report_flavours import FLAVOURS

if TYPE_CHECKING:
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

# The subcommands this module runs (``cli.run`` hands them over).
DOCUMENT_COMMANDS = frozenset({"report", "consent-form"})
PACK = "pack"


def add_document_commands(commands: Any) -> None:
    """Add the document subcommands (``commands`` is argparse's subparsers)."""
    report = commands.add_parser("report", help="write a patient's progress report as a PDF")
    report.add_argument("patient_id")
    report.add_argument("-o", "--output", required=True, metavar="OUT.pdf", help="file to write")
    report.add_argument(
        "--flavour",
        choices=FLAVOURS,
        default="clinical",
        help="clinical: full tables (default); patient: plain language to take home",
    )
    report.add_argument("--comment", default="", help="the clinician's comment, printed as typed")
    _add_large_print(report)
    form = commands.add_parser(
        "consent-form", help="write a consent form or information sheet (or the pack) as a PDF"
    )
    form.add_argument("patient_id")
    form.add_argument(
        "--template",
        required=True,
        metavar="TEMPLATE_ID",
        help=f"a template id (micrograft-consent, photo-consent, ...) or '{PACK}'",
    )
    form.add_argument("-o", "--output", required=True, metavar="OUT.pdf", help="file to write")
    _add_large_print(form)


def _add_large_print(parser: Any) -> None:
    parser.add_argument(
        "--large-print",
        action="store_true",
        help="large print: 12 pt body text, for a patient who needs it",
    )


def run_documents(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    if args.command == "report":
        return _report(services, user, args, out)
    if args.command == "consent-form":
        return _consent_form(services, user, args, out)
    raise AssertionError(f"not a document command: {args.command}")


def _report(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    documents = services.documents
    report = documents.progress_report(
        user,
        args.patient_id,
        flavour=args.flavour,
        comment=args.comment,
        large_print=args.large_print,
    )
    path = Path(args.output)
    documents.save(user, report, path)
    out.write(f"{path}\n")
    return 0


def _consent_form(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    documents = services.documents
    if args.template == PACK:
        document = documents.consent_pack(user, args.patient_id, large_print=args.large_print)
    else:
        document = documents.form(
            user, args.patient_id, args.template, large_print=args.large_print
        )
    path = Path(args.output)
    documents.save(user, document, path)
    out.write(f"{path}\n")
    return 0
