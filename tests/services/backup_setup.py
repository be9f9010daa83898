"""A small demo clinic for the backup and restore tests (services, CLI, reliability), built
once per module and copied for each test, with its recovery key (the demo discards the one
made at creation, so an administrator's replacement is made here, as Admin would)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from clinicdesk import app
from clinicdesk.paths import Paths
from clinicdesk.services import clinic as clinic_service
from clinicdesk.services.context import ClinicServices, open_clinic, unlock_clinic
from clinicdesk.services.demo import DEMO_PASSWORD, create_demo_clinic
from clinicdesk.storage import keys
from clinicdesk.storage.database import open_database

TODAY = date(2026, 6, 15)
PATIENTS = 6


@dataclass(frozen=True)
class DemoSource:
    data_dir: Path
    data_key: bytes
    recovery_key: str

    def copy(self, target: Path) -> DemoCopy:
        shutil.copytree(self.data_dir, target)
        return DemoCopy(Paths(target), self.data_key, self.recovery_key)


@dataclass(frozen=True)
class DemoCopy:
    paths: Paths
    data_key: bytes
    recovery_key: str

    def open(self) -> ClinicServices:
        return open_clinic(
            self.paths,
            lambda: TODAY,
            data_key=self.data_key,
            keyring=keys.KeyRing.load(self.paths.keyring),
        )


def build_demo(data_dir: Path) -> DemoSource:
    with pytest.MonkeyPatch.context() as mp:  # cheap hashing, as tests/conftest.py does
        mp.setattr(
            clinic_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        mp.setattr(keys, "KDF", keys.KdfParameters(time_cost=1, memory_cost=8, parallelism=1))
        create_demo_clinic(Paths(data_dir), patients=PATIENTS, seed=7, today=lambda: TODAY)
        signed = unlock_clinic(Paths(data_dir), "admin", DEMO_PASSWORD, today=lambda: TODAY)
        services = signed.services
        try:
            assert services.keyring is not None and services.data_key is not None
            recovery_key = services.keyring.replace_recovery_key(services.data_key)
            services.keyring.save()
            # A photo shown once: the display cache exists, as in a clinic in use.
            clinician = services.clinic.user("clinician")
            photo = services.db.execute("SELECT id FROM photos LIMIT 1").fetchone()
            if photo is not None:
                services.photos.thumbnail(clinician, photo[0])
            return DemoSource(data_dir, services.data_key, recovery_key)
        finally:
            services.close()


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSource]:
    yield build_demo(tmp_path_factory.mktemp("backup-demo") / "data")


def all_rows(paths: Paths, key: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, by table."""
    db = open_database(paths.database, key)
    try:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND sql NOT LIKE 'CREATE VIRTUAL%'"
            )
        ]
        return {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        db.close()


def schema(paths: Paths, key: bytes) -> list[tuple[Any, ...]]:
    db = open_database(paths.database, key)
    try:
        return sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
    finally:
        db.close()


def file_hashes(paths: Paths) -> dict[str, str]:
    """sha256 of every photo and consent file and of the key ring, by path in the folder."""
    found = {}
    for folder in (paths.photos_dir, paths.consent_files_dir):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                found[str(path.relative_to(paths.data_dir))] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    found["keyring.json"] = hashlib.sha256(paths.keyring.read_bytes()).hexdigest()
    return found


@contextlib.contextmanager
def fresh_start(data_dir: Path) -> Iterator[Paths]:
    """The data folder as the first-run screen finds it on a new PC: ``Paths.ensure`` made
    ``backups`` and ``logs``, and the log file is open and written, as ``app.main`` leaves it."""
    paths = Paths(data_dir)
    paths.ensure()
    app.setup_logging(paths)
    logging.getLogger("clinicdesk.test").info("ClinicDesk starting (gui)")
    try:
        yield paths
    finally:
        root = logging.getLogger("clinicdesk")
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()


def folder_listing(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder under ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def clinicdesk_verify(paths: Paths, username: str = "admin", password: str = DEMO_PASSWORD) -> str:
    """``clinicdesk --data-dir DIR --user admin verify`` as an administrator types it: its output
    when it exits 0 (all is well); otherwise the test fails with what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with (
        pytest.MonkeyPatch.context() as mp,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        mp.setenv("CLINICDESK_PASSWORD", password)
        code = app.main(["--data-dir", str(paths.data_dir), "--user", username, "verify"])
    assert code == 0, out.getvalue() + err.getvalue()
    return out.getvalue()
