"""The sections of a subject access summary, written from the records the export gathered
(``Held``): plain words and UK dates, every field a record has, names for the staff and sites a
record points at. ``documents.subject_access`` lays them out; ``services.subject_access``
gathers the records and writes the zip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from clinicdesk.documents.subject_access import Fields, Grid, Part, Section
from clinicdesk.domain.assessments import MEASURES, Assessment
from clinicdesk.domain.classification import Classification
from clinicdesk.domain.clinical import AdverseEvent, Consultation, Treatment
from clinicdesk.domain.consent import Consent, DocumentRecord
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.follow_ups import FollowUp
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.medical import MedicalHistory
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.photos import Photo

# The sections, in the order the summary shows them (a test checks each is named).
SECTION_TITLES = (
    "Personal details",
    "Medical history",
    "Hair loss classifications",
    "Consultations",
    "Treatments",
    "Adverse events",
    "Follow-up appointments",
    "Measurements and assessments",
    "Photographs",
    "Consents",
    "Documents generated",
    "Who accessed the record",
    "Files left out",
)


@dataclass(frozen=True)
class AccessLine:
    """One entry of the record's access log, as people read it."""

    seq: int
    utc: str
    local: str
    user: str
    role: str
    action: str
    entity: str
    details: str


@dataclass
class Held:
    """Everything the clinic holds about one patient, as read for the export."""

    patient: Patient
    history: MedicalHistory
    classifications: list[Classification]
    consultations: list[Consultation]
    treatments: list[Treatment]
    adverse_events: list[AdverseEvent]
    follow_ups: list[FollowUp]
    assessments: list[Assessment]
    photos: list[Photo]
    consents: list[Consent]
    documents: list[DocumentRecord]
    access: list[AccessLine]
    people: dict[str, str]  # user id -> name (and role)
    sites: dict[str, str]  # site id -> name
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def local_time(stamp: str) -> str:
    """A stored UTC timestamp as the clinic reads it: 03/07/2025 14:05, local time."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%d/%m/%Y %H:%M")


def _d(value: date | None) -> str:
    return format_uk(value) if value is not None else ""


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def sections(
    held: Held, photo_files: dict[str, str], left_out: Sequence[tuple[str, str]]
) -> tuple[Section, ...]:
    """The summary's sections. ``photo_files``: photo id -> its file in the zip (photos left
    out have none); ``left_out``: (what, why) of each file that could not be included."""
    who = held.people.get
    where = held.sites.get

    def person(user_id: str | None) -> str:
        return (who(user_id) or "Unknown user") if user_id else ""

    def site(site_id: str | None) -> str:
        return (where(site_id) or "") if site_id else ""

    makers: list[Callable[[], tuple[Part, ...]]] = [
        lambda: _personal(held.patient, site),
        lambda: _medical(held.history),
        lambda: _classifications(held.classifications),
        lambda: tuple(_consultation(c, person, site) for c in held.consultations),
        lambda: tuple(_treatment(t, person, site) for t in held.treatments),
        lambda: _adverse_events(held),
        lambda: _follow_ups(held),
        lambda: tuple(_assessment(a, person, site) for a in held.assessments),
        lambda: _photos(held.photos, photo_files),
        lambda: tuple(_consent(c, person) for c in held.consents),
        lambda: _documents(held.documents, person),
        lambda: _access(held.access),
        lambda: _left_out(left_out),
    ]
    return tuple(Section(title, make()) for title, make in zip(SECTION_TITLES, makers, strict=True))


def _personal(patient: Patient, site: Callable[[str | None], str]) -> tuple[Part, ...]:
    d = patient.details
    pairs = (
        ("Title", d.title),
        ("First name", d.first_name),
        ("Last name", d.last_name),
        ("Preferred name", d.preferred_name),
        ("Date of birth", _d(d.date_of_birth)),
        ("Sex", d.sex.label),
        ("NHS number", format_nhs_number(d.nhs_number) if d.nhs_number else ""),
        ("Phone", d.phone),
        ("Email", d.email),
        ("Address", ", ".join(x for x in (d.address_line1, d.address_line2) if x)),
        ("Town", d.town),
        ("Postcode", d.postcode),
        ("GP practice", d.gp_practice),
        ("Emergency contact", d.emergency_contact_name),
        ("Emergency contact phone", d.emergency_contact_phone),
        ("Interpreter needed (language)", d.interpreter_language or "No"),
        ("Home site", site(d.home_site_id)),
        ("Record created", local_time(patient.created_at)),
        ("Record last changed", local_time(patient.updated_at)),
        ("Archived", local_time(patient.deleted_at) if patient.deleted_at else "No"),
    )
    return (Fields(pairs),)


def _medical(h: MedicalHistory) -> tuple[Part, ...]:
    parts: list[Part] = []
    if h.treatments:
        rows: tuple[tuple[str, ...], ...] = tuple(
            (t.drug.label, t.dose, _d(t.started_on), _d(t.stopped_on), t.response.label,
             t.side_effects)
            for t in h.treatments
        )  # fmt: skip
        heads = ("Treatment", "Dose", "Started", "Stopped", "Response", "Side effects")
        parts.append(Grid(heads, rows, (3, 2, 1.6, 1.6, 2, 3), "Hair loss treatments tried"))
    if h.red_flags:
        rows = tuple((f.code.label, f.note) for f in h.red_flags)
        parts.append(Grid(("Red flag", "Note"), rows, (2, 3), "Red flags"))
    if h.allergies:
        rows = tuple((a.substance, a.reaction) for a in h.allergies)
        parts.append(Grid(("Substance", "Reaction"), rows, (2, 3), "Allergies"))
    if h.medications:
        rows = tuple((m.name, m.dose) for m in h.medications)
        parts.append(Grid(("Medication", "Dose"), rows, (3, 2), "Medications"))
    if h.labs:
        rows = tuple((lab.test.label, _num(lab.value), _d(lab.taken_on)) for lab in h.labs)
        parts.append(Grid(("Test", "Value", "Taken on"), rows, (3, 1.5, 1.5), "Blood tests"))
    other = (
        ("Polycystic ovary syndrome", _yes(h.pcos)),
        ("Iron deficiency", _yes(h.iron_deficiency)),
        ("Telogen triggers", h.telogen_triggers),
        ("Family history", h.family_history),
        ("Age at onset", "" if h.age_at_onset is None else str(h.age_at_onset)),
        ("Expectations", h.expectations),
        ("Body dysmorphic concern", _yes(h.body_dysmorphic_concern)),
        ("Notes", h.notes),
    )
    if parts or h.version:
        parts.append(Fields(other, "Other history"))
    return tuple(parts)


def _classifications(found: list[Classification]) -> tuple[Part, ...]:
    if not found:
        return ()
    rows = tuple((_d(c.assessed_on), c.scale.label, c.grade, c.note) for c in found)
    return (Grid(("Assessed on", "Scale", "Grade", "Note"), rows, (1.4, 2.2, 1, 4)),)


def _consultation(
    c: Consultation, person: Callable[[str | None], str], site: Callable[[str | None], str]
) -> Part:
    d = c.details
    scale = (
        f"{d.classification_scale.label} {d.classification_grade}".strip()
        if (d.classification_scale)
        else d.classification_grade
    )
    return Fields(
        (
            ("Date", _d(d.consulted_on)),
            ("Clinician", person(d.clinician_id)),
            ("Site", site(d.site_id)),
            ("Presenting complaint", d.presenting_complaint),
            ("History", d.history),
            ("Examination", d.examination),
            ("Classification", scale),
            ("Plan", d.plan),
            ("Risks discussed", ", ".join(r.label for r in d.risks_discussed)),
            ("Alternatives discussed", ", ".join(a.label for a in d.alternatives_discussed)),
            ("Patient's questions", d.patient_questions),
            ("Patient's priorities", d.patient_priorities),
            ("Consent discussed on", _d(d.discussed_on)),
            ("Decided on", _d(d.decided_on)),
        ),
        f"Consultation of {_d(d.consulted_on)}",
    )


def _treatment(
    t: Treatment, person: Callable[[str | None], str], site: Callable[[str | None], str]
) -> Part:
    d = t.details
    pairs = [
        ("Date", _d(d.treated_on)),
        ("Clinician", person(d.clinician_id)),
        ("Consent taken by", person(d.consent_taken_by_id)),
        ("Site", site(d.site_id)),
        ("Zones treated", ", ".join(z.label for z in d.treated_zones)),
        ("Punches", f"{d.punches} × {d.punch_diameter_mm:g} mm"),
        ("Donor site", d.donor_site),
        ("Kit and lot", f"{d.kit_name}, lot {d.kit_lot}"),
        (
            "Anaesthetic and lot",
            f"{d.anaesthetic_name} {d.anaesthetic_dose:g} {d.anaesthetic_dose_unit.label}, "
            f"lot {d.anaesthetic_lot}",
        ),
        ("Suspension volume", f"{d.suspension_volume_ml:g} mL"),
        ("Injection points", str(d.injection_points)),
        ("Duration", f"{d.duration_minutes} minutes"),
        ("Haemostasis", d.haemostasis),
        ("Aftercare sheet given", _yes(d.aftercare_sheet_given)),
        ("Immediate complications", d.immediate_complications),
    ]
    for o in t.overrides:
        pairs.append(("Checks overridden", f"{'; '.join(o.blocking_reasons)}. Reason: {o.reason}"))
    return Fields(tuple(pairs), f"Treatment of {_d(d.treated_on)}")


def _adverse_events(held: Held) -> tuple[Part, ...]:
    treated = {t.id: _d(t.details.treated_on) for t in held.treatments}
    return tuple(
        Fields(
            (
                ("Onset", _d(e.details.onset_on)),
                ("After the treatment of", treated.get(e.details.treatment_id, "")),
                ("Type", e.details.event_type.label),
                ("Severity", e.details.severity.label),
                ("Description", e.details.description),
                ("Action taken", e.details.action_taken),
                ("Outcome", f"{e.details.outcome.label} {_d(e.details.outcome_on)}".strip()),
            ),
            f"Adverse event of {_d(e.details.onset_on)}",
        )
        for e in held.adverse_events
    )


def _follow_ups(held: Held) -> tuple[Part, ...]:
    if not held.follow_ups:
        return ()
    treated = {t.id: _d(t.details.treated_on) for t in held.treatments}
    rows = tuple(
        (f.kind.label, _d(f.due_on), f.status.label, treated.get(f.treatment_id, ""), f.notes)
        for f in held.follow_ups
    )
    heads = ("Follow-up", "Due", "Status", "Treatment of", "Notes")
    return (Grid(heads, rows, (2.6, 1.3, 1.6, 1.4, 3)),)


def _assessment(
    a: Assessment, person: Callable[[str | None], str], site: Callable[[str | None], str]
) -> Part:
    d = a.details
    pairs: list[tuple[str, str]] = [
        ("Visit", _d(d.visit_date)),
        ("Clinician", person(d.clinician_id)),
        ("Site", site(d.visit_site_id)),
    ]
    if d.pull_test_of is not None:
        pairs.append(("Pull test", f"{d.pull_test_pulled} of {d.pull_test_of} hairs"))
    if d.satisfaction is not None:
        pairs.append(("Satisfaction", str(d.satisfaction)))
    if d.global_photo_score is not None:
        blinded = " (blinded)" if d.photo_score_blinded else ""
        pairs.append(("Global photo score", f"{d.global_photo_score}{blinded}"))
    if d.notes:
        pairs.append(("Notes", d.notes))
    for r in d.regions:
        values = []
        for m in MEASURES:
            value = getattr(r, m.name)
            if value is not None:
                values.append(f"{m.label} {value:g} {m.unit}".strip())
        where = f" ({r.measurement_site})" if r.measurement_site else ""
        pairs.append((f"{r.region.label}{where}", "; ".join(values)))
    return Fields(tuple(pairs), f"Assessment of {_d(d.visit_date)}")


def _photos(photos: list[Photo], files: dict[str, str]) -> tuple[Part, ...]:
    if not photos:
        return ()
    rows = tuple(
        (
            _d(p.visit_date),
            p.view.label if p.view else (p.region.label if p.region else ""),
            p.taken_at.strftime("%d/%m/%Y %H:%M"),
            p.consent_scope.value.replace("_", " "),
            files.get(p.id, "photos/left out (see Files left out)").removeprefix("photos/")
            + (" (archived)" if p.archived else ""),
        )
        for p in photos
    )
    heads = ("Visit", "View", "Taken", "Use agreed", "File (in photos/)")
    return (Grid(heads, rows, (1.2, 1.7, 1.6, 1.3, 4.2)),)


def _consent(c: Consent, person: Callable[[str | None], str]) -> Part:
    pairs = [
        ("Form", f"{c.template.template_id} version {c.template.version}"),
        ("Status", c.status.label),
        ("Prepared on", _d(c.prepared_on)),
        ("Signed on", _d(c.signed_on)),
        ("Consent taken by", person(c.consent_taken_by_id)),
        ("Witness", c.witness_name),
        ("Interpreter", c.interpreter_name),
        ("Scanned form", c.scan_name or ("on file" if c.scan_sha256 else "none")),
        ("Signature drawn on screen", "on file" if c.signature_sha256 else "none"),
    ]
    if c.withdrawn_on:
        pairs.append(("Withdrawn", f"{_d(c.withdrawn_on)}: {c.withdrawal_reason}"))
    for g in c.scopes:
        state = "granted" if g.granted else "refused"
        if g.withdrawn_on:
            state += f", withdrawn {_d(g.withdrawn_on)} ({g.withdrawal_reason})"
        pairs.append((f"Photo use: {g.scope.value.replace('_', ' ')}", state))
    return Fields(tuple(pairs), c.kind.label)


def _documents(docs: list[DocumentRecord], person: Callable[[str | None], str]) -> tuple[Part, ...]:
    if not docs:
        return ()
    rows = tuple(
        (
            local_time(d.created_at),
            d.kind.label,
            d.template.template_id if d.template else "",
            d.action.value,
            person(d.created_by),
            d.pdf_sha256[:16],
        )
        for d in docs
    )
    heads = ("When", "Document", "Template", "Action", "By", "PDF fingerprint")
    note = (
        "The clinic keeps a log of each document made, not the PDF itself: the fingerprint "
        "(sha256) identifies the exact file given or printed."
    )
    return (note, Grid(heads, rows, (2, 2, 2.4, 1.3, 2, 2.2)))


def _access(lines: list[AccessLine]) -> tuple[Part, ...]:
    if not lines:
        return ()
    rows = tuple((a.local, a.user, a.role, a.action, a.entity, a.details) for a in lines)
    heads = ("When", "Who", "Role", "Action", "Record", "Details")
    return (
        "Every entry of the clinic's audit trail about this record, oldest first (also in "
        "access-log.csv).",
        Grid(heads, rows, (1.9, 2, 1.3, 1.5, 1.7, 3)),
    )


def _left_out(left_out: Sequence[tuple[str, str]]) -> tuple[Part, ...]:
    if not left_out:
        return ()
    return (
        "These files are held on record but could not be included; the clinic should restore "
        "them from a backup and send them separately (also in problems.txt).",
        Grid(("File", "Why it was left out"), tuple(left_out), (2, 3)),
    )
