from tests.conftest import Clinic


def test_registered_patient_is_found_by_name(clinic: Clinic, patient_form: dict[str, str]) -> None:
    patient = clinic.services.patients.register(clinic.reception, patient_form)
    results = clinic.services.patients.search(clinic.reception, "o'brien")
    assert [r.id for r in results] == [patient.id]
