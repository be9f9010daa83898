"""Joining the clinic's hub from the first-run screen, and the clinic's installations in Admin >
Sites and sync (a real join child process against a hub in a temporary folder), with qtbot."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.paths import Paths
from clinicdesk.services.context import unlock_clinic
from clinicdesk.ui.shell.first_run import FirstRunDialog
from clinicdesk.ui.sync.join import JoinHubDialog
from clinicdesk.ui.sync.sites import SitesDialog
from tests.conftest import PASSWORD
from tests.sync.helpers import Site
from tests.ui.conftest import when_modal
from tests.ui.sync.helpers import CHILD_MS, add


def test_a_second_workstation_joins_the_hub_from_the_first_run_screen(
    qtbot: QtBot, sites: tuple[Site, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    main, _satellite, hub = sites
    known = add(main, capsys, "Joy", "Athub")
    main.sync(capsys)
    paths = Paths(hub.parent / "front-desk")
    first_run = FirstRunDialog(paths)
    qtbot.addWidget(first_run)
    first_run.show()
    messages: list[str] = []

    def join(modal: QWidget) -> None:
        assert isinstance(modal, JoinHubDialog)
        for key, text in (
            ("hub", str(hub)),
            ("site", "Main clinic"),
            ("username", "admin"),
            ("password", "not the password"),
        ):
            modal.edits[key].setText(text)
        qtbot.mouseClick(modal.join_button, Qt.MouseButton.LeftButton)
        # A wrong password: said in the dialog, which stays open; nothing is made.
        qtbot.waitUntil(
            lambda: bool(modal.message.text()) and modal.join_button.isEnabled(), timeout=CHILD_MS
        )
        messages.append(modal.message.text())
        assert not paths.database.exists()
        modal.edits["password"].setText(PASSWORD)
        qtbot.mouseClick(modal.join_button, Qt.MouseButton.LeftButton)

    when_modal(join, kind=JoinHubDialog)
    qtbot.mouseClick(first_run.join_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first_run.result() == QDialog.DialogCode.Accepted, timeout=CHILD_MS)

    assert "password" in messages[0].lower() and "wrong" in messages[0].lower()
    assert first_run.joined_as == "Main clinic (workstation 2)"
    signed = unlock_clinic(paths, "admin", PASSWORD)
    try:
        assert signed.services.clinic.this_site().name == "Main clinic"
        assert signed.services.patients.repo.get(known) is not None
    finally:
        signed.services.close()


def test_the_sites_dialog_lists_each_installation_and_its_last_sync(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
) -> None:
    main, satellite, hub = sites
    second = Site(hub.parent / "main-2", hub)
    second.ok(capsys, "join", str(hub), "--site", "Main clinic")
    for site in (satellite, second, main):
        site.sync(capsys)
    window = window_at(main, "admin")  # type: ignore[operator]
    dialog = SitesDialog(window.sync_control, window)
    qtbot.addWidget(dialog)
    table = dialog.installations
    listed = {
        table.item(row, 0).text(): table.item(row, 1).text() for row in range(table.rowCount())
    }
    assert set(listed) == {
        "Main clinic (this computer)",
        "Main clinic (workstation 2)",
        "Satellite clinic",
    }
    assert all(when != "never" for when in listed.values()), listed
