"""Medical history validation (per-row error keys) and the red-flag banner."""

from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.domain.medical import (
    Allergy,
    HairTreatmentDrug,
    LabResult,
    LabTest,
    MedicalHistory,
    RedFlag,
    RedFlagCode,
    TreatmentResponse,
    banner_items,
    dates_before_birth,
    lab_warnings,
    validate_medical_history,
)
from clinicdesk.errors import ValidationError

TODAY = date(2026, 6, 1)


def test_a_full_form_becomes_a_history() -> None:
    history = validate_medical_history(
        treatments=[
            {
                "drug": "finasteride",
                "dose": "1 mg daily",
                "started_on": "01/02/2020",
                "stopped_on": "2021-03-04",
                "response": "partial",
                "side_effects": "reduced libido",
            },
            {"drug": "topical_minoxidil", "started_on": "", "response": ""},
        ],
        red_flags=[{"code": "anticoagulant", "note": "apixaban"}],
        allergies=[{"substance": "Lidocaine", "reaction": "rash"}],
        medications=[{"name": "Levothyroxine", "dose": "50 mcg"}],
        labs=[{"test": "ferritin", "value": " 45.5 ", "taken_on": "01/05/2026"}],
        other={"pcos": True, "iron_deficiency": "0", "age_at_onset": "23", "notes": "a\r\nb"},
        today=TODAY,
    )
    first, second = history.treatments
    assert first.drug is HairTreatmentDrug.FINASTERIDE
    assert first.started_on == date(2020, 2, 1) and first.stopped_on == date(2021, 3, 4)
    assert first.response is TreatmentResponse.PARTIAL and not first.current
    assert second.response is TreatmentResponse.NOT_KNOWN and second.current
    assert history.has_flag(RedFlagCode.ANTICOAGULANT)
    assert history.labs == (LabResult(LabTest.FERRITIN, 45.5, date(2026, 5, 1)),)
    assert history.pcos and not history.iron_deficiency
    assert history.age_at_onset == 23
    assert history.notes == "a\nb"


def test_errors_are_keyed_by_row_and_column() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_medical_history(
            treatments=[
                {"drug": "finasteride", "started_on": "01/01/2020"},
                {"drug": "snake oil", "started_on": "31/02/2020"},
                {"drug": "prp", "started_on": "01/01/2021", "stopped_on": "01/01/2020"},
                {"drug": "prp", "started_on": "01/01/2030"},
            ],
            red_flags=[{"code": "pregnancy"}, {"code": "pregnancy"}, {"code": "headache"}],
            allergies=[{"substance": "latex"}, {"substance": "  ", "reaction": "hives"}],
            medications=[{"name": ""}],
            labs=[
                {"test": "ferritin", "value": "abc", "taken_on": "01/01/2026"},
                {"test": "tsh", "value": "900", "taken_on": "01/01/2026"},
                {"test": "vitamin_d", "value": "50", "taken_on": ""},
                {"test": "unicorn", "value": "", "taken_on": "01/01/2026"},
            ],
            other={"age_at_onset": "200", "notes": "x" * 5000},
            today=TODAY,
        )
    errors = caught.value.errors
    assert set(errors) == {
        "treatments[1].drug",
        "treatments[1].started_on",
        "treatments[2].stopped_on",
        "treatments[3].started_on",
        "red_flags[1].code",
        "red_flags[2].code",
        "allergies[1].substance",
        "medications[0].name",
        "labs[0].value",
        "labs[1].value",
        "labs[2].taken_on",
        "labs[3].test",
        "labs[3].value",
        "age_at_onset",
        "notes",
    }
    assert errors["treatments[2].stopped_on"] == "is before the start date"
    assert errors["treatments[3].started_on"] == "is in the future"
    assert errors["red_flags[1].code"] == "is listed twice"
    assert errors["labs[0].value"] == "must be a number"
    assert "between 0 and 200" in errors["labs[1].value"]
    assert "too long" in errors["notes"]


def test_an_empty_form_is_an_empty_history() -> None:
    assert validate_medical_history(today=TODAY) == MedicalHistory()


def test_row_ids_are_kept_so_a_save_changes_only_what_changed() -> None:
    history = validate_medical_history(
        allergies=[{"id": "a1", "substance": "Latex"}], today=TODAY, version=3
    )
    assert history.allergies[0].id == "a1"
    assert history.version == 3


def test_banner_puts_allergies_then_bleeding_risk_and_pregnancy_first() -> None:
    history = MedicalHistory(
        red_flags=(
            RedFlag(RedFlagCode.KELOID),
            RedFlag(RedFlagCode.PREGNANCY, "12 weeks"),
            RedFlag(RedFlagCode.LATEX_ALLERGY),
            RedFlag(RedFlagCode.ANTICOAGULANT, "warfarin"),
            RedFlag(RedFlagCode.BLEEDING_DISORDER),
        ),
        allergies=(Allergy("Lidocaine", "anaphylaxis"), Allergy("Chlorhexidine")),
    )
    items = banner_items(history)
    assert [i.text for i in items] == [
        "Allergy: Lidocaine (anaphylaxis)",
        "Allergy: Chlorhexidine",
        "Anticoagulant / antiplatelet: warfarin",
        "Bleeding disorder",
        "Pregnant or breastfeeding: 12 weeks",
        "Allergy to latex",
        "Keloid tendency",
    ]
    severity = {i.text: i.severity for i in items}
    assert severity["Allergy: Chlorhexidine"] == "danger"
    assert severity["Anticoagulant / antiplatelet: warfarin"] == "danger"
    assert severity["Allergy to latex"] == "danger"
    assert severity["Keloid tendency"] == "warning"


def test_no_history_no_banner() -> None:
    assert banner_items(MedicalHistory()) == []


def test_lab_warnings_for_missing_and_old_ferritin_and_tsh() -> None:
    history = MedicalHistory(
        labs=(
            LabResult(LabTest.FERRITIN, 40, date(2025, 1, 1)),
            LabResult(LabTest.FERRITIN, 40, date(2026, 5, 1)),
        )
    )
    assert lab_warnings(history, TODAY) == ["No TSH result on record"]
    assert lab_warnings(history, date(2025, 8, 1)) == [
        "Ferritin result is older than 6 months",
        "No TSH result on record",
    ]


def test_dates_before_birth_are_keyed_by_position_in_the_history() -> None:
    history = validate_medical_history(
        treatments=[
            {"drug": "prp", "started_on": "01/01/2000"},
            {"drug": "prp", "started_on": "31/12/1989", "stopped_on": "01/01/1990"},
        ],
        labs=[
            {"test": "tsh", "value": "2", "taken_on": "01/01/1990"},
            {"test": "tsh", "value": "2", "taken_on": "01/01/1970"},
        ],
        today=TODAY,
    )
    assert dates_before_birth(history, date(1990, 1, 1)) == {
        "treatments[1].started_on": "is before the patient's date of birth",
        "labs[1].taken_on": "is before the patient's date of birth",
    }
    assert dates_before_birth(history, date(1960, 1, 1)) == {}
