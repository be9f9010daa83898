"""RELIABILITY row 26: the disk fills up while saving.

``PRAGMA max_page_count`` makes SQLite report SQLITE_FULL exactly as a full disk does. The save
must fail with a plain message, the database stay intact with everything committed before, and
saving work again once space is freed.
"""

from __future__ import annotations

import pytest

from clinicdesk.domain.medical import MedicalHistory
from clinicdesk.errors import UserError
from clinicdesk.storage import audit
from clinicdesk.storage.database import StorageError, integrity_ok
from tests.conftest import Clinic


def form(n: int) -> dict[str, str]:
    return {
        "first_name": f"Full{n}",
        "last_name": "Disk" + "x" * 50,
        "date_of_birth": "03/07/1985",
        "sex": "F",
        "email": f"full{n}@example.com",
        "address_line1": f"{n} High Street" + " " * 100 + "end",
    }


def test_disk_full_gives_a_clear_error_and_loses_nothing(clinic: Clinic) -> None:
    db = clinic.services.db
    service = clinic.services.patients
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 12}")

    saved = []
    with pytest.raises(StorageError) as caught:
        for n in range(10_000):
            saved.append(service.register(clinic.reception, form(n)).id)
    assert isinstance(caught.value, UserError)
    assert "disk is full" in caught.value.message
    assert "nothing was saved" in caught.value.message
    assert len(saved) > 5
    assert not db.conn.in_transaction

    assert integrity_ok(db)
    stored = [r[0] for r in db.execute("SELECT id FROM patients ORDER BY id")]
    assert stored == sorted(saved)  # every save that returned is there, the failed one is not
    assert db.execute("SELECT count(*) FROM patient_search").fetchone()[0] == len(saved)
    assert audit.verify_chain(db) == []
    creates = [e for e in audit.entries(db, entity="patient") if e.action == "create"]
    assert len(creates) == len(saved)

    # Still full: reading works, and trying the same save again fails the same clean way.
    assert len(service.search(clinic.reception, "Disk")) == len(saved)
    with pytest.raises(StorageError, match="disk is full"):
        service.register(clinic.reception, form(len(saved)))
    assert integrity_ok(db)
    assert service.count(clinic.reception) == len(saved)

    # Space is freed: the same connection carries on.
    db.execute("PRAGMA max_page_count = 1073741823")
    patient = service.register(clinic.reception, form(99_999))
    service.save_medical_history(clinic.clinician, patient.id, MedicalHistory(notes="after"))
    assert service.medical_history(clinic.clinician, patient.id).notes == "after"
    assert service.count(clinic.reception) == len(saved) + 1
    assert integrity_ok(db)
    assert audit.verify_chain(db) == []
