"""Clinical records through the service: saving, audit, concurrency, eligibility and override,
follow-ups (schedule, moves, booking, the due list) and the lot look-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from clinicdesk.domain.clinical import EligibilityBlocked, MaterialRisk
from clinicdesk.domain.consent import NO_DISCUSSION, NO_SIGNED_CONSENT
from clinicdesk.domain.follow_ups import FollowUpKind, FollowUpStatus
from clinicdesk.domain.medical import MedicalHistory, RedFlag, RedFlagCode
from clinicdesk.domain.roles import Role
from clinicdesk.errors import ConcurrentEdit, PermissionDenied, ValidationError
from clinicdesk.services.clinical import TimelineKind
from clinicdesk.storage import audit
from clinicdesk.storage.audit import AuditEntry
from tests.conftest import Clinic
from tests.domain.test_assessments import region_row
from tests.services.clinical_setup import (
    CONSENT_DISCUSSED_ON,
    TREATED_ON,
    consultation_form,
    eligible_patient,
    signed_consent,
    treatment_form,
)


def new_entries(clinic: Clinic, action: Callable[[], Any]) -> tuple[Any, list[AuditEntry]]:
    before = len(audit.entries(clinic.services.db))
    result = action()
    return result, audit.entries(clinic.services.db)[before:]


def count(clinic: Clinic, table: str) -> int:
    return int(clinic.services.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- consultations ----------------------------------------------------------------------------


def test_consultation_round_trip_with_one_audit_entry_per_step(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic, consented=False)
    saved, entries = new_entries(
        clinic,
        lambda: service.add_consultation(clinic.clinician, patient.id, consultation_form(clinic)),
    )
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [
        ("create", "consultation", saved.id)
    ]
    assert entries[0].detail == {"patient": patient.id}
    assert saved.version == 1
    assert saved.details.risks_discussed == (
        MaterialRisk.PAIN,
        MaterialRisk.INFECTION,
        MaterialRisk.FAILURE_OF_AIM,
    )
    assert saved.details.classification_label == "Norwood-Hamilton III vertex"
    assert saved.details.decided_on == date(2025, 2, 20)

    form = consultation_form(clinic, plan="Two sessions")
    updated, entries = new_entries(
        clinic, lambda: service.update_consultation(clinic.clinician, saved.id, 1, form)
    )
    assert updated.details.plan == "Two sessions" and updated.version == 2
    assert [(e.action, e.detail["fields"]) for e in entries] == [("update", ["plan"])]

    opened, entries = new_entries(clinic, lambda: service.consultation(clinic.admin, saved.id))
    assert opened == updated
    assert [(e.action, e.entity, e.user_id) for e in entries] == [
        ("view", "consultation", clinic.admin.id)
    ]
    listed, entries = new_entries(clinic, lambda: service.consultations(clinic.admin, patient.id))
    assert listed == [updated]
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [
        ("view", "consultations", patient.id)
    ]


def test_stale_consultation_version_is_a_concurrent_edit(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic)
    saved = service.add_consultation(clinic.clinician, patient.id, consultation_form(clinic))
    service.update_consultation(clinic.clinician, saved.id, 1, consultation_form(clinic, plan="A"))
    before = count(clinic, "audit_log")
    with pytest.raises(ConcurrentEdit) as caught:
        service.update_consultation(
            clinic.clinician, saved.id, 1, consultation_form(clinic, plan="B")
        )
    assert caught.value.theirs.details.plan == "A"
    assert caught.value.mine.plan == "B"
    assert service.consultation(clinic.clinician, saved.id).details.plan == "A"
    assert count(clinic, "audit_log") == before + 1  # only the view just above


def test_consultation_checks_people_place_and_birth_date(clinic: Clinic) -> None:
    patient = eligible_patient(clinic, consented=False)
    with pytest.raises(ValidationError) as caught:
        clinic.services.clinical.add_consultation(
            clinic.clinician,
            patient.id,
            consultation_form(
                clinic,
                site_id="no-such-site",
                clinician_id=clinic.reception.id,
                discussed_on="01/01/1980",
                decided_on="02/01/1980",
            ),
        )
    assert caught.value.errors == {
        "site_id": "is not one of this clinic's sites",
        "clinician_id": "must be one of the clinic's clinicians",
        "discussed_on": "is before the patient's date of birth",
        "decided_on": "is before the patient's date of birth",
    }
    assert count(clinic, "consultations") == 0


# -- treatments, follow-ups and eligibility ---------------------------------------------------


def test_recording_a_treatment_creates_its_follow_ups(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic)
    saved, entries = new_entries(
        clinic,
        lambda: service.record_treatment(
            clinic.clinician,
            patient.id,
            treatment_form(clinic, treated_on="31/01/2025", kit_lot=" kit-9 "),
        ),
    )
    treatment = saved.treatment
    assert treatment.details.kit_lot == "kit-9"
    assert treatment.overrides == ()
    assert [(f.kind, f.due_on, f.status) for f in saved.follow_ups] == [
        (FollowUpKind.DONOR_CHECK, date(2025, 2, 7), FollowUpStatus.NOT_BOOKED),
        (FollowUpKind.MONTH_1, date(2025, 2, 28), FollowUpStatus.NOT_BOOKED),
        (FollowUpKind.MONTH_3, date(2025, 4, 30), FollowUpStatus.NOT_BOOKED),
        (FollowUpKind.MONTH_6, date(2025, 7, 31), FollowUpStatus.NOT_BOOKED),
        (FollowUpKind.MONTH_12, date(2026, 1, 31), FollowUpStatus.NOT_BOOKED),
    ]
    assert [(e.action, e.entity, e.entity_id, e.detail) for e in entries] == [
        ("create", "treatment", treatment.id, {"patient": patient.id, "follow_ups": 5})
    ]
    assert service.treatment(clinic.admin, treatment.id) == treatment


def test_changing_the_date_moves_the_follow_ups_not_yet_attended(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic)
    saved = service.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    donor_check = saved.follow_ups[0]
    service.set_follow_up_status(clinic.reception, donor_check.id, 1, "attended")
    month_1 = saved.follow_ups[1]
    service.book_follow_up(clinic.reception, month_1.id, 1, "10/04/2025 09:30")

    moved, entries = new_entries(
        clinic,
        lambda: service.update_treatment(
            clinic.clinician, saved.treatment.id, 1, treatment_form(clinic, treated_on="2025-03-12")
        ),
    )
    assert moved.treatment.version == 2
    by_kind = {f.kind: f for f in moved.follow_ups}
    assert by_kind[FollowUpKind.DONOR_CHECK].due_on == date(2025, 3, 17)  # attended: unchanged
    assert by_kind[FollowUpKind.MONTH_1].due_on == date(2025, 4, 12)
    assert by_kind[FollowUpKind.MONTH_1].booked_at == datetime(2025, 4, 10, 9, 30)  # kept
    assert by_kind[FollowUpKind.MONTH_12].due_on == date(2026, 3, 12)
    assert [(e.action, e.detail["fields"], e.detail["follow_ups_moved"]) for e in entries] == [
        ("update", ["treated_on"], 4)
    ]


def test_stale_treatment_version_changes_nothing(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic)
    saved = service.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    service.update_treatment(
        clinic.clinician, saved.treatment.id, 1, treatment_form(clinic, punches="4")
    )
    with pytest.raises(ConcurrentEdit):
        service.update_treatment(
            clinic.clinician,
            saved.treatment.id,
            1,
            treatment_form(clinic, treated_on="2025-03-01", punches="5"),
        )
    current = service.treatment(clinic.clinician, saved.treatment.id)
    assert (current.details.punches, current.details.treated_on) == (4, TREATED_ON)
    assert [f.due_on for f in service.follow_ups(clinic.clinician, patient.id)][-1] == date(
        2025, 3, 17
    )


def test_treatment_date_not_before_birth_nor_consent_by_a_receptionist(clinic: Clinic) -> None:
    patient = eligible_patient(clinic)
    with pytest.raises(ValidationError) as caught:
        clinic.services.clinical.record_treatment(
            clinic.clinician,
            patient.id,
            treatment_form(clinic, treated_on="01/01/1980", consent_taken_by_id=clinic.admin.id),
        )
    assert caught.value.errors == {
        "consent_taken_by_id": "must be one of the clinic's clinicians",
        "treated_on": "is before the patient's date of birth",
    }
    assert count(clinic, "treatments") == count(clinic, "follow_ups") == 0


def with_red_flag(clinic: Clinic, patient_id: str) -> None:
    patients = clinic.services.patients
    history = patients.medical_history(clinic.clinician, patient_id)
    patients.save_medical_history(
        clinic.clinician,
        patient_id,
        MedicalHistory(
            red_flags=(RedFlag(RedFlagCode.ANTICOAGULANT, "apixaban"),),
            labs=history.labs,
            version=history.version,
        ),
    )


def test_a_red_flag_blocks_the_save_until_overridden_with_a_reason(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic)
    with_red_flag(clinic, patient.id)
    assert service.eligibility(clinic.clinician, patient.id, TREATED_ON) == [
        "Red flag: Anticoagulant / antiplatelet (apixaban)."
    ]
    before = count(clinic, "audit_log")
    with pytest.raises(EligibilityBlocked) as caught:
        service.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    assert caught.value.reasons == ["Red flag: Anticoagulant / antiplatelet (apixaban)."]
    with pytest.raises(ValidationError, match="override reason"):
        service.record_treatment(
            clinic.clinician, patient.id, treatment_form(clinic), override_reason="ok"
        )
    assert count(clinic, "treatments") == count(clinic, "follow_ups") == 0
    assert count(clinic, "audit_log") == before

    reason = "Apixaban paused 48 h on haematology advice"
    saved, entries = new_entries(
        clinic,
        lambda: service.record_treatment(
            clinic.clinician, patient.id, treatment_form(clinic), override_reason=reason
        ),
    )
    (override,) = saved.treatment.overrides
    assert override.reason == reason
    assert override.blocking_reasons == ("Red flag: Anticoagulant / antiplatelet (apixaban).",)
    assert override.by == clinic.clinician.id
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [
        ("create", "treatment", saved.treatment.id),
        ("override", "treatment", saved.treatment.id),
    ]
    assert entries[1].detail["reason"] == reason
    assert entries[1].detail["blocking_reasons"] == list(override.blocking_reasons)
    assert len(saved.follow_ups) == 5


def test_missing_labs_and_consent_by_another_clinician_block(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = clinic.services.patients.register(
        clinic.reception,
        {"first_name": "No", "last_name": "Labs", "date_of_birth": "1990-01-01", "sex": "M"},
    )
    other = clinic.services.clinic.add_user(
        clinic.admin, "drtwo", "Dr Two", clinic.clinician.role, "correct horse"
    )
    with pytest.raises(EligibilityBlocked) as caught:
        service.record_treatment(
            clinic.clinician, patient.id, treatment_form(clinic, consent_taken_by_id=other.id)
        )
    assert caught.value.reasons == [
        "No Ferritin result on record.",
        "No TSH result on record.",
        "Consent was not taken by the treating clinician (GMC guidance for cosmetic "
        "interventions).",
        NO_SIGNED_CONSENT,
        NO_DISCUSSION,
    ]


def test_update_that_keeps_the_date_is_not_rechecked_but_a_new_date_is(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic)
    saved = service.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    with_red_flag(clinic, patient.id)
    fixed = service.update_treatment(
        clinic.clinician, saved.treatment.id, 1, treatment_form(clinic, haemostasis="Pressure")
    )
    assert fixed.treatment.overrides == ()
    with pytest.raises(EligibilityBlocked):
        service.update_treatment(
            clinic.clinician, saved.treatment.id, 2, treatment_form(clinic, treated_on="2025-03-11")
        )
    moved = service.update_treatment(
        clinic.clinician,
        saved.treatment.id,
        2,
        treatment_form(clinic, treated_on="2025-03-11"),
        override_reason="Date corrected; anticoagulant reviewed",
    )
    assert [o.reason for o in moved.treatment.overrides] == [
        "Date corrected; anticoagulant reviewed"
    ]


# -- adverse events and the timeline ----------------------------------------------------------


def test_adverse_event_on_the_patients_treatment_and_timeline_order(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic, consented=False)
    consult = service.add_consultation(clinic.clinician, patient.id, consultation_form(clinic))
    # This consultation is the consent discussion (01/02/2025; decided on 20/02/2025).
    signed_consent(
        clinic,
        patient.id,
        consultation_id=consult.id,
        discussed_on=date(2025, 2, 1),
        signed_on=date(2025, 2, 20),
    )
    treated = service.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    event_form = {
        "treatment_id": treated.treatment.id,
        "onset_on": "2025-03-20",
        "event_type": "donor_site_infection",
        "severity": "moderate",
        "description": "Red, warm donor site",
        "action_taken": "Flucloxacillin 7 days",
    }
    with pytest.raises(ValidationError, match="before the treatment"):
        service.add_adverse_event(
            clinic.clinician, patient.id, event_form | {"onset_on": "2025-03-01"}
        )
    event, entries = new_entries(
        clinic, lambda: service.add_adverse_event(clinic.clinician, patient.id, event_form)
    )
    assert [(e.action, e.entity) for e in entries] == [("create", "adverse_event")]
    resolved = service.update_adverse_event(
        clinic.clinician,
        event.id,
        1,
        event_form | {"outcome": "resolved", "outcome_on": "2025-03-28"},
    )
    assert resolved.details.outcome_on == date(2025, 3, 28) and resolved.version == 2
    with pytest.raises(ConcurrentEdit):
        service.update_adverse_event(clinic.clinician, event.id, 1, event_form)

    other = eligible_patient(clinic, first_name="Other")
    with pytest.raises(ValidationError, match="this patient's treatments"):
        service.add_adverse_event(clinic.clinician, other.id, event_form)

    timeline, entries = new_entries(clinic, lambda: service.timeline(clinic.admin, patient.id))
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [
        ("view", "clinical_timeline", patient.id)
    ]
    assert [(item.kind, item.on) for item in timeline] == [
        (TimelineKind.FOLLOW_UP, date(2026, 3, 10)),
        (TimelineKind.FOLLOW_UP, date(2025, 9, 10)),
        (TimelineKind.FOLLOW_UP, date(2025, 6, 10)),
        (TimelineKind.FOLLOW_UP, date(2025, 4, 10)),
        (TimelineKind.ADVERSE_EVENT, date(2025, 3, 20)),
        (TimelineKind.FOLLOW_UP, date(2025, 3, 17)),
        (TimelineKind.TREATMENT, date(2025, 3, 10)),
        (TimelineKind.CONSULTATION, date(2025, 2, 1)),
    ]
    assert timeline[-1].record == consult
    assert timeline[4].title == "Adverse event: Donor-site infection (moderate, resolved)"
    assert timeline[6].title == "Micrograft treatment: Frontal, Vertex"


def test_assessments_join_the_timeline_in_date_order_and_archived_ones_leave(
    clinic: Clinic,
) -> None:
    service = clinic.services.clinical
    assessments = clinic.services.assessments
    patient = eligible_patient(clinic)
    service.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    baseline = assessments.add(
        clinic.clinician,
        patient.id,
        {"visit_date": "01/03/2025"},
        [region_row("frontal"), region_row("vertex"), region_row("occipital")],
    )
    assessments.add(
        clinic.clinician,
        patient.id,
        {"visit_date": "12/06/2025", "satisfaction": "7", "global_photo_score": "2"},
        [region_row("frontal")],
    )
    gone = assessments.add(
        clinic.clinician, patient.id, {"visit_date": "13/06/2025"}, [region_row("vertex")]
    )
    assessments.archive(clinic.clinician, gone.id, gone.version)

    timeline, entries = new_entries(clinic, lambda: service.timeline(clinic.admin, patient.id))
    assert [(e.action, e.entity) for e in entries] == [("view", "clinical_timeline")]
    found = [item for item in timeline if item.kind is TimelineKind.ASSESSMENT]
    assert [(item.on, item.title) for item in found] == [
        (
            date(2025, 6, 12),
            "Trichoscopy assessment: frontal (satisfaction 7/10, photo score +2)",
        ),
        (date(2025, 3, 1), "Trichoscopy assessment: frontal, vertex, occipital"),
    ]
    assert found[1].record == baseline
    assert [(item.kind, item.on) for item in timeline][2:] == [
        (TimelineKind.ASSESSMENT, date(2025, 6, 12)),
        (TimelineKind.FOLLOW_UP, date(2025, 6, 10)),
        (TimelineKind.FOLLOW_UP, date(2025, 4, 10)),
        (TimelineKind.FOLLOW_UP, date(2025, 3, 17)),
        (TimelineKind.TREATMENT, date(2025, 3, 10)),
        (TimelineKind.ASSESSMENT, date(2025, 3, 1)),
        (TimelineKind.CONSULTATION, CONSENT_DISCUSSED_ON),  # the consent discussion
    ]
    with pytest.raises(PermissionDenied):
        service.timeline(clinic.reception, patient.id)


# -- booking and the due list -----------------------------------------------------------------


def test_booking_rebooking_and_statuses(clinic: Clinic) -> None:
    service = clinic.services.clinical
    patient = eligible_patient(clinic)
    follow_up = service.record_treatment(
        clinic.clinician, patient.id, treatment_form(clinic)
    ).follow_ups[1]
    booked, entries = new_entries(
        clinic,
        lambda: service.book_follow_up(clinic.reception, follow_up.id, 1, "10/04/2025 09:30"),
    )
    assert (booked.status, booked.booked_at) == (
        FollowUpStatus.BOOKED,
        datetime(2025, 4, 10, 9, 30),
    )
    assert [(e.action, e.entity, e.detail["step"]) for e in entries] == [
        ("update", "follow_up", "book")
    ]
    missed = service.set_follow_up_status(
        clinic.reception, follow_up.id, 2, FollowUpStatus.DID_NOT_ATTEND, notes="No answer"
    )
    assert (missed.status, missed.notes) == (FollowUpStatus.DID_NOT_ATTEND, "No answer")
    rebooked = service.book_follow_up(clinic.reception, follow_up.id, 3, "2025-04-17T14:00")
    assert (rebooked.status, rebooked.booked_at, rebooked.notes) == (
        FollowUpStatus.BOOKED,
        datetime(2025, 4, 17, 14, 0),
        "No answer",
    )
    with pytest.raises(ConcurrentEdit):
        service.set_follow_up_status(clinic.reception, follow_up.id, 3, "attended")
    with pytest.raises(ValidationError):
        service.set_follow_up_status(clinic.reception, follow_up.id, 4, "booked")
    with pytest.raises(ValidationError):
        service.book_follow_up(clinic.reception, follow_up.id, 4, "next Tuesday")
    done = service.set_follow_up_status(clinic.clinician, follow_up.id, 4, "attended")
    assert done.status is FollowUpStatus.ATTENDED


def test_due_and_overdue_list_for_reception(clinic: Clinic) -> None:
    service = clinic.services.clinical
    early = eligible_patient(clinic, first_name="Early", last_name="Zed", phone="07700 900001")
    late = eligible_patient(clinic, first_name="Late", last_name="Able", phone="07700 900002")
    gone = eligible_patient(clinic, first_name="Archived", last_name="Person")
    service.record_treatment(
        clinic.clinician, early.id, treatment_form(clinic, treated_on="2025-01-10")
    )
    late_saved = service.record_treatment(
        clinic.clinician, late.id, treatment_form(clinic, treated_on="2025-01-20")
    )
    service.record_treatment(
        clinic.clinician, gone.id, treatment_form(clinic, treated_on="2025-01-10")
    )
    current = clinic.services.patients.get(clinic.clinician, gone.id)
    clinic.services.patients.set_archived(clinic.reception, gone.id, current.version, True)
    # Late's donor check was attended: no longer due.
    service.set_follow_up_status(clinic.reception, late_saved.follow_ups[0].id, 1, "attended")

    rows, entries = new_entries(
        clinic, lambda: service.due_and_overdue(clinic.reception, date(2025, 2, 5), within_days=15)
    )
    assert [(r.patient_name, r.phone, r.kind, r.due_on, r.overdue) for r in rows] == [
        ("Early Zed", "07700 900001", FollowUpKind.DONOR_CHECK, date(2025, 1, 17), True),
        ("Early Zed", "07700 900001", FollowUpKind.MONTH_1, date(2025, 2, 10), False),
        ("Late Able", "07700 900002", FollowUpKind.MONTH_1, date(2025, 2, 20), False),
    ]
    assert [(e.action, e.entity, e.detail) for e in entries] == [
        ("view", "follow_up_list", {"rows": 3, "within_days": 15})
    ]
    # 14 days (the default) stops a day short of Late's 1-month check on 20/02.
    assert len(service.due_and_overdue(clinic.reception, date(2025, 2, 5))) == 2
    # Cancelled leaves the list; did-not-attend stays on it (it needs rebooking).
    first, second = rows[0].follow_up, rows[1].follow_up
    service.set_follow_up_status(clinic.reception, first.id, first.version, "cancelled")
    service.set_follow_up_status(clinic.reception, second.id, second.version, "did_not_attend")
    rows = service.due_and_overdue(clinic.reception, date(2025, 2, 5), within_days=15)
    assert [(r.patient_name, r.kind, r.follow_up.status) for r in rows] == [
        ("Early Zed", FollowUpKind.MONTH_1, FollowUpStatus.DID_NOT_ATTEND),
        ("Late Able", FollowUpKind.MONTH_1, FollowUpStatus.NOT_BOOKED),
    ]


# -- lot look-up ------------------------------------------------------------------------------


def test_lot_look_up_finds_exactly_the_patients_with_that_lot(clinic: Clinic) -> None:
    service = clinic.services.clinical
    a = eligible_patient(clinic, first_name="Alpha", last_name="Kit")
    b = eligible_patient(clinic, first_name="Bravo", last_name="Anaesthetic")
    c = eligible_patient(clinic, first_name="Charlie", last_name="Prefix")
    service.record_treatment(
        clinic.clinician, a.id, treatment_form(clinic, kit_lot="LOT-42", anaesthetic_lot="LD1")
    )
    service.record_treatment(
        clinic.clinician, b.id, treatment_form(clinic, kit_lot="K-7", anaesthetic_lot="lot-42")
    )
    service.record_treatment(
        clinic.clinician, c.id, treatment_form(clinic, kit_lot="LOT-421", anaesthetic_lot="LOT-4")
    )

    matches, entries = new_entries(
        clinic, lambda: service.patients_for_lot(clinic.admin, " lot-42 ")
    )
    assert [(m.last_name, m.matched, m.treated_on) for m in matches] == [
        ("Anaesthetic", ("anaesthetic",), TREATED_ON),
        ("Kit", ("kit",), TREATED_ON),
    ]
    assert [(e.action, e.entity, e.entity_id, e.detail) for e in entries] == [
        ("search", "lot", "lot-42", {"treatments": 2, "patients": 2})
    ]
    assert service.patients_for_lot(clinic.clinician, "LOT") == []
    assert service.patients_for_lot(clinic.clinician, "   ") == []
    assert [m.patient_id for m in service.patients_for_lot(clinic.clinician, "lot-4")] == [c.id]


# -- clinicians for the forms -----------------------------------------------------------------


def test_clinicians_lists_every_clinician_by_name_with_disabled_ones_marked(
    clinic: Clinic,
) -> None:
    services = clinic.services
    other = services.clinic.add_user(
        clinic.admin, "aaron", "Dr Aaron Able", Role.CLINICIAN, "correct horse", "GMC 7654321"
    )
    account = next(a for a in services.users.list_users(clinic.admin) if a.id == other.id)
    services.users.disable_user(clinic.admin, account)

    listed = services.clinical.clinicians(clinic.clinician)

    assert [(c.name, c.registration_number, c.active) for c in listed] == [
        ("Dr Aaron Able", "GMC 7654321", False),
        ("Dr Cara Clinician", "GMC 1234567", True),
    ]
    assert listed[1].id == clinic.clinician.id
    # Admins (view only) see the same names; no reception or admin accounts are listed.
    assert services.clinical.clinicians(clinic.admin) == listed
