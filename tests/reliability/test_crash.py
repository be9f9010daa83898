"""RELIABILITY row 1: ClinicDesk killed mid-transaction (kill -9, Task Manager, a crash).

A writer process saves in a loop and records each save in a ledger only after the save has
returned. We SIGKILL it at a random moment, many times over, and after every kill check: the
database opens and passes ``integrity_check``; every save the ledger records is there; nothing
half-saved is there (a patient without its search entry or audit entry, a batch of other than
0 or 50 rows).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from clinicdesk.storage import audit, audit_check
from clinicdesk.storage.database import integrity_ok, is_encrypted, open_database
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.keys import new_data_key
from tests.conftest import Clinic
from tests.reliability.writers import BATCH_ROWS, DATA_KEY_ENV

ROOT = Path(__file__).resolve().parents[2]
KILLS = 18


def start_writer(*args: str, key: bytes | None = None) -> subprocess.Popen[str]:
    """A writer process; ``key`` (the clinic's data key) is handed over in the environment."""
    env = dict(os.environ)
    env.pop(DATA_KEY_ENV, None)
    if key is not None:
        env[DATA_KEY_ENV] = key.hex()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.writers", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != "ready":
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"writer did not start: {line!r} {err}")
    return process


def kill_at_random(process: subprocess.Popen[str], rng: random.Random) -> None:
    time.sleep(rng.uniform(0.010, 0.250))
    os.kill(process.pid, signal.SIGKILL)
    _, err = process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL, err  # it was still writing, not dead already


def ledger_lines(ledger: Path) -> list[str]:
    if not ledger.exists():
        return []
    # A kill can land in the middle of a ledger write: only whole records (ending in ".") count.
    records = ledger.read_text(encoding="utf-8").split("\n")
    return [record[:-1] for record in records if record.endswith(".")]


@contextmanager
def fresh_connection(path: Path, key: bytes | None) -> Iterator[sqlite3.Connection]:
    """A bare connection (none of ``open_database``'s pragmas), keyed when ``key`` is given."""
    conn = sqlite3.connect(path)
    if key is not None:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        yield conn
    finally:
        conn.close()


def test_patient_saves_survive_repeated_kill_9(
    clinic: Clinic, patient_form: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(20261123)
    ledger = tmp_path / "ledger.txt"
    database = clinic.paths.database
    clinic.services.close()
    for kills in range(1, KILLS + 1):
        writer = start_writer("patients", str(clinic.paths.data_dir), str(ledger), key=clinic.key)
        kill_at_random(writer, rng)

        recorded = ledger_lines(ledger)
        db = open_database(database, clinic.key)
        try:
            assert integrity_ok(db)
            stored = {r[0] for r in db.execute("SELECT id FROM patients")}
            missing = set(recorded) - stored
            assert not missing, f"kill {kills}: saved patients lost: {missing}"
            # A save can commit just before the kill and miss the ledger: at most one per kill.
            assert 0 <= len(stored) - len(recorded) <= kills
            indexed = {r[0] for r in db.execute("SELECT patient_id FROM patient_search")}
            assert indexed == stored
            created = [
                e.entity_id for e in audit.entries(db, entity="patient") if e.action == "create"
            ]
            assert sorted(created) == sorted(stored)
            assert audit_check.verify_chain(db) == []
        finally:
            db.close()
    # Not a speed test: only proof that the kills landed while the writer was saving.
    assert len(recorded) >= KILLS // 3, "the writer hardly saved anything before being killed"

    # And the clinic carries on as normal afterwards.
    services = clinic.reopen()
    try:
        before = services.patients.count(clinic.reception)
        services.patients.register(clinic.reception, patient_form)
        assert services.patients.count(clinic.reception) == before + 1
        assert services.patients.search(clinic.reception, "O'Brien")
    finally:
        services.close()


@pytest.mark.parametrize("encrypted", [True, False], ids=["sqlcipher", "plain"])
@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
def test_batches_are_all_or_nothing_under_kill_9(
    tmp_path: Path, journal_mode: str, encrypted: bool
) -> None:
    rng = random.Random(f"{journal_mode} {encrypted}")
    database = tmp_path / "batches.db"
    ledger = tmp_path / "ledger.txt"
    key = new_data_key() if encrypted else None
    db = open_database(database, key)
    db.execute("PRAGMA journal_mode=" + journal_mode)
    db.execute("CREATE TABLE batches (batch INTEGER NOT NULL, n INTEGER NOT NULL) STRICT")
    db.close()
    for kills in range(1, KILLS // 2 + 1):
        writer = start_writer("batches", str(database), str(ledger), journal_mode, key=key)
        kill_at_random(writer, rng)

        recorded = {int(line) for line in ledger_lines(ledger)}
        with fresh_connection(database, key) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == journal_mode
            counts = dict(conn.execute("SELECT batch, count(*) FROM batches GROUP BY batch"))
        assert set(counts.values()) <= {BATCH_ROWS}, f"kill {kills}: a partial batch: {counts}"
        assert recorded <= set(counts), f"kill {kills}: committed batches lost"
        assert len(set(counts) - recorded) <= kills
    assert len(recorded) >= 3, "the writer hardly saved anything before being killed"
    assert is_encrypted(database) == encrypted
