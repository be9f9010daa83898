"""RELIABILITY row 34: another program's SQLite file where the clinic's database belongs.

Only a database that is provably ClinicDesk's (``PRAGMA application_id`` "CDsk", or, made by
an older version, our migrations table) is ever encrypted, migrated or changed; any other is
refused by every command and by the GUI with a message naming the file, and left as it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from clinicdesk.app import main
from clinicdesk.paths import Paths
from clinicdesk.services.context import open_clinic
from clinicdesk.storage.database import APPLICATION_ID, NotClinicDatabase
from clinicdesk.storage.driver import sqlite3
from clinicdesk.ui.shell.sign_in import LoginDialog
from tests.conftest import PASSWORD, Clinic
from tests.ui.conftest import type_text

NOT_OURS = "is not a ClinicDesk database"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def put_foreign_database(paths: Paths, kind: str) -> str:
    """Replace the clinic's database by another program's plain SQLite file; its sha256."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{paths.database}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(str(paths.database))
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO recipes (title) VALUES ('Scones')")
    if kind == "with its own application id":
        conn.execute("PRAGMA application_id = 1179407439")
    elif kind == "with another sqlite-utils migrations table":
        conn.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT)")
        conn.execute("INSERT INTO _sqlite_migrations VALUES ('recipes', '0001_foundation')")
    conn.commit()
    conn.close()
    return digest(paths.database)


KINDS = ["plain", "with its own application id", "with another sqlite-utils migrations table"]
COMMANDS = [
    ("patients", "search", "a"),
    ("patients", "add", "--first", "Ann", "--last", "Lee", "--dob", "1980-01-02"),
    ("audit", "verify"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_refuses_a_foreign_database_beside_the_key_ring(
    clinic: Clinic,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    command: tuple[str, ...],
) -> None:
    clinic.services.close()
    paths = clinic.paths
    before = put_foreign_database(paths, kind)
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    code = main(["--data-dir", str(paths.data_dir), "--user", "admin", *command])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert NOT_OURS in lines[0] and str(paths.database) in lines[0]
    assert "not set up" not in captured.err and "Traceback" not in captured.err
    assert digest(paths.database) == before
    assert sorted(p.name for p in paths.data_dir.glob("clinicdesk.db*")) == ["clinicdesk.db"]
    assert list(paths.backups_dir.iterdir()) == []


def test_a_foreign_database_without_a_key_ring_is_not_converted(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic.services.close()
    paths = clinic.paths
    paths.keyring.unlink()
    before = put_foreign_database(paths, "plain")
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    code = main(["--data-dir", str(paths.data_dir), "--user", "admin", "patients", "search", "a"])
    captured = capsys.readouterr()
    assert code == 2 and NOT_OURS in captured.err
    assert digest(paths.database) == before
    assert not paths.keyring.exists()


def test_signing_in_to_the_gui_refuses_a_foreign_database(qtbot: QtBot, clinic: Clinic) -> None:
    clinic.services.close()
    before = put_foreign_database(clinic.paths, "plain")
    login = LoginDialog(clinic.paths)
    qtbot.addWidget(login)
    type_text(qtbot, login.username, "admin")
    login.password.setText(PASSWORD)
    login.try_sign_in()
    assert login.signed is None
    assert NOT_OURS in login.error.text() and str(clinic.paths.database) in login.error.text()
    assert digest(clinic.paths.database) == before


def test_a_new_clinic_carries_the_application_id(clinic: Clinic) -> None:
    assert clinic.services.db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert int.from_bytes(b"CDsk", "big") == APPLICATION_ID


def test_a_clinic_made_before_the_application_id_still_opens_and_gets_it(clinic: Clinic) -> None:
    clinic.services.db.execute("PRAGMA application_id = 0")  # as an older version left it
    clinic.services.close()
    services = open_clinic(clinic.paths, data_key=clinic.key)
    try:
        assert services.db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert services.backup_before_migration is None  # no migration row was needed
    finally:
        services.close()


def test_open_clinic_refuses_a_foreign_database_unchanged(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "data")
    paths.ensure()
    before = put_foreign_database(paths, "plain")
    with pytest.raises(NotClinicDatabase, match=NOT_OURS):
        open_clinic(paths)
    assert digest(paths.database) == before


def test_an_older_unencrypted_clinic_is_still_converted_and_gets_the_id(tmp_path: Path) -> None:
    from clinicdesk.services.clinic import NewClinic
    from clinicdesk.services.context import unlock_clinic

    paths = Paths(tmp_path / "old")
    services = open_clinic(paths)
    services.clinic.create_clinic(NewClinic("Old", "Main", [], "admin", "Ada", PASSWORD))
    services.db.execute("PRAGMA application_id = 0")  # made before the id existed
    services.close()
    signed = unlock_clinic(paths, "admin", PASSWORD)
    try:
        assert signed.recovery_key is not None  # converted on the way in
        assert signed.services.db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        signed.services.close()
