"""RELIABILITY row 6: two ClinicDesk instances writing to one database at the same time.

Each process registers a patient, opens it and updates it (read, then write), many times over.
Neither may see "database is locked" and every call that was attempted must be committed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from clinicdesk.storage import audit, audit_check
from clinicdesk.storage.database import integrity_ok
from tests.conftest import Clinic
from tests.reliability.writers import DATA_KEY_ENV

ROOT = Path(__file__).resolve().parents[2]
PER_PROCESS = 200


def test_two_processes_writing_at_once_lose_nothing(clinic: Clinic) -> None:
    audit_before = len(audit.entries(clinic.services.db))
    clinic.services.close()
    # The children open the encrypted clinic with its data key, as a signed-in app holds it.
    env = dict(os.environ) | {DATA_KEY_ENV: clinic.key.hex()}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.writers",
                "concurrent",
                str(clinic.paths.data_dir),
                str(PER_PROCESS),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    for process in processes:  # start both together so their writes interleave
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    summaries = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        summaries.append(json.loads(out))

    for summary in summaries:
        assert summary["errors"] == []
        assert summary["committed"] == summary["attempted"] == PER_PROCESS

    services = clinic.reopen()
    try:
        db = services.db
        assert integrity_ok(db)
        rows = db.execute("SELECT version, phone FROM patients").fetchall()
        assert len(rows) == 2 * PER_PROCESS
        assert {r[0] for r in rows} == {2}
        assert all(r[1].startswith("07700 900") for r in rows)
        writers = db.execute("SELECT count(DISTINCT first_name) FROM patients").fetchone()[0]
        assert writers == 2  # both processes really wrote ...
        # ... and were both trying to at the same time. (Not that their rows interleave:
        # SQLite's lock is not fair, so one process can hold it for a whole burst while the
        # other waits in its busy handler, which is the contention this test is about.)
        assert max(s["started"] for s in summaries) < min(s["finished"] for s in summaries)
        # create + view + update per call, chained without a gap or a fork.
        assert len(audit.entries(db)) == audit_before + 3 * 2 * PER_PROCESS
        assert audit_check.verify_chain(db) == []
    finally:
        services.close()
