"""Issue 14, audit across sites (RELIABILITY rows 15 and 35 at the hub and each replica).

Every site keeps its own chain; sync carries each site's entries as plain rows, never re-sealed
(``two_sites.carry_audit`` does what the sync engine does with them). ``clinicdesk audit
verify`` then checks every site's chain at both installations, and an edit, a gap or a cut in
the other site's chain is reported naming that site and the entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicdesk.app import main
from clinicdesk.paths import Paths
from clinicdesk.storage import audit, audit_anchor
from clinicdesk.storage.database import Database
from tests.conftest import PASSWORD, Clinic
from tests.reliability.two_sites import Site, carry_audit, second_site


@pytest.fixture
def satellite(
    clinic: Clinic,
    patient_form: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Site]:
    """The main clinic and the satellite, each having worked apart, then synced both ways."""
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    # (Only audit entries are carried here, so the day's work is reading a record both have.)
    patient = clinic.services.patients.register(clinic.reception, patient_form)
    site = second_site(clinic, tmp_path / "satellite")
    clinic.services.patients.get(clinic.clinician, patient.id)
    for _ in range(6):
        site.services.patients.get(site.clinician, patient.id)
    assert carry_audit(site.services.db, clinic.services.db) > 6
    assert carry_audit(clinic.services.db, site.services.db) > 0
    yield site
    site.services.close()


def verify(paths: Paths, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--data-dir", str(paths.data_dir), "--user", "admin", "audit", "verify"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def satellite_entries(db: Database, site: Site) -> list[int]:
    site_id = site.services.clinic.this_site().id
    return [s for (s,) in db.execute("SELECT seq FROM audit_log WHERE site_id = ?", [site_id])]


def tamper(db: Database, *statements: str) -> None:
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for statement in statements:
        db.execute(statement)
    db.conn.commit()


def test_each_sites_chain_is_checked_and_intact_at_both_sites(
    satellite: Site, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    main_db = clinic.services.db
    # Each site numbers its own entries from 1: both have an entry 1, each in its own chain.
    assert main_db.execute("SELECT count(*) FROM audit_log WHERE seq = 1").fetchone()[0] == 2
    for paths in (clinic.paths, satellite.paths):
        code, out, err = verify(paths, capsys)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].startswith("Audit trail intact: ")
        assert any(
            line.startswith("  Main clinic: ") and line.endswith(" entries intact")
            for line in lines
        ), out
        assert any(
            line.startswith("  Satellite clinic: ") and line.endswith(" entries intact")
            for line in lines
        ), out
    # Sync keeps working after a check: the new entries of each side arrive and still verify.
    carry_audit(satellite.services.db, main_db)
    carry_audit(main_db, satellite.services.db)
    assert verify(clinic.paths, capsys)[0] == 0
    assert verify(satellite.paths, capsys)[0] == 0


def test_an_edited_entry_of_the_other_site_is_named_with_its_site(
    satellite: Site, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    main_db = clinic.services.db
    numbers = satellite_entries(main_db, satellite)
    target = numbers[3]
    site_id = satellite.services.clinic.this_site().id
    tamper(
        main_db,
        f"UPDATE audit_log SET user_id = 'someone-else' WHERE site_id = '{site_id}' "
        f"AND seq = {target}",
    )
    code, _, err = verify(clinic.paths, capsys)
    assert code == 2
    assert f"  Satellite clinic: entry {target} was altered" in err.splitlines()
    assert not any(line.startswith("  Main clinic: entry") for line in err.splitlines()), err
    # The satellite's own copy is untouched and still verifies.
    assert verify(satellite.paths, capsys)[0] == 0


def test_a_deleted_entry_of_the_other_site_is_a_gap_named_with_its_site(
    satellite: Site, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    main_db = clinic.services.db
    site_id = satellite.services.clinic.this_site().id
    tamper(main_db, f"DELETE FROM audit_log WHERE site_id = '{site_id}' AND seq IN (3, 4)")
    code, _, err = verify(clinic.paths, capsys)
    assert code == 2
    assert "  Satellite clinic: entries 3 to 4 are missing (next is 5)" in err.splitlines()


def test_the_other_sites_cut_tail_is_reported_against_its_anchored_head(
    satellite: Site, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cut the satellite's newest entries at the main clinic, and the head received with them."""
    main_db = clinic.services.db
    site_id = satellite.services.clinic.this_site().id
    last = max(satellite_entries(main_db, satellite))
    tamper(
        main_db,
        f"DELETE FROM audit_log WHERE site_id = '{site_id}' AND seq > {last - 2}",
        f"DELETE FROM local_state WHERE key = '{audit_anchor.SYNCED_HEAD}{site_id}'",
    )
    code, _, err = verify(clinic.paths, capsys)
    assert code == 2
    assert (
        f"  Satellite clinic: the newest 2 entries are missing: the trail ends at entry "
        f"{last - 2}, but entry {last} was written"
    ) in err.splitlines()
    # The main clinic's next entries (a sign-in) do not heal the other site's chain.
    argv = ["--data-dir", str(clinic.paths.data_dir), "--user", "reception"]
    assert main([*argv, "patients", "search", "O'Brien"]) == 0
    capsys.readouterr()
    assert verify(clinic.paths, capsys)[0] == 2


def test_the_whole_chain_of_the_other_site_deleted_is_reported(
    satellite: Site, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    main_db = clinic.services.db
    site_id = satellite.services.clinic.this_site().id
    last = max(satellite_entries(main_db, satellite))
    tamper(main_db, f"DELETE FROM audit_log WHERE site_id = '{site_id}'")
    code, _, err = verify(clinic.paths, capsys)
    assert code == 2
    assert (
        f"  Satellite clinic: the newest {last} entries are missing: the trail is empty, but "
        f"entry {last} was written"
    ) in err.splitlines()


def test_the_trail_reads_every_sites_entries_once_page_by_page(
    satellite: Site, clinic: Clinic
) -> None:
    """Admin > Audit trail pages through both sites' entries (numbers repeat across sites)."""
    db = clinic.services.db
    seen: list[tuple[str, int]] = []
    page = audit.entries(db, newest_first=True, limit=3)
    while page:
        seen += [(e.site_id, e.seq) for e in page]
        page = audit.entries(db, newest_first=True, limit=3, before=page[-1].position)
    everything = db.execute("SELECT site_id, seq FROM audit_log").fetchall()
    assert sorted(seen) == sorted((str(s), int(n)) for s, n in everything)
    assert len(seen) == len(set(seen))
    # Newest first, in time order across sites.
    times = [e.at for e in audit.entries(db, newest_first=True)]
    assert times == sorted(times, reverse=True)
