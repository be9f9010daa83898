"""Consultations, treatments (and their eligibility overrides), adverse events and follow-ups
in SQL. Writers must run inside ``write_transaction``; the service owns permissions and audit.

Coded lists are stored as JSON arrays of codes; appointment times as local ``YYYY-MM-DDTHH:MM``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.clinical import (
    AdverseEvent,
    AdverseEventDetails,
    AdverseEventOutcome,
    AdverseEventType,
    Alternative,
    Consultation,
    ConsultationDetails,
    DoseUnit,
    MaterialRisk,
    Severity,
    TreatedZone,
    Treatment,
    TreatmentDetails,
    TreatmentOverride,
    lot_key,
)
from clinicdesk.domain.follow_ups import FollowUp, FollowUpKind, FollowUpStatus, follow_up_schedule
from clinicdesk.domain.ids import PatientId, SiteId, UserId
from clinicdesk.storage.database import Database
from clinicdesk.storage.patients import NOT_RESTRICTED
from clinicdesk.storage.records import Actor, insert_record, record_info, update_record

_INFO = "version, site_id, created_at, updated_at, created_by, updated_by"

_CONSULTATION_COLUMNS = (
    "consulted_on, consultation_site_id, clinician_id, presenting_complaint, history, "
    "examination, classification_scale, classification_grade, plan, risks_discussed, "
    "alternatives_discussed, patient_questions, patient_priorities, discussed_on, decided_on"
)
_TREATMENT_COLUMNS = (
    "treated_on, treatment_site_id, clinician_id, consent_taken_by_id, punches, "
    "punch_diameter_mm, donor_site, kit_name, kit_lot, anaesthetic_name, anaesthetic_dose, "
    "anaesthetic_dose_unit, anaesthetic_lot, suspension_volume_ml, treated_zones, "
    "injection_points, duration_minutes, haemostasis, aftercare_sheet_given, "
    "immediate_complications"
)
_ADVERSE_COLUMNS = (
    "treatment_id, onset_on, event_type, severity, outcome, description, action_taken, outcome_on"
)
_FOLLOW_UP_COLUMNS = "treatment_id, kind, due_on, status, booked_at, notes"

# Two index look-ups (SQLite plans "kit_lot = ? OR anaesthetic_lot = ?" as a full scan).
LOT_TREATMENT_IDS = (
    "SELECT id FROM treatments WHERE kit_lot = ? COLLATE NOCASE "
    "UNION SELECT id FROM treatments WHERE anaesthetic_lot = ? COLLATE NOCASE"
)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _codes(values: Sequence[str]) -> str:
    return json.dumps([str(v) for v in values])


def _consultation_row(d: ConsultationDetails) -> dict[str, Any]:
    return {
        "consulted_on": d.consulted_on.isoformat(),
        "consultation_site_id": d.site_id,
        "clinician_id": d.clinician_id,
        "presenting_complaint": d.presenting_complaint,
        "history": d.history,
        "examination": d.examination,
        "classification_scale": d.classification_scale.value if d.classification_scale else None,
        "classification_grade": d.classification_grade,
        "plan": d.plan,
        "risks_discussed": _codes(d.risks_discussed),
        "alternatives_discussed": _codes(d.alternatives_discussed),
        "patient_questions": d.patient_questions,
        "patient_priorities": d.patient_priorities,
        "discussed_on": _iso(d.discussed_on),
        "decided_on": _iso(d.decided_on),
    }


def _consultation(row: Sequence[Any]) -> Consultation:
    (
        consulted_on,
        site_id,
        clinician_id,
        complaint,
        history,
        examination,
        scale,
        grade,
        plan,
        risks,
        alternatives,
        questions,
        priorities,
        discussed_on,
        decided_on,
    ) = row[8:]
    details = ConsultationDetails(
        consulted_on=date.fromisoformat(consulted_on),
        site_id=SiteId(site_id),
        clinician_id=UserId(clinician_id),
        presenting_complaint=complaint,
        history=history,
        examination=examination,
        classification_scale=HairLossScale(scale) if scale else None,
        classification_grade=grade,
        plan=plan,
        risks_discussed=tuple(MaterialRisk(v) for v in json.loads(risks)),
        alternatives_discussed=tuple(Alternative(v) for v in json.loads(alternatives)),
        patient_questions=questions,
        patient_priorities=priorities,
        discussed_on=_day(discussed_on),
        decided_on=_day(decided_on),
    )
    return Consultation(row[0], PatientId(row[1]), details, record_info(row[2:8]))


def _treatment_row(d: TreatmentDetails) -> dict[str, Any]:
    return {
        "treated_on": d.treated_on.isoformat(),
        "treatment_site_id": d.site_id,
        "clinician_id": d.clinician_id,
        "consent_taken_by_id": d.consent_taken_by_id,
        "punches": d.punches,
        "punch_diameter_mm": d.punch_diameter_mm,
        "donor_site": d.donor_site,
        "kit_name": d.kit_name,
        "kit_lot": d.kit_lot,
        "anaesthetic_name": d.anaesthetic_name,
        "anaesthetic_dose": d.anaesthetic_dose,
        "anaesthetic_dose_unit": d.anaesthetic_dose_unit.value,
        "anaesthetic_lot": d.anaesthetic_lot,
        "suspension_volume_ml": d.suspension_volume_ml,
        "treated_zones": _codes(d.treated_zones),
        "injection_points": d.injection_points,
        "duration_minutes": d.duration_minutes,
        "haemostasis": d.haemostasis,
        "aftercare_sheet_given": int(d.aftercare_sheet_given),
        "immediate_complications": d.immediate_complications,
    }


def _treatment_details(values: Sequence[Any]) -> TreatmentDetails:
    (
        treated_on,
        site_id,
        clinician_id,
        consent_by,
        punches,
        diameter,
        donor_site,
        kit_name,
        kit_lot,
        anaesthetic_name,
        dose,
        unit,
        anaesthetic_lot,
        volume,
        zones,
        points,
        duration,
        haemostasis,
        aftercare,
        complications,
    ) = values
    return TreatmentDetails(
        treated_on=date.fromisoformat(treated_on),
        site_id=SiteId(site_id),
        clinician_id=UserId(clinician_id),
        consent_taken_by_id=UserId(consent_by),
        punches=punches,
        punch_diameter_mm=diameter,
        donor_site=donor_site,
        kit_name=kit_name,
        kit_lot=kit_lot,
        anaesthetic_name=anaesthetic_name,
        anaesthetic_dose=dose,
        anaesthetic_dose_unit=DoseUnit(unit),
        anaesthetic_lot=anaesthetic_lot,
        suspension_volume_ml=volume,
        treated_zones=tuple(TreatedZone(v) for v in json.loads(zones)),
        injection_points=points,
        duration_minutes=duration,
        haemostasis=haemostasis,
        aftercare_sheet_given=bool(aftercare),
        immediate_complications=complications,
    )


def _adverse_row(d: AdverseEventDetails) -> dict[str, Any]:
    return {
        "treatment_id": d.treatment_id,
        "onset_on": d.onset_on.isoformat(),
        "event_type": d.event_type.value,
        "severity": d.severity.value,
        "outcome": d.outcome.value,
        "description": d.description,
        "action_taken": d.action_taken,
        "outcome_on": _iso(d.outcome_on),
    }


def _adverse(row: Sequence[Any]) -> AdverseEvent:
    treatment_id, onset, kind, severity, outcome, description, action, outcome_on = row[8:]
    details = AdverseEventDetails(
        treatment_id=treatment_id,
        onset_on=date.fromisoformat(onset),
        event_type=AdverseEventType(kind),
        severity=Severity(severity),
        outcome=AdverseEventOutcome(outcome),
        description=description,
        action_taken=action,
        outcome_on=_day(outcome_on),
    )
    return AdverseEvent(row[0], PatientId(row[1]), details, record_info(row[2:8]))


def _follow_up(row: Sequence[Any]) -> FollowUp:
    treatment_id, kind, due_on, status, booked_at, notes = row[8:]
    return FollowUp(
        id=row[0],
        patient_id=PatientId(row[1]),
        treatment_id=treatment_id,
        kind=FollowUpKind(kind),
        due_on=date.fromisoformat(due_on),
        status=FollowUpStatus(status),
        booked_at=datetime.fromisoformat(booked_at) if booked_at else None,
        notes=notes,
        info=record_info(row[2:8]),
    )


@dataclass(frozen=True)
class DueFollowUp:
    """One row of the reception's "due and overdue" list."""

    follow_up: FollowUp
    patient_name: str
    last_name: str
    first_name: str
    phone: str
    overdue: bool
    preferred_name: str = ""
    date_of_birth: date | None = None
    nhs_number: str = ""

    @property
    def patient_id(self) -> PatientId:
        return self.follow_up.patient_id

    @property
    def kind(self) -> FollowUpKind:
        return self.follow_up.kind

    @property
    def due_on(self) -> date:
        return self.follow_up.due_on


@dataclass(frozen=True)
class LotMatch:
    """A treatment that used the lot asked for; ``matched`` names which lot field(s)."""

    patient_id: PatientId
    first_name: str
    last_name: str
    date_of_birth: date
    treatment_id: str
    treated_on: date
    kit_name: str
    kit_lot: str
    anaesthetic_name: str
    anaesthetic_lot: str
    matched: tuple[str, ...]  # "kit", "anaesthetic"
    phone: str = ""  # to ring the patient about the lot


class ClinicalRepository:
    """SQL for the clinical records of patients."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _select(self, table: str, columns: str, where: str, params: Sequence[Any]) -> list[Any]:
        return self.db.execute(
            f"SELECT id, patient_id, {_INFO}, {columns} FROM {table} WHERE {where}", list(params)
        ).fetchall()

    # -- consultations --------------------------------------------------------------------

    def insert_consultation(
        self, patient_id: PatientId, details: ConsultationDetails, actor: Actor
    ) -> str:
        values = {"patient_id": patient_id, **_consultation_row(details)}
        return insert_record(self.db, "consultations", values, actor)

    def update_consultation(
        self, consultation_id: str, version: int, details: ConsultationDetails, actor: Actor
    ) -> bool:
        return update_record(
            self.db, "consultations", consultation_id, version, _consultation_row(details), actor
        )

    def consultation(self, consultation_id: str) -> Consultation | None:
        rows = self._select(
            "consultations",
            _CONSULTATION_COLUMNS,
            "id = ? AND deleted_at IS NULL",
            [consultation_id],
        )
        return _consultation(rows[0]) if rows else None

    def consultations(self, patient_id: str) -> list[Consultation]:
        rows = self._select(
            "consultations",
            _CONSULTATION_COLUMNS,
            "patient_id = ? AND deleted_at IS NULL ORDER BY consulted_on DESC, created_at DESC",
            [patient_id],
        )
        return [_consultation(r) for r in rows]

    # -- treatments -----------------------------------------------------------------------

    def insert_treatment(
        self, patient_id: PatientId, details: TreatmentDetails, actor: Actor
    ) -> str:
        values = {"patient_id": patient_id, **_treatment_row(details)}
        return insert_record(self.db, "treatments", values, actor)

    def update_treatment(
        self, treatment_id: str, version: int, details: TreatmentDetails, actor: Actor
    ) -> bool:
        return update_record(
            self.db, "treatments", treatment_id, version, _treatment_row(details), actor
        )

    def add_override(
        self,
        patient_id: PatientId,
        treatment_id: str,
        blocking_reasons: Sequence[str],
        reason: str,
        actor: Actor,
    ) -> str:
        values = {
            "patient_id": patient_id,
            "treatment_id": treatment_id,
            "blocking_reasons": json.dumps(list(blocking_reasons), ensure_ascii=False),
            "reason": reason,
        }
        return insert_record(self.db, "treatment_overrides", values, actor)

    def _overrides(self, treatment_ids: Sequence[str]) -> dict[str, list[TreatmentOverride]]:
        found: dict[str, list[TreatmentOverride]] = {}
        if not treatment_ids:
            return found
        marks = ", ".join("?" for _ in treatment_ids)
        for treatment_id, reasons, reason, by, at in self.db.execute(
            "SELECT treatment_id, blocking_reasons, reason, created_by, created_at "
            f"FROM treatment_overrides WHERE treatment_id IN ({marks}) AND deleted_at IS NULL "
            "ORDER BY created_at",
            list(treatment_ids),
        ):
            found.setdefault(treatment_id, []).append(
                TreatmentOverride(tuple(json.loads(reasons)), reason, UserId(by), at)
            )
        return found

    def _treatments(self, rows: list[Any]) -> list[Treatment]:
        overrides = self._overrides([r[0] for r in rows])
        return [
            Treatment(
                r[0],
                PatientId(r[1]),
                _treatment_details(r[8:]),
                record_info(r[2:8]),
                tuple(overrides.get(r[0], ())),
            )
            for r in rows
        ]

    def treatment(self, treatment_id: str) -> Treatment | None:
        rows = self._select(
            "treatments", _TREATMENT_COLUMNS, "id = ? AND deleted_at IS NULL", [treatment_id]
        )
        return self._treatments(rows)[0] if rows else None

    def treatments(self, patient_id: str) -> list[Treatment]:
        rows = self._select(
            "treatments",
            _TREATMENT_COLUMNS,
            "patient_id = ? AND deleted_at IS NULL ORDER BY treated_on DESC, created_at DESC",
            [patient_id],
        )
        return self._treatments(rows)

    def patients_for_lot(self, lot: str) -> list[LotMatch]:
        """Treatments whose kit or anaesthetic lot equals ``lot`` (trimmed, any case)."""
        wanted = lot_key(lot)
        if not wanted:
            return []
        rows = self.db.execute(
            "SELECT p.id, p.first_name, p.last_name, p.date_of_birth, t.id, t.treated_on, "
            "t.kit_name, t.kit_lot, t.anaesthetic_name, t.anaesthetic_lot, p.phone "
            "FROM treatments t JOIN patients p ON p.id = t.patient_id "
            f"WHERE t.deleted_at IS NULL AND t.id IN ({LOT_TREATMENT_IDS}) "
            "ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, t.treated_on",
            [wanted, wanted],
        ).fetchall()
        matches = []
        for row in rows:
            pid, first, last, dob, tid, treated_on, kit, kit_lot, anaesthetic, ana_lot = row[:10]
            # NOCASE folds ASCII only; the final word is the same casefold as the key.
            matched = tuple(
                name
                for name, value in (("kit", kit_lot), ("anaesthetic", ana_lot))
                if lot_key(value) == wanted
            )
            if matched:
                matches.append(
                    LotMatch(
                        PatientId(pid),
                        first,
                        last,
                        date.fromisoformat(dob),
                        tid,
                        date.fromisoformat(treated_on),
                        kit,
                        kit_lot,
                        anaesthetic,
                        ana_lot,
                        matched,
                        row[10] or "",
                    )
                )
        return matches

    # -- adverse events -------------------------------------------------------------------

    def insert_adverse_event(
        self, patient_id: PatientId, details: AdverseEventDetails, actor: Actor
    ) -> str:
        values = {"patient_id": patient_id, **_adverse_row(details)}
        return insert_record(self.db, "adverse_events", values, actor)

    def update_adverse_event(
        self, event_id: str, version: int, details: AdverseEventDetails, actor: Actor
    ) -> bool:
        return update_record(
            self.db, "adverse_events", event_id, version, _adverse_row(details), actor
        )

    def adverse_event(self, event_id: str) -> AdverseEvent | None:
        rows = self._select(
            "adverse_events", _ADVERSE_COLUMNS, "id = ? AND deleted_at IS NULL", [event_id]
        )
        return _adverse(rows[0]) if rows else None

    def adverse_events(self, patient_id: str) -> list[AdverseEvent]:
        rows = self._select(
            "adverse_events",
            _ADVERSE_COLUMNS,
            "patient_id = ? AND deleted_at IS NULL ORDER BY onset_on DESC, created_at DESC",
            [patient_id],
        )
        return [_adverse(r) for r in rows]

    # -- follow-ups -----------------------------------------------------------------------

    def create_follow_ups(
        self, patient_id: PatientId, treatment_id: str, treated_on: date, actor: Actor
    ) -> int:
        schedule = follow_up_schedule(treated_on)
        for kind, due_on in schedule:
            insert_record(
                self.db,
                "follow_ups",
                {
                    "patient_id": patient_id,
                    "treatment_id": treatment_id,
                    "kind": kind.value,
                    "due_on": due_on.isoformat(),
                    "status": FollowUpStatus.NOT_BOOKED.value,
                    "booked_at": None,
                    "notes": "",
                },
                actor,
            )
        return len(schedule)

    def move_follow_ups(self, treatment_id: str, treated_on: date, actor: Actor) -> int:
        """Re-date the follow-ups of a treatment that have not happened (not attended).

        The treatment's own version check guards the change, so each follow-up is written at
        its current version."""
        moved = 0
        for follow_up in self.follow_ups_of_treatment(treatment_id):
            if follow_up.status is FollowUpStatus.ATTENDED:
                continue
            due_on = follow_up.kind.due_after(treated_on)
            if due_on != follow_up.due_on:
                update_record(
                    self.db,
                    "follow_ups",
                    follow_up.id,
                    follow_up.version,
                    {"due_on": due_on.isoformat()},
                    actor,
                )
                moved += 1
        return moved

    def follow_up(self, follow_up_id: str) -> FollowUp | None:
        rows = self._select(
            "follow_ups", _FOLLOW_UP_COLUMNS, "id = ? AND deleted_at IS NULL", [follow_up_id]
        )
        return _follow_up(rows[0]) if rows else None

    def follow_ups(self, patient_id: str) -> list[FollowUp]:
        rows = self._select(
            "follow_ups",
            _FOLLOW_UP_COLUMNS,
            "patient_id = ? AND deleted_at IS NULL ORDER BY due_on DESC, created_at DESC",
            [patient_id],
        )
        return [_follow_up(r) for r in rows]

    def follow_ups_of_treatment(self, treatment_id: str) -> list[FollowUp]:
        rows = self._select(
            "follow_ups",
            _FOLLOW_UP_COLUMNS,
            "treatment_id = ? AND deleted_at IS NULL ORDER BY due_on",
            [treatment_id],
        )
        return [_follow_up(r) for r in rows]

    def update_follow_up(
        self,
        follow_up_id: str,
        version: int,
        status: FollowUpStatus,
        booked_at: datetime | None,
        notes: str,
        actor: Actor,
    ) -> bool:
        values = {
            "status": status.value,
            "booked_at": booked_at.isoformat(timespec="minutes") if booked_at else None,
            "notes": notes,
        }
        return update_record(self.db, "follow_ups", follow_up_id, version, values, actor)

    def due_follow_ups(self, until: date, today: date) -> list[DueFollowUp]:
        """Open follow-ups due on or before ``until`` of live patients, earliest first."""
        open_codes = [s.value for s in FollowUpStatus if s.open]
        marks = ", ".join("?" for _ in open_codes)
        rows = self.db.execute(
            f"SELECT f.id, f.patient_id, {', '.join('f.' + c for c in _INFO.split(', '))}, "
            f"{', '.join('f.' + c.strip() for c in _FOLLOW_UP_COLUMNS.split(','))}, "
            "p.first_name, p.preferred_name, p.last_name, p.phone, p.date_of_birth, p.nhs_number "
            "FROM follow_ups f "
            "JOIN patients p ON p.id = f.patient_id "
            "JOIN treatments t ON t.id = f.treatment_id "
            f"WHERE f.due_on <= ? AND f.status IN ({marks}) AND f.deleted_at IS NULL "
            f"AND t.deleted_at IS NULL AND p.deleted_at IS NULL{NOT_RESTRICTED} "
            "ORDER BY f.due_on, p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, f.id",
            [until.isoformat(), *open_codes],
        ).fetchall()
        due = []
        for row in rows:
            follow_up = _follow_up(row[:14])
            first, preferred, last, phone, born, nhs = row[14:]
            name = f"{preferred or first} {last}".strip()
            due.append(
                DueFollowUp(
                    follow_up,
                    name,
                    last,
                    first,
                    phone,
                    follow_up.overdue(today),
                    preferred or "",
                    date.fromisoformat(born) if born else None,
                    nhs or "",
                )
            )
        return due

    def has_cared_for(self, clinician_id: str, patient_id: str) -> bool:
        """Whether the clinician has cared for the patient: a consultation or treatment as the
        clinician, consent taken, or a classification, assessment or photo recorded (DESIGN.md:
        a clinician sees the access log of their own patients)."""
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM consultations WHERE patient_id = ? AND clinician_id = ?) "
            "OR EXISTS (SELECT 1 FROM treatments WHERE patient_id = ? "
            "AND (clinician_id = ? OR consent_taken_by_id = ?)) "
            "OR EXISTS (SELECT 1 FROM classifications WHERE patient_id = ? AND created_by = ?) "
            "OR EXISTS (SELECT 1 FROM assessments WHERE patient_id = ? AND created_by = ?) "
            "OR EXISTS (SELECT 1 FROM photos WHERE patient_id = ? AND created_by = ?) "
            "OR EXISTS (SELECT 1 FROM consents WHERE patient_id = ? AND consent_taken_by_id = ?)",
            [patient_id, clinician_id] * 2 + [clinician_id] + [patient_id, clinician_id] * 4,
        ).fetchone()
        return bool(row[0])
