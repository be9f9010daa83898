"""Shared fixtures: a throwaway clinic data folder with one user of each role.

Password hashing and the key ring's key derivation use cheap argon2 parameters here so hundreds
of tests stay fast; a test that checks the production parameters asks for
``production_password_hashing``. Clinics are made the way the app makes them: encrypted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from clinicdesk.domain.roles import Role
from clinicdesk.paths import Paths
from clinicdesk.services import clinic as clinic_service
from clinicdesk.services.clinic import NewClinic
from clinicdesk.services.context import ClinicServices, create_clinic_storage, open_clinic
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import keys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
PASSWORD = "correct horse"


@pytest.fixture(autouse=True)
def fast_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "production_password_hashing" in request.fixturenames:
        return
    monkeypatch.setattr(
        clinic_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    monkeypatch.setattr(keys, "KDF", keys.KdfParameters(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def production_password_hashing() -> None:
    """Marker fixture: keep the real argon2 parameters for this test."""


@pytest.fixture(autouse=True)
def no_real_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Tests never touch the real user data folder, even by accident.
    monkeypatch.setenv("CLINICDESK_DATA_DIR", str(tmp_path / "default-data-dir"))
    monkeypatch.delenv("CLINICDESK_PASSWORD", raising=False)


@dataclass
class Clinic:
    paths: Paths
    services: ClinicServices
    admin: CurrentUser
    clinician: CurrentUser
    reception: CurrentUser
    recovery_key: str

    @property
    def key(self) -> bytes:
        """The clinic's data key, to open a second connection as another workstation would."""
        assert self.services.data_key is not None
        return self.services.data_key

    def reopen(self) -> ClinicServices:
        """Another connection to the same clinic (the caller closes it)."""
        return open_clinic(self.paths, data_key=self.key, keyring=self.services.keyring)


def make_clinic(data_dir: Path) -> Clinic:
    paths = Paths(data_dir)
    created = create_clinic_storage(
        paths,
        NewClinic(
            "Test Clinic", "Main clinic", ["Satellite clinic"], "admin", "Ada Admin", PASSWORD
        ),
    )
    services, admin = created.services, created.user
    assert created.recovery_key is not None
    clinician = services.clinic.add_user(
        admin, "clinician", "Dr Cara Clinician", Role.CLINICIAN, PASSWORD, "GMC 1234567"
    )
    reception = services.clinic.add_user(
        admin, "reception", "Rex Reception", Role.RECEPTION, PASSWORD
    )
    return Clinic(paths, services, admin, clinician, reception, created.recovery_key)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    made = make_clinic(tmp_path / "clinic")
    yield made
    made.services.close()


VALID_PATIENT = {
    "title": "Ms",
    "first_name": "Siobhán",
    "last_name": "O'Brien",
    "date_of_birth": "03/07/1985",
    "sex": "F",
    "phone": "07700 900123",
    "email": "siobhan@example.com",
    "postcode": "sw1a 1aa",
    "nhs_number": "943 476 5919",
}


@pytest.fixture
def patient_form() -> dict[str, str]:
    return dict(VALID_PATIENT)


def _loads_apsw(item: pytest.Item) -> bool:
    """The sync engine's tests, and those that build hubs with it, load APSW: a second SQLite
    library in the process (the program itself only ever loads it in its own sync process)."""
    parts = item.path.parts
    return "sync" in parts or item.path.name == "test_bench_imports.py"


@pytest.hookimpl(tryfirst=True)  # marked before ``-m`` selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Those tests run last, so no other test runs beside APSW, as none does in the program;
    they are marked ``apsw`` so ``make test`` can run them in processes of their own after
    the rest (``-m "not apsw"``, then ``-m apsw``) when it spreads tests over the cores."""
    for item in items:
        if _loads_apsw(item):
            item.add_marker(pytest.mark.apsw)
    items.sort(key=_loads_apsw)  # stable: otherwise in the usual order
