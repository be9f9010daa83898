"""RELIABILITY row 3: a database file damaged on disk (bit-rot, a bad sector, tampering).

The damage is made the way it happens: pages past the schema are overwritten with noise, while
the header and the schema still read, so the file opens and the error only appears when a query
reaches a damaged page. ClinicDesk must say the file is damaged and to restore a backup (not
report a bug), and must never back up or migrate a damaged file.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from clinicdesk.app import main
from clinicdesk.paths import Paths
from clinicdesk.services.context import open_clinic
from clinicdesk.storage import migrations as migrations_module
from clinicdesk.storage.database import StorageError, check_database, open_database
from clinicdesk.storage.migrations import MIGRATION_SET

DEMO_PATIENTS = "30"
DAMAGED = "is damaged or is not a ClinicDesk database. Restore the latest backup."


@pytest.fixture(scope="module")
def sound_clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo clinic's data folder, its database checkpointed into one self-contained file."""
    data_dir = tmp_path_factory.mktemp("sound") / "data"
    assert main(["--data-dir", str(data_dir), "demo", "--patients", DEMO_PATIENTS]) == 0
    database = Paths(data_dir).database
    conn = sqlite3.connect(database)
    try:
        # Everything into the main file, so damaging the file damages the data (nothing is
        # left in the WAL to paper over it) and the copy below is the whole database.
        assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    finally:
        conn.close()
    wal = database.with_name(database.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    return data_dir


def copy_of(sound: Path, target: Path) -> Paths:
    paths = Paths(target)
    paths.ensure()
    shutil.copyfile(Paths(sound).database, paths.database)
    return paths


def page_size(database: Path) -> int:
    size = int.from_bytes(database.read_bytes()[16:18], "big")
    return 65536 if size == 1 else size


def root_page(database: Path, table: str) -> int:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()
    finally:
        conn.close()
    assert row is not None and row[0] > 2
    return int(row[0])


def scribble(database: Path, pages: list[int], seed: int) -> None:
    """Overwrite whole ``pages`` (1-based, all past page 2) with seeded random bytes."""
    size = page_size(database)
    rng = random.Random(seed)
    data = bytearray(database.read_bytes())
    for page in pages:
        assert page > 2
        start = (page - 1) * size
        data[start : start + size] = rng.randbytes(size)
    database.write_bytes(bytes(data))


def damage_patient_rows(paths: Paths, seed: int = 3) -> None:
    """Noise over the page the patients table starts from: the file still opens and signs in
    (users and the schema are untouched), and the first query that reads patients fails."""
    scribble(paths.database, [root_page(paths.database, "patients")], seed)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_sound_database_passes_the_check(sound_clinic: Path, tmp_path: Path) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    db = open_database(paths.database)
    try:
        assert check_database(db) == []
    finally:
        db.close()


@pytest.mark.parametrize("seed", range(5))
def test_random_pages_scribbled_past_page_2_are_reported(
    sound_clinic: Path, tmp_path: Path, seed: int
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    size = page_size(paths.database)
    page_count = paths.database.stat().st_size // size
    rng = random.Random(seed)
    pages = sorted(rng.sample(range(3, page_count + 1), k=max(1, page_count // 20)))
    scribble(paths.database, pages, seed)
    try:
        db = open_database(paths.database)
    except StorageError as exc:
        # The noise hit a page of the schema, which opening the file already reads.
        assert DAMAGED in exc.message
        return
    try:
        problems = check_database(db)
    finally:
        db.close()
    assert problems, f"pages {pages} scribbled over and nothing reported"
    assert all(isinstance(p, str) and p for p in problems)


def test_damaged_patient_rows_are_reported_by_the_check(sound_clinic: Path, tmp_path: Path) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths)
    db = open_database(paths.database)  # the header and schema still read ...
    try:
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 3
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            db.execute("SELECT email FROM patients").fetchall()  # ... the patients do not
        assert check_database(db)
    finally:
        db.close()


@pytest.mark.parametrize(
    "command",
    [("patients", "search", "a"), ("patients", "search", "a", "--json")],
)
def test_cli_on_a_damaged_database_says_so_in_one_line(
    sound_clinic: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths)
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    code = main(["--data-dir", str(paths.data_dir), "--user", "reception", *command])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("clinicdesk: ")
    assert DAMAGED in lines[0]
    assert str(paths.database) in lines[0]
    assert "Traceback" not in captured.err and "a bug" not in captured.err
    log = (paths.logs_dir / "clinicdesk.log").read_text(encoding="utf-8")
    assert "DatabaseError" in log
    assert "Traceback" not in log and "malformed" not in log


def test_show_of_a_patient_on_a_damaged_database_exits_2(
    sound_clinic: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    conn = sqlite3.connect(paths.database)
    try:
        patient_id = conn.execute("SELECT id FROM patients LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    damage_patient_rows(paths)
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    argv = ["--data-dir", str(paths.data_dir), "--user", "clinician", "patients", "show"]
    code = main([*argv, patient_id])
    captured = capsys.readouterr()
    assert code == 2
    assert len(captured.err.splitlines()) == 1 and DAMAGED in captured.err


@pytest.fixture
def newer_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """This program plus one more migration, as the next release would ship it."""
    upgraded = Migrations(MIGRATION_SET)
    for existing in migrations_module.migrations._migrations:
        upgraded(name=existing.name)(existing.fn)

    @upgraded(name="0002_test_add_referrals")
    def _referrals(db: sqlite_utils.Database) -> None:
        db.execute("ALTER TABLE patients ADD COLUMN referral_source TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(migrations_module, "migrations", upgraded)


def test_a_damaged_database_is_neither_backed_up_nor_migrated(
    sound_clinic: Path, tmp_path: Path, newer_program: None
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths)
    before = digest(paths.database)
    with pytest.raises(StorageError, match="Restore the latest backup"):
        open_clinic(paths)
    assert list(paths.backups_dir.iterdir()) == []
    assert digest(paths.database) == before
    conn = sqlite3.connect(f"file:{paths.database}?mode=ro", uri=True)
    try:
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
    finally:
        conn.close()
    assert applied == ["0001_foundation"]


def test_a_sound_database_is_still_backed_up_and_migrated(
    sound_clinic: Path, tmp_path: Path, newer_program: None
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    services = open_clinic(paths)
    try:
        assert services.backup_before_migration is not None
        assert services.backup_before_migration.exists()
        assert "referral_source" in services.db["patients"].columns_dict
    finally:
        services.close()


def test_cli_on_a_damaged_database_that_needs_migrating_exits_2(
    sound_clinic: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    newer_program: None,
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths)
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    code = main(["--data-dir", str(paths.data_dir), "--user", "admin", "patients", "search", "a"])
    captured = capsys.readouterr()
    assert code == 2
    assert len(captured.err.splitlines()) == 1 and DAMAGED in captured.err
    assert list(paths.backups_dir.iterdir()) == []
