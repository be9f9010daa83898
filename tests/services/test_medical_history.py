"""Medical history and classification: saved as typed, removals archived, stale saves refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from clinicdesk.domain.medical import (
    HairTreatmentDrug,
    LabTest,
    MedicalHistory,
    RedFlagCode,
    TreatmentResponse,
    validate_medical_history,
)
from clinicdesk.domain.patient import Patient
from clinicdesk.errors import ConcurrentEdit, NotFound, ValidationError
from clinicdesk.services.context import ClinicServices
from tests.conftest import Clinic

TODAY = date.today()


@pytest.fixture
def patient(clinic: Clinic, patient_form: dict[str, str]) -> Patient:
    return clinic.services.patients.register(clinic.reception, patient_form)


def typed_history(version: int = 0) -> MedicalHistory:
    return validate_medical_history(
        treatments=[
            {
                "drug": "finasteride",
                "dose": "1 mg",
                "started_on": "01/02/2020",
                "stopped_on": "01/02/2021",
                "response": "partial",
                "side_effects": "low libido",
            },
            {"drug": "topical_minoxidil", "dose": "5%", "started_on": "2022-03-01"},
        ],
        red_flags=[
            {"code": "anticoagulant", "note": "apixaban 5 mg"},
            {"code": "keloid"},
        ],
        allergies=[{"substance": "Lidocaine", "reaction": "rash"}, {"substance": "Latex"}],
        medications=[{"name": "Levothyroxine", "dose": "50 mcg"}],
        labs=[
            {"test": "ferritin", "value": "35", "taken_on": "01/01/2024"},
            {"test": "tsh", "value": "2.1", "taken_on": "01/03/2024"},
        ],
        other={
            "pcos": True,
            "family_history": "Mother with thinning",
            "age_at_onset": "28",
            "expectations": "Hopes to stop further loss",
            "notes": "Line one\nLine two — Zoë's sister",
        },
        today=TODAY,
        version=version,
    )


def without_ids(history: MedicalHistory) -> MedicalHistory:
    return replace(
        history,
        treatments=tuple(replace(t, id=None) for t in history.treatments),
        red_flags=tuple(replace(f, id=None) for f in history.red_flags),
        allergies=tuple(replace(a, id=None) for a in history.allergies),
        medications=tuple(replace(m, id=None) for m in history.medications),
        labs=tuple(replace(lab, id=None) for lab in history.labs),
        version=0,
    )


def test_a_new_patient_has_an_empty_history(clinic: Clinic, patient: Patient) -> None:
    assert (
        clinic.services.patients.medical_history(clinic.clinician, patient.id) == MedicalHistory()
    )


def test_history_round_trips_every_section(clinic: Clinic, patient: Patient) -> None:
    service = clinic.services.patients
    typed = typed_history()
    saved = service.save_medical_history(clinic.clinician, patient.id, typed)
    assert saved.version == 1
    assert saved == service.medical_history(clinic.admin, patient.id)
    # Newest lab first; everything else in the order it was entered.
    expected = replace(typed, labs=tuple(reversed(typed.labs)))
    assert without_ids(saved) == expected
    assert all(item.id for item in (*saved.treatments, *saved.allergies, *saved.labs))
    assert saved.labs[0].test is LabTest.TSH and saved.labs[0].value == pytest.approx(2.1)
    assert saved.treatments[0].drug is HairTreatmentDrug.FINASTERIDE
    assert saved.treatments[0].response is TreatmentResponse.PARTIAL
    assert saved.has_flag(RedFlagCode.ANTICOAGULANT)
    assert saved.notes == "Line one\nLine two — Zoë's sister"


def test_a_second_save_changes_only_what_changed(clinic: Clinic, patient: Patient) -> None:
    service = clinic.services.patients
    db = clinic.services.db
    saved = service.save_medical_history(clinic.clinician, patient.id, typed_history())
    versions = dict(db.execute("SELECT id, version FROM allergies").fetchall())
    lidocaine, latex = saved.allergies
    edited = replace(saved, allergies=(replace(lidocaine, reaction="anaphylaxis"), latex))
    again = service.save_medical_history(clinic.clinician, patient.id, edited)
    assert again.version == 2
    assert [a.reaction for a in again.allergies] == ["anaphylaxis", ""]
    assert [a.id for a in again.allergies] == [lidocaine.id, latex.id]
    after = dict(db.execute("SELECT id, version FROM allergies").fetchall())
    assert after == {lidocaine.id: versions[lidocaine.id] + 1, latex.id: versions[latex.id]}


def test_removing_an_item_archives_it_and_never_deletes_it(
    clinic: Clinic, patient: Patient
) -> None:
    service = clinic.services.patients
    saved = service.save_medical_history(clinic.clinician, patient.id, typed_history())
    lidocaine, latex = saved.allergies
    keloid = saved.red_flags[1]
    trimmed = replace(saved, allergies=(latex,), red_flags=saved.red_flags[:1])
    after = service.save_medical_history(clinic.clinician, patient.id, trimmed)
    assert [a.substance for a in after.allergies] == ["Latex"]
    assert not after.has_flag(RedFlagCode.KELOID)
    rows = clinic.services.db.execute(
        "SELECT id, deleted_at, updated_by FROM allergies UNION ALL "
        "SELECT id, deleted_at, updated_by FROM red_flags"
    ).fetchall()
    archived = {r[0]: r for r in rows if r[1] is not None}
    assert set(archived) == {lidocaine.id, keloid.id}
    assert all(r[2] == clinic.clinician.id for r in archived.values())
    assert len(rows) == 4


def test_emptying_a_section_archives_all_of_it(clinic: Clinic, patient: Patient) -> None:
    service = clinic.services.patients
    saved = service.save_medical_history(clinic.clinician, patient.id, typed_history())
    after = service.save_medical_history(clinic.clinician, patient.id, replace(saved, labs=()))
    assert after.labs == ()
    live = clinic.services.db.execute(
        "SELECT count(*) FROM lab_results WHERE deleted_at IS NULL"
    ).fetchone()[0]
    assert live == 0


def test_a_stale_history_save_is_refused_and_the_first_save_kept(
    clinic: Clinic, patient: Patient
) -> None:
    service = clinic.services.patients
    opened = service.medical_history(clinic.clinician, patient.id)
    first = service.save_medical_history(clinic.clinician, patient.id, replace(opened, notes="A"))
    with pytest.raises(ConcurrentEdit) as caught:
        service.save_medical_history(
            clinic.clinician, patient.id, replace(opened, notes="B", allergies=first.allergies)
        )
    assert caught.value.theirs == first
    assert caught.value.mine.notes == "B"
    assert service.medical_history(clinic.clinician, patient.id) == first

    second = service.save_medical_history(clinic.clinician, patient.id, replace(first, notes="C"))
    with pytest.raises(ConcurrentEdit):
        service.save_medical_history(clinic.clinician, patient.id, replace(first, notes="D"))
    assert service.medical_history(clinic.clinician, patient.id).notes == second.notes == "C"


@pytest.fixture
def second_window(clinic: Clinic) -> Iterator[ClinicServices]:
    other = clinic.reopen()
    yield other
    other.close()


def test_two_clinicians_creating_the_first_history_at_once(
    clinic: Clinic, second_window: ClinicServices, patient: Patient
) -> None:
    mine = clinic.services.patients.medical_history(clinic.clinician, patient.id)
    theirs = second_window.patients.medical_history(clinic.clinician, patient.id)
    saved = second_window.patients.save_medical_history(
        clinic.clinician, patient.id, replace(theirs, notes="theirs")
    )
    with pytest.raises(ConcurrentEdit):
        clinic.services.patients.save_medical_history(
            clinic.clinician, patient.id, replace(mine, notes="mine")
        )
    assert clinic.services.patients.medical_history(clinic.clinician, patient.id) == saved


def test_history_of_an_unknown_patient_is_not_found(clinic: Clinic) -> None:
    with pytest.raises(NotFound):
        clinic.services.patients.save_medical_history(
            clinic.clinician, "no-such-patient", MedicalHistory()
        )
    with pytest.raises(NotFound):
        clinic.services.patients.medical_history(clinic.clinician, "no-such-patient")


def test_classifications_are_added_newest_first_and_removed(
    clinic: Clinic, patient: Patient
) -> None:
    service = clinic.services.patients
    service.add_classification(clinic.clinician, patient.id, "ludwig", "I", "01/01/2023")
    service.add_classification(clinic.clinician, patient.id, "sinclair", "3", "2024-06-01")
    listed = service.add_classification(
        clinic.clinician, patient.id, "savin", "Frontal", "01/03/2024", "frontal accentuation"
    )
    assert [c.label for c in listed] == ["Sinclair 3", "Savin Frontal", "Ludwig I"]
    assert listed[1].note == "frontal accentuation"
    assert service.classifications(clinic.admin, patient.id) == listed

    remaining = service.remove_classification(clinic.clinician, patient.id, listed[1])
    assert [c.label for c in remaining] == ["Sinclair 3", "Ludwig I"]
    deleted_at = clinic.services.db.execute(
        "SELECT deleted_at FROM classifications WHERE id = ?", [listed[1].id]
    ).fetchone()[0]
    assert deleted_at is not None
    with pytest.raises(ConcurrentEdit):
        service.remove_classification(clinic.clinician, patient.id, listed[1])


def test_invalid_classification_is_refused_with_the_field(clinic: Clinic, patient: Patient) -> None:
    service = clinic.services.patients
    with pytest.raises(ValidationError) as caught:
        service.add_classification(clinic.clinician, patient.id, "ludwig", "IV", "01/01/2024")
    assert list(caught.value.errors) == ["grade"]
    assert service.classifications(clinic.clinician, patient.id) == []


def test_an_assessment_before_birth_is_refused_at_the_date_field(
    clinic: Clinic, patient: Patient
) -> None:
    # The patient was born on 03/07/1985; the classification tab shows errors["assessed_on"]
    # under its date field.
    service = clinic.services.patients
    with pytest.raises(ValidationError) as caught:
        service.add_classification(clinic.clinician, patient.id, "ludwig", "II", "02/07/1985")
    assert caught.value.errors == {"assessed_on": "is before the patient's date of birth"}
    assert "before the patient's date of birth" in caught.value.message
    assert service.classifications(clinic.clinician, patient.id) == []
    born_that_day = service.add_classification(
        clinic.clinician, patient.id, "ludwig", "II", "03/07/1985"
    )
    assert [c.assessed_on for c in born_that_day] == [date(1985, 7, 3)]


def history_with_dates(
    treatments: list[tuple[str, str]], labs: list[str], version: int = 0
) -> MedicalHistory:
    """A history whose treatment rows start and stop, and lab rows were taken, on these dates."""
    return validate_medical_history(
        treatments=[
            {"drug": "finasteride", "started_on": started, "stopped_on": stopped}
            for started, stopped in treatments
        ],
        labs=[{"test": "ferritin", "value": "40", "taken_on": taken} for taken in labs],
        today=TODAY,
        version=version,
    )


def test_history_dates_before_birth_are_refused_at_their_row_and_cell(
    clinic: Clinic, patient: Patient
) -> None:
    # Born 03/07/1985. Keys match the domain's, so the form marks exactly the wrong cells.
    service = clinic.services.patients
    history = history_with_dates(
        treatments=[
            ("01/02/2020", "01/02/2021"),
            ("01/01/1980", "02/07/1985"),
            ("", "01/01/1984"),
            ("03/07/1985", ""),
        ],
        labs=["01/01/2024", "31/12/1979", "03/07/1985"],
    )
    with pytest.raises(ValidationError) as caught:
        service.save_medical_history(clinic.clinician, patient.id, history)
    before_birth = "is before the patient's date of birth"
    assert caught.value.errors == {
        "treatments[1].started_on": before_birth,
        "treatments[1].stopped_on": before_birth,
        "treatments[2].stopped_on": before_birth,
        "labs[1].taken_on": before_birth,
    }
    assert before_birth in caught.value.message
    # Nothing of the refused save was stored.
    assert service.medical_history(clinic.clinician, patient.id) == MedicalHistory()
    db = clinic.services.db
    assert db.execute("SELECT count(*) FROM hair_treatments").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM lab_results").fetchone()[0] == 0


def test_an_edited_history_is_checked_against_the_date_of_birth_too(
    clinic: Clinic, patient: Patient
) -> None:
    service = clinic.services.patients
    saved = service.save_medical_history(
        clinic.clinician, patient.id, history_with_dates([("01/02/2020", "")], ["01/01/2024"])
    )
    (lab,) = saved.labs
    edited = replace(saved, labs=(lab, replace(lab, id=None, taken_on=date(1985, 7, 2))))
    with pytest.raises(ValidationError) as caught:
        service.save_medical_history(clinic.clinician, patient.id, edited)
    assert list(caught.value.errors) == ["labs[1].taken_on"]
    assert service.medical_history(clinic.clinician, patient.id) == saved


def test_a_later_date_of_birth_makes_old_entries_wrong_on_the_next_save(
    clinic: Clinic, patient: Patient
) -> None:
    # The date of birth is corrected after the history was recorded: the next save of the
    # history points at the entries that now predate it instead of storing them silently.
    service = clinic.services.patients
    saved = service.save_medical_history(
        clinic.clinician, patient.id, history_with_dates([("01/02/2020", "")], ["01/01/2024"])
    )
    form = patient.details.as_form() | {"date_of_birth": "01/06/2021"}
    service.update(clinic.reception, patient.id, patient.version, form)
    with pytest.raises(ValidationError) as caught:
        service.save_medical_history(clinic.clinician, patient.id, replace(saved, notes="x"))
    assert caught.value.errors == {
        "treatments[0].started_on": "is before the patient's date of birth"
    }
