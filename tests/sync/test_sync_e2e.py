"""A hub and two installations (the main clinic, which made the hub, and the satellite's
laptop) through a day of offline work on both sides, synced with ``clinicdesk sync``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinicdesk.domain.roles import Role
from clinicdesk.paths import Paths
from clinicdesk.services.context import open_clinic
from clinicdesk.storage.database import open_database
from clinicdesk.storage.keys import KeyRing
from tests.sync.helpers import Site, data_key, jpeg, make_sites, rows

SYNCED_TABLES = ("patients", "photos", "sync_conflicts", "users", "sites", "settings")


def add_patient(site: Site, capsys: pytest.CaptureFixture[str], first: str, last: str) -> str:
    return site.ok(
        capsys, "patients", "add", "--first", first, "--last", last, "--dob", "1980-02-03"
    ).strip()


def patient(site: Site, key: bytes, patient_id: str) -> dict[str, object]:
    services = open_clinic(
        Paths(site.data_dir), data_key=key, keyring=KeyRing.load(Paths(site.data_dir).keyring)
    )
    try:
        row = services.db.execute("SELECT * FROM patients WHERE id = ?", [patient_id])
        names = [d[0] for d in row.description]
        return dict(zip(names, row.fetchone(), strict=True))
    finally:
        services.close()


def assert_same_everywhere(hub: Path, key: bytes, *sites: Site) -> None:
    for table in SYNCED_TABLES:
        at_hub = rows(hub / "hub.db", key, table)
        for site in sites:
            assert rows(site.data_dir / "clinicdesk.db", key, table) == at_hub, (
                table,
                site.data_dir.name,
            )


def test_a_day_of_offline_work_at_both_sites_ends_identical_with_the_conflict_parked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    # Known to both sites before the day starts.
    shared = add_patient(main, capsys, "Ann", "Shared")
    both = add_patient(main, capsys, "Bea", "Both")
    archived = add_patient(main, capsys, "Cal", "Archive")
    main.sync(capsys)
    satellite.sync(capsys)

    # The day, offline: each site registers a patient and edits the shared ones.
    at_main = add_patient(main, capsys, "Dee", "Main")
    at_satellite = add_patient(satellite, capsys, "Eve", "Satellite")
    main.ok(capsys, "patients", "edit", shared, "--phone", "07700 900111")
    satellite.ok(capsys, "patients", "edit", shared, "--email", "ann@example.com")
    main.ok(capsys, "patients", "edit", both, "--last", "Main-Spelling")
    satellite.ok(capsys, "patients", "edit", both, "--last", "Satellite-Spelling")
    main.ok(capsys, "patients", "edit", archived, "--town", "Leeds")
    services = open_clinic(
        Paths(satellite.data_dir),
        data_key=key,
        keyring=KeyRing.load(Paths(satellite.data_dir).keyring),
    )
    try:
        from clinicdesk.services.session import CurrentUser

        admin = services.clinic.repo.user_by_name("admin")
        assert admin is not None
        acting = CurrentUser(
            admin.id, "admin", admin.display_name, Role.ADMIN, services.clinic.this_site().id
        )
        current = services.patients.get(acting, archived)
        services.patients.set_archived(acting, archived, current.version, True)
    finally:
        services.close()
    photo_file = jpeg(tmp_path / "frontal.jpg", (200, 120, 90))
    imported = json.loads(
        satellite.ok(
            capsys,
            "import-photos",
            at_satellite,
            str(photo_file),
            "--view",
            "frontal",
            "--json",
            user="clinician",
        )
    )
    assert imported[0]["status"] == "imported"

    first = main.sync(capsys)
    second = satellite.sync(capsys)
    third = main.sync(capsys)
    assert first["parked"] == 0 and first["sent"] > 0
    assert second["parked"] == 2  # the same field edited at both sites; the archive vs the edit
    assert second["files_sent"] == 1 and third["files_received"] == 1
    assert third["parked"] == 0

    # Both sites' new patients everywhere; edits of different fields both kept.
    got = patient(main, key, shared)
    assert (got["phone"], got["email"]) == ("07700 900111", "ann@example.com")
    assert patient(satellite, key, at_main)["first_name"] == "Dee"
    assert patient(main, key, at_satellite)["first_name"] == "Eve"
    # The same field: the hub's value (synced first) stays; the other is parked with both.
    assert patient(satellite, key, both)["last_name"] == "Main-Spelling"
    # Archive vs edit: the edit is kept and the record is not archived.
    kept = patient(satellite, key, archived)
    assert (kept["town"], kept["deleted_at"]) == ("Leeds", None)
    assert_same_everywhere(hub, key, main, satellite)

    for site in (main, satellite):
        listed = json.loads(site.ok(capsys, "conflicts", "--json"))
        by_row = {c["row_id"]: c for c in listed}
        assert by_row[both]["columns"] == ["last_name"]
        assert by_row[both]["hub"]["values"] == {"last_name": "Main-Spelling"}
        assert by_row[both]["incoming"]["values"] == {"last_name": "Satellite-Spelling"}
        assert by_row[archived]["kind"] == "delete"
    # The photo reached the main clinic whole: its file opens and hashes right there.
    services = open_clinic(
        Paths(main.data_dir), data_key=key, keyring=KeyRing.load(Paths(main.data_dir).keyring)
    )
    try:
        owner, sha256 = services.db.execute("SELECT patient_id, sha256 FROM photos").fetchone()
        assert services.photos.store.get(sha256, owner) == photo_file.read_bytes()
        # The search index was brought up to date for the patients sync changed.
        assert [s.id for s in services.patients.repo.search("Satellite")] == [at_satellite]
    finally:
        services.close()

    # Each site's audit chain travelled as sealed: intact at the hub and at both sites, each
    # of them holding both sites' entries.
    for site, where in ((main, ()), (satellite, ()), (main, ("--hub", str(hub)))):
        out = site.ok(capsys, "audit", "verify", *where)
        assert out.startswith("Audit trail intact"), (site.data_dir.name, where)
        lines = {line.split(":")[0].strip(): line for line in out.splitlines()[1:]}
        # The hub's own chain seals the records it merged (or kept against a parked change).
        assert set(lines) == {"Main clinic", "Satellite clinic", "Hub (sync)"}, out
        assert all(
            "intact" in line and not line.split(": ")[1].startswith("0 ") for line in lines.values()
        ), out


def tamper_audit(data_dir: Path, key: bytes, statement: str) -> None:
    """Change the audit trail behind ClinicDesk's back (its guards dropped first)."""
    db = open_database(Paths(data_dir).database, key)
    try:
        db.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        db.execute(statement)
        db.conn.commit()
    finally:
        db.close()


def site_id(data_dir: Path, key: bytes, name: str) -> str:
    db = open_database(Paths(data_dir).database, key)
    try:
        return str(db.execute("SELECT id FROM sites WHERE name = ?", [name]).fetchone()[0])
    finally:
        db.close()


def test_an_edited_entry_of_the_other_sites_chain_is_named_there_and_goes_no_further(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    add_patient(satellite, capsys, "Fay", "Offline")
    satellite.sync(capsys)
    main.sync(capsys)
    satellite_id = site_id(main.data_dir, key, "Satellite clinic")
    db = open_database(Paths(main.data_dir).database, key)
    try:
        received = db.execute(
            "SELECT count(*) FROM audit_log WHERE site_id = ?", [satellite_id]
        ).fetchone()[0]
    finally:
        db.close()
    assert received >= 2  # the satellite's patient registered, its sync
    tamper_audit(
        main.data_dir,
        key,
        "UPDATE audit_log SET at = '2000-01-01T09:00:00+00:00' WHERE seq = 2 "
        f"AND site_id = '{satellite_id}'",
    )

    code, out, err = main.run(capsys, "audit", "verify")
    assert code == 2 and out == ""
    assert "Satellite clinic: entry 2 was altered" in err
    assert "Main clinic:" in err and "Satellite clinic:" in err  # the lines by site
    # The edit is never carried: the hub and the satellite keep the entry as it was sealed.
    main.sync(capsys)
    satellite.sync(capsys)
    for site, where in ((satellite, ()), (main, ("--hub", str(hub)))):
        assert site.ok(capsys, "audit", "verify", *where).startswith("Audit trail intact")
    code, _out, err = main.run(capsys, "audit", "verify")
    assert code == 2 and "Satellite clinic: entry 2 was altered" in err


def test_joining_names_the_sites_when_the_site_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _main, _satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    other = Site(tmp_path / "elsewhere", hub)
    code, _out, err = other.run(capsys, "join", str(hub), "--site", "Harrogate")
    assert code == 2
    assert "Main clinic, Satellite clinic" in err
    assert not (tmp_path / "elsewhere" / "clinicdesk.db").exists()


def test_a_user_added_at_one_site_signs_in_at_the_other_after_both_synced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinicdesk.services.context import unlock_clinic
    from tests.conftest import PASSWORD

    main_site, satellite, _hub = make_sites(tmp_path, capsys, monkeypatch)
    signed = unlock_clinic(Paths(main_site.data_dir), "admin", PASSWORD)
    try:
        signed.services.clinic.add_user(
            signed.user, "newnurse", "Nia New", Role.CLINICIAN, "a new password 1", "NMC 123"
        )
    finally:
        signed.services.close()
    main_site.sync(capsys)
    satellite.sync(capsys)
    assert KeyRing.load(Paths(satellite.data_dir).keyring).has_user("newnurse")
    there = unlock_clinic(Paths(satellite.data_dir), "newnurse", "a new password 1")
    try:
        assert there.user.username == "newnurse"
        assert there.services.clinic.this_site().name == "Satellite clinic"
    finally:
        there.services.close()
    # Syncing again changes neither key ring.
    before = Paths(satellite.data_dir).keyring.read_bytes()
    satellite.sync(capsys)
    assert Paths(satellite.data_dir).keyring.read_bytes() == before
