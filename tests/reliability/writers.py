"""Writer processes for the reliability tests: ``python -m tests.reliability.writers MODE ...``.

Each prints ``ready`` once its database is open, so the test times its kill from there.

``patients DATA_DIR LEDGER``: register patients through ``PatientService`` for ever, appending
each new id to LEDGER (flushed and fsynced) only after the save has returned.

``batches DATABASE LEDGER JOURNAL_MODE``: insert 50-row batches into ``batches`` with
``write_transaction``, appending each batch number to LEDGER after it commits.

``concurrent DATA_DIR COUNT``: wait for a line on stdin, then COUNT times register a patient,
open it and update it (read, then write); print a JSON summary of what was attempted, what was
committed, every error message, and when the loop started and finished (epoch seconds).

The clinic's database is encrypted: the parent passes its data key in hex in the environment
variable ``CLINICDESK_TEST_DATA_KEY`` (a signed-in ClinicDesk holds the same key in memory), so
the writers open it with the raw key as the app does after sign-in and never derive it. For
``batches`` the variable is optional: without it the database is a plain one.
"""

from __future__ import annotations

import json
import os
import sys
import time
from itertools import count
from pathlib import Path

from clinicdesk.errors import UserError
from clinicdesk.paths import Paths
from clinicdesk.services.context import open_clinic
from clinicdesk.storage.database import open_database, write_transaction

BATCH_ROWS = 50
DATA_KEY_ENV = "CLINICDESK_TEST_DATA_KEY"


def _data_key() -> bytes | None:
    value = os.environ.get(DATA_KEY_ENV)
    return bytes.fromhex(value) if value else None


def _append(ledger: Path, line: str) -> None:
    # SIGKILL can cut a write short. Each record starts on a new line and ends with "." so
    # the reader can tell a whole record from a cut one, and a cut one never runs into the next.
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write("\n" + line + ".")
        handle.flush()
        os.fsync(handle.fileno())


def _form(first: str, last: str) -> dict[str, str]:
    return {"first_name": first, "last_name": last, "date_of_birth": "03/07/1985", "sex": "X"}


def patients(data_dir: str, ledger: str) -> None:
    services = open_clinic(Paths(Path(data_dir)), data_key=_data_key())
    user = services.clinic.user("reception")
    print("ready", flush=True)
    for n in count():
        patient = services.patients.register(user, _form(f"Crash{os.getpid()}", f"Test{n}"))
        _append(Path(ledger), patient.id)


def batches(database: str, ledger: str, journal_mode: str) -> None:
    db = open_database(database, _data_key())
    db.execute(f"PRAGMA journal_mode={journal_mode}")
    start = db.execute("SELECT coalesce(max(batch), 0) + 1 FROM batches").fetchone()[0]
    print("ready", flush=True)
    for batch in count(start):
        with write_transaction(db):
            for n in range(BATCH_ROWS):
                db.execute("INSERT INTO batches (batch, n) VALUES (?, ?)", [batch, n])
        _append(Path(ledger), str(batch))


def concurrent(data_dir: str, how_many: str) -> None:
    services = open_clinic(Paths(Path(data_dir)), data_key=_data_key())
    user = services.clinic.user("reception")
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.time()
    attempted = committed = 0
    errors: list[str] = []
    for n in range(int(how_many)):
        attempted += 1
        try:
            created = services.patients.register(user, _form(f"Proc{os.getpid()}", f"N{n}"))
            opened = services.patients.get(user, created.id)
            form = opened.details.as_form() | {"phone": f"07700 900{n % 1000:03d}"}
            services.patients.update(user, opened.id, opened.version, form)
            committed += 1
        except UserError as exc:
            errors.append(exc.message)
    finished = time.time()
    services.close()
    summary = {
        "attempted": attempted,
        "committed": committed,
        "errors": errors,
        "started": started,
        "finished": finished,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    {"patients": patients, "batches": batches, "concurrent": concurrent}[mode](*arguments)
