"""A hub and replicas in temporary folders, driven through the command line as people would."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from clinicdesk.app import main
from clinicdesk.paths import Paths
from clinicdesk.services.context import unlock_clinic
from clinicdesk.storage.database import open_database
from clinicdesk.storage.keys import KeyRing
from tests.conftest import PASSWORD, make_clinic


@dataclass
class Site:
    data_dir: Path
    hub: Path

    def run(
        self, capsys: pytest.CaptureFixture[str], *argv: str, user: str = "admin"
    ) -> tuple[int, str, str]:
        code = main(["--data-dir", str(self.data_dir), "--user", user, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    def ok(self, capsys: pytest.CaptureFixture[str], *argv: str, user: str = "admin") -> str:
        code, out, err = self.run(capsys, *argv, user=user)
        assert code == 0, err
        return out

    def sync(self, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
        import json

        return dict(json.loads(self.ok(capsys, "sync", "--hub", str(self.hub), "--json")))


def data_key(data_dir: Path) -> bytes:
    return KeyRing.load(Paths(data_dir).keyring).unlock("admin", PASSWORD)


def rows(database: Path, key: bytes, table: str = "patients") -> list[tuple[Any, ...]]:
    db = open_database(database, key)
    try:
        return [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()]
    finally:
        db.close()


def make_sites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Site, Site, Path]:
    """The main clinic's installation (which makes the hub) and the satellite's laptop."""
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    clinic = make_clinic(tmp_path / "main")
    clinic.services.close()
    hub = tmp_path / "hub"
    main_site = Site(tmp_path / "main", hub)
    main_site.ok(capsys, "hub", "create", str(hub))
    satellite = Site(tmp_path / "satellite", hub)
    satellite.ok(capsys, "join", str(hub), "--site", "Satellite clinic")
    return main_site, satellite, hub


def jpeg(path: Path, colour: tuple[int, int, int]) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def signs_in(
    site: Site,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    username: str,
    password: str,
) -> bool:
    """``clinicdesk --user USERNAME conflicts`` with ``password``: True when it signed in (a
    password an administrator set signs in, then asks its owner to choose their own)."""
    monkeypatch.setenv("CLINICDESK_PASSWORD", password)
    code, _out, err = site.run(capsys, "conflicts", "--json", user=username)
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    if "must choose a new password" in err:
        return True
    assert code == 0 or "password is wrong" in err, err
    return code == 0


def only_this_password_opens(
    sites: tuple[Site, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    username: str,
    password: str,
    old: str,
) -> None:
    """At every one of ``sites``, ``password`` signs ``username`` in and ``old`` does not."""
    for site in sites:
        assert signs_in(site, capsys, monkeypatch, username, password), site.data_dir.name
        assert not signs_in(site, capsys, monkeypatch, username, old), site.data_dir.name


def change_own_password(site: Site, username: str, old: str, new: str) -> None:
    signed = unlock_clinic(Paths(site.data_dir), username, old)
    try:
        signed.services.users.change_own_password(signed.user, old, new)
    finally:
        signed.services.close()
