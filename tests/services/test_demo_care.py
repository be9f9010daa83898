"""The demo clinic's courses of care: deterministic, plausible, and within every bound."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from clinicdesk.domain.assessments import MEASURES, Region
from clinicdesk.domain.clinical import AdverseEventOutcome, MaterialRisk
from clinicdesk.domain.follow_ups import FollowUpKind, FollowUpStatus
from clinicdesk.domain.patient import Sex
from clinicdesk.paths import Paths
from clinicdesk.services import clinic as clinic_service
from clinicdesk.services.context import ClinicServices, unlock_clinic
from clinicdesk.services.demo import DEMO_PASSWORD, create_demo_clinic
from clinicdesk.services.demo_care import TREATED_WITHIN_DAYS
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import keys

TODAY = date(2026, 6, 15)
PATIENTS = 40


def make_demo(data_dir: Path, *, seed: int, patients: int = PATIENTS) -> list[tuple[int, int]]:
    """A demo clinic for ``TODAY``; returns the progress calls."""
    calls: list[tuple[int, int]] = []
    create_demo_clinic(
        Paths(data_dir),
        patients=patients,
        seed=seed,
        progress=lambda made, total: calls.append((made, total)),
        today=lambda: TODAY,
    )
    return calls


def open_demo(data_dir: Path, user: str = "clinician") -> ClinicServices:
    return unlock_clinic(Paths(data_dir), user, DEMO_PASSWORD, today=lambda: TODAY).services


@dataclass
class Demo:
    services: ClinicServices
    clinician: CurrentUser
    reception: CurrentUser
    progress: list[tuple[int, int]]

    def patients(self) -> list[Any]:
        return self.services.patients.list_page(self.clinician, None, 1000)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One 40-patient demo clinic shared by the read-only tests of this module."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    with pytest.MonkeyPatch.context() as mp:  # cheap hashing, as tests/conftest.py does
        mp.setattr(
            clinic_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        mp.setattr(keys, "KDF", keys.KdfParameters(time_cost=1, memory_cost=8, parallelism=1))
        progress = make_demo(data_dir, seed=1)
        services = open_demo(data_dir)
    try:
        yield Demo(
            services,
            services.clinic.user("clinician"),
            services.clinic.user("reception"),
            progress,
        )
    finally:
        services.close()


def _without_ids(value: Any) -> Any:
    """A record's details as plain data, with ids (which differ between runs) left out."""
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "id" and not k.endswith("_id")}
    if isinstance(value, list | tuple):
        return [_without_ids(v) for v in value]
    return value


def courses(data_dir: Path) -> list[Any]:
    """Every patient's course of care, ignoring ids and timestamps."""
    services = open_demo(data_dir)
    try:
        user = services.clinic.user("clinician")
        out = []
        for p in services.patients.list_page(user, None, 1000):
            clinical = services.clinical
            out.append(
                (
                    p.first_name,
                    p.last_name,
                    p.date_of_birth,
                    [_without_ids(asdict(c.details)) for c in clinical.consultations(user, p.id)],
                    [
                        (_without_ids(asdict(t.details)), [o.reason for o in t.overrides])
                        for t in clinical.treatments(user, p.id)
                    ],
                    [
                        (f.kind, f.due_on, f.status, f.booked_at, f.notes)
                        for f in clinical.follow_ups(user, p.id)
                    ],
                    [_without_ids(asdict(e.details)) for e in clinical.adverse_events(user, p.id)],
                    [
                        _without_ids(asdict(a.details))
                        for a in services.assessments.list_for_patient(user, p.id)
                    ],
                )
            )
        return sorted(out)
    finally:
        services.close()


def test_the_same_seed_gives_the_same_courses_of_care(tmp_path: Path) -> None:
    make_demo(tmp_path / "one", seed=5, patients=15)
    make_demo(tmp_path / "two", seed=5, patients=15)
    make_demo(tmp_path / "three", seed=6, patients=15)
    first = courses(tmp_path / "one")
    assert any(treatments for *_, treatments, _, _, _ in first)
    assert courses(tmp_path / "two") == first
    assert courses(tmp_path / "three") != first


def test_progress_is_reported_for_every_patient(demo: Demo) -> None:
    assert demo.progress == [(made, PATIENTS) for made in range(PATIENTS)]


def test_most_patients_have_a_consultation_and_many_a_treatment(demo: Demo) -> None:
    consulted = treated = 0
    for p in demo.patients():
        consultations = demo.services.clinical.consultations(demo.clinician, p.id)
        treatments = demo.services.clinical.treatments(demo.clinician, p.id)
        consulted += bool(consultations)
        treated += bool(treatments)
        assert len(treatments) <= 1
        if treatments:
            assert len(consultations) == 1
    assert PATIENTS * 0.5 <= consulted <= PATIENTS * 0.9
    assert treated >= PATIENTS * 0.4


def test_treatments_follow_a_consent_discussion_with_time_to_reflect(demo: Demo) -> None:
    seen = 0
    for p in demo.patients():
        history = demo.services.patients.medical_history(demo.clinician, p.id)
        for t in demo.services.clinical.treatments(demo.clinician, p.id):
            seen += 1
            (c,) = demo.services.clinical.consultations(demo.clinician, p.id)
            d = c.details
            assert d.discussed_on is not None and d.decided_on is not None
            assert (d.decided_on - d.discussed_on).days >= 14
            assert (t.details.treated_on - d.discussed_on).days >= 14
            assert d.decided_on <= t.details.treated_on <= TODAY
            assert MaterialRisk.FAILURE_OF_AIM in d.risks_discussed
            assert d.alternatives_discussed and d.patient_questions
            # Red flags are never treated in the demo; stale labs only with a written reason.
            assert not history.red_flags
            for override in t.overrides:
                assert len(override.reason) > 40
                assert all("older than 6 months" in r for r in override.blocking_reasons)
    assert seen


def test_every_treatment_field_is_filled_and_plausible(demo: Demo) -> None:
    overrides = 0
    for p in demo.patients():
        for t in demo.services.clinical.treatments(demo.clinician, p.id):
            d = t.details
            overrides += bool(t.overrides)
            assert 2 <= d.punches <= 5 and d.punch_diameter_mm == 2.5
            assert d.donor_site == "Occipital scalp"
            assert "CE-marked" in d.kit_name and d.kit_lot.startswith("RGK-")
            assert d.anaesthetic_name.startswith("Lidocaine 2% with adrenaline")
            assert 1 <= d.anaesthetic_dose <= 5 and d.anaesthetic_lot
            assert d.treated_zones and d.injection_points and d.duration_minutes
            assert d.suspension_volume_ml > 0 and d.haemostasis and d.aftercare_sheet_given
            assert d.clinician_id == d.consent_taken_by_id == demo.clinician.id
            assert TODAY - d.treated_on <= timedelta(days=TREATED_WITHIN_DAYS)
    assert overrides >= 1  # a stale-labs override with its reason


def test_several_patients_share_a_kit_lot_and_the_look_up_finds_them(demo: Demo) -> None:
    lots: Counter[str] = Counter()
    for p in demo.patients():
        for t in demo.services.clinical.treatments(demo.clinician, p.id):
            lots[t.details.kit_lot] += 1
    lot, count = lots.most_common(1)[0]
    assert count >= 3
    found = demo.services.clinical.patients_for_lot(demo.clinician, lot)
    assert len({m.patient_id for m in found}) == count


def test_baselines_are_on_or_just_before_the_treatment_with_the_pattern_regions(
    demo: Demo,
) -> None:
    for p in demo.patients():
        treatments = demo.services.clinical.treatments(demo.clinician, p.id)
        assessments = demo.services.assessments.list_for_patient(demo.clinician, p.id)
        if not treatments:
            assert not assessments
            continue
        treated_on = treatments[0].details.treated_on
        baseline = assessments[0]
        assert 0 <= (treated_on - baseline.visit_date).days <= 3
        regions = {m.region for m in baseline.details.regions}
        core = {Region.FRONTAL, Region.MID_SCALP, Region.VERTEX, Region.OCCIPITAL}
        temples = {Region.TEMPORAL_LEFT, Region.TEMPORAL_RIGHT}
        assert regions == (core | temples if p.sex is Sex.MALE else core)
        for zone in treatments[0].details.treated_zones:
            assert Region(zone.value) in regions
        for a in assessments:
            assert a.visit_date <= TODAY
            assert a.details.treatment_id == treatments[0].id


def test_every_value_is_within_its_bounds_and_realistic(demo: Demo) -> None:
    for p in demo.patients():
        for a in demo.services.assessments.list_for_patient(demo.clinician, p.id):
            for m in a.details.regions:
                for measure in MEASURES:
                    value = m.value(measure.name)
                    if value is not None:
                        assert measure.low <= value <= measure.high, (measure.name, value)
                assert m.terminal_density + m.vellus_density <= m.total_density
                assert m.measurement_site
                if m.region is Region.OCCIPITAL:
                    assert 170 <= m.total_density <= 240
                    assert 60 <= m.mean_diameter_um <= 85
                else:
                    assert 110 <= m.total_density <= 200
                    assert 50 <= m.mean_diameter_um <= 75
                    assert 10 <= m.thin_hairs_pct <= 50


def test_about_two_thirds_respond_and_the_reference_stays_stable(demo: Demo) -> None:
    responders = non_responders = 0
    for p in demo.patients():
        for t in demo.services.clinical.treatments(demo.clinician, p.id):
            report = demo.services.assessments.baseline_report(
                demo.clinician, p.id, treatment_id=t.id
            )
            zones = {z.value for z in t.details.treated_zones}
            for visit in report.visits:
                for change in visit.regions:
                    if change.region is Region.OCCIPITAL:
                        density = change.changes["total_density"].absolute
                        assert density is not None and abs(density) <= 2.5
                    assert change.matched_site
            six_months = [
                v for v in report.visits if 150 <= v.days_after_baseline <= 220
            ]  # the primary end point
            if not six_months:
                continue
            treated = [r for r in six_months[0].regions if r.region.value in zones]
            density = [r.changes["total_density"].absolute or 0.0 for r in treated]
            diameter = [r.changes["mean_diameter_um"].absolute or 0.0 for r in treated]
            mean_density = sum(density) / len(density)
            mean_diameter = sum(diameter) / len(diameter)
            if mean_density >= 2.5:
                responders += 1
                assert mean_density <= 11 and 0.2 <= mean_diameter <= 2.6
            else:
                non_responders += 1
                assert -4.5 <= mean_density <= 2.5 and mean_diameter <= 0.7
    assert responders >= 2 and non_responders >= 1
    assert responders > non_responders


def test_the_outcomes_audit_has_a_realistic_spread(demo: Demo) -> None:
    """On first open the outcomes screen has something to show: enough patients judged at 6
    months for a percentage, about two thirds of them responders, some lost to follow-up
    (missed or cancelled after dropping out) and some too early to tell."""
    overall = demo.services.outcomes.summary(demo.clinician).overall
    assert len(overall.evaluable) >= 10
    assert overall.rate is not None and 0.45 <= overall.rate <= 0.85
    assert overall.not_responded and overall.lost and overall.too_early


def test_follow_ups_in_the_past_were_attended_or_missed(demo: Demo) -> None:
    statuses: Counter[FollowUpStatus] = Counter()
    for p in demo.patients():
        for f in demo.services.clinical.follow_ups(demo.clinician, p.id):
            statuses[f.status] += 1
            if f.status in (FollowUpStatus.ATTENDED, FollowUpStatus.DID_NOT_ATTEND):
                assert f.booked_at is not None and f.booked_at.date() < TODAY
            if f.status is FollowUpStatus.BOOKED:
                assert f.booked_at is not None and f.booked_at.date() >= TODAY
            if f.due_on > TODAY + timedelta(days=40):
                assert f.status is FollowUpStatus.NOT_BOOKED
        attended = {
            f.booked_at.date()
            for f in demo.services.clinical.follow_ups(demo.clinician, p.id)
            if f.status is FollowUpStatus.ATTENDED
            and f.kind is not FollowUpKind.DONOR_CHECK
            and f.booked_at is not None
        }
        visits = [
            a.visit_date for a in demo.services.assessments.list_for_patient(demo.clinician, p.id)
        ]
        assert attended == set(visits[1:])  # one assessment per attended follow-up
    assert statuses[FollowUpStatus.ATTENDED] >= 20
    assert statuses[FollowUpStatus.DID_NOT_ATTEND] >= 1
    assert demo.services.clinical.due_and_overdue(demo.reception, TODAY)


def test_a_few_adverse_events_with_outcomes(demo: Demo) -> None:
    events = []
    for p in demo.patients():
        treatments = {t.id: t for t in demo.services.clinical.treatments(demo.clinician, p.id)}
        for e in demo.services.clinical.adverse_events(demo.clinician, p.id):
            events.append(e)
            d = e.details
            assert d.onset_on >= treatments[d.treatment_id].details.treated_on
            assert d.description and d.action_taken
            if d.outcome is AdverseEventOutcome.RESOLVED:
                assert d.outcome_on is not None and d.onset_on <= d.outcome_on <= TODAY
            else:
                assert d.outcome_on is None
    assert 1 <= len(events) <= PATIENTS // 4


def test_some_treated_patients_have_synthetic_photos_of_every_view_at_each_visit(
    demo: Demo,
) -> None:
    from PIL import Image

    from clinicdesk.domain.photos import View
    from clinicdesk.services.demo_photos import PHOTO_PATIENTS

    photos = demo.services.photos
    with_photos = []
    for patient in demo.patients():
        listed = photos.list_photos(demo.clinician, patient.id)
        if listed:
            with_photos.append((patient, listed))
    assert len(with_photos) == PHOTO_PATIENTS
    for patient, listed in with_photos:
        visits = {
            a.details.visit_date
            for a in demo.services.assessments.list_for_patient(demo.clinician, patient.id)
        }
        by_visit: dict[date, set[View | None]] = {}
        for photo in listed:
            by_visit.setdefault(photo.visit_date, set()).add(photo.view)
            # The camera's clock says the visit's morning; the image decodes.
            assert photo.taken_at.date() == photo.visit_date
        assert set(by_visit) == visits  # baseline and every follow-up assessed
        baseline = min(by_visit)
        assert by_visit[baseline] == set(View)  # the full set of views at baseline
        assert photos.missing_views(demo.clinician, patient.id, baseline) == []
        first = listed[0]
        with Image.open(io.BytesIO(photos.display(demo.clinician, first.id))) as shown:
            assert shown.size[0] > 0


def test_a_second_grader_has_graded_every_photo_pair_and_the_first_can_start(demo: Demo) -> None:
    from clinicdesk.services.demo_grading import GRADER, SECOND_GRADER

    grading = demo.services.photo_grading
    pairs = grading.all_pairs()
    assert len(pairs) >= 10  # the photographed patients' global views, baseline and end point
    second = demo.services.clinic.user(SECOND_GRADER[0])
    assert grading.session(second).pairs == ()
    assert grading.session(second).already_graded == len(pairs)
    first = demo.services.clinic.user(GRADER[0])
    assert len(grading.session(first).pairs) == len(pairs)
    assert grading.agreement(first) == []  # until the first grader grades
    # Every photographed patient's end-point assessment holds a blinded photo score.
    for patient_id in {p.patient_id for p in pairs}:
        after = {p.after.visit_date for p in pairs if p.patient_id == patient_id}
        [end] = [
            a
            for a in demo.services.assessments.list_for_patient(demo.clinician, patient_id)
            if a.visit_date in after
        ]
        assert end.details.photo_score_blinded and end.details.global_photo_score is not None
