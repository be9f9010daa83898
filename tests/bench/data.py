"""A clinic with many synthetic patients in a temporary data folder, made quickly.

Patients go in through ``PatientRepository.insert`` (the same row and FTS index writes that
``PatientService.register`` makes) inside a few large write transactions, from forms made by the
demo generator and validated by ``validate_patient``. The per-patient audit entry and the
per-call transaction that ``register`` adds are skipped: they cost time here and do not affect
what is measured (search and listing).

One shortcut, explained in ``_NewRowsOnly``: before indexing a patient the repository deletes
that patient's old index row, and that DELETE scans the whole FTS table (``patient_id`` is an
UNINDEXED column), so bulk loading through it is quadratic (about 15 minutes for 100,000). For
brand-new ids that DELETE can only ever delete nothing, so the generator skips exactly that one
statement and keeps every other write the repository makes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from clinicdesk.domain.patient import validate_patient
from clinicdesk.paths import Paths
from clinicdesk.services.clinic import NewClinic
from clinicdesk.services.context import ClinicServices, open_clinic
from clinicdesk.services.demo import demo_patient_form
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage.database import write_transaction
from clinicdesk.storage.patients import PatientRepository

# A fixed "today" and seed: the same patients on every run and every machine.
TODAY = date(2026, 11, 23)
SEED = 20261123
BATCH = 10_000
BENCH_PASSWORD = "bench-password"


class _NewRowsOnly:
    """The database as the repository sees it while loading new patients: every statement runs
    as usual except the per-patient index DELETE, a no-op for a new id. If the repository's SQL
    changes so that the statement is never seen, loading stays correct and just gets slow;
    ``skipped`` tells the report which happened."""

    INDEX_DELETE = "DELETE FROM patient_search WHERE patient_id = ?"

    def __init__(self, db: Any) -> None:
        self._db = db
        self.skipped = 0

    def execute(self, sql: str, params: Any = None) -> Any:
        if sql == self.INDEX_DELETE:
            self.skipped += 1
            return None
        return self._db.execute(sql, params) if params is not None else self._db.execute(sql)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@dataclass
class BenchClinic:
    paths: Paths
    services: ClinicServices
    user: CurrentUser
    patients: int
    fast_path: bool


def make_clinic(data_dir: Path, patients: int, *, seed: int = SEED) -> BenchClinic:
    paths = Paths(data_dir)
    services = open_clinic(paths)
    user = services.clinic.create_clinic(
        NewClinic(
            "Bench Hair Clinic",
            "Main clinic",
            ["Satellite clinic"],
            "admin",
            "Bench Admin",
            BENCH_PASSWORD,
        )
    )
    rng = random.Random(seed)
    loading_db = _NewRowsOnly(services.db)
    repo = PatientRepository(loading_db)  # type: ignore[arg-type]
    actor = user.actor
    made = 0
    while made < patients:
        with write_transaction(services.db):
            for _ in range(min(BATCH, patients - made)):
                details = validate_patient(demo_patient_form(rng, TODAY), today=TODAY)
                repo.insert(replace(details, home_site_id=user.site_id), actor)
                made += 1
    services.db.execute("PRAGMA optimize")
    return BenchClinic(paths, services, user, made, loading_db.skipped == made)
