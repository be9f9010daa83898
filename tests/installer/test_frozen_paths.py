"""The program finds its resources in a checkout and in the frozen build, and keeps its data
and log in the platform's data folder, never in the install folder."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from clinicdesk import APP_NAME
from clinicdesk.paths import ENV_DATA_DIR, resolve_paths, resources_dir
from clinicdesk.ui.sync import runner


def test_resources_in_a_checkout() -> None:
    root = resources_dir()
    assert (root / "templates" / "manifest.json").is_file()
    assert (root / "icons" / "clinicdesk-256.png").is_file()
    assert (root / "fonts" / "DejaVuSans.ttf").is_file()


def test_resources_in_the_frozen_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "ClinicDesk" / "_internal"), raising=False)
    assert resources_dir() == tmp_path / "ClinicDesk" / "_internal" / "resources"


def test_data_goes_to_the_platforms_folder_not_the_install_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install = tmp_path / "ClinicDesk"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(install / "_internal"), raising=False)
    monkeypatch.setattr(sys, "executable", str(install / APP_NAME))
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    paths = resolve_paths(None)
    assert paths.data_dir == Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    assert not paths.data_dir.is_relative_to(install)
    assert paths.logs_dir.is_relative_to(paths.data_dir)


def test_the_frozen_sync_process_is_the_console_program(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / APP_NAME))
    assert runner.program() == (str(tmp_path / APP_NAME), [])  # no console program beside it
    (tmp_path / runner.CLI_PROGRAM).write_bytes(b"")
    assert runner.program() == (str(tmp_path / runner.CLI_PROGRAM), [])


def test_in_a_checkout_the_sync_process_is_this_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert runner.program() == (sys.executable, ["-m", "clinicdesk"])
