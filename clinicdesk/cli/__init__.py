"""The command line beside the GUI (calibre's ``calibredb`` is the model).

Subcommands call the same services as the GUI, so the same permissions and audit apply.
Exit status: 0 success; 2 a user error (one line on stderr, no traceback); 3 permission denied.
``--json`` prints machine-readable output with stable snake_case field names.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk import APP_NAME, __version__
from clinicdesk.cli.audit import add_audit_commands, run_audit
from clinicdesk.cli.documents import DOCUMENT_COMMANDS, add_document_commands, run_documents
from clinicdesk.cli.lots import add_lot_commands, run_lots
from clinicdesk.cli.photos import add_photo_commands, run_import_photos
from clinicdesk.cli.users import add_user_commands, run_users
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.patient import DUPLICATE_REASON_MIN
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import DuplicatePatient, UserError

# The GUI (``clinicdesk`` with no subcommand) needs only the parser from here: the services
# are imported when a subcommand runs (the cli_* modules defer theirs the same way).
if TYPE_CHECKING:
    from clinicdesk.domain.assessments import Assessment
    from clinicdesk.domain.clinical import (
        AdverseEvent,
        Consultation,
        FollowUp,
        RecordInfo,
        Treatment,
    )
    from clinicdesk.domain.patient import Patient, PatientSummary
    from clinicdesk.paths import Paths
    from clinicdesk.services.context import ClinicServices, SignedIn
    from clinicdesk.services.patients import PatientRecord
    from clinicdesk.services.session import CurrentUser

PASSWORD_ENV = "CLINICDESK_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinicdesk",
        description=f"{APP_NAME}: records for a hair-loss clinic. "
        "With no subcommand, starts the GUI.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--data-dir", help="clinic data folder (default: your user data folder)")
    parser.add_argument("--user", help="acting user for subcommands that need one")
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")

    init = commands.add_parser("init", help="create a new clinic in the data folder")
    init.add_argument("--clinic", required=True, help="clinic name")
    init.add_argument(
        "--site", action="append", required=True, help="a site; the first is this install's"
    )
    init.add_argument("--admin", required=True, help="user name of the first administrator")

    demo = commands.add_parser("demo", help="create a demo clinic with synthetic patients")
    demo.add_argument(
        "--patients",
        type=int,
        default=None,
        help="how many patients (default 40, as from the first-run screen)",
    )
    demo.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")

    patients = commands.add_parser("patients", help="register, search and show patients")
    patient_commands = patients.add_subparsers(dest="patients_command", metavar="ACTION")
    patient_commands.required = True
    add = patient_commands.add_parser("add", help="register a patient; prints the new id")
    add.add_argument("--first", required=True)
    add.add_argument("--last", required=True)
    add.add_argument("--dob", required=True, help="date of birth, YYYY-MM-DD or DD/MM/YYYY")
    add.add_argument("--sex", default="X", help="F, M or X (default X: not stated)")
    add.add_argument("--nhs", default="")
    add.add_argument("--phone", default="")
    add.add_argument("--email", default="")
    add.add_argument(
        "--duplicate-reason",
        default="",
        metavar="TEXT",
        help="why this patient gets an NHS number another patient already has "
        f"(at least {DUPLICATE_REASON_MIN} characters; kept in the audit trail)",
    )
    add.add_argument("--json", action="store_true")
    search = patient_commands.add_parser("search", help="find patients by name, DOB, phone...")
    search.add_argument("text")
    search.add_argument("--json", action="store_true")
    show = patient_commands.add_parser("show", help="one patient's record")
    show.add_argument("patient_id")
    show.add_argument("--json", action="store_true")
    add_user_commands(commands)
    add_audit_commands(commands)
    add_lot_commands(commands)
    add_photo_commands(commands)
    add_document_commands(commands)
    return parser


def dash_safe(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``argv`` rewritten so that free text starting with "-" is read as text, not as an
    unknown option: ``patients search "-smith"``, ``lots find -0012``, ``patients add --last
    -x`` (argparse would stop with a usage error). In the subcommand's own arguments, a word
    that is none of its options is a positional, moved after a ``--``; an option's value that
    starts with "-" is attached to it (``--last=-x``). Left alone when ``--`` is already
    there or nothing starts with "-"."""
    argv = list(argv)
    current, at = parser, 0
    while (sub := _subcommands(current)) is not None:
        while at < len(argv) and argv[at] not in sub.choices:
            at += 1 + _takes_value(current, argv[at])
        if at >= len(argv):
            return argv
        current, at = sub.choices[argv[at]], at + 1
    rest = argv[at:]
    if "--" in rest:
        return argv
    options: list[str] = []
    positionals: list[str] = []
    index = 0
    while index < len(rest):
        word = rest[index]
        if word.split("=", 1)[0] not in current._option_string_actions:
            positionals.append(word)
        elif _takes_value(current, word) and index + 1 < len(rest):
            value = rest[index + 1]
            index += 1
            if not value.startswith("-"):
                options += [word, value]
            elif word.startswith("--"):
                options.append(f"{word}={value}")
            else:
                options.append(f"{word}{value}")  # -o-x: the short option's value
        else:
            options.append(word)
        index += 1
    if not any(word.startswith("-") and word != "-" for word in positionals):
        return argv[:at] + options + positionals
    return argv[:at] + options + ["--", *positionals]


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any] | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _takes_value(parser: argparse.ArgumentParser, word: str) -> int:
    """1 when ``word`` is one of ``parser``'s options and its value is the next word."""
    action = parser._option_string_actions.get(word)
    return int(action is not None and action.nargs != 0)


def _password(prompt: str) -> str:
    value = os.environ.get(PASSWORD_ENV)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UserError(f"No password given: set {PASSWORD_ENV} or run from a terminal.")
    return getpass.getpass(prompt)


def _sign_in(paths: Paths, args: argparse.Namespace) -> SignedIn:
    """Unlock the clinic as ``--user`` (password from CLINICDESK_PASSWORD or a prompt)."""
    from clinicdesk.services.context import clinic_exists, unlock_clinic

    if not clinic_exists(paths):
        raise UserError("This data folder holds no clinic yet: run `clinicdesk init` or `demo`.")
    if not args.user:
        raise UserError("This command needs a user: add --user NAME.")
    signed = unlock_clinic(paths, args.user, _password(f"Password for {args.user}: "))
    if signed.recovery_key:
        print(_recovery_notice(signed.recovery_key, converted=True), file=sys.stderr)
    if reason := _unrecorded_reason(signed.services):
        # RELIABILITY row 26: a full disk must not lock everyone out of the records, so the
        # sign-in goes on; the person is told plainly what that means.
        print(
            f"clinicdesk: {reason}, so this sign-in could not be written to the audit trail: "
            "only reading is possible until that is fixed.",
            file=sys.stderr,
        )
    return signed


def _unrecorded_reason(services: ClinicServices) -> str | None:
    from clinicdesk.storage import audit

    return audit.pending_reason(services.db)


def _warn_unrecorded(services: ClinicServices) -> None:
    """What a command read while no audit entry could be written: the entries waited in
    memory (the GUI writes them when space returns); a command ends here, so they are lost,
    and it says so on stderr (one line; the log file says it without naming anyone)."""
    from clinicdesk.storage import audit

    left = audit.pending(services.db)
    if left and (reason := audit.pending_reason(services.db)):
        entries = "entry" if left == 1 else "entries"
        print(
            f"clinicdesk: {reason}: {left} audit {entries} (this sign-in and what was read) "
            "could not be written; the command went on, and they are lost now that it ends.",
            file=sys.stderr,
        )


def _recovery_notice(recovery_key: str, *, converted: bool = False) -> str:
    what = "The database is now encrypted. " if converted else ""
    return (
        f"{what}Recovery key (print it and keep it in the practice safe; it is shown only "
        f"this once and opens the clinic if every administrator password is lost):\n"
        f"  {recovery_key}"
    )


def summary_json(summary: PatientSummary) -> dict[str, Any]:
    data = asdict(summary)
    data["date_of_birth"] = summary.date_of_birth.isoformat()
    data["sex"] = summary.sex.value
    return data


def patient_json(patient: Patient) -> dict[str, Any]:
    details = asdict(patient.details)
    details["date_of_birth"] = patient.details.date_of_birth.isoformat()
    details["sex"] = patient.details.sex.value
    return {
        "id": patient.id,
        **details,
        "archived": patient.archived,
        "version": patient.version,
        "site_id": patient.site_id,
        "created_at": patient.created_at,
        "updated_at": patient.updated_at,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):  # a datetime too: ISO with the time
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record_json(record: PatientRecord) -> dict[str, Any]:
    data = patient_json(record.patient)
    data["red_flag_banner"] = [item.text for item in record.banner]
    if record.medical_history is not None:
        data["medical_history"] = _jsonable(asdict(record.medical_history))
    if record.classifications is not None:
        data["classification"] = [_jsonable(asdict(c)) for c in record.classifications]
    return data


def _info_json(info: RecordInfo) -> dict[str, Any]:
    """A clinical record's bookkeeping (the site it was made at is its ``site_id``'s business
    only for sync, so it is left out: ``site_id`` is where the visit took place)."""
    return {
        "version": info.version,
        "created_at": info.created_at,
        "updated_at": info.updated_at,
        "created_by": info.created_by,
        "updated_by": info.updated_by,
    }


def consultation_json(c: Consultation) -> dict[str, Any]:
    return {"id": c.id, **_jsonable(asdict(c.details)), **_info_json(c.info)}


def treatment_json(t: Treatment) -> dict[str, Any]:
    return {
        "id": t.id,
        **_jsonable(asdict(t.details)),
        "overrides": [_jsonable(asdict(o)) for o in t.overrides],
        **_info_json(t.info),
    }


def adverse_event_json(e: AdverseEvent) -> dict[str, Any]:
    return {"id": e.id, **_jsonable(asdict(e.details)), **_info_json(e.info)}


def follow_up_json(f: FollowUp) -> dict[str, Any]:
    return {
        "id": f.id,
        "treatment_id": f.treatment_id,
        "kind": f.kind.value,
        "due_on": f.due_on.isoformat(),
        "status": f.status.value,
        "booked_at": f.booked_at.isoformat(timespec="minutes") if f.booked_at else None,
        "notes": f.notes,
        **_info_json(f.info),
    }


def assessment_json(a: Assessment) -> dict[str, Any]:
    details = a.details
    data = _jsonable(asdict(details))
    for row, measured in zip(data["regions"], details.regions, strict=True):
        row["terminal_vellus_ratio"] = measured.terminal_vellus_ratio
    data["frontal_occipital_diameter_ratio"] = details.frontal_occipital_diameter_ratio
    return {
        "id": a.id,
        **data,
        "version": a.version,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "created_by": a.created_by,
        "updated_by": a.updated_by,
    }


def clinical_json(services: ClinicServices, user: CurrentUser, patient_id: str) -> dict[str, Any]:
    """The clinical sections of ``patients show --json`` that ``user`` may see, read through
    the services (so each is permission-checked and audited as a view): consultations,
    treatments, adverse events and assessments for clinicians and administrators; follow-ups
    for every role (reception books them)."""
    data: dict[str, Any] = {}
    clinical = services.clinical
    if user.may(Permission.VIEW_CLINICAL_RECORDS):
        data["consultations"] = [
            consultation_json(c) for c in clinical.consultations(user, patient_id)
        ]
        data["treatments"] = [treatment_json(t) for t in clinical.treatments(user, patient_id)]
        data["adverse_events"] = [
            adverse_event_json(e) for e in clinical.adverse_events(user, patient_id)
        ]
    if user.may(Permission.FOLLOW_UPS):
        data["follow_ups"] = [follow_up_json(f) for f in clinical.follow_ups(user, patient_id)]
    if user.may(Permission.VIEW_CLINICAL_RECORDS):
        data["assessments"] = [
            assessment_json(a) for a in services.assessments.list_for_patient(user, patient_id)
        ]
    return data


def _print_summary(summary: PatientSummary, out: TextIO) -> None:
    nhs = format_nhs_number(summary.nhs_number) if summary.nhs_number else "-"
    flag = "  [archived]" if summary.archived else ""
    out.write(
        f"{summary.id}  {summary.last_name.upper()}, {summary.first_name}  "
        f"{summary.date_of_birth:%d/%m/%Y}  NHS {nhs}{flag}\n"
    )


def _print_record(record: PatientRecord, clinical: dict[str, Any], out: TextIO) -> None:
    data = record_json(record)
    for key in (
        "id",
        "title",
        "first_name",
        "last_name",
        "preferred_name",
        "date_of_birth",
        "sex",
        "nhs_number",
        "phone",
        "email",
        "postcode",
        "gp_practice",
    ):
        if data.get(key):
            out.write(f"{key.replace('_', ' ')}: {data[key]}\n")
    for item in data["red_flag_banner"]:
        out.write(f"! {item}\n")
    for classification in record.classifications or []:
        out.write(f"classification: {classification.label} ({classification.assessed_on})\n")
    for treatment in clinical.get("treatments", []):
        out.write(
            f"treatment: {treatment['treated_on']} {', '.join(treatment['treated_zones'])} "
            f"(kit lot {treatment['kit_lot']}, anaesthetic lot {treatment['anaesthetic_lot']})\n"
        )
    if assessments := clinical.get("assessments"):
        dates = ", ".join(a["visit_date"] for a in assessments)
        out.write(f"assessments: {dates}\n")


def run(args: argparse.Namespace, paths: Paths, out: TextIO | None = None) -> int:
    """Run one subcommand; ``UserError`` propagates to ``main`` for the one-line message."""
    # Looked up per call, not as a default argument: a default would keep whatever sys.stdout
    # was at import time, so output would bypass any later redirection (pytest's capsys too).
    out = sys.stdout if out is None else out
    if args.command == "init":
        from clinicdesk.services.clinic import NewClinic
        from clinicdesk.services.context import create_clinic_storage

        password = _password("Password for the new administrator: ")
        created = create_clinic_storage(
            paths,
            NewClinic(args.clinic, args.site[0], args.site[1:], args.admin, args.admin, password),
        )
        created.services.close()
        out.write(f"Created {args.clinic}; administrator {created.user.username}.\n")
        assert created.recovery_key is not None
        out.write(_recovery_notice(created.recovery_key) + "\n")
        return 0
    if args.command == "demo":
        from clinicdesk.domain.words import plural
        from clinicdesk.services.demo import DEMO_PASSWORD, DEMO_PATIENTS, create_demo_clinic

        if args.patients is None:
            args.patients = DEMO_PATIENTS
        if args.patients < 0 or args.patients > 100_000:
            raise UserError("--patients must be between 0 and 100000.")
        count = create_demo_clinic(paths, patients=args.patients, seed=args.seed)
        out.write(
            f"Demo clinic created with {plural(count, 'patient')}. "
            f"Users admin, clinician, reception; password {DEMO_PASSWORD!r}.\n"
        )
        return 0
    signed = _sign_in(paths, args)
    services, user = signed.services, signed.user
    try:
        if args.command == "patients":
            _patients(services, user, args, out)
        elif args.command == "users":
            run_users(services.users, user, args, out)
        elif args.command == "audit":
            return run_audit(services, user, args, out)
        elif args.command == "lots":
            return run_lots(services, user, args, out)
        elif args.command == "import-photos":
            return run_import_photos(services, user, args, out)
        elif args.command in DOCUMENT_COMMANDS:
            return run_documents(services, user, args, out)
    finally:
        services.close()
        _warn_unrecorded(services)
    return 0


def _patients(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> None:
    if args.patients_command == "add":
        try:
            patient = services.patients.register(
                user,
                {
                    "first_name": args.first,
                    "last_name": args.last,
                    "date_of_birth": args.dob,
                    "sex": args.sex,
                    "nhs_number": args.nhs,
                    "phone": args.phone,
                    "email": args.email,
                },
                duplicate_reason=args.duplicate_reason,
            )
        except DuplicatePatient as exc:
            raise UserError(
                f"{exc.message} To register anyway, add --duplicate-reason TEXT saying why "
                f"(at least {DUPLICATE_REASON_MIN} characters)."
            ) from None
        out.write(
            json.dumps(patient_json(patient), ensure_ascii=False) + "\n"
            if args.json
            else f"{patient.id}\n"
        )
    elif args.patients_command == "search":
        results = services.patients.search(user, args.text)
        if args.json:
            out.write(json.dumps([summary_json(r) for r in results], ensure_ascii=False) + "\n")
        else:
            for summary in results:
                _print_summary(summary, out)
    elif args.patients_command == "show":
        record = services.patients.record(user, args.patient_id)
        clinical = clinical_json(services, user, record.patient.id)
        if args.json:
            data = record_json(record) | clinical
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            _print_record(record, clinical, out)
