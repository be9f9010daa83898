from __future__ import annotations

from pathlib import Path

import pytest

from tests.sync.helpers import data_key, make_sites, rows


def test_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    main_site, satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    a = main_site.ok(capsys, "patients", "add", "--first", "Ann", "--last", "Main", "--dob", "1980-01-02").strip()
    b = satellite.ok(capsys, "patients", "add", "--first", "Bob", "--last", "Sat", "--dob", "1981-01-02").strip()
    _ = (main_site.sync(capsys))
    _ = (satellite.sync(capsys))
    _ = (main_site.sync(capsys))
    key = data_key(main_site.data_dir)
    assert rows(main_site.data_dir / "clinicdesk.db", key) == rows(satellite.data_dir / "clinicdesk.db", key)
    assert len(rows(hub / "hub.db", key)) == 2
    main_site.ok(capsys, "patients", "edit", a, "--phone", "07700 900111")
    satellite.ok(capsys, "patients", "edit", a, "--email", "ann@example.com")
    _ = (main_site.sync(capsys), satellite.sync(capsys), main_site.sync(capsys))
    assert rows(main_site.data_dir / "clinicdesk.db", key) == rows(satellite.data_dir / "clinicdesk.db", key)
    assert rows(main_site.data_dir / "clinicdesk.db", key)[0][0]
    got = {r[0]: r for r in rows(main_site.data_dir / "clinicdesk.db", key)}
    assert "07700" in str(got[a]) and "ann@example.com" in str(got[a]), got[a]
