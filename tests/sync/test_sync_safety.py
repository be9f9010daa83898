"""Sync's safety rules: a bundle applied twice changes nothing, schema versions must match,
and a sync killed at any step is completed by the next, losing nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.paths import Paths
from clinicdesk.storage import migrations as schema
from clinicdesk.storage.database import open_database
from tests.conftest import PASSWORD
from tests.sync.helpers import Site, data_key, make_sites, rows


def add_patient(site: Site, capsys: pytest.CaptureFixture[str], last: str) -> str:
    return site.ok(
        capsys, "patients", "add", "--first", "Flo", "--last", last, "--dob", "1990-01-01"
    ).strip()


def test_the_same_bundle_applied_twice_at_the_hub_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    new_id = add_patient(satellite, capsys, "Stick")
    stick = tmp_path / "usb"
    bundle = Path(
        json.loads(satellite.ok(capsys, "sync", "--export-bundle", str(stick), "--json"))["bundle"]
    )
    first = json.loads(
        main.ok(capsys, "sync", "--hub", str(hub), "--import-bundle", str(bundle), "--json")
    )
    assert first["sent"] >= 1
    after_first = {
        t: rows(hub / "hub.db", key, t) for t in ("patients", "sync_conflicts", "sync_bundles")
    }
    again = json.loads(
        main.ok(capsys, "sync", "--hub", str(hub), "--import-bundle", str(bundle), "--json")
    )
    assert again["parked"] == 0
    assert {t: rows(hub / "hub.db", key, t) for t in after_first} == after_first
    assert new_id in {r[0] for r in after_first["patients"]}
    # The reply brings the hub's state back to the satellite.
    add_patient(main, capsys, "Hubside")
    main.sync(capsys)
    reply_bundle = Path(
        json.loads(
            main.ok(capsys, "sync", "--hub", str(hub), "--import-bundle", str(bundle), "--json")
        )["reply"]
    )
    taken = json.loads(satellite.ok(capsys, "sync", "--import-bundle", str(reply_bundle), "--json"))
    assert taken["received"] >= 1
    assert rows(satellite.data_dir / "clinicdesk.db", key) == rows(hub / "hub.db", key)


@pytest.mark.parametrize("newer", ["hub", "installation"])
def test_sync_between_different_schema_versions_is_refused_naming_the_side_to_update(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, newer: str
) -> None:
    main, _satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    add_patient(main, capsys, "Waiting")
    # A hub at a newer schema than this installation, or an older one (made by an earlier
    # ClinicDesk: its newest migration missing).
    db = open_database(hub / "hub.db", key)
    if newer == "hub":
        db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('clinicdesk', '9999_future', '')"
        )
    else:
        db.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_sync'")
    db.close()
    before = rows(hub / "hub.db", key)
    code, _out, err = main.run(capsys, "sync", "--hub", str(hub))
    assert code == 2
    assert (
        ("update ClinicDesk on this installation" in err)
        if newer == "hub"
        else ("update the hub first" in err)
    )
    assert "Nothing was changed" in err
    assert "hub upgrade" not in err  # names no command that does not exist
    assert rows(hub / "hub.db", key) == before


def _sync_killed_at(site: Site, point: str) -> subprocess.CompletedProcess[str]:
    """``clinicdesk sync`` in a child process, killed (SIGKILL) at ``point``."""
    code = (
        "import os, signal, sys\n"
        "from argon2 import PasswordHasher\n"
        "from clinicdesk.services import clinic\n"
        "from clinicdesk.sync import engine\n"
        # The same cheap password hashing as this test process (conftest), so signing in
        # does not re-hash the password with other parameters (a change of its own to sync).
        "clinic._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)\n"
        f"stop = {point!r}\n"
        "engine.checkpoint = lambda n: os.kill(os.getpid(), signal.SIGKILL) if n == stop else 0\n"
        "from clinicdesk.app import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {
        **os.environ,
        "CLINICDESK_PASSWORD": PASSWORD,
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    argv = ["--data-dir", str(site.data_dir), "--user", "admin", "sync", "--hub", str(site.hub)]
    return subprocess.run(
        [sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("point", ["before-hub-commit", "after-hub-commit", "before-base-refresh"])
def test_a_sync_killed_at_any_step_is_completed_by_the_next_losing_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    edited = add_patient(main, capsys, "Before")
    main.sync(capsys)
    satellite.sync(capsys)
    new_here = add_patient(satellite, capsys, "Satellite")
    satellite.ok(capsys, "patients", "edit", edited, "--phone", "07700 900222")
    add_patient(main, capsys, "Main")
    main.sync(capsys)

    killed = _sync_killed_at(satellite, point)
    assert killed.returncode == -9, killed.stderr

    done = satellite.sync(capsys)
    assert done["parked"] == 0
    main.sync(capsys)
    at_hub = rows(hub / "hub.db", key)
    assert rows(satellite.data_dir / "clinicdesk.db", key) == at_hub
    assert rows(main.data_dir / "clinicdesk.db", key) == at_hub
    by_id = {r[0]: r for r in at_hub}
    assert new_here in by_id and "07700 900222" in by_id[edited]
    assert len(at_hub) == 3
    assert json.loads(main.ok(capsys, "conflicts", "--json")) == []


def test_a_sync_checks_the_database_once_not_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start-up check costs more than a second on a large clinic: a sync runs it at
    sign-in, and not again when it re-indexes after the engine."""
    from clinicdesk.services import context
    from clinicdesk.services import sync as sync_service

    _main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    checks: list[Any] = []
    real = context.check_database

    def counted(db: Any) -> list[str]:
        checks.append(db)
        return real(db)

    monkeypatch.setattr(context, "check_database", counted)
    sync_service.sync_with_hub(Paths(satellite.data_dir), "admin", PASSWORD, hub)
    assert len(checks) == 1


# How to take the newest migration out of a database, as the ClinicDesk before it left it.
UNDO = {
    "0015_interpreter_language": ["ALTER TABLE patients DROP COLUMN interpreter_language"],
    "0016_outcome_indexes": [
        "DROP INDEX assessments_for_outcomes",
        "DROP INDEX assessment_regions_for_outcomes",
    ],
}


def test_after_an_update_adds_a_migration_the_first_sync_updates_the_hub_and_the_base_copies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    made = add_patient(satellite, capsys, "Updated")
    # Everything as the previous ClinicDesk left it: without its newest migration, undone.
    newest = schema.known_migration_names()[-1]
    assert newest in UNDO, f"say in UNDO how to take {newest} out of a database"
    for database in (
        hub / "hub.db",
        *(s.data_dir / "clinicdesk.db" for s in (main, satellite)),
        *(s.data_dir / "sync" / "base.db" for s in (main, satellite)),
    ):
        db = open_database(database, key, wal=False)
        for statement in UNDO[newest]:
            db.execute(statement)
        db.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [newest])
        db.conn.commit()
        db.close()

    assert satellite.sync(capsys)["sent"] >= 1  # it updates the hub and its own base copy
    assert main.sync(capsys)["received"] >= 1
    assert made in {r[0] for r in rows(main.data_dir / "clinicdesk.db", key)}
    assert any(p.name.startswith(f"before-{newest}") for p in (hub / "backups").iterdir())
    for site, where in ((main, ()), (satellite, ()), (main, ("--hub", str(hub)))):
        assert site.ok(capsys, "audit", "verify", *where).startswith("Audit trail intact")
