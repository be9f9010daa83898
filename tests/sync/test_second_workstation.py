"""A second workstation at the main clinic: it joins the hub as "Main clinic", its records are
the main clinic's, and its audit entries form a chain of their own that sync carries and
``audit verify`` checks everywhere (``storage.audit_chains``, migration 0012)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinicdesk.paths import Paths
from clinicdesk.storage.database import open_database
from tests.sync.helpers import Site, data_key, make_sites, rows
from tests.sync.test_sync_e2e import (
    add_patient,
    assert_same_everywhere,
    patient,
    site_id,
    tamper_audit,
)


def local(data_dir: Path, key: bytes, name: str) -> str | None:
    db = open_database(Paths(data_dir).database, key)
    try:
        row = db.execute("SELECT value FROM local_state WHERE key = ?", [name]).fetchone()
        return None if row is None else str(row[0])
    finally:
        db.close()


def verify_lines(site: Site, capsys: pytest.CaptureFixture[str], *where: str) -> dict[str, str]:
    out = site.ok(capsys, "audit", "verify", *where)
    assert out.startswith("Audit trail intact"), (site.data_dir.name, where, out)
    return {line.split(":")[0].strip(): line for line in out.splitlines()[1:]}


def test_a_second_main_clinic_workstation_works_beside_the_first_and_the_satellite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    second = Site(tmp_path / "main-2", hub)
    joined = json.loads(second.ok(capsys, "join", str(hub), "--site", "Main clinic", "--json"))
    main_id = site_id(main.data_dir, key, "Main clinic")
    assert (joined["site"], joined["site_id"], joined["workstation"]) == (
        "Main clinic",
        main_id,
        "workstation 2",
    )
    shared = add_patient(main, capsys, "Ann", "Shared")
    for site in (main, second, satellite):
        site.sync(capsys)

    # A day's work at all three.
    at_main = add_patient(main, capsys, "Dee", "Main")
    at_second = add_patient(second, capsys, "Gus", "Second")
    at_satellite = add_patient(satellite, capsys, "Eve", "Satellite")
    second.ok(capsys, "patients", "edit", shared, "--phone", "07700 900222")
    main.ok(capsys, "patients", "edit", shared, "--email", "ann@example.com")
    satellite.ok(capsys, "patients", "edit", at_satellite, "--town", "Otley")
    second.ok(capsys, "patients", "edit", at_second, "--town", "Leeds")

    for _ in range(2):
        for site in (second, satellite, main):
            assert site.sync(capsys)["parked"] == 0

    assert_same_everywhere(hub, key, main, second, satellite)
    installations = rows(hub / "hub.db", key, "installations")
    assert len(installations) == 3  # the main clinic's PC, its second workstation, the laptop
    for site in (main, second, satellite):
        assert rows(site.data_dir / "clinicdesk.db", key, "installations") == installations
    got = patient(satellite, key, shared)
    assert (got["phone"], got["email"]) == ("07700 900222", "ann@example.com")
    # The second workstation's records are the main clinic's, as its screens say; it numbers
    # its patients under a prefix of its own, so the two PCs never give one number twice.
    assert patient(main, key, at_second)["site_id"] == main_id
    assert patient(main, key, at_second)["patient_number"] == "MB-00001"
    assert patient(second, key, at_main)["patient_number"] == "M-00002"
    assert patient(second, key, at_main)["first_name"] == "Dee"
    assert local(second.data_dir, key, "this_site_id") == main_id
    # Its audit entries form their own chain, never the first workstation's.
    chain = local(second.data_dir, key, "audit_chain_id")
    assert chain is not None and chain != main_id
    assert local(main.data_dir, key, "audit_chain_id") is None

    names = {"Main clinic", "Main clinic (workstation 2)", "Satellite clinic", "Hub (sync)"}
    for site, where in (
        (main, ()),
        (second, ()),
        (satellite, ()),
        (main, ("--hub", str(hub))),
    ):
        lines = verify_lines(site, capsys, *where)
        assert set(lines) == names, (site.data_dir.name, where, lines)
        assert "intact" in lines["Main clinic (workstation 2)"]
        assert not lines["Main clinic (workstation 2)"].split(": ")[1].startswith("0 ")

    # An entry of the second workstation's chain edited at the main clinic's PC is named there,
    # and goes no further.
    tamper_audit(
        main.data_dir,
        key,
        "UPDATE audit_log SET at = '2000-01-01T09:00:00+00:00' WHERE seq = 1 "
        f"AND site_id = '{chain}'",
    )
    code, _out, err = main.run(capsys, "audit", "verify")
    assert code == 2 and "Main clinic (workstation 2): entry 1 was altered" in err
    main.sync(capsys)
    satellite.sync(capsys)
    for site, where in ((satellite, ()), (second, ()), (main, ("--hub", str(hub)))):
        verify_lines(site, capsys, *where)


def test_each_further_workstation_at_a_site_gets_a_chain_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(satellite.data_dir)
    # The satellite's laptop is its site's first installation: it writes the site's chain.
    assert local(satellite.data_dir, key, "audit_chain_id") is None
    # A second laptop joins before the first ever synced: still a chain of its own.
    laptop = Site(tmp_path / "laptop-2", hub)
    out = laptop.ok(capsys, "join", str(hub), "--site", "Satellite clinic")
    assert "Satellite clinic (workstation 2, beside the site's other installation)" in out
    third = Site(tmp_path / "main-3", hub)
    third.ok(capsys, "join", str(hub), "--site", "Main clinic")
    assert json.loads(third.ok(capsys, "sync", "--hub", str(hub), "--json"))["parked"] == 0
    chains = {
        local(site.data_dir, key, "audit_chain_id") or local(site.data_dir, key, "this_site_id")
        for site in (satellite, laptop, third)
    }
    assert len(chains) == 3
    add_patient(laptop, capsys, "Hal", "Laptop")
    add_patient(satellite, capsys, "Ivy", "Laptop")
    for site in (laptop, satellite, laptop):
        site.sync(capsys)
    lines = verify_lines(laptop, capsys)
    assert {"Satellite clinic", "Satellite clinic (workstation 2)"} <= set(lines), lines


def test_a_hub_made_before_installations_were_kept_still_verifies_and_gives_a_second_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, _satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    db = open_database(hub / "hub.db", key)
    try:  # as a hub made before migration 0012 holds it: no installation registered
        db.execute("DELETE FROM installations")
        db.conn.commit()
    finally:
        db.close()
    second = Site(tmp_path / "main-2", hub)
    joined = json.loads(second.ok(capsys, "join", str(hub), "--site", "Main clinic", "--json"))
    assert joined["workstation"] == "workstation 2"  # the main clinic's chain has entries
    second.sync(capsys)
    db = open_database(hub / "hub.db", key)
    try:  # and before the migration at all: its trail is checked as before
        db.execute("DROP TABLE installations")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = '0012_installations'")
        db.conn.commit()
    finally:
        db.close()
    lines = verify_lines(main, capsys, "--hub", str(hub))
    assert "Main clinic" in lines and len(lines) == 2  # and the second workstation's chain


def test_a_join_that_did_not_finish_leaves_no_installation_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinicdesk.sync import hub as hub_module
    from clinicdesk.sync.connection import SyncError

    main, _satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)

    def cut(*_args: object, **_kwargs: object) -> int:
        raise SyncError("The network share went away while the files were copied.")

    second = Site(tmp_path / "main-2", hub)
    with monkeypatch.context() as patched:
        patched.setattr(hub_module.files, "copy_files", cut)
        code, _out, err = second.run(capsys, "join", str(hub), "--site", "Main clinic")
    assert code == 2 and "went away" in err
    assert len(rows(hub / "hub.db", key, "installations")) == 2  # the main PC, the satellite
    joined = json.loads(second.ok(capsys, "join", str(hub), "--site", "Main clinic", "--json"))
    assert joined["workstation"] == "workstation 2"
