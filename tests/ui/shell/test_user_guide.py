"""Help > User guide (F1): the guide shipped in resources/ opens in a dialog from any role."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clinicdesk.paths import resources_dir
from clinicdesk.ui.shell.user_guide import UserGuideDialog, guide_path
from tests.conftest import Clinic
from tests.ui.conftest import WindowFactory

ROOT = Path(__file__).resolve().parents[3]
TOPICS = (
    "Signing in",
    "Finding and adding a patient",
    "Consultations and treatments",
    "Photos",
    "Consent pack",
    "Follow-ups",
    "Idle lock",
    "What each role can do",
    "Where the data lives",
)


def test_f1_opens_the_user_guide_for_reception(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.reception)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert "&User guide" in [a.text() for a in help_menu.actions()]
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.findChild(UserGuideDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    text = dialog.browser.toPlainText()
    for topic in TOPICS:
        assert topic in text, topic
    assert "**" not in text  # rendered, not shown as Markdown source
    dialog.close()
    window.user_guide_action.trigger()  # again: the same dialog comes back
    assert window.findChildren(UserGuideDialog) == [dialog] and dialog.isVisible()
    dialog.close()


def test_the_guide_ships_in_resources_which_the_installer_bundles() -> None:
    assert guide_path().is_relative_to(resources_dir()) and guide_path().is_file()
    spec = (ROOT / "build_installer.spec").read_text(encoding="utf-8")
    assert 'datas=[(str(ROOT / "resources"), "resources")]' in spec


def test_a_missing_guide_is_said_plainly(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = UserGuideDialog(path=tmp_path / "nowhere.md")
    qtbot.addWidget(dialog)
    assert "missing from this installation" in dialog.browser.toPlainText()
