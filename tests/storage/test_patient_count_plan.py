"""The patient list's count line runs at start-up and whenever the search box is cleared, on
up to 100,000 patients: each of its queries must count an index (or look up the few restricted
records by id), never visit every patient row. A query that tests each row (``NOT IN``, a
filter on a column without its index) took 200 ms at start-up before this was checked."""

from __future__ import annotations

from typing import Any

import pytest

from clinicdesk.storage.patients import PatientRepository
from tests.conftest import Clinic


def plans_of_count(clinic: Clinic, include_archived: bool) -> list[str]:
    repo = PatientRepository(clinic.services.db)
    seen: list[str] = []
    real = repo.db.execute

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(repo.db, name)

        def execute(self, sql: str, *args: Any) -> Any:
            seen.append(sql)
            return real(sql, *args)

    repo.db = Recording()  # type: ignore[assignment]
    repo.count(include_archived=include_archived)
    plans = []
    for sql in seen:
        for row in clinic.services.db.execute(f"EXPLAIN QUERY PLAN {sql}"):
            plans.append(str(row[-1]))
    return plans


@pytest.mark.parametrize("include_archived", [False, True])
def test_counting_patients_never_visits_each_row(clinic: Clinic, include_archived: bool) -> None:
    plans = plans_of_count(clinic, include_archived)
    assert plans
    for detail in plans:
        if detail.startswith("SCAN patients"):
            # SQLite counts a covering index's size without reading its entries.
            assert "COVERING INDEX" in detail, plans
        # Walking the not-archived entries would visit nearly every patient.
        assert "(deleted_at=?)" not in detail, plans
        assert "CORRELATED" not in detail, plans  # a subquery run once per patient
