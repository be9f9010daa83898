"""A clinic with many synthetic patients in a temporary data folder, made quickly.

Patients go in through ``PatientRepository.insert`` (the same row and FTS index writes that
``PatientService.register`` makes) inside a few large write transactions, from forms made by the
demo generator and validated by ``validate_patient``. The per-patient audit entry and the
per-call transaction that ``register`` adds are skipped: they cost time here and do not affect
what is measured (search and listing).

``cached_clinic`` keeps a built clinic in the system's temporary folder between runs (keyed by
the patient count, the seed and the code that shapes the data), and gives each run a copy of
it: running one benchmark again does not build 100,000 patients again.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from clinicdesk.domain.patient import validate_patient
from clinicdesk.paths import Paths
from clinicdesk.services.clinic import NewClinic
from clinicdesk.services.context import ClinicServices, create_clinic_storage, unlock_clinic
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


# The code whose changes make a cached clinic stale: this module, the demo forms, the schema.
_SHAPING = (
    Path(__file__),
    Path(__file__).parents[2] / "clinicdesk" / "services" / "demo.py",
    Path(__file__).parents[2] / "clinicdesk" / "storage" / "migrations.py",
    Path(__file__).parents[2] / "clinicdesk" / "storage" / "patients.py",
)
CACHE_ROOT = Path(tempfile.gettempdir()) / "clinicdesk-bench-cache"
_DONE = "bench-clinic.json"


def cache_dir(patients: int, seed: int = SEED) -> Path:
    digest = hashlib.sha256()
    for source in _SHAPING:
        digest.update(source.read_bytes())
    return CACHE_ROOT / f"{patients}-{seed}-{digest.hexdigest()[:12]}"


def cached_clinic(
    data_dir: Path, patients: int, *, seed: int = SEED, fresh: bool = False
) -> tuple[BenchClinic, bool]:
    """A copy, in ``data_dir``, of the clinic ``make_clinic`` makes, built once into the cache
    (``fresh`` builds it again); True when it came from the cache. The copy is signed in
    as the admin (the password hash is paid once per run)."""
    cached = cache_dir(patients, seed)
    hit = (cached / _DONE).exists() and not fresh
    if not hit:
        shutil.rmtree(cached, ignore_errors=True)
        building = cached.with_name(cached.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        clinic = make_clinic(building / "data", patients, seed=seed)
        clinic.services.close()
        (building / _DONE).write_text(json.dumps({"patients": clinic.patients}))
        for stale in CACHE_ROOT.glob(f"{patients}-{seed}-*"):  # older code's clinics
            if stale != building:
                shutil.rmtree(stale, ignore_errors=True)
        building.rename(cached)
    made = json.loads((cached / _DONE).read_text())["patients"]
    shutil.copytree(cached / "data", data_dir)
    paths = Paths(data_dir)
    signed = unlock_clinic(paths, "admin", BENCH_PASSWORD)
    return BenchClinic(paths, signed.services, signed.user, made), hit
