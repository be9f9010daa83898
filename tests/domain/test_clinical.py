"""Clinical records: validation bounds, the follow-up schedule and the eligibility check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clinicdesk.domain.clinical import (
    AdverseEventOutcome,
    Alternative,
    DoseUnit,
    EligibilityBlocked,
    MaterialRisk,
    RawValue,
    TreatedZone,
    clean_lot,
    eligibility_blockers,
    lot_key,
    validate_adverse_event,
    validate_consultation,
    validate_override_reason,
    validate_treatment,
)
from clinicdesk.domain.follow_ups import (
    FollowUpKind,
    FollowUpStatus,
    add_months,
    follow_up_schedule,
    parse_appointment,
    time_since_treatment,
)
from clinicdesk.domain.medical import LabResult, LabTest, MedicalHistory, RedFlag, RedFlagCode
from clinicdesk.errors import UserError, ValidationError

TODAY = date(2026, 3, 1)


def treatment(**changes: RawValue) -> dict[str, RawValue]:
    form: dict[str, RawValue] = {
        "treated_on": "31/01/2026",
        "site_id": "site-1",
        "clinician_id": "user-1",
        "consent_taken_by_id": "user-1",
        "punches": "3",
        "punch_diameter_mm": "2.5",
        "donor_site": "Occipital",
        "kit_name": "Rigenera",
        "kit_lot": "  KIT  001 ",
        "anaesthetic_name": "Lidocaine 2%",
        "anaesthetic_dose": "4",
        "anaesthetic_dose_unit": "mL",
        "anaesthetic_lot": "LD1",
        "suspension_volume_ml": "3",
        "treated_zones": "frontal, vertex",
        "injection_points": "50",
        "duration_minutes": "40",
        "aftercare_sheet_given": "yes",
    }
    form.update(changes)
    return form


def errors_of(form: dict[str, RawValue]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        validate_treatment(form, today=TODAY)
    return caught.value.errors


def test_a_valid_treatment_is_returned_in_stored_form() -> None:
    details = validate_treatment(treatment(), today=TODAY)
    assert details.treated_on == date(2026, 1, 31)
    assert details.kit_lot == "KIT 001"  # trimmed, inner whitespace made one space
    assert details.treated_zones == (TreatedZone.FRONTAL, TreatedZone.VERTEX)
    assert details.anaesthetic_dose_unit is DoseUnit.ML
    assert details.aftercare_sheet_given is True
    assert (details.punches, details.punch_diameter_mm) == (3, 2.5)


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("punches", ["1", "10"], ["0", "11", "2.5", "x", ""]),
        ("punch_diameter_mm", ["1.0", "4", "2,5"], ["0.9", "4.01", "abc", ""]),
        ("suspension_volume_ml", ["0.1", "20"], ["0", "20.5"]),
        ("injection_points", ["1", "500"], ["0", "501"]),
        ("duration_minutes", ["1", "480"], ["0", "481"]),
        ("anaesthetic_dose", ["0.1", "50"], ["0", "51"]),
    ],
)
def test_every_number_is_checked_at_its_bounds(field: str, good: list[str], bad: list[str]) -> None:
    for value in good:
        validate_treatment(treatment(**{field: value}), today=TODAY)
    for value in bad:
        assert field in errors_of(treatment(**{field: value})), (field, value)


def test_a_dose_in_mg_has_its_own_bounds() -> None:
    details = validate_treatment(
        treatment(anaesthetic_dose="80", anaesthetic_dose_unit="mg"),
        today=TODAY,
    )
    assert (details.anaesthetic_dose, details.anaesthetic_dose_unit) == (80, DoseUnit.MG)
    assert "anaesthetic_dose" in errors_of(treatment(anaesthetic_dose="80"))  # 80 mL: too much


def test_required_fields_lots_zones_and_dates_are_named() -> None:
    errors = errors_of(
        treatment(
            treated_on="",
            kit_lot="   ",
            anaesthetic_lot="",
            kit_name="",
            treated_zones=[],
            site_id="",
            consent_taken_by_id="",
        )
    )
    assert set(errors) >= {
        "treated_on",
        "kit_lot",
        "anaesthetic_lot",
        "kit_name",
        "treated_zones",
        "site_id",
        "consent_taken_by_id",
    }
    assert errors["treated_zones"] == "needs at least one zone"


def test_future_or_impossible_treatment_dates_are_refused() -> None:
    assert errors_of(treatment(treated_on="02/03/2026"))["treated_on"] == "is in the future"
    assert "real date" in errors_of(treatment(treated_on="30/02/2026"))["treated_on"]
    validate_treatment(treatment(treated_on="01/03/2026"), today=TODAY)


def test_unknown_zone_and_unit_are_refused() -> None:
    errors = errors_of(treatment(treated_zones=["frontal", "occipital"], anaesthetic_dose_unit="g"))
    assert "occipital" in errors["treated_zones"]
    assert errors["anaesthetic_dose_unit"] == "must be chosen from the list"


def test_lot_numbers_refuse_control_characters_and_overlong_text() -> None:
    assert "control character" in errors_of(treatment(kit_lot="AB\x00C"))["kit_lot"]
    assert "too long" in errors_of(treatment(anaesthetic_lot="9" * 61))["anaesthetic_lot"]
    assert lot_key(" ab-12 ") == lot_key("AB-12") == "ab-12"
    assert clean_lot("A    B") == "A B"


def consultation(**changes: RawValue) -> dict[str, RawValue]:
    form: dict[str, RawValue] = {
        "consulted_on": "01/02/2026",
        "site_id": "s",
        "clinician_id": "u",
        "presenting_complaint": "Diffuse thinning over the crown",
        "risks_discussed": ["failure_of_aim", "pain", "pain"],
        "alternatives_discussed": "no_treatment,minoxidil",
        "discussed_on": "01/02/2026",
        "decided_on": "15/02/2026",
        "classification_scale": "ludwig",
        "classification_grade": "II",
    }
    form.update(changes)
    return form


def test_consultation_codes_are_kept_once_in_list_order() -> None:
    details = validate_consultation(consultation(), today=TODAY)
    assert details.risks_discussed == (MaterialRisk.PAIN, MaterialRisk.FAILURE_OF_AIM)
    assert details.alternatives_discussed == (Alternative.MINOXIDIL, Alternative.NO_TREATMENT)
    assert details.classification_label == "Ludwig II"
    assert MaterialRisk.FAILURE_OF_AIM.label == "Failure to achieve the desired aim"


def test_consultation_decision_not_before_discussion_and_grades_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_consultation(
            consultation(decided_on="31/01/2026", classification_grade="VII", risks_discussed="x"),
            today=TODAY,
        )
    assert caught.value.errors == {
        "decided_on": "is before the date of the consent discussion",
        "classification_grade": "is not a Ludwig grade",
        "risks_discussed": "'x' is not one of the listed choices",
    }
    # The same day is fine; a grade without a scale is not.
    validate_consultation(consultation(decided_on="01/02/2026"), today=TODAY)
    with pytest.raises(ValidationError, match="classification scale"):
        validate_consultation(consultation(classification_scale=""), today=TODAY)


def test_adverse_event_outcome_dates() -> None:
    base: dict[str, RawValue] = {
        "treatment_id": "t",
        "onset_on": "10/02/2026",
        "event_type": "shedding",
        "severity": "mild",
    }
    event = validate_adverse_event(base, today=TODAY)
    assert event.outcome is AdverseEventOutcome.ONGOING
    with pytest.raises(ValidationError) as caught:
        validate_adverse_event(
            base | {"outcome": "resolved", "outcome_on": "09/02/2026", "severity": "bad"},
            today=TODAY,
        )
    assert caught.value.errors == {
        "severity": "must be chosen from the list",
        "outcome_on": "is before the onset",
    }
    with pytest.raises(ValidationError, match="description"):
        validate_adverse_event(base | {"event_type": "other"}, today=TODAY)


# -- the schedule, hand-checked ---------------------------------------------------------------


def test_schedule_from_31_january_clamps_to_month_ends() -> None:
    assert follow_up_schedule(date(2026, 1, 31)) == [
        (FollowUpKind.DONOR_CHECK, date(2026, 2, 7)),
        (FollowUpKind.MONTH_1, date(2026, 2, 28)),
        (FollowUpKind.MONTH_3, date(2026, 4, 30)),
        (FollowUpKind.MONTH_6, date(2026, 7, 31)),
        (FollowUpKind.MONTH_12, date(2027, 1, 31)),
    ]


def test_schedule_in_a_leap_year_and_across_the_year_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert FollowUpKind.DONOR_CHECK.due_after(date(2025, 12, 28)) == date(2026, 1, 4)


def test_open_statuses() -> None:
    assert {s for s in FollowUpStatus if s.open} == {
        FollowUpStatus.NOT_BOOKED,
        FollowUpStatus.BOOKED,
        FollowUpStatus.DID_NOT_ATTEND,
    }


def test_appointments_parse_uk_and_iso_with_a_time() -> None:
    assert parse_appointment("14/03/2026 09:30").isoformat() == "2026-03-14T09:30:00"
    assert parse_appointment("2026-03-14T16:05").isoformat() == "2026-03-14T16:05:00"
    for bad in ("14/03/2026", "14/03/2026 25:00", "31/02/2026 10:00", "soon"):
        with pytest.raises(ValidationError) as caught:
            parse_appointment(bad)
        assert set(caught.value.errors) == {"booked_at"}


# -- eligibility ------------------------------------------------------------------------------

ON = date(2026, 1, 31)
RECENT = (LabResult(LabTest.FERRITIN, 50, date(2025, 12, 1)), LabResult(LabTest.TSH, 2, ON))


def test_no_blockers_with_recent_labs_and_no_red_flags() -> None:
    assert eligibility_blockers(MedicalHistory(labs=RECENT), ON) == []


def test_red_flags_missing_or_stale_labs_and_consent_each_block() -> None:
    history = MedicalHistory(
        red_flags=(RedFlag(RedFlagCode.ANTICOAGULANT, "warfarin"), RedFlag(RedFlagCode.KELOID)),
        labs=(LabResult(LabTest.FERRITIN, 50, date(2025, 7, 1)),),
    )
    assert eligibility_blockers(history, ON, consent_blockers=["No signed consent."]) == [
        "Red flag: Anticoagulant / antiplatelet (warfarin).",
        "Red flag: Keloid tendency.",
        "Ferritin result is older than 6 months.",
        "No TSH result on record.",
        "No signed consent.",
    ]


def test_eligibility_blocked_is_a_user_error_listing_the_reasons() -> None:
    error = EligibilityBlocked(["Red flag: Keloid tendency."])
    assert isinstance(error, UserError)
    assert error.reasons == ["Red flag: Keloid tendency."]
    assert "Keloid" in error.message and "reason for the override" in error.message


def test_override_reason_needs_ten_characters() -> None:
    assert validate_override_reason("") == ""
    assert validate_override_reason("  Discussed with GP; INR in range  ").startswith("Discussed")
    with pytest.raises(ValidationError) as caught:
        validate_override_reason("ok")
    assert set(caught.value.errors) == {"override_reason"}


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (0, "treatment day"),
        (2, "2 days"),
        (7, "1 week"),  # the donor-site check
        (9, "1 week"),
        (14, "2 weeks"),
        (31, "1 month"),
        (92, "3 months"),
        (122, "4 months"),  # off the schedule: the nearest whole month
        (184, "6 months"),
        (200, "7 months"),
        (365, "12 months"),
        (-3, "before the treatment"),
    ],
)
def test_a_visit_is_named_by_the_time_since_the_treatment(days: int, label: str) -> None:
    treated_on = date(2025, 3, 10)
    assert time_since_treatment(treated_on, treated_on + timedelta(days=days)) == label
