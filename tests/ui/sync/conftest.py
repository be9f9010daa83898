"""Fixtures for the sync screens' tests: a hub with the main clinic and the satellite, and
main windows at either (their sync child stopped and the window closed afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from clinicdesk.services.context import ClinicServices
from clinicdesk.ui.shell.main_window import MainWindow
from tests.sync.helpers import Site, make_sites
from tests.ui.sync.helpers import opened


@pytest.fixture
def sites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Site, Site, Path]:
    return make_sites(tmp_path, capsys, monkeypatch)


@pytest.fixture
def window_at(qtbot: QtBot) -> Iterator[object]:
    made: list[tuple[MainWindow, ClinicServices]] = []

    def make(site: Site, username: str) -> MainWindow:
        services = opened(site)
        window = MainWindow(services, services.clinic.user(username))
        qtbot.addWidget(window)
        window.show()
        made.append((window, services))
        return window

    yield make
    for window, services in made:
        control = window.sync_control
        if control.runner.process is not None:
            control.runner.process.kill()
            control.runner.process.waitForFinished(5000)
        control.closing_sync_done = True
        window.close()
        services.close()
