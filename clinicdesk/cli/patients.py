"""``clinicdesk patients add | search | show | edit``: register, find, show and edit patients;
``--json`` gives the record with the clinical sections the user may see."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.patient import DUPLICATE_REASON_MIN
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import DuplicatePatient, UserError

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
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.patients import PatientRecord
    from clinicdesk.services.session import CurrentUser


def add_patient_commands(commands: argparse._SubParsersAction[Any]) -> None:
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
    add.add_argument("--interpreter", default="", metavar="LANGUAGE", help=INTERPRETER_HELP)
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
    edit = patient_commands.add_parser(
        "edit", help="change a patient's demographics (only the fields given; audited)"
    )
    edit.add_argument("patient_id")
    for option, _field in EDIT_OPTIONS:
        if option == "interpreter":
            help_text = f"{INTERPRETER_HELP}; '' when none is needed"
            edit.add_argument("--interpreter", metavar="LANGUAGE", help=help_text)
        else:
            edit.add_argument(f"--{option}", metavar="TEXT")
    edit.add_argument(
        "--expect-version",
        type=int,
        metavar="N",
        help="refuse (exit 2) unless the record is still at version N",
    )
    edit.add_argument("--json", action="store_true")


INTERPRETER_HELP = (
    "the language an interpreter is needed for, e.g. Polish (printed on consent forms)"
)

# ``patients edit`` options and the fields they set.
EDIT_OPTIONS = (
    ("first", "first_name"),
    ("last", "last_name"),
    ("dob", "date_of_birth"),
    ("sex", "sex"),
    ("nhs", "nhs_number"),
    ("phone", "phone"),
    ("email", "email"),
    ("title", "title"),
    ("preferred", "preferred_name"),
    ("address1", "address_line1"),
    ("address2", "address_line2"),
    ("town", "town"),
    ("postcode", "postcode"),
    ("gp", "gp_practice"),
    ("interpreter", "interpreter_language"),
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
        "patient_number": patient.patient_number,
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
        f"{summary.id}  {summary.patient_number or '-'}  "
        f"{summary.last_name.upper()}, {summary.first_name}  "
        f"{summary.date_of_birth:%d/%m/%Y}  NHS {nhs}{flag}\n"
    )


def _print_record(record: PatientRecord, clinical: dict[str, Any], out: TextIO) -> None:
    data = record_json(record)
    for key in (
        "id",
        "patient_number",
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
        "interpreter_language",
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


def run_patients(
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
                    "interpreter_language": args.interpreter,
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
    elif args.patients_command == "edit":
        current = services.patients.get(user, args.patient_id)
        form: dict[str, str | None] = dict(current.details.as_form())
        given = {f: getattr(args, o) for o, f in EDIT_OPTIONS if getattr(args, o) is not None}
        if not given:
            raise UserError("Nothing to change: give at least one field, e.g. --phone NUMBER.")
        form.update(given)
        version = current.version if args.expect_version is None else args.expect_version
        patient = services.patients.update(user, current.id, version, form)
        out.write(
            json.dumps(patient_json(patient), ensure_ascii=False) + "\n"
            if args.json
            else f"{patient.id} version {patient.version}\n"
        )
    elif args.patients_command == "show":
        record = services.patients.record(user, args.patient_id)
        clinical = clinical_json(services, user, record.patient.id)
        if args.json:
            data = record_json(record) | clinical
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            _print_record(record, clinical, out)
