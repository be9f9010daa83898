"""``ConflictResolution`` on each kind of record it saves: values shown and typed as the
record's tab shows them (UK dates, labels of coded values), the patient named even when the
parked row does not say, saved through the record's own service (its checks, permission and
audit), and the conflicts it cannot settle pointing at the right tab."""

from __future__ import annotations

import pytest

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.clinical import Alternative, MaterialRisk
from clinicdesk.domain.patient import Sex
from clinicdesk.errors import PermissionDenied, UserError, ValidationError
from clinicdesk.services.conflict_resolution import ConflictResolution, ConflictView
from tests.conftest import Clinic
from tests.domain.test_assessments import region_row
from tests.services.clinical_setup import consultation_form, eligible_patient
from tests.services.parked_conflicts import park


def only(resolution: ConflictResolution, clinic: Clinic) -> ConflictView:
    [view] = resolution.open_conflicts(clinic.clinician)
    return view


def entries(clinic: Clinic, action: str) -> list[tuple[str, str]]:
    rows = clinic.services.db.execute(
        "SELECT entity, entity_id FROM audit_log WHERE user_id = ? AND action = ? ORDER BY seq",
        [clinic.clinician.id, action],
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def test_an_assessment_regions_conflict_names_its_patient_and_region_and_saves_through_the_service(
    clinic: Clinic,
) -> None:
    patient = eligible_patient(clinic)
    assessments = clinic.services.assessments
    saved = assessments.add(
        clinic.clinician,
        patient.id,
        {"visit_date": "12/03/2024"},
        [region_row("frontal"), region_row("vertex")],
    )
    frontal = saved.details.region(Region.FRONTAL)
    assert frontal is not None and frontal.id
    # An assessment_regions row has no patient_id: the parked conflict does not name one.
    park(
        clinic,
        "assessment_regions",
        frontal.id,
        {"total_density": 120.0},
        {"total_density": 130.0},
        patient_id=None,
    )
    resolution = ConflictResolution(clinic.services)
    view = only(resolution, clinic)
    assert view.patient_name == patient.display_name
    assert view.editable
    assert [(f.label, f.hub, f.incoming) for f in view.fields] == [
        ("Frontal: Total density", "120", "130")
    ]

    with pytest.raises(ValidationError) as refused:
        resolution.save_values(clinic.clinician, view.conflict.id, {"total_density": "900"})
    assert list(refused.value.errors) == ["Frontal: Total density"]
    assert len(resolution.open_conflicts(clinic.clinician)) == 1

    resolution.save_values(clinic.clinician, view.conflict.id, {"total_density": "125"})
    after = assessments.get(clinic.clinician, saved.id)
    assert after.version == saved.version + 1
    region = after.details.region(Region.FRONTAL)
    assert region is not None and region.total_density == 125.0
    vertex = after.details.region(Region.VERTEX)
    assert vertex == saved.details.region(Region.VERTEX)  # the other region as it was
    assert ("assessment", saved.id) in entries(clinic, "update")
    assert ("sync_conflict", view.conflict.id) in entries(clinic, "resolve")
    assert resolution.open_conflicts(clinic.clinician) == []


def test_an_assessments_visit_date_is_shown_and_typed_the_uk_way(clinic: Clinic) -> None:
    patient = eligible_patient(clinic)
    saved = clinic.services.assessments.add(
        clinic.clinician,
        patient.id,
        {"visit_date": "12/03/2024", "global_photo_score": "1"},
        [region_row("frontal")],
    )
    park(
        clinic,
        "assessments",
        saved.id,
        {"visit_date": "2024-03-12", "photo_score_blinded": 0},
        {"visit_date": "2024-03-14", "photo_score_blinded": 1},
        patient_id=patient.id,
    )
    resolution = ConflictResolution(clinic.services)
    view = only(resolution, clinic)
    assert [(f.label, f.hub, f.incoming) for f in view.fields] == [
        ("Scored blinded", "No", "Yes"),
        ("Visit date", "12/03/2024", "14/03/2024"),
    ]
    resolution.save_values(
        clinic.clinician,
        view.conflict.id,
        {"visit_date": "14/03/2024", "photo_score_blinded": "Yes"},
    )
    details = clinic.services.assessments.get(clinic.clinician, saved.id).details
    assert details.visit_date.isoformat() == "2024-03-14"
    assert details.photo_score_blinded is True


def test_a_consultations_coded_lists_are_shown_and_typed_by_their_labels(clinic: Clinic) -> None:
    patient = eligible_patient(clinic, consented=False)
    consultation = clinic.services.clinical.add_consultation(
        clinic.clinician, patient.id, consultation_form(clinic)
    )
    park(
        clinic,
        "consultations",
        consultation.id,
        {"risks_discussed": '["pain", "infection"]', "classification_scale": "norwood_hamilton"},
        {"risks_discussed": '["pain", "donor_scarring"]', "classification_scale": "ludwig"},
        patient_id=patient.id,
    )
    resolution = ConflictResolution(clinic.services)
    view = only(resolution, clinic)
    assert [(f.label, f.hub, f.incoming) for f in view.fields] == [
        ("Classification", "Norwood-Hamilton", "Ludwig"),
        ("Material risks discussed", "Pain, Infection", "Pain, Donor-site scarring / keloid"),
    ]
    scale = view.fields[0]
    assert "Sinclair" in scale.options  # the form's list, to pick neither side's
    resolution.save_values(
        clinic.clinician,
        view.conflict.id,
        {
            "classification_scale": "Norwood-Hamilton",
            "risks_discussed": "Pain, Infection, Donor-site scarring / keloid",
        },
    )
    details = clinic.services.clinical.consultation(clinic.clinician, consultation.id).details
    assert details.risks_discussed == (  # in the list's order, as the form stores them
        MaterialRisk.PAIN,
        MaterialRisk.INFECTION,
        MaterialRisk.DONOR_SCARRING,
    )
    assert details.alternatives_discussed[0] is Alternative.MINOXIDIL  # untouched
    assert ("consultation", consultation.id) in entries(clinic, "update")


def test_a_patients_sex_and_date_of_birth_are_shown_as_the_demographics_tab_shows_them(
    clinic: Clinic,
) -> None:
    patient = eligible_patient(clinic, consented=False)
    park(
        clinic,
        "patients",
        patient.id,
        {"sex": "F", "date_of_birth": "1985-07-03"},
        {"sex": "X", "date_of_birth": "1985-03-07"},
        patient_id=patient.id,
    )
    resolution = ConflictResolution(clinic.services)
    view = only(resolution, clinic)
    assert [(f.label, f.hub, f.incoming) for f in view.fields] == [
        ("Date of birth", "03/07/1985", "07/03/1985"),
        ("Sex", "Female", "Other / not stated"),
    ]
    resolution.save_values(
        clinic.clinician, view.conflict.id, {"date_of_birth": "03/07/1985", "sex": "Male"}
    )
    saved = clinic.services.patients.repo.get(patient.id)
    assert saved is not None and saved.details.sex is Sex.MALE


def test_an_administrator_is_told_to_ask_a_clinician_and_is_refused_with_an_audit_entry(
    clinic: Clinic,
) -> None:
    patient = eligible_patient(clinic, consented=False)
    consultation = clinic.services.clinical.add_consultation(
        clinic.clinician, patient.id, consultation_form(clinic)
    )
    park(clinic, "consultations", consultation.id, {"plan": "A"}, {"plan": "B"}, patient_id=None)
    resolution = ConflictResolution(clinic.services)
    [view] = resolution.open_conflicts(clinic.admin)
    assert not view.editable
    assert "ask a clinician" in view.hint
    with pytest.raises(PermissionDenied):
        resolution.save_values(clinic.admin, view.conflict.id, {"plan": "B"})
    denied = clinic.services.db.execute(
        "SELECT entity, entity_id FROM audit_log WHERE user_id = ? AND action = 'denied'",
        [clinic.admin.id],
    ).fetchall()
    assert ("consultations", consultation.id) in [tuple(d) for d in denied]
    assert len(resolution.open_conflicts(clinic.admin)) == 1


def test_a_record_archived_here_or_without_a_service_can_only_be_marked_resolved(
    clinic: Clinic,
) -> None:
    patient = eligible_patient(clinic, consented=False)
    clinical = clinic.services.clinical
    consultation = clinical.add_consultation(
        clinic.clinician, patient.id, consultation_form(clinic)
    )
    clinic.services.db.execute(
        "UPDATE consultations SET deleted_at = '2025-03-01T00:00:00Z' WHERE id = ?",
        [consultation.id],
    )
    park(clinic, "consultations", consultation.id, {"plan": "A"}, {"plan": "B"}, patient_id=None)
    park(
        clinic,
        "allergies",
        "allergy-1",
        {"reaction": "Rash"},
        {"reaction": "Hives"},
        patient_id=patient.id,
    )
    resolution = ConflictResolution(clinic.services)
    archived, allergy = resolution.open_conflicts(clinic.clinician)
    assert archived.patient_name == allergy.patient_name == patient.display_name
    assert not archived.editable and "archived or removed here" in archived.hint
    assert not allergy.editable
    assert allergy.hint == "Change it in the record's Medical history tab, then Mark resolved."
    with pytest.raises(UserError, match="archived or removed here"):
        resolution.save_values(clinic.clinician, archived.conflict.id, {"plan": "B"})
    resolution.mark_resolved(clinic.clinician, archived.conflict.id)
    resolution.mark_resolved(clinic.clinician, allergy.conflict.id)
    assert resolution.open_conflicts(clinic.clinician) == []
