"""Clinic numbers across sites: the main clinic and the satellite register patients offline on
the same day, and after syncing every patient keeps the number their site gave, none is given
twice, nothing is parked, and each site finds the other's patients by number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinicdesk.storage.database import open_database
from tests.sync.helpers import Site, data_key, make_sites, rows


def numbers(database: Path, key: bytes) -> set[str]:
    db = open_database(database, key)
    try:
        return {str(r[0]) for r in db.execute("SELECT patient_number FROM patients")}
    finally:
        db.close()


def add(site: Site, capsys: pytest.CaptureFixture[str], first: str) -> dict[str, str]:
    out = site.ok(
        capsys,
        "patients",
        "add",
        "--first",
        first,
        "--last",
        "Offline",
        "--dob",
        "1980-02-03",
        "--json",
    )
    return dict(json.loads(out))


def test_numbers_given_offline_at_both_sites_stay_unique_after_sync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    before = add(main, capsys, "Ann")
    main.sync(capsys)
    satellite.sync(capsys)

    # Offline, both sites register patients on the same day.
    at_main = [add(main, capsys, name) for name in ("Bea", "Cal")]
    at_satellite = [add(satellite, capsys, name) for name in ("Dee", "Eve")]
    assert [p["patient_number"] for p in (before, *at_main)] == ["M-00001", "M-00002", "M-00003"]
    assert [p["patient_number"] for p in at_satellite] == ["S-00001", "S-00002"]

    synced = [main.sync(capsys), satellite.sync(capsys), main.sync(capsys)]
    assert [s["parked"] for s in synced] == [0, 0, 0]

    key = data_key(main.data_dir)
    everyone = {"M-00001", "M-00002", "M-00003", "S-00001", "S-00002"}
    for site in (main, satellite):
        assert numbers(site.data_dir / "clinicdesk.db", key) == everyone
    assert numbers(hub / "hub.db", key) == everyone
    # Each site finds the other's patient by the number printed on their documents.
    found = json.loads(main.ok(capsys, "patients", "search", "S-00002", "--json"))
    assert [(p["first_name"], p["patient_number"]) for p in found] == [("Eve", "S-00002")]
    found = json.loads(satellite.ok(capsys, "patients", "search", "m3", "--json"))
    assert [(p["first_name"], p["patient_number"]) for p in found] == [("Cal", "M-00003")]
    # The next patient at the satellite carries on from its own count.
    assert add(satellite, capsys, "Fay")["patient_number"] == "S-00003"
    assert add(main, capsys, "Gus")["patient_number"] == "M-00004"
    assert rows(hub / "hub.db", key, "sites") == rows(main.data_dir / "clinicdesk.db", key, "sites")
