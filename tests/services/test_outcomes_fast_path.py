"""The outcomes audit reads only the numbers of the visits it looks at (``chosen_visits``,
``measured_patient``): on a varied synthetic clinic it gives exactly what the straightforward
computation gives from every patient's assessments as the record services load them
(``treated_patient``): the same categories, changes, groups and lost to follow-up, so the
same screen, command-line JSON and CSV."""

from __future__ import annotations

import gc
import json
import random
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from clinicdesk.domain import outcomes_measured
from clinicdesk.domain.follow_ups import add_months
from clinicdesk.domain.outcomes import export_rows, summarise, summary_json, treated_patient
from clinicdesk.domain.patient import validate_patient
from clinicdesk.services import outcomes as outcomes_service
from clinicdesk.services.demo import demo_patient_form
from clinicdesk.services.outcomes import end_point_follow_up, patient_facts
from clinicdesk.storage.database import write_transaction
from clinicdesk.storage.outcomes import OutcomeRepository
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.records import insert_record
from tests.conftest import Clinic

TODAY = date(2026, 11, 23)
ZONES = (
    ["frontal"],
    ["mid_scalp", "frontal"],
    ["vertex"],
    ["temporal_left", "temporal_right"],
    ["frontal", "vertex", "mid_scalp"],
    ["occipital"],  # the reference region alone: no main region
)
REGIONS = ("frontal", "mid_scalp", "vertex", "temporal_left", "temporal_right", "occipital")
STATUSES = ("did_not_attend", "attended", "not_booked", "booked", "cancelled", None)


def _region(code: str, rng: random.Random, baseline: float) -> dict[str, object]:
    terminal = 0.0 if baseline == 0 and rng.random() < 0.5 else baseline * rng.uniform(0.9, 1.2)
    return {
        "region": code,
        "total_density": round(terminal / 0.8 + 1, 1),
        "terminal_density": round(terminal, 1),
        "vellus_density": 10.0,
        "mean_diameter_um": round(rng.choice([60.0, 57.0, 56.9, 63.0, rng.uniform(50, 70)]), 1),
        "thin_hairs_pct": 20.0,
        "fu_density": 40.0,
        "hairs_per_fu": 2.0,
    }


def _visit_days(rng: random.Random, treated_on: date) -> list[date]:
    """Visits on and around every window's edges, ties on one day and at equal distances
    either side of a due date, and some at random."""
    due = {m: add_months(treated_on, m) for m in (1, 3, 6, 12)}
    candidates = [
        treated_on,
        treated_on - timedelta(days=rng.randrange(1, 60)),
        treated_on + timedelta(days=13),
        treated_on + timedelta(days=14),
        add_months(treated_on, 2),
        add_months(treated_on, 2) + timedelta(days=1),
        add_months(treated_on, 4),
        add_months(treated_on, 5) - timedelta(days=1),
        add_months(treated_on, 5),
        add_months(treated_on, 8),
        add_months(treated_on, 8) + timedelta(days=1),
        add_months(treated_on, 10),
        add_months(treated_on, 15),
        due[6] - timedelta(days=9),
        due[6] + timedelta(days=9),
        *due.values(),
        *(treated_on + timedelta(days=rng.randrange(-90, 500)) for _ in range(4)),
    ]
    days = rng.sample(candidates, rng.randrange(0, 9))
    if days and rng.random() < 0.3:
        days.append(rng.choice(days))  # two visits on one day
    return [d for d in days if d <= TODAY]


def _varied_clinic(clinic: Clinic, patients: int = 80) -> None:
    services, actor = clinic.services, clinic.admin.actor
    site, clinician = clinic.clinician.site_id, clinic.clinician.id
    rng = random.Random(1616)
    repo = PatientRepository(services.db)
    month_ends = [date(2025, 1, 31), date(2024, 2, 29), date(2025, 8, 31), date(2026, 5, 31)]
    with write_transaction(services.db):
        for _ in range(patients):
            details = validate_patient(demo_patient_form(rng, TODAY), today=TODAY)
            pid = repo.insert(replace(details, home_site_id=site), actor)
            for session in range(rng.choice([1, 1, 1, 2])):
                treated_on = (
                    rng.choice(month_ends)
                    if rng.random() < 0.25
                    else TODAY - timedelta(days=rng.randrange(0, 700))
                )
                zones = rng.choice(ZONES)
                tid = insert_record(
                    services.db,
                    "treatments",
                    {
                        "patient_id": pid,
                        "treated_on": treated_on.isoformat(),
                        "treatment_site_id": site,
                        "clinician_id": clinician,
                        "consent_taken_by_id": clinician,
                        "punches": 3,
                        "punch_diameter_mm": 2.5,
                        "donor_site": "Occipital scalp",
                        "kit_name": "Kit",
                        "kit_lot": rng.choice(["LOT-A", "LOT-B", " "]),
                        "anaesthetic_name": "Lidocaine",
                        "anaesthetic_dose": 3.0,
                        "anaesthetic_dose_unit": "mL",
                        "anaesthetic_lot": "A1",
                        "suspension_volume_ml": 3.0,
                        "treated_zones": json.dumps(zones),
                        "injection_points": 40,
                        "duration_minutes": 45,
                    },
                    actor,
                )
                status = rng.choice(STATUSES)
                if status is not None and session == 0:
                    insert_record(
                        services.db,
                        "follow_ups",
                        {
                            "patient_id": pid,
                            "treatment_id": tid,
                            "kind": "month_6",
                            "due_on": add_months(treated_on, 6).isoformat(),
                            "status": status,
                        },
                        actor,
                    )
                baseline = {r: rng.choice([0.0, 80.0, 100.0, 120.0]) for r in REGIONS}
                for day in _visit_days(rng, treated_on):
                    aid = insert_record(
                        services.db,
                        "assessments",
                        {
                            "patient_id": pid,
                            "visit_date": day.isoformat(),
                            "visit_site_id": site,
                            "clinician_id": clinician,
                            "treatment_id": tid,
                        },
                        actor,
                    )
                    for code in REGIONS:
                        if rng.random() < 0.75:
                            rid = insert_record(
                                services.db,
                                "assessment_regions",
                                {"assessment_id": aid, **_region(code, rng, baseline[code])},
                                actor,
                            )
                            if rng.random() < 0.05:
                                services.db.execute(
                                    "UPDATE assessment_regions SET deleted_at = ? WHERE id = ?",
                                    [TODAY.isoformat(), rid],
                                )
                    if rng.random() < 0.05:
                        services.db.execute(
                            "UPDATE assessments SET deleted_at = ? WHERE id = ?",
                            [TODAY.isoformat(), aid],
                        )


def test_the_audit_gives_what_the_assessments_give_on_a_varied_clinic(clinic: Clinic) -> None:
    _varied_clinic(clinic)
    services, user = clinic.services, clinic.clinician
    service = services.outcomes
    service.today = lambda: TODAY
    threshold = services.response_settings.threshold_percent()
    fast = service.summary(user)

    rows = OutcomeRepository(services.db).rows()
    straightforward = [
        treated_patient(
            t.patient_id,
            t.treatment_id,
            services.assessments.list_for_patient(user, t.patient_id),
            t.treated_on,
            t.zones,
            threshold,
            TODAY,
            patient_facts(rows, t),
            end_point_follow_up(rows, t),
        )
        for t in rows.treatments
    ]
    expected = summarise(straightforward, threshold, TODAY, fast.min_group)

    # The clinic is varied enough to test something: every category, several visits.
    categories = {p.category for p in expected.patients.values()}
    assert len(categories) == 5, categories
    assert {c.months for c in expected.changes} == {1, 3, 6, 12}
    assert expected.lost and len(expected.overall.treated) == 80
    # Patient by patient, then the whole: counts, groups, quarters, changes, lost.
    assert fast.patients == expected.patients
    assert fast == expected
    # The changes are worked out when first read (the change table's tab): the same rows.
    assert fast.changes == expected.changes
    assert [tuple(p.changes) for p in fast.patients.values()] == [
        p.changes for p in expected.patients.values()
    ]
    assert summary_json(fast, "grade") == summary_json(expected, "grade")
    codes = {pid: f"OC-{n}" for n, pid in enumerate(sorted(expected.patients))}
    assert export_rows(fast, codes) == export_rows(expected, codes)


def test_the_cycle_collector_rests_while_the_clinic_is_read_and_counted(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a large clinic the collector, set off again and again by the count's many small
    objects (all alive until it ends), cost a quarter to a third of the count's time while
    freeing nothing: it is off while reading and counting, and as it was afterwards (on,
    unless something else had turned it off), even when the count fails."""
    _varied_clinic(clinic, patients=5)
    service = clinic.services.outcomes
    seen: list[tuple[str, bool]] = []
    read, count = service.repo.rows, outcomes_service.summarise

    def rows() -> object:
        seen.append(("read", gc.isenabled()))
        return read()

    def summarise_(*args: object) -> object:
        seen.append(("count", gc.isenabled()))
        return count(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(service.repo, "rows", rows)
    monkeypatch.setattr(outcomes_service, "summarise", summarise_)
    assert gc.isenabled()
    service.summary(clinic.clinician)
    assert seen == [("read", False), ("count", False)]
    assert gc.isenabled()

    def broken() -> object:
        raise OSError("disk gone")

    monkeypatch.setattr(service.repo, "rows", broken)
    with pytest.raises(OSError):
        service.summary(clinic.clinician)
    assert gc.isenabled()
    gc.disable()
    try:
        monkeypatch.setattr(service.repo, "rows", rows)
        service.summary(clinic.clinician)
        assert not gc.isenabled()  # left off, as it was
    finally:
        gc.enable()


def test_the_count_leaves_the_changes_from_baseline_until_they_are_read(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The headline numbers come without the changes from baseline (some 30,000 on a clinic
    of 5,000 treated patients): they are worked out when first read, by the change table's
    tab or an export, each patient's once."""
    _varied_clinic(clinic, patients=20)
    service = clinic.services.outcomes
    service.today = lambda: TODAY
    worked_out: list[object] = []
    work = outcomes_measured._changes

    def changes(*args: Any) -> Any:
        worked_out.append(args)
        return work(*args)

    monkeypatch.setattr(outcomes_measured, "_changes", changes)
    summary = service.summary(clinic.clinician)
    assert len(summary.overall.treated) == 20 and worked_out == []
    rows = summary.changes
    assert rows and worked_out
    read = len(worked_out)
    assert summary.changes is rows
    assert [tuple(p.changes) for p in summary.patients.values()]
    assert len(worked_out) == read
