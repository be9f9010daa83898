"""Over a USB bundle, as over the hub's folder, a user added at one installation signs in at the
others, and a password changed (or an account disabled) at one is the same at the others: the
satellite's bundle carries its key ring's wrapped slots to the hub, the hub's reply carries the
hub's back, each taken by the rule hub sync uses (the slot matching the synced ``users`` row).

The satellite never reaches the hub's folder: it sends ``--export-bundle``, the main clinic's PC
applies it with ``--hub HUB --import-bundle`` and writes the reply, the satellite takes the reply
with ``--import-bundle``. The main clinic's own installation syncs with the hub on its network,
as its window does every few minutes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.domain.roles import Role
from clinicdesk.paths import Paths
from clinicdesk.services.context import unlock_clinic
from clinicdesk.storage import archive
from clinicdesk.storage.database import open_database
from clinicdesk.storage.keys import KeyRing
from clinicdesk.sync import bundle as bundle_module
from clinicdesk.sync import engine
from tests.conftest import PASSWORD
from tests.sync.helpers import (
    Site,
    change_own_password,
    data_key,
    make_sites,
    only_this_password_opens,
    rows,
    signs_in,
)

NURSE = "nurse"
FIRST, SECOND, THIRD = "first password 1", "second password 2", "third password 3"
Members = list[tuple[str, Path]]


def add_nurse(site: Site) -> None:
    signed = unlock_clinic(Paths(site.data_dir), "admin", PASSWORD)
    try:
        signed.services.clinic.add_user(
            signed.user, NURSE, "Nia Nurse", Role.CLINICIAN, FIRST, "NMC 123"
        )
    finally:
        signed.services.close()


def export(satellite: Site, capsys: pytest.CaptureFixture[str], stick: Path) -> Path:
    out = satellite.ok(capsys, "sync", "--export-bundle", str(stick), "--json")
    return Path(json.loads(out)["bundle"])


def import_at_hub(main: Site, capsys: pytest.CaptureFixture[str], bundle: Path) -> Path:
    out = main.ok(capsys, "sync", "--hub", str(main.hub), "--import-bundle", str(bundle), "--json")
    return Path(json.loads(out)["reply"])


def take_reply(satellite: Site, capsys: pytest.CaptureFixture[str], reply: Path) -> None:
    satellite.ok(capsys, "sync", "--import-bundle", str(reply), "--json")


def by_usb(main: Site, satellite: Site, capsys: pytest.CaptureFixture[str], stick: Path) -> None:
    """The satellite's changes to the hub and the hub's back, by USB stick; then the main
    clinic's installation syncs with the hub on its network."""
    take_reply(satellite, capsys, import_at_hub(main, capsys, export(satellite, capsys, stick)))
    main.sync(capsys)


def hub_users(main: Site, key: bytes) -> set[str]:
    db = open_database(main.hub / "hub.db", key)
    try:
        return {str(r[0]) for r in db.execute("SELECT username FROM users").fetchall()}
    finally:
        db.close()


def ring(site: Site) -> KeyRing:
    return KeyRing.load(Paths(site.data_dir).keyring)


@pytest.fixture
def sites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Site, Site]:
    main, satellite, _hub = make_sites(tmp_path, capsys, monkeypatch)
    return main, satellite


@pytest.fixture
def sites_with_nurse(
    sites: tuple[Site, Site], capsys: pytest.CaptureFixture[str]
) -> tuple[Site, Site]:
    """The nurse, added at the main clinic before the satellite left its network (so both
    know her through the hub's folder, as test_sync_passwords does)."""
    main, satellite = sites
    add_nurse(main)
    main.sync(capsys)
    satellite.sync(capsys)
    return main, satellite


def test_a_user_added_at_either_site_signs_in_at_the_other_after_a_usb_round_trip(
    sites: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    main, satellite = sites
    add_nurse(satellite)
    by_usb(main, satellite, capsys, tmp_path / "usb")
    assert signs_in(main, capsys, monkeypatch, NURSE, FIRST)

    # And the other way: a user added at the main clinic reaches the satellite by the reply.
    signed = unlock_clinic(Paths(main.data_dir), "admin", PASSWORD)
    try:
        signed.services.clinic.add_user(
            signed.user, "doctor", "Dev Doctor", Role.CLINICIAN, THIRD, "GMC 456"
        )
    finally:
        signed.services.close()
    main.sync(capsys)
    assert not signs_in(satellite, capsys, monkeypatch, "doctor", THIRD)
    by_usb(main, satellite, capsys, tmp_path / "usb")
    assert signs_in(satellite, capsys, monkeypatch, "doctor", THIRD)
    # Everyone else signs in as before, and the recovery slot is each ring's own as it was.
    for site in (main, satellite):
        assert signs_in(site, capsys, monkeypatch, "admin", PASSWORD), site.data_dir.name
        assert signs_in(site, capsys, monkeypatch, NURSE, FIRST), site.data_dir.name


def test_a_password_changed_or_an_account_disabled_at_one_site_is_the_same_at_the_other_by_usb(
    sites_with_nurse: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    main, satellite = sites_with_nurse
    stick = tmp_path / "usb"
    change_own_password(satellite, NURSE, FIRST, SECOND)
    by_usb(main, satellite, capsys, stick)
    assert signs_in(main, capsys, monkeypatch, NURSE, SECOND)
    assert not signs_in(main, capsys, monkeypatch, NURSE, FIRST)

    change_own_password(main, NURSE, SECOND, THIRD)
    main.sync(capsys)
    by_usb(main, satellite, capsys, stick)
    assert signs_in(satellite, capsys, monkeypatch, NURSE, THIRD)
    assert not signs_in(satellite, capsys, monkeypatch, NURSE, SECOND)
    assert not signs_in(satellite, capsys, monkeypatch, NURSE, FIRST)

    # Disabled at the satellite: her slot goes at the hub and at the main clinic too.
    satellite.ok(capsys, "users", "disable", NURSE)
    by_usb(main, satellite, capsys, stick)
    assert not KeyRing.load(main.hub / "keyring.json").has_user(NURSE)
    for site in (main, satellite):
        assert not ring(site).has_user(NURSE), site.data_dir.name
        assert ring(site).has_user("admin"), site.data_dir.name
        assert not signs_in(site, capsys, monkeypatch, NURSE, THIRD), site.data_dir.name


def test_importing_the_same_bundle_or_reply_twice_changes_no_key_slot(
    sites: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    main, satellite = sites
    add_nurse(satellite)
    change_own_password(satellite, NURSE, FIRST, SECOND)
    bundle = export(satellite, capsys, tmp_path / "usb")
    reply = import_at_hub(main, capsys, bundle)
    hub_ring = main.hub / "keyring.json"
    assert KeyRing.load(hub_ring).has_user(NURSE)
    hub_state = (hub_ring.read_bytes(), rows(main.hub / "hub.db", data_key(main.data_dir), "users"))
    again = import_at_hub(main, capsys, bundle)
    assert (hub_ring.read_bytes(), rows(main.hub / "hub.db", data_key(main.data_dir), "users")) == (
        hub_state
    )

    take_reply(satellite, capsys, reply)
    satellite_ring = Paths(satellite.data_dir).keyring.read_bytes()
    take_reply(satellite, capsys, again)
    take_reply(satellite, capsys, reply)
    assert Paths(satellite.data_dir).keyring.read_bytes() == satellite_ring
    main.sync(capsys)
    assert signs_in(main, capsys, monkeypatch, NURSE, SECOND)


def test_an_old_bundle_does_not_roll_back_a_password_changed_at_the_hub_after_it_was_written(
    sites_with_nurse: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The satellite's bundle holds the nurse's slot for her first password; before it reaches
    the hub she changes it at the main clinic. The users row at the hub holds the newer
    password, so the hub keeps its slot for it and the bundle's older one is not taken: the
    new password opens the clinic everywhere, the old one nowhere."""
    main, satellite = sites_with_nurse
    bundle = export(satellite, capsys, tmp_path / "usb")
    change_own_password(main, NURSE, FIRST, SECOND)
    main.sync(capsys)
    take_reply(satellite, capsys, import_at_hub(main, capsys, bundle))
    main.sync(capsys)
    hub_ring = KeyRing.load(main.hub / "keyring.json")
    assert hub_ring.stamp_of(NURSE) == ring(main).stamp_of(NURSE)
    only_this_password_opens((main, satellite), capsys, monkeypatch, NURSE, SECOND, FIRST)


def test_an_old_reply_does_not_roll_back_a_password_changed_at_the_satellite_after_it_was_written(
    sites_with_nurse: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The hub's reply holds the nurse's slot for her first password; the satellite takes it
    only after she changed her password there. Her row at the satellite holds the newer one,
    so the satellite keeps its slot, and the next round trip takes it to the main clinic."""
    main, satellite = sites_with_nurse
    reply = import_at_hub(main, capsys, export(satellite, capsys, tmp_path / "usb"))
    change_own_password(satellite, NURSE, FIRST, SECOND)
    take_reply(satellite, capsys, reply)
    assert signs_in(satellite, capsys, monkeypatch, NURSE, SECOND)
    assert not signs_in(satellite, capsys, monkeypatch, NURSE, FIRST)

    by_usb(main, satellite, capsys, tmp_path / "usb")
    only_this_password_opens((main, satellite), capsys, monkeypatch, NURSE, SECOND, FIRST)


def test_a_bundle_carries_the_key_slots_only_inside_its_encryption(
    sites_with_nurse: tuple[Site, Site], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The bundle holds the satellite's key ring as its file does (wrapped slots: no password,
    no data key), and only inside the bundle's encryption: nothing of it can be read off the
    stick without the clinic's key."""
    main, satellite = sites_with_nurse
    key = data_key(main.data_dir)
    path = export(satellite, capsys, tmp_path / "usb")
    members: dict[str, io.BytesIO] = {}

    def open_member(name: str) -> io.BytesIO:
        members[name] = io.BytesIO()
        return members[name]

    with path.open("rb") as handle:
        archive.read_members(handle, archive.read_header(handle), key, open_member)
    carried = json.loads(members["keyring.json"].getvalue())
    own = json.loads(Paths(satellite.data_dir).keyring.read_text())
    assert carried == own
    assert {"recovery", "user:admin", f"user:{NURSE}"} <= set(carried["slots"])
    raw = path.read_bytes()
    nurse = carried["slots"][f"user:{NURSE}"]
    for text in (FIRST, PASSWORD, nurse["wrapped"], nurse["password_stamp"], f"user:{NURSE}"):
        assert text.encode() not in raw, text
    assert key not in raw and key.hex().encode() not in raw


def test_a_password_changed_at_both_sites_is_the_one_the_hub_kept_everywhere(
    sites_with_nurse: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Changed at the satellite (in its bundle) and, before the bundle arrives, at the main
    clinic: the hub keeps the change it had first and parks the bundle's (as for any field),
    and each key ring follows its users row, so one password, the same everywhere, opens the
    clinic: nobody is locked out at either site."""
    main, satellite = sites_with_nurse
    change_own_password(satellite, NURSE, FIRST, SECOND)
    bundle = export(satellite, capsys, tmp_path / "usb")
    change_own_password(main, NURSE, FIRST, THIRD)
    main.sync(capsys)
    take_reply(satellite, capsys, import_at_hub(main, capsys, bundle))
    main.sync(capsys)
    only_this_password_opens((main, satellite), capsys, monkeypatch, NURSE, THIRD, SECOND)


def test_an_import_stopped_before_the_key_slots_is_completed_by_importing_it_again(
    sites: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Stopped (power cut, Ctrl+C) after the rows were applied but before the key ring took
    the slots, at the hub's PC or on the laptop: the same file imported again finishes it."""
    main, satellite = sites
    key = data_key(main.data_dir)
    add_nurse(satellite)
    bundle = export(satellite, capsys, tmp_path / "usb")

    def stopped(*_args: object, **_kwargs: object) -> list[str]:
        raise KeyboardInterrupt

    hub_args = ("sync", "--hub", str(main.hub), "--import-bundle", str(bundle), "--json")
    with monkeypatch.context() as patch:
        patch.setattr(engine, "take_key_slots", stopped)
        assert main.run(capsys, *hub_args)[0] == 130
    assert NURSE in hub_users(main, key)
    assert not KeyRing.load(main.hub / "keyring.json").has_user(NURSE)
    reply = import_at_hub(main, capsys, bundle)
    assert KeyRing.load(main.hub / "keyring.json").has_user(NURSE)

    with monkeypatch.context() as patch:
        patch.setattr(engine, "take_key_slots", stopped)
        assert satellite.run(capsys, "sync", "--import-bundle", str(reply))[0] == 130
    take_reply(satellite, capsys, reply)
    main.sync(capsys)
    for site in (main, satellite):
        assert signs_in(site, capsys, monkeypatch, NURSE, FIRST), site.data_dir.name


def test_a_bundle_from_before_key_rings_were_carried_still_brings_its_changes(
    sites: tuple[Site, Site],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A bundle or reply with no key ring in it (an earlier ClinicDesk's, still on the stick):
    its rows are taken and the rings stay as they were; the next bundle brings the slots."""
    main, satellite = sites
    add_nurse(satellite)
    write = bundle_module._write

    def without_ring(path: Path, key: bytes, kind: str, members: Members, manifest: Any) -> None:
        write(path, key, kind, [m for m in members if m[0] != bundle_module.KEY_RING], manifest)

    with monkeypatch.context() as patch:
        patch.setattr(bundle_module, "_write", without_ring)
        reply = import_at_hub(main, capsys, export(satellite, capsys, tmp_path / "usb"))
    hub_ring = (main.hub / "keyring.json").read_bytes()
    take_reply(satellite, capsys, reply)
    key = data_key(main.data_dir)
    assert NURSE in hub_users(main, key)
    assert (main.hub / "keyring.json").read_bytes() == hub_ring
    by_usb(main, satellite, capsys, tmp_path / "usb")
    assert signs_in(main, capsys, monkeypatch, NURSE, FIRST)
