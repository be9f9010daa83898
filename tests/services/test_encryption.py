"""Encryption at rest (issue 3 point 4; RELIABILITY rows 4, 8, 9 and 10).

A stolen laptop or a lost backup reveals nothing: the database file, its WAL and its backups
hold no patient name and no SQLite header; the standard library cannot open them; a wrong
password opens nothing and changes nothing; a damaged key file is a clear error that leaves the
database alone; the recovery key restores access; an existing unencrypted database is converted
in place on first sign-in without losing a record.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3 as stdlib_sqlite3  # the standard library's driver: what a thief would try
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from clinicdesk.app import main
from clinicdesk.domain.roles import Role
from clinicdesk.errors import AuthenticationFailed, ValidationError
from clinicdesk.paths import Paths
from clinicdesk.services import context
from clinicdesk.services.clinic import NewClinic
from clinicdesk.services.context import (
    ClinicServices,
    SignedIn,
    open_clinic,
    recover_access,
    unlock_clinic,
)
from clinicdesk.services.demo import demo_history, demo_patient_form
from clinicdesk.storage import audit, audit_check, keys
from clinicdesk.storage.database import (
    StorageError,
    backup_to,
    integrity_ok,
    is_encrypted,
    open_database,
    table_counts,
)
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.keys import KeyRing, KeyRingError, WrongSecret
from tests.conftest import PASSWORD, Clinic

# Distinctive enough that any hit in the raw bytes is the record, never chance.
NAME = "Quillanova"
HEADER = b"SQLite format 3"


def form(first: str = NAME, last: str = "Zebrowski") -> dict[str, str]:
    return {
        "first_name": first,
        "last_name": last,
        "date_of_birth": "1979-04-12",
        "sex": "F",
        "phone": "07700 900555",
        "email": "q.zebrowski@example.com",
    }


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_state(paths: Paths) -> dict[str, str]:
    """Every file in the data folder and its hash, except the log and the failed sign-in
    counts (which a wrong password is meant to change)."""
    return {
        str(p.relative_to(paths.data_dir)): digest(p)
        for p in sorted(paths.data_dir.rglob("*"))
        if p.is_file() and paths.logs_dir not in p.parents and p != paths.login_attempts
    }


def wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


@contextmanager
def keyed(path: Path, key: bytes, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        yield conn
    finally:
        conn.close()


# -- a stolen laptop (row 8) ---------------------------------------------------------------


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "plain control"])
def test_the_database_and_its_wal_hold_no_plaintext(tmp_path: Path, encrypted: bool) -> None:
    """The plain control makes the same writes to an unencrypted clinic and finds the name, so
    the search below is shown able to find it."""
    paths = Paths(tmp_path / "clinic")
    clinic = NewClinic("Test Clinic", "Main clinic", [], "admin", "Ada Admin", PASSWORD)
    if encrypted:
        services = context.create_clinic_storage(paths, clinic).services
        admin = services.clinic.login("admin", PASSWORD)
    else:
        services = open_clinic(paths)
        admin = services.clinic.create_clinic(clinic)
    try:
        patient = services.patients.register(admin, form())
        services.patients.update(
            admin, patient.id, patient.version, patient.details.as_form() | {"town": "Leeds"}
        )
        # Written, not yet checkpointed: the new pages are in the WAL.
        assert wal(paths.database).stat().st_size > 0
        found = [
            path.name
            for path in (paths.database, wal(paths.database))
            for needle in (NAME.encode(), HEADER)
            if needle in path.read_bytes()
        ]
        # Nor in any other file of the data folder (-shm, the key ring, logs...).
        anywhere = {
            p.name
            for p in paths.data_dir.rglob("*")
            if p.is_file() and NAME.encode() in p.read_bytes()
        }
    finally:
        services.close()
    after_close = paths.database.read_bytes()
    if encrypted:
        assert found == [] and anywhere == set()
        assert NAME.encode() not in after_close and HEADER not in after_close
    else:
        assert "clinicdesk.db-wal" in found and NAME.encode() in after_close


def test_the_standard_library_cannot_open_the_database(clinic: Clinic) -> None:
    clinic.services.patients.register(clinic.reception, form())
    clinic.services.close()
    conn = stdlib_sqlite3.connect(clinic.paths.database)
    try:
        with pytest.raises(stdlib_sqlite3.DatabaseError, match="not a database"):
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()
    # Nor SQLCipher without the key, nor with another key.
    with pytest.raises(StorageError, match="cannot be opened with this clinic's key"):
        open_database(clinic.paths.database, keys.new_data_key())
    with pytest.raises(StorageError, match="damaged"):
        open_database(clinic.paths.database)


# -- wrong password, damaged or missing key file (row 9) ----------------------------------


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "not the password"), ("clinician", PASSWORD.upper()), ("nobody", PASSWORD)],
)
def test_a_wrong_password_opens_nothing_and_changes_nothing(
    clinic: Clinic, username: str, password: str
) -> None:
    clinic.services.patients.register(clinic.reception, form())
    clinic.services.close()
    before = folder_state(clinic.paths)
    with pytest.raises(AuthenticationFailed, match="user name or password is wrong"):
        unlock_clinic(clinic.paths, username, password)
    assert folder_state(clinic.paths) == before
    # The right password still opens it.
    signed = unlock_clinic(clinic.paths, "admin", PASSWORD)
    signed.services.close()


def test_a_damaged_key_file_is_a_clear_error_and_touches_no_database(clinic: Clinic) -> None:
    clinic.services.close()
    text = clinic.paths.keyring.read_text(encoding="utf-8")
    clinic.paths.keyring.write_text(text[: len(text) // 3], encoding="utf-8")
    before = folder_state(clinic.paths)
    with pytest.raises(KeyRingError, match=r"is damaged.*restore it from a backup"):
        unlock_clinic(clinic.paths, "admin", PASSWORD)
    with pytest.raises(KeyRingError, match="is damaged"):
        recover_access(clinic.paths, clinic.recovery_key, "admin", "a new password")
    assert folder_state(clinic.paths) == before

    # With the database gone as well, no new (empty) one appears in its place.
    clinic.paths.database.unlink()
    with pytest.raises(KeyRingError, match="is damaged"):
        unlock_clinic(clinic.paths, "admin", PASSWORD)
    assert not clinic.paths.database.exists()


def test_a_damaged_key_file_exits_2_with_one_line_from_the_cli(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic.services.close()
    clinic.paths.keyring.write_text("{ not json", encoding="utf-8")
    before = digest(clinic.paths.database)
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    argv = ["--data-dir", str(clinic.paths.data_dir), "--user", "admin", "patients", "search", "a"]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clinicdesk: ")
    assert "keyring.json is damaged" in lines[0] and "Traceback" not in captured.err
    assert digest(clinic.paths.database) == before


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_missing_database_beside_the_key_file_is_not_replaced_by_an_empty_one(
    clinic: Clinic, state: str
) -> None:
    clinic.services.close()
    clinic.paths.database.unlink()
    if state == "empty":
        clinic.paths.database.write_bytes(b"")
    before = folder_state(clinic.paths)
    with pytest.raises(StorageError, match=f"{state}. Restore the latest backup"):
        unlock_clinic(clinic.paths, "admin", PASSWORD)
    with pytest.raises(StorageError, match=state):
        recover_access(clinic.paths, clinic.recovery_key, "admin", "a new password")
    assert folder_state(clinic.paths) == before


def test_a_missing_key_file_is_named_and_the_database_left_alone(clinic: Clinic) -> None:
    clinic.services.close()
    clinic.paths.keyring.unlink()
    before = folder_state(clinic.paths)
    with pytest.raises(KeyRingError, match=r"keyring\.json is missing"):
        unlock_clinic(clinic.paths, "admin", PASSWORD)
    assert folder_state(clinic.paths) == before


# -- users' key slots and recovery (row 10) ------------------------------------------------


def test_every_user_added_gets_a_slot_and_can_unlock(clinic: Clinic) -> None:
    assert KeyRing.load(clinic.paths.keyring).usernames() == ["admin", "clinician", "reception"]
    clinic.services.clinic.add_user(
        clinic.admin, "nurse", "Nina Nurse", Role.CLINICIAN, "nurse password", "NMC 12A3456"
    )
    clinic.services.close()
    for username, password in [
        ("clinician", PASSWORD),
        ("reception", PASSWORD),
        ("nurse", "nurse password"),
    ]:
        signed = unlock_clinic(clinic.paths, username, password)
        try:
            assert signed.user.username == username
            assert signed.services.data_key == clinic.key
            assert signed.recovery_key is None
        finally:
            signed.services.close()


def test_a_password_reset_by_an_admin_rewraps_that_users_slot(clinic: Clinic) -> None:
    users = clinic.services.users
    users.reset_password(clinic.admin, users.account(clinic.admin, "clinician"), "fresh start 1")
    clinic.services.close()
    with pytest.raises(AuthenticationFailed):
        unlock_clinic(clinic.paths, "clinician", PASSWORD)
    signed = unlock_clinic(clinic.paths, "clinician", "fresh start 1")
    signed.services.close()


def test_the_recovery_key_restores_a_forgotten_admin_password(clinic: Clinic) -> None:
    patient = clinic.services.patients.register(clinic.reception, form())
    clinic.services.close()
    typed = clinic.recovery_key.replace("-", " ").lower()

    recovered = recover_access(clinic.paths, typed, " Admin ", "a new password 1")
    try:
        assert recovered.user.username == "admin" and recovered.user.role is Role.ADMIN
        assert recovered.services.patients.get(recovered.user, patient.id).details.first_name == (
            NAME
        )
        actions = [e.action for e in audit.entries(recovered.services.db, entity="user")]
        assert actions[-1] == "password_recovered"
    finally:
        recovered.services.close()

    with pytest.raises(AuthenticationFailed):
        unlock_clinic(clinic.paths, "admin", PASSWORD)
    signed = unlock_clinic(clinic.paths, "admin", "a new password 1")
    signed.services.close()
    # Other users' slots were not touched.
    unlock_clinic(clinic.paths, "clinician", PASSWORD).services.close()


def test_a_wrong_recovery_key_fails_clearly_and_changes_nothing(clinic: Clinic) -> None:
    clinic.services.close()
    before = folder_state(clinic.paths)
    other = keys.format_recovery_key(keys.new_data_key())
    with pytest.raises(WrongSecret, match="does not open this clinic"):
        recover_access(clinic.paths, other, "admin", "a new password 1")
    with pytest.raises(WrongSecret, match="incomplete"):
        recover_access(clinic.paths, clinic.recovery_key[:20], "admin", "a new password 1")
    assert folder_state(clinic.paths) == before


def test_the_recovery_key_does_not_make_a_non_admin_an_admin(clinic: Clinic) -> None:
    clinic.services.close()
    with pytest.raises(ValidationError, match="not an active administrator"):
        recover_access(clinic.paths, clinic.recovery_key, "reception", "a new password 1")
    with pytest.raises(AuthenticationFailed):
        unlock_clinic(clinic.paths, "reception", "a new password 1")


def test_an_old_kdf_slot_is_rewrapped_when_its_user_signs_in(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic.services.close()

    def kdf_of(username: str) -> dict[str, object]:
        data = json.loads(clinic.paths.keyring.read_text(encoding="utf-8"))
        kdf: dict[str, object] = data["slots"][f"user:{username}"]["kdf"]
        return kdf

    cheap = kdf_of("admin")
    monkeypatch.setattr(keys, "KDF", keys.KdfParameters(time_cost=2, memory_cost=32, parallelism=2))
    unlock_clinic(clinic.paths, "admin", PASSWORD).services.close()
    assert kdf_of("admin") == {
        "algorithm": "argon2id",
        "time_cost": 2,
        "memory_cost": 32,
        "parallelism": 2,
    }
    assert kdf_of("clinician") == cheap  # rewrapped only when they sign in themselves
    signed = unlock_clinic(clinic.paths, "admin", PASSWORD)
    assert signed.services.data_key == clinic.key
    signed.services.close()


# -- backups (row 4) -----------------------------------------------------------------------


def test_a_backup_is_encrypted_opens_with_the_key_and_is_in_rollback_mode(
    clinic: Clinic, tmp_path: Path
) -> None:
    clinic.services.patients.register(clinic.reception, form())
    backup = backup_to(clinic.services.db, clinic.paths.backups_dir / "manual.db")
    raw = backup.read_bytes()
    assert NAME.encode() not in raw and HEADER not in raw
    with keyed(backup, clinic.key, read_only=True) as conn:
        # SQLCipher encrypts the header; read-only, journal_mode reports the file's own mode
        # (header bytes 18 and 19): a WAL file would say "wal" and not open on read-only media.
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT first_name FROM patients").fetchall() == [(NAME,)]
    with pytest.raises(StorageError, match="cannot be opened with this clinic's key"):
        open_database(backup, keys.new_data_key())


# -- converting a database from before encryption ------------------------------------------

RECORD_TABLES = (
    "sites",
    "users",
    "settings",
    "patients",
    "medical_histories",
    "hair_treatments",
    "red_flags",
    "allergies",
    "medications",
    "lab_results",
    "classifications",
)


def content_hashes(conn: sqlite3.Connection, audit_rows: int) -> dict[str, str]:
    """A hash of every record table's rows, and of the first ``audit_rows`` audit entries
    (signing in adds entries of its own)."""
    hashes = {
        table: hashlib.sha256(
            repr(conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()).encode()
        ).hexdigest()
        for table in RECORD_TABLES
    }
    first = conn.execute("SELECT * FROM audit_log ORDER BY seq LIMIT ?", [audit_rows]).fetchall()
    hashes["audit_log"] = hashlib.sha256(repr(first).encode()).hexdigest()
    return hashes


@pytest.fixture
def plain_clinic(tmp_path: Path) -> Paths:
    """A clinic made the way ClinicDesk made them before encryption: patients with medical
    histories, a second user, and a backup taken before a migration."""
    paths = Paths(tmp_path / "old")
    services: ClinicServices = open_clinic(paths)
    try:
        admin = services.clinic.create_clinic(
            NewClinic("Old Clinic", "Main clinic", ["Satellite"], "admin", "Ada Admin", PASSWORD)
        )
        clinician = services.clinic.add_user(
            admin, "clinician", "Dr Cara Clinician", Role.CLINICIAN, PASSWORD, "GMC 1234567"
        )
        rng = random.Random(4)
        today = date.today()
        for n in range(12):
            details = demo_patient_form(rng, today) if n else form()
            patient = services.patients.register(clinician, details)
            history = demo_history(rng, details["sex"] == "F", today)
            services.patients.save_medical_history(clinician, patient.id, history)
        services.patients.add_classification(clinician, patient.id, "ludwig", "II", "2024-01-01")
        backup_to(services.db, paths.backups_dir / "before-0002_something-20260101T000000.db")
    finally:
        services.close()
    assert not is_encrypted(paths.database) and not paths.keyring.exists()
    assert NAME.encode() in paths.database.read_bytes()
    return paths


def snapshot(paths: Paths, key: bytes | None = None) -> tuple[dict[str, int], dict[str, str]]:
    conn = sqlite3.connect(paths.database)
    try:
        if key is not None:
            conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        counts = table_counts(conn)
        return counts, content_hashes(conn, counts["audit_log"])
    finally:
        conn.close()


def assert_converted(
    paths: Paths, signed: SignedIn, before: tuple[dict[str, int], dict[str, str]]
) -> None:
    key = signed.services.data_key
    assert key is not None
    counts_before, hashes_before = before
    counts_after, _ = snapshot(paths, key)
    # Every record is there; signing in only added audit entries.
    audit_before = counts_before.pop("audit_log")
    assert counts_after.pop("audit_log") >= audit_before
    assert counts_after == counts_before
    conn = sqlite3.connect(paths.database)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        assert content_hashes(conn, audit_before) == hashes_before
    finally:
        conn.close()
    assert integrity_ok(signed.services.db)
    assert audit_check.verify_chain(signed.services.db) == []
    user = signed.user
    assert [p.first_name for p in signed.services.patients.search(user, NAME)] == [NAME]
    # The plaintext is gone from the database, its WAL and every backup.
    for path in [paths.database, *sorted(paths.backups_dir.glob("*.db"))]:
        raw = path.read_bytes()
        assert NAME.encode() not in raw and HEADER not in raw, path.name
        if wal(path).exists():
            assert NAME.encode() not in wal(path).read_bytes()
    assert not list(paths.data_dir.rglob("*.encrypting*"))
    # The converted backups open with the key, intact and still in rollback-journal mode.
    for path in sorted(paths.backups_dir.glob("*.db")):
        with keyed(path, key, read_only=True) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("SELECT count(*) FROM patients").fetchone()[0] == 12


def test_an_unencrypted_database_is_converted_in_place_on_first_sign_in(
    plain_clinic: Paths,
) -> None:
    paths = plain_clinic
    before = snapshot(paths)
    backups = sorted(p.name for p in paths.backups_dir.iterdir())

    signed = unlock_clinic(paths, "admin", PASSWORD)
    try:
        assert signed.recovery_key is not None
        assert is_encrypted(paths.database)
        assert_converted(paths, signed, before)
        assert sorted(p.name for p in paths.backups_dir.iterdir()) == backups
        key = signed.services.data_key
    finally:
        signed.services.close()

    ring = KeyRing.load(paths.keyring)
    assert ring.usernames() == ["admin"]
    assert ring.unlock_with_recovery_key(signed.recovery_key) == key
    # The other users have no slot yet: an administrator resets their passwords.
    with pytest.raises(AuthenticationFailed):
        unlock_clinic(paths, "clinician", PASSWORD)
    admin = unlock_clinic(paths, "admin", PASSWORD)
    try:
        assert admin.recovery_key is None  # shown once only
        users = admin.services.users
        users.reset_password(admin.user, users.account(admin.user, "clinician"), "new start 1")
    finally:
        admin.services.close()
    unlock_clinic(paths, "clinician", "new start 1").services.close()


def test_a_wrong_password_does_not_convert_an_unencrypted_database(plain_clinic: Paths) -> None:
    before = snapshot(plain_clinic)
    with pytest.raises(AuthenticationFailed):
        unlock_clinic(plain_clinic, "admin", "not the password")
    assert not plain_clinic.keyring.exists()
    assert not is_encrypted(plain_clinic.database)
    counts, hashes = snapshot(plain_clinic)
    assert (
        counts["patients"] == before[0]["patients"] and hashes["patients"] == before[1]["patients"]
    )


def test_a_conversion_interrupted_after_the_key_ring_was_written_is_finished(
    plain_clinic: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = plain_clinic
    before = snapshot(paths)

    def power_cut(*args: object) -> None:
        raise KeyboardInterrupt  # the program stops before the file is replaced

    with monkeypatch.context() as patch:
        patch.setattr(context, "encrypt_in_place", power_cut)
        with pytest.raises(KeyboardInterrupt):
            unlock_clinic(paths, "admin", PASSWORD)
    assert paths.keyring.exists() and not is_encrypted(paths.database)

    signed = unlock_clinic(paths, "admin", PASSWORD)
    try:
        assert is_encrypted(paths.database)
        assert_converted(paths, signed, before)
        # The key ring's first recovery key was never shown; a new one is, and it works.
        assert signed.recovery_key is not None
        assert KeyRing.load(paths.keyring).unlock_with_recovery_key(signed.recovery_key) == (
            signed.services.data_key
        )
    finally:
        signed.services.close()


def test_a_key_ring_written_with_the_same_key_before_a_stop_is_used_as_it_is(
    plain_clinic: Paths,
) -> None:
    """The state a stop leaves, made by hand: the ring holds the key, the file is still plain.
    The next sign-in encrypts with the ring's key (not a new one)."""
    paths = plain_clinic
    before = snapshot(paths)
    old = open_clinic(paths)
    try:
        clinic_id = old.clinic.this_site().id
    finally:
        old.close()
    data_key = keys.new_data_key()
    KeyRing.create(paths.keyring, clinic_id, data_key, "admin", PASSWORD)

    signed = unlock_clinic(paths, "admin", PASSWORD)
    try:
        assert signed.services.data_key == data_key
        assert_converted(paths, signed, before)
    finally:
        signed.services.close()
    open_database(paths.database, data_key).close()


def test_wrong_passwords_at_sign_in_are_counted_then_audited_and_slowed(clinic: Clinic) -> None:
    from clinicdesk.services.lockout import FREE_ATTEMPTS, LoginDelayed
    from clinicdesk.storage import audit

    clinic.services.close()
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            unlock_clinic(clinic.paths, "clinician", "wrong password")
    signed = unlock_clinic(clinic.paths, "clinician", PASSWORD)
    try:
        entries = [
            e
            for e in audit.entries(signed.services.db, entity="user")
            if e.user_id == clinic.clinician.id
        ]
        late = [e for e in entries if e.action == "login_failed" and e.detail.get("recorded_late")]
        assert len(late) == 2
        assert entries[-1].action == "login"
    finally:
        signed.services.close()
    # The count starts again after a good sign-in; after five wrong ones in a row, the next
    # try (even with the right password) must wait.
    for _ in range(FREE_ATTEMPTS):
        with pytest.raises(AuthenticationFailed):
            unlock_clinic(clinic.paths, "clinician", "wrong password")
    with pytest.raises(LoginDelayed, match="Too many failed sign-ins for clinician"):
        unlock_clinic(clinic.paths, "clinician", PASSWORD)


def test_a_disabled_account_loses_its_key_slot_until_a_reset(clinic: Clinic) -> None:
    from clinicdesk.storage.keys import KeyRing

    users = clinic.services.users
    account = users.account(clinic.admin, "clinician")
    users.disable_user(clinic.admin, account)
    assert not KeyRing.load(clinic.paths.keyring).has_user("clinician")
    with pytest.raises(AuthenticationFailed):
        unlock_clinic(clinic.paths, "clinician", PASSWORD)
    account = users.enable_user(clinic.admin, users.account(clinic.admin, "clinician"))
    users.reset_password(clinic.admin, account, "fresh password")
    signed = unlock_clinic(clinic.paths, "clinician", "fresh password")
    signed.services.close()
