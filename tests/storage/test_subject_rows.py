"""The rows a subject access export holds are found from the schema: a table added later with a
foreign key to the patient (or to one of the patient's records) joins by itself, archived rows
included, and no other patient's rows come with them."""

from __future__ import annotations

from clinicdesk.storage.subject_rows import patient_rows
from tests.conftest import VALID_PATIENT, Clinic


def test_a_new_table_joins_the_export_by_its_foreign_key(clinic: Clinic) -> None:
    services = clinic.services
    mine = services.patients.register(clinic.reception, dict(VALID_PATIENT))
    other = services.patients.register(
        clinic.reception, dict(VALID_PATIENT) | {"first_name": "Other", "nhs_number": ""}
    )
    db = services.db
    db.execute(
        "CREATE TABLE wigs (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL REFERENCES "
        "patients(id), colour TEXT, deleted_at TEXT) STRICT"
    )
    db.execute(
        "CREATE TABLE wig_fittings (id TEXT PRIMARY KEY, wig_id TEXT NOT NULL REFERENCES "
        "wigs(id), fitted_on TEXT, photo BLOB) STRICT"
    )
    db.execute("INSERT INTO wigs VALUES ('w1', ?, 'auburn', '2025-01-01T00:00:00.000Z')", [mine.id])
    db.execute("INSERT INTO wigs VALUES ('w2', ?, 'grey', NULL)", [other.id])
    db.execute("INSERT INTO wig_fittings VALUES ('f1', 'w1', '2025-01-02', x'00ff')")
    db.execute("INSERT INTO wig_fittings VALUES ('f2', 'w2', '2025-01-03', NULL)")

    rows = patient_rows(db, mine.id)
    assert next(iter(rows)) == "patients" and [r["id"] for r in rows["patients"]] == [mine.id]
    assert rows["wigs"] == [
        {
            "id": "w1",
            "patient_id": mine.id,
            "colour": "auburn",
            "deleted_at": "2025-01-01T00:00:00.000Z",  # archived rows are still held
        }
    ]
    assert rows["wig_fittings"] == [
        {"id": "f1", "wig_id": "w1", "fitted_on": "2025-01-02", "photo": {"base64": "AP8="}}
    ]
    assert "patient_search_rows" not in rows and "audit_log" not in rows
    assert patient_rows(db, "no-such-patient") == {}
