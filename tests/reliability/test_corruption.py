"""RELIABILITY row 3: a database file damaged on disk (bit-rot, a bad sector, tampering).

The damage is made the way it happens: pages past the schema are overwritten with noise, while
the header and the schema still read, so the file opens and the error only appears when a query
reaches a damaged page. ClinicDesk must say the file is damaged and to restore a backup (not
report a bug), and must never back up or migrate a damaged file.

The clinic is encrypted (SQLCipher), so every page carries a MAC: a scribbled page fails its
MAC check when read, which SQLCipher reports as a malformed database ("not a database" when
the page is the first one). The key is derived once per module from the demo password, as a
sign-in would; the tests then open the copies with the raw key.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils
from argon2 import PasswordHasher
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from clinicdesk.app import main
from clinicdesk.domain.ids import SiteId, UserId
from clinicdesk.domain.roles import Role
from clinicdesk.paths import Paths
from clinicdesk.services import clinic as clinic_service
from clinicdesk.services.context import SignedIn, check_db, open_clinic
from clinicdesk.services.demo import DEMO_PASSWORD
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import keys
from clinicdesk.storage import migrations as migrations_module
from clinicdesk.storage.database import StorageError, check_database, open_database
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.migrations import known_migration_names
from clinicdesk.ui.shell.application import check_database_later, open_main_window
from clinicdesk.ui.shell.main_window import MainWindow
from clinicdesk.ui.shell.sign_in import LoginDialog
from tests.storage.migration_sets import program_migrations

DEMO_PATIENTS = "30"
DEMO_USERS = 5  # admin, clinician, reception and the two photo graders
DAMAGED = "is damaged or is not a ClinicDesk database. Restore the latest backup."
# open_database's message when the key does not open page 1 (another clinic's file, or damage)
UNREADABLE = "cannot be opened with this clinic's key: it belongs to another clinic or is damaged"
# This program's migrations, read before a test adds a newer program's.
SHIPPED_MIGRATIONS = known_migration_names()


@dataclass(frozen=True)
class Sound:
    data_dir: Path
    key: bytes  # the clinic's data key


@pytest.fixture(scope="module")
def sound_clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sound]:
    """A demo clinic's data folder, its database checkpointed into one self-contained file."""
    with pytest.MonkeyPatch.context() as patch:  # the function-scoped cheap KDF is not on yet
        patch.setattr(clinic_service, "_hasher", PasswordHasher(1, 8, 1))
        patch.setattr(keys, "KDF", keys.KdfParameters(time_cost=1, memory_cost=8, parallelism=1))
        data_dir = tmp_path_factory.mktemp("sound") / "data"
        assert main(["--data-dir", str(data_dir), "demo", "--patients", DEMO_PATIENTS]) == 0
        key = keys.KeyRing.load(Paths(data_dir).keyring).unlock("admin", DEMO_PASSWORD)
    database = Paths(data_dir).database
    with keyed(database, key) as conn:
        # Everything into the main file, so damaging the file damages the data (nothing is
        # left in the WAL to paper over it) and the copy below is the whole database.
        assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    wal = database.with_name(database.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    yield Sound(data_dir, key)


@contextmanager
def keyed(database: Path, key: bytes, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A bare connection to the encrypted ``database`` (none of open_database's pragmas)."""
    uri = f"file:{database}?mode=ro" if read_only else f"file:{database}"
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        yield conn
    finally:
        conn.close()


def copy_of(sound: Sound, target: Path) -> Paths:
    """The database and its key ring, as a backup restored to another folder would be."""
    paths = Paths(target)
    paths.ensure()
    shutil.copyfile(Paths(sound.data_dir).database, paths.database)
    shutil.copyfile(Paths(sound.data_dir).keyring, paths.keyring)
    return paths


def page_size(database: Path, key: bytes) -> int:
    # SQLCipher encrypts the header too, so the size is asked through the key.
    with keyed(database, key, read_only=True) as conn:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])


def root_page(database: Path, key: bytes, table: str) -> int:
    with keyed(database, key, read_only=True) as conn:
        row = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()
    assert row is not None and row[0] > 2
    return int(row[0])


def scribble(database: Path, key: bytes, pages: list[int], seed: int) -> None:
    """Overwrite whole ``pages`` (1-based, all past page 2) with seeded random bytes."""
    size = page_size(database, key)
    rng = random.Random(seed)
    data = bytearray(database.read_bytes())
    for page in pages:
        assert page > 2
        start = (page - 1) * size
        data[start : start + size] = rng.randbytes(size)
    database.write_bytes(bytes(data))


def damage_patient_rows(paths: Paths, key: bytes, seed: int = 3) -> None:
    """Noise over the page the patients table starts from: the file still opens and signs in
    (users and the schema are untouched), and the first query that reads patients fails."""
    scribble(paths.database, key, [root_page(paths.database, key, "patients")], seed)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_sound_database_passes_the_check(sound_clinic: Sound, tmp_path: Path) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    db = open_database(paths.database, sound_clinic.key)
    try:
        assert check_database(db) == []
    finally:
        db.close()


@pytest.mark.parametrize("seed", range(5))
def test_random_pages_scribbled_past_page_2_are_reported(
    sound_clinic: Sound, tmp_path: Path, seed: int
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    size = page_size(paths.database, sound_clinic.key)
    page_count = paths.database.stat().st_size // size
    rng = random.Random(seed)
    pages = sorted(rng.sample(range(3, page_count + 1), k=max(1, page_count // 20)))
    scribble(paths.database, sound_clinic.key, pages, seed)
    try:
        db = open_database(paths.database, sound_clinic.key)
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


def test_damaged_patient_rows_are_reported_by_the_check(
    sound_clinic: Sound, tmp_path: Path
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths, sound_clinic.key)
    db = open_database(paths.database, sound_clinic.key)  # the header and schema still read ...
    try:
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] == DEMO_USERS
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            db.execute("SELECT email FROM patients").fetchall()  # ... the patients do not
        assert check_database(db)
    finally:
        db.close()


def test_the_check_leaves_the_connection_reading_what_is_undamaged(
    sound_clinic: Sound, tmp_path: Path
) -> None:
    # quick_check stops with "malformed" when the damage reaches its row checks (fewer than
    # 100 problems before them: any clinic's layout can give that); SQLCipher then leaves the
    # connection that met the damaged page failing every later read, even of sound pages. So
    # the start-up check could not be followed by what says the file is damaged and opens it
    # read-only: the migrations list, the users, the settings.
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths, sound_clinic.key)
    db = open_database(paths.database, sound_clinic.key)
    try:
        assert check_database(db)
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] == DEMO_USERS
        assert len(migrations_module.migrations.applied(db)) == len(SHIPPED_MIGRATIONS)
        assert db.execute("SELECT count(*) FROM settings").fetchone()[0] > 0
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            db.execute("SELECT email FROM patients").fetchall()  # still damaged, still said
    finally:
        db.close()


@pytest.mark.parametrize(
    "command",
    [("patients", "search", "a"), ("patients", "search", "a", "--json")],
)
def test_cli_on_a_damaged_database_says_so_in_one_line(
    sound_clinic: Sound,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths, sound_clinic.key)
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


def spoil_first_page(paths: Paths, key: bytes, how: str) -> None:
    """Make page 1 unreadable with the clinic's key: noise over it, the whole file replaced by
    noise, or another clinic's database (encrypted with another key) in its place."""
    database = paths.database
    rng = random.Random(how)
    if how == "first page scribbled":
        size = page_size(database, key)
        data = bytearray(database.read_bytes())
        data[:size] = rng.randbytes(size)
        database.write_bytes(bytes(data))
    elif how == "noise":
        database.write_bytes(rng.randbytes(database.stat().st_size))
    else:
        database.unlink()
        other = open_database(database, keys.new_data_key())
        other.execute("CREATE TABLE patients (id TEXT PRIMARY KEY) STRICT")
        other.close()


@pytest.mark.parametrize("how", ["first page scribbled", "noise", "another clinic's database"])
def test_cli_on_a_file_the_key_does_not_open_says_so_in_one_line(
    sound_clinic: Sound,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    spoil_first_page(paths, sound_clinic.key, how)
    before = digest(paths.database)
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    code = main(["--data-dir", str(paths.data_dir), "--user", "admin", "patients", "search", "a"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("clinicdesk: ")
    assert UNREADABLE in lines[0] and "Restore the latest backup" in lines[0]
    assert str(paths.database) in lines[0]
    assert "Traceback" not in captured.err and "a bug" not in captured.err
    # Nothing was written over the file, backed up or created in its place.
    assert digest(paths.database) == before
    assert list(paths.backups_dir.iterdir()) == []


def test_show_of_a_patient_on_a_damaged_database_exits_2(
    sound_clinic: Sound,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    with keyed(paths.database, sound_clinic.key) as conn:
        patient_id = conn.execute("SELECT id FROM patients LIMIT 1").fetchone()[0]
    damage_patient_rows(paths, sound_clinic.key)
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    argv = ["--data-dir", str(paths.data_dir), "--user", "clinician", "patients", "show"]
    code = main([*argv, patient_id])
    captured = capsys.readouterr()
    assert code == 2
    assert len(captured.err.splitlines()) == 1 and DAMAGED in captured.err


@pytest.fixture
def newer_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """This program plus one more migration, as the next release would ship it."""
    upgraded = program_migrations()

    @upgraded(name="0002_test_add_referrals")
    def _referrals(db: sqlite_utils.Database) -> None:
        db.execute("ALTER TABLE patients ADD COLUMN referral_source TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(migrations_module, "migrations", upgraded)


def test_a_damaged_database_is_neither_backed_up_nor_migrated(
    sound_clinic: Sound, tmp_path: Path, newer_program: None
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths, sound_clinic.key)
    before = digest(paths.database)
    with pytest.raises(StorageError, match="Restore the latest backup"):
        open_clinic(paths, data_key=sound_clinic.key)
    assert list(paths.backups_dir.iterdir()) == []
    assert digest(paths.database) == before
    with keyed(paths.database, sound_clinic.key, read_only=True) as conn:
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
    assert applied == SHIPPED_MIGRATIONS  # none of the newer program's


def test_a_sound_database_is_still_backed_up_and_migrated(
    sound_clinic: Sound, tmp_path: Path, newer_program: None
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    services = open_clinic(paths, data_key=sound_clinic.key)
    try:
        assert services.backup_before_migration is not None
        assert services.backup_before_migration.exists()
        assert "referral_source" in services.db["patients"].columns_dict
    finally:
        services.close()


def test_cli_on_a_damaged_database_that_needs_migrating_exits_2(
    sound_clinic: Sound,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    newer_program: None,
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths, sound_clinic.key)
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    code = main(["--data-dir", str(paths.data_dir), "--user", "admin", "patients", "search", "a"])
    captured = capsys.readouterr()
    assert code == 2
    assert len(captured.err.splitlines()) == 1 and DAMAGED in captured.err
    assert list(paths.backups_dir.iterdir()) == []


def flip_bytes(database: Path, key: bytes, count: int, seed: int) -> list[int]:
    """Flip ``count`` random bytes past page 2 (bit-rot, a bad sector); their offsets."""
    size = page_size(database, key)
    data = bytearray(database.read_bytes())
    rng = random.Random(seed)
    offsets = sorted(rng.sample(range(2 * size, len(data)), k=count))
    for offset in offsets:
        data[offset] ^= rng.randrange(1, 256)
    database.write_bytes(bytes(data))
    return offsets


@pytest.mark.parametrize("seed", range(6))
def test_bit_rot_is_reported_by_the_check_and_writes_are_refused(
    sound_clinic: Sound,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    offsets = flip_bytes(paths.database, sound_clinic.key, 8, seed)
    before = digest(paths.database)
    try:
        db = open_database(paths.database, sound_clinic.key)
    except StorageError as exc:
        assert "damaged" in exc.message  # a byte of the schema: the file does not even open
    else:
        try:
            assert check_db(db, paths.database), f"bytes at {offsets} flipped, nothing reported"
            assert db.read_only is not None and "damaged" in db.read_only
        finally:
            db.close()

    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    add = ["patients", "add", "--first", "Ann", "--last", "Lee", "--dob", "1980-01-02"]
    code = main(["--data-dir", str(paths.data_dir), "--user", "reception", *add])
    captured = capsys.readouterr()
    assert code == 2, f"bytes at {offsets} flipped and a patient was added"
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "damaged" in lines[0], captured.err
    assert "Restore the latest backup" in lines[0] and "Traceback" not in captured.err
    assert captured.out == ""
    assert digest(paths.database) == before
    wal = Path(f"{paths.database}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert list(paths.backups_dir.iterdir()) == []


def test_a_damaged_database_opens_read_only_with_what_to_do(
    sound_clinic: Sound, tmp_path: Path
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    damage_patient_rows(paths, sound_clinic.key)
    services = open_clinic(paths, data_key=sound_clinic.key)
    try:
        assert services.read_only is not None
        assert "damaged" in services.read_only and "contact support" in services.read_only
        # The page noise may reach the sites too, so the acting user is made up (no read).
        admin = CurrentUser(UserId("u"), "admin", "Ada", Role.ADMIN, SiteId("s"))
        with pytest.raises(StorageError, match="damaged") as refused:
            services.clinic.set_idle_lock_minutes(admin, 7)  # a write that reads no patient
        assert refused.value.message == services.read_only
        assert services.clinic.idle_lock_minutes() != 7
    finally:
        services.close()


@pytest.mark.parametrize("command", [("audit", "verify"), ("patients", "search", "a")])
def test_audit_verify_and_search_on_bit_rot_say_damaged_in_one_line(
    sound_clinic: Sound,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    with keyed(paths.database, sound_clinic.key, read_only=True) as conn:
        audit_root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'audit_log'")
        pages = [
            int(audit_root.fetchone()[0]),
            root_page(paths.database, sound_clinic.key, "patients"),
        ]
    scribble(paths.database, sound_clinic.key, pages, seed=5)
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    code = main(["--data-dir", str(paths.data_dir), "--user", "admin", *command])
    captured = capsys.readouterr()
    assert code != 0 and "Traceback" not in captured.err and "a bug" not in captured.err
    assert "damaged" in captured.err.splitlines()[0]


def run_cli_process(paths: Paths, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLINICDESK_PASSWORD": "demo", "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "clinicdesk", "--data-dir", str(paths.data_dir), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("how", ["another clinic's database", "patient rows damaged"])
def test_sqlcipher_logs_nothing_of_its_own_on_stderr(
    sound_clinic: Sound, tmp_path: Path, how: str
) -> None:
    """SQLCipher printed "ERROR CORE ... hmac check failed" lines (three per page) before our
    one-line message; only ours may be there."""
    paths = copy_of(sound_clinic, tmp_path / "copy")
    if how == "patient rows damaged":
        damage_patient_rows(paths, sound_clinic.key)
    else:
        spoil_first_page(paths, sound_clinic.key, how)
    done = run_cli_process(paths, "--user", "admin", "patients", "search", "a")
    assert done.returncode == 2
    assert "ERROR CORE" not in done.stderr and "hmac" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clinicdesk: ") and "damaged" in lines[0]


# -- the GUI: the check runs on a worker once the window is up -------------------------------


def sign_in_to_the_window(qtbot: QtBot, paths: Paths) -> tuple[SignedIn, MainWindow]:
    """As ``run_gui`` does: the sign-in dialog (which defers the check), the main window shown,
    then the check started on a worker."""
    login = LoginDialog(paths)
    qtbot.addWidget(login)
    login.username.setText("admin")
    login.password.setText(DEMO_PASSWORD)
    login.try_sign_in()
    assert login.signed is not None, login.error.text()
    signed = login.signed
    assert signed.services.checking  # writes wait for the check
    window = open_main_window(signed)
    qtbot.addWidget(window)
    window.show()
    check_database_later(window, signed)
    return signed, window


def test_damage_found_after_the_window_is_up_leaves_it_read_only_with_the_banner(
    qtbot: QtBot, sound_clinic: Sound, tmp_path: Path
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    # Pages the window does not read at start-up: only the check finds the damage.
    scribble(
        paths.database,
        sound_clinic.key,
        [root_page(paths.database, sound_clinic.key, "assessments")],
        7,
    )
    signed, window = sign_in_to_the_window(qtbot, paths)
    try:
        assert window.findChild(QLabel, "read_only_banner") is None

        def banner_shown() -> bool:
            banner = window.findChild(QLabel, "read_only_banner")
            return banner is not None and banner.isVisible()

        qtbot.waitUntil(banner_shown, timeout=20_000)
        banner = window.findChild(QLabel, "read_only_banner")
        assert banner is not None
        assert "damaged" in banner.text() and "Restore the latest backup" in banner.text()
        assert not signed.services.checking
        with pytest.raises(StorageError, match="damaged"):
            signed.services.clinic.set_idle_lock_minutes(signed.user, 7)
    finally:
        signed.services.close()
    assert list(paths.backups_dir.iterdir()) == []


def test_a_sound_file_gets_its_writes_back_once_the_check_has_passed(
    qtbot: QtBot, sound_clinic: Sound, tmp_path: Path
) -> None:
    paths = copy_of(sound_clinic, tmp_path / "copy")
    signed, window = sign_in_to_the_window(qtbot, paths)
    try:
        with pytest.raises(StorageError, match="still being checked"):
            signed.services.clinic.set_idle_lock_minutes(signed.user, 7)
        qtbot.waitUntil(lambda: not signed.services.checking, timeout=20_000)
        signed.services.clinic.set_idle_lock_minutes(signed.user, 7)
        assert signed.services.clinic.idle_lock_minutes() == 7
        assert window.findChild(QLabel, "read_only_banner") is None
    finally:
        signed.services.close()
