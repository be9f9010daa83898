"""A password changed or reset at one installation (or an account disabled there) is the same at
every installation after their syncs: the new password signs in everywhere, the old one nowhere.
Driven through the command line as ``test_sync_e2e`` is (own password changes through the
service, as File > Change my password does: the command line has no such command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicdesk.domain.roles import Role
from clinicdesk.paths import Paths
from clinicdesk.services.context import unlock_clinic
from clinicdesk.storage.keys import KeyRing
from tests.conftest import PASSWORD
from tests.sync.helpers import Site, change_own_password, make_sites, signs_in

NURSE = "nurse"
FIRST, SECOND, THIRD = "first password 1", "second password 2", "third password 3"


def sync_both(first: Site, second: Site, capsys: pytest.CaptureFixture[str]) -> None:
    first.sync(capsys)
    second.sync(capsys)


@pytest.fixture
def sites_with_nurse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Site, Site]:
    main, satellite, _hub = make_sites(tmp_path, capsys, monkeypatch)
    signed = unlock_clinic(Paths(main.data_dir), "admin", PASSWORD)
    try:
        signed.services.clinic.add_user(
            signed.user, NURSE, "Nia Nurse", Role.CLINICIAN, FIRST, "NMC 123"
        )
    finally:
        signed.services.close()
    sync_both(main, satellite, capsys)
    return main, satellite


def test_an_own_password_change_at_either_site_is_the_password_at_the_other_after_syncing(
    sites_with_nurse: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    main, satellite = sites_with_nurse
    change_own_password(satellite, NURSE, FIRST, SECOND)
    sync_both(satellite, main, capsys)
    assert signs_in(main, capsys, monkeypatch, NURSE, SECOND)
    assert not signs_in(main, capsys, monkeypatch, NURSE, FIRST)

    # And back: changed at the main clinic, it reaches the satellite.
    change_own_password(main, NURSE, SECOND, THIRD)
    sync_both(main, satellite, capsys)
    assert signs_in(satellite, capsys, monkeypatch, NURSE, THIRD)
    assert not signs_in(satellite, capsys, monkeypatch, NURSE, SECOND)
    assert not signs_in(satellite, capsys, monkeypatch, NURSE, FIRST)
    # Everyone else, and the recovery slot, are as they were; syncing again changes nothing.
    assert signs_in(satellite, capsys, monkeypatch, "admin", PASSWORD)
    rings = [Paths(site.data_dir).keyring.read_bytes() for site in (main, satellite)]
    sync_both(main, satellite, capsys)
    assert [Paths(site.data_dir).keyring.read_bytes() for site in (main, satellite)] == rings


def test_an_admin_reset_and_a_disabled_account_at_the_main_clinic_reach_the_satellite(
    sites_with_nurse: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    main, satellite = sites_with_nurse
    monkeypatch.setenv("CLINICDESK_NEW_PASSWORD", SECOND)
    main.ok(capsys, "users", "reset-password", NURSE)
    sync_both(main, satellite, capsys)
    assert signs_in(satellite, capsys, monkeypatch, NURSE, SECOND)
    assert not signs_in(satellite, capsys, monkeypatch, NURSE, FIRST)

    main.ok(capsys, "users", "disable", NURSE)
    sync_both(main, satellite, capsys)
    for site in (main, satellite):
        ring = KeyRing.load(Paths(site.data_dir).keyring)
        assert not ring.has_user(NURSE), site.data_dir.name
        assert ring.has_user("admin"), site.data_dir.name
    assert not KeyRing.load(main.hub / "keyring.json").has_user(NURSE)
    assert not signs_in(satellite, capsys, monkeypatch, NURSE, SECOND)
