"""Conflicts on clinical records made by two replicas syncing, settled through
``ConflictResolution`` as Clinic > Conflicts settles them: the values shown as the record's
tab shows them, the chosen one saved as the clinician's audited edit (a refused one named, the
conflict kept), and the result synced to the other site like any edit."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from clinicdesk.domain.clinical import Severity
from clinicdesk.errors import ValidationError
from clinicdesk.services.conflict_resolution import ConflictResolution
from clinicdesk.services.context import ClinicServices
from tests.sync.helpers import Site, make_sites
from tests.ui.sync.helpers import add, opened


def treatment_form(services: ClinicServices, punches: str) -> dict[str, object]:
    clinician = services.clinic.user("clinician").id
    return {
        "treated_on": "10/03/2025",
        "site_id": services.clinic.this_site().id,
        "clinician_id": clinician,
        "consent_taken_by_id": clinician,
        "punches": punches,
        "punch_diameter_mm": "2.5",
        "donor_site": "Occipital scalp",
        "kit_name": "Rigenera HBW",
        "kit_lot": "KIT-2025-001",
        "anaesthetic_name": "Lidocaine 2%",
        "anaesthetic_dose": "4",
        "anaesthetic_dose_unit": "mL",
        "anaesthetic_lot": "LD7731",
        "suspension_volume_ml": "3.5",
        "treated_zones": ["frontal"],
        "injection_points": "60",
        "duration_minutes": "45",
    }


def event_form(treatment_id: str, onset: str, severity: str) -> dict[str, object]:
    return {
        "treatment_id": treatment_id,
        "onset_on": onset,
        "event_type": "shedding",
        "severity": severity,
        "outcome": "ongoing",
    }


def edit(site: Site, treatment_id: str, event_id: str, punches: str, onset: str, sev: str) -> None:
    services = opened(site)
    try:
        clinician = services.clinic.user("clinician")
        clinical = services.clinical
        treatment = clinical.treatment(clinician, treatment_id)
        clinical.update_treatment(
            clinician, treatment_id, treatment.version, treatment_form(services, punches)
        )
        event = clinical.adverse_event(clinician, event_id)
        clinical.update_adverse_event(
            clinician, event_id, event.version, event_form(treatment_id, onset, sev)
        )
    finally:
        services.close()


@pytest.fixture
def conflicting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Site, Site, str, str]:
    """A treatment and an adverse event both sites changed differently: the main clinic synced
    first (its values are the hub's), then the satellite (its values parked)."""
    main, satellite, _hub = make_sites(tmp_path, capsys, monkeypatch)
    patient = add(main, capsys, "Tess", "Treated")
    services = opened(main)
    try:
        clinician = services.clinic.user("clinician")
        treatment_id = services.clinical.record_treatment(
            clinician,
            patient,
            treatment_form(services, "3"),
            override_reason="Set up for a sync test: no labs or consent needed",
        ).treatment.id
        event_id = services.clinical.add_adverse_event(
            clinician, patient, event_form(treatment_id, "11/03/2025", "mild")
        ).id
    finally:
        services.close()
    main.sync(capsys)
    satellite.sync(capsys)
    edit(main, treatment_id, event_id, "4", "12/03/2025", "moderate")
    edit(satellite, treatment_id, event_id, "5", "13/03/2025", "severe")
    main.sync(capsys)
    assert satellite.sync(capsys)["parked"] == 2
    return main, satellite, treatment_id, event_id


def test_clinical_conflicts_from_two_sites_are_settled_as_audited_edits_that_sync(
    conflicting: tuple[Site, Site, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    main, satellite, treatment_id, event_id = conflicting
    # The command line lists both sides' values too (as stored).
    listed = {c["table"]: c for c in json.loads(satellite.ok(capsys, "conflicts", "--json"))}
    assert listed["treatments"]["hub"]["values"] == {"punches": 4}
    assert listed["treatments"]["incoming"]["values"] == {"punches": 5}
    assert listed["adverse_events"]["incoming"]["values"] == {
        "onset_on": "2025-03-13",
        "severity": "severe",
    }
    services = opened(satellite)
    try:
        clinician = services.clinic.user("clinician")
        resolution = ConflictResolution(services)
        views = {v.conflict.table_name: v for v in resolution.open_conflicts(clinician)}
        assert sorted(views) == ["adverse_events", "treatments"]
        treatment, event = views["treatments"], views["adverse_events"]
        assert treatment.patient_name == event.patient_name == "Tess Treated"
        assert treatment.editable and event.editable
        assert [(f.label, f.hub, f.incoming) for f in treatment.fields] == [
            ("Number of punches", "4", "5")
        ]
        # Dates and coded values as the Timeline tab's forms show them.
        assert [(f.label, f.hub, f.incoming) for f in event.fields] == [
            ("Onset", "12/03/2025", "13/03/2025"),
            ("Severity", "Moderate", "Severe"),
        ]

        # A merged value the treatment refuses: named as its tab names it; nothing saved.
        with pytest.raises(ValidationError) as refused:
            resolution.save_values(clinician, treatment.conflict.id, {"punches": "4 or 5"})
        assert "Number of punches" in refused.value.errors
        assert services.clinical.treatment(clinician, treatment_id).details.punches == 4
        assert len(resolution.open_conflicts(clinician)) == 2

        resolution.save_values(clinician, treatment.conflict.id, {"punches": "5"})
        resolution.save_values(
            clinician, event.conflict.id, {"onset_on": "13/03/2025", "severity": "Severe"}
        )
        assert resolution.open_conflicts(clinician) == []
        saved_event = services.clinical.adverse_event(clinician, event_id).details
        assert saved_event.severity is Severity.SEVERE
        assert saved_event.onset_on == date(2025, 3, 13)
        actions = services.db.execute(
            "SELECT action, entity FROM audit_log WHERE user_id = ? AND action IN "
            "('update', 'resolve') ORDER BY at, seq",  # the sites' chains interleave
            [clinician.id],
        ).fetchall()
        assert [tuple(a) for a in actions][-4:] == [
            ("update", "treatment"),
            ("resolve", "sync_conflict"),
            ("update", "adverse_event"),
            ("resolve", "sync_conflict"),
        ]
    finally:
        services.close()

    satellite.sync(capsys)
    main.sync(capsys)
    services = opened(main)
    try:
        clinician = services.clinic.user("clinician")
        assert services.clinical.treatment(clinician, treatment_id).details.punches == 5
        event_at_main = services.clinical.adverse_event(clinician, event_id).details
        assert event_at_main.severity is Severity.SEVERE
        assert ConflictResolution(services).open_conflicts(clinician) == []
    finally:
        services.close()
