"""A clinic with many synthetic patients in a temporary data folder, made quickly.

Patients go in through ``PatientRepository.insert`` (the same row and FTS index writes that
``PatientService.register`` makes) inside a few large write transactions, from forms made by the
demo generator and validated by ``validate_patient``. The per-patient audit entry and the
per-call transaction that ``register`` adds are skipped: they cost time here and do not affect
what is measured (search and listing).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from clinicdesk.domain.patient import validate_patient
from clinicdesk.paths import Paths
from clinicdesk.services.clinic import NewClinic
from clinicdesk.services.context import ClinicServices, create_clinic_storage
from clinicdesk.services.demo import demo_patient_form
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage.database import write_transaction
from clinicdesk.storage.patients import PatientRepository

# A fixed "today" and seed: the same patients on every run and every machine.
TODAY = date(2026, 11, 23)
SEED = 20261123
BATCH = 10_000
BENCH_PASSWORD = "bench-password"


@dataclass
class BenchClinic:
    paths: Paths
    services: ClinicServices
    user: CurrentUser
    patients: int


def make_clinic(data_dir: Path, patients: int, *, seed: int = SEED) -> BenchClinic:
    paths = Paths(data_dir)
    # Encrypted, as the app makes every clinic.
    created = create_clinic_storage(
        paths,
        NewClinic(
            "Bench Hair Clinic",
            "Main clinic",
            ["Satellite clinic"],
            "admin",
            "Bench Admin",
            BENCH_PASSWORD,
        ),
    )
    services, user = created.services, created.user
    rng = random.Random(seed)
    repo = PatientRepository(services.db)
    actor = user.actor
    made = 0
    while made < patients:
        with write_transaction(services.db):
            for _ in range(min(BATCH, patients - made)):
                details = validate_patient(demo_patient_form(rng, TODAY), today=TODAY)
                repo.insert(replace(details, home_site_id=user.site_id), actor)
                made += 1
    services.db.execute("PRAGMA optimize")
    return BenchClinic(paths, services, user, made)
