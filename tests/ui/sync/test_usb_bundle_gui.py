"""Sync by USB stick in the window (Clinic > Write a sync bundle to a USB stick… and Read a
sync bundle…): the satellite writes its bundle, the main clinic's PC (where the hub's folder
is set) reads it, and the satellite reads the hub's reply, each through the window's menu with
the file dialogs answered as a person would, the sync child running meanwhile."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton
from pytestqt.qtbot import QtBot

from tests.sync.helpers import Site
from tests.ui.sync.helpers import CHILD_MS, add


def _choose_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(folder))


def _choose_file(monkeypatch: pytest.MonkeyPatch, file: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(file), ""))


def _finished(qtbot: QtBot, control: object) -> str:
    """Wait for the child (or children) and return what the window then said."""
    qtbot.waitUntil(
        lambda: (
            not control.running  # type: ignore[attr-defined]
            and control.summary is not None  # type: ignore[attr-defined]
            and control.summary.isVisible()  # type: ignore[attr-defined]
        ),
        timeout=CHILD_MS,
    )
    assert control.progress is None  # type: ignore[attr-defined]
    return str(control.summary.text())  # type: ignore[attr-defined]


def _listed(window: object, last_name: str) -> int:
    window.search_box.setText(last_name)  # type: ignore[attr-defined]
    window.run_search()  # type: ignore[attr-defined]
    return int(window.model.rowCount())  # type: ignore[attr-defined]


def test_the_satellite_writes_a_bundle_and_the_main_clinic_reads_it_into_its_list(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    main, satellite, _hub = sites
    add(satellite, capsys, "Gwen", "Bystick")
    stick = tmp_path / "usb"
    stick.mkdir()

    at_satellite = window_at(satellite, "clinician")  # type: ignore[operator]
    control = at_satellite.sync_control
    assert control.write_bundle_action.isVisible() and control.read_bundle_action.isVisible()
    assert control.write_bundle_action.text() == "&Write a sync bundle to a USB stick…"
    assert control.write_bundle_action in at_satellite.clinic_menu.actions()
    _choose_folder(monkeypatch, stick)
    control.write_bundle_action.trigger()
    assert control.progress is not None and control.progress.isVisible()
    assert control.running, "the export runs as a child: the window is not waiting"
    said = _finished(qtbot, control)
    written = list(stick.glob("*.cdsync"))
    assert len(written) == 1
    assert str(written[0]) in said
    assert "Read a sync bundle" in said, "it says what to do next"
    assert control.sync_action.isEnabled() and control.read_bundle_action.isEnabled()

    at_main = window_at(main, "clinician")  # type: ignore[operator]
    assert _listed(at_main, "Bystick") == 0
    control = at_main.sync_control
    _choose_file(monkeypatch, written[0])
    control.read_bundle_action.trigger()
    assert control.progress is not None and control.running
    said = _finished(qtbot, control)
    replies = list(stick.glob("*.reply.cdsync"))
    assert len(replies) == 1
    assert str(replies[0]) in said, "it says where the reply was written"
    applied = re.search(r"Applied at the hub: (\d+) changes? from the other site, 0 parked", said)
    assert applied is not None and int(applied.group(1)) >= 1, said
    received = re.search(r"This installation received (\d+)", said)
    assert received is not None and int(received.group(1)) >= 1, said
    assert _listed(at_main, "Bystick") == 1


def test_the_satellite_reads_the_hubs_reply_and_lists_the_main_clinics_new_patient(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    main, satellite, hub = sites
    add(main, capsys, "Hana", "Frommain")
    main.sync(capsys)
    stick = tmp_path / "usb"
    bundle = json.loads(satellite.ok(capsys, "sync", "--export-bundle", str(stick), "--json"))
    read = json.loads(
        main.ok(capsys, "sync", "--hub", str(hub), "--import-bundle", bundle["bundle"], "--json")
    )
    assert read["open_conflicts"] == 0
    at_satellite = window_at(satellite, "clinician")  # type: ignore[operator]
    assert _listed(at_satellite, "Frommain") == 0
    control = at_satellite.sync_control
    _choose_file(monkeypatch, Path(read["reply"]))
    control.read_bundle_action.trigger()
    said = _finished(qtbot, control)
    assert "Took the hub's reply" in said
    received = re.search(r"Received (\d+) changes?\.", said)
    assert received is not None and int(received.group(1)) >= 1, said
    assert Path(read["reply"]).name in said
    assert "Read " in control.status.text()
    assert _listed(at_satellite, "Frommain") == 1, "the window was refreshed"


def test_a_damaged_bundle_is_named_and_nothing_from_it_is_taken(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    main, satellite, _hub = sites
    add(satellite, capsys, "Ivo", "Damaged")
    stick = tmp_path / "usb"
    out = json.loads(satellite.ok(capsys, "sync", "--export-bundle", str(stick), "--json"))
    bundle = Path(out["bundle"])
    data = bytearray(bundle.read_bytes())
    data[-40] ^= 0xFF  # a changed byte near the end, in its list of contents
    bundle.write_bytes(bytes(data))

    at_main = window_at(main, "clinician")  # type: ignore[operator]
    control = at_main.sync_control
    _choose_file(monkeypatch, bundle)
    control.read_bundle_action.trigger()
    said = _finished(qtbot, control)
    assert str(bundle) in said and "cannot be used" in said
    assert "nothing was changed" in said
    assert not list(stick.glob("*.reply.cdsync")), "no reply was written"
    assert _listed(at_main, "Damaged") == 0
    assert control.sync_action.isEnabled() and control.read_bundle_action.isEnabled()


def test_a_file_that_is_no_bundle_is_named_at_the_satellite(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    window_at: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _main, satellite, _hub = sites
    wrong = tmp_path / "holiday.reply.cdsync"
    wrong.write_bytes(b"\xff\xd8\xff\xe0 a photo, not a bundle" * 20)
    at_satellite = window_at(satellite, "admin")  # type: ignore[operator]
    control = at_satellite.sync_control
    _choose_file(monkeypatch, wrong)
    control.read_bundle_action.trigger()
    said = _finished(qtbot, control)
    assert f"{wrong} is not a ClinicDesk sync bundle" in said
    assert "Traceback" not in said


def test_reception_sees_no_usb_sync(sites: tuple[Site, Site, Path], window_at: object) -> None:
    main, _satellite, _hub = sites
    window = window_at(main, "reception")  # type: ignore[operator]
    control = window.sync_control
    assert not control.write_bundle_action.isVisible()
    assert not control.read_bundle_action.isVisible()


def test_a_conflicting_edit_in_a_bundle_is_parked_and_the_conflicts_are_offered(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    main, satellite, _hub = sites
    patient = add(main, capsys, "Jo", "Twophones")
    main.sync(capsys)
    satellite.sync(capsys)
    main.ok(capsys, "patients", "edit", patient, "--phone", "07700 900001")
    main.sync(capsys)
    satellite.ok(capsys, "patients", "edit", patient, "--phone", "07700 900002")
    out = json.loads(
        satellite.ok(capsys, "sync", "--export-bundle", str(tmp_path / "usb"), "--json")
    )
    at_main = window_at(main, "clinician")  # type: ignore[operator]
    control = at_main.sync_control
    _choose_file(monkeypatch, Path(out["bundle"]))
    control.read_bundle_action.trigger()
    said = _finished(qtbot, control)
    assert "1 parked" in said and "conflicts to look at" in said
    look = control.summary.findChild(QPushButton, "open_conflicts")
    assert look is not None and look.text() == "Look at the conflicts…"
    qtbot.mouseClick(look, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(control, "conflicts_dialog", None) is not None)
    assert control.conflicts_dialog.table.rowCount() == 1


def test_cancel_stops_writing_the_bundle_and_leaves_nothing_on_the_stick(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    window_at: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _main, satellite, _hub = sites
    stick = tmp_path / "usb"
    stick.mkdir()
    at_satellite = window_at(satellite, "clinician")  # type: ignore[operator]
    control = at_satellite.sync_control
    _choose_folder(monkeypatch, stick)
    control.write_bundle_action.trigger()
    assert control.progress is not None
    cancel = control.progress.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    said = _finished(qtbot, control)
    assert "cancelled" in said
    assert list(stick.iterdir()) == []
    assert control.write_bundle_action.isEnabled()
