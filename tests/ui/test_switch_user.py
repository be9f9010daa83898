"""Locking, unlocking and handing the window to another user keep its shell whole: every role
sees its own full menu bar after each lock, unlock and switch, exactly as a window freshly
signed in for that role, and nothing crashes on the way (issue 11, items 1 and 2).

The lock disables the window's actions through a QActionGroup. Taking them out again with
``QActionGroup.removeAction`` handed each action's ownership to Python (PySide6), so the menus'
own title actions (made by Qt, held by nobody in Python) were deleted as soon as the list
holding them went: the Admin and Help menus vanished, and the next ``admin_menu.menuAction()``
(switching from an administrator to anyone else) crashed the process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QToolBar
from pytestqt.qtbot import QtBot

from clinicdesk.domain.roles import Role
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.main_window import MainWindow
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory, click_message_button, when_modal
from tests.ui.test_idle_lock import IDLE_MS, is_locked, sign_in_as, type_town, unlock, wait_for_lock

ROLES = ("admin", "clinician", "reception")
# Every ordered pair: the same user unlocking, and each switch from one role to another.
PAIRS = [(first, second) for first in ROLES for second in ROLES]
# The menus each role sees, in order (the Admin menu only while it holds something usable).
MENU_TITLES = {
    "admin": ["&File", "&Clinic", "&Admin", "&Help"],
    "clinician": ["&File", "&Clinic", "&Help"],
    "reception": ["&File", "&Clinic", "&Help"],
}

Item = tuple[str, str, bool, bool]  # text, shortcut, visible, enabled
Menu = tuple[str, bool, bool, tuple[Item, ...]]
Shell = tuple[tuple[Menu, ...], tuple[Item, ...], tuple[Item, ...]]


def item(action: object) -> Item:
    from PySide6.QtGui import QAction

    assert isinstance(action, QAction)
    return (action.text(), action.shortcut().toString(), action.isVisible(), action.isEnabled())


def menu_bar(window: MainWindow) -> tuple[Menu, ...]:
    """The menu bar as a user meets it: each menu's title, whether it shows and can be opened,
    and each entry's text, shortcut, visibility and state."""
    menus = []
    for title_action in window.menuBar().actions():
        menu = title_action.menu()
        assert menu is not None, f"{title_action.text()!r} is not a menu"
        entries = tuple(item(a) for a in menu.actions() if not a.isSeparator())
        menus.append(
            (title_action.text(), title_action.isVisible(), title_action.isEnabled(), entries)
        )
    return tuple(menus)


def shell(window: MainWindow) -> Shell:
    """The menu bar, the toolbar and the window's own actions (shortcuts such as Ctrl+D)."""
    (toolbar,) = window.findChildren(QToolBar)
    return (
        menu_bar(window),
        tuple(item(a) for a in toolbar.actions()),
        tuple(item(a) for a in window.actions()),
    )


def shown_menus(window: MainWindow) -> list[str]:
    return [a.text() for a in window.menuBar().actions() if a.isVisible()]


def visibility(snapshot: Shell) -> object:
    """The snapshot without enabled states (those follow what is on screen: Save, Archive)."""
    menus, toolbar, actions = snapshot
    return (
        tuple((t, v, tuple(e[:3] for e in entries)) for t, v, _, entries in menus),
        tuple(e[:3] for e in toolbar),
        tuple(e[:3] for e in actions),
    )


@pytest.fixture
def fresh_shell(clinic: Clinic, open_window: WindowFactory) -> Callable[[str], Shell]:
    """The shell of a window freshly signed in for a role: what every switch must give."""

    def fresh(role: str) -> Shell:
        window = open_window(user_of(clinic, role))
        made = shell(window)
        assert shown_menus(window) == MENU_TITLES[role]
        window.close()
        return made

    return fresh


def lock_when_idle(qtbot: QtBot, window: MainWindow) -> None:
    """The idle lock comes on (after a short idle time, so the test need not wait minutes)."""
    window.idle_lock.watcher.set_timeout_ms(IDLE_MS)
    wait_for_lock(qtbot, window)


def user_of(clinic: Clinic, role: str) -> CurrentUser:
    user = getattr(clinic, role)
    assert isinstance(user, CurrentUser) and user.role is Role(role)
    return user


def leave_work(qtbot: QtBot, window: MainWindow, clinic: Clinic, work: str) -> str:
    """Leave unsaved ``work`` on screen; returns what was typed."""
    if work == "nothing":
        return ""
    patient_id = clinic.services.patients.register(clinic.admin, dict(VALID_PATIENT)).id
    window.open_patient(patient_id)
    if work == "patient form":
        type_town(qtbot, window, "Cardiff")
        assert window.has_unsaved_changes
        return "Cardiff"
    assert work == "record form"
    window.tabs.setCurrentWidget(window.measurements)
    window.measurements.open_assessment(None)
    dialog = window.measurements.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.notes, "Crown looks fuller")
    return "Crown looks fuller"


def work_on_screen(window: MainWindow, work: str) -> str:
    if work == "patient form":
        return window.demographics.raw()["town"]
    if work == "record form":
        dialog = window.measurements.dialog
        if dialog is None or not dialog.isVisible():
            return ""
        return dialog.notes.toPlainText()
    return ""


CASES = [(first, second, work) for first, second in PAIRS for work in ("nothing", "patient form")]
CASES += [("clinician", second, "record form") for second in ROLES]


@pytest.mark.parametrize(("first", "second", "work"), CASES)
def test_every_role_keeps_its_full_menus_through_the_lock_and_a_switch(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    fresh_shell: Callable[[str], Shell],
    first: str,
    second: str,
    work: str,
) -> None:
    expected = fresh_shell(second)
    window = open_window(user_of(clinic, first))
    assert shell(window) == fresh_shell(first)
    typed = leave_work(qtbot, window, clinic, work)
    before = shell(window)

    lock_when_idle(qtbot, window)
    # Locked: the same menus are there, everything but Quit greyed out.
    assert shown_menus(window) == MENU_TITLES[first]
    enabled = [e[0] for m in menu_bar(window) for e in m[3] if e[2] and e[3]]
    assert enabled == ["&Quit"]

    if first == second:
        unlock(qtbot, window, PASSWORD)
        assert not is_locked(window)
        assert shell(window) == before  # each action as it was, Save enabled for the edit
        assert visibility(shell(window)) == visibility(expected)
        assert work_on_screen(window, work) == typed
    else:
        if typed:
            when_modal(click_message_button(QMessageBox.StandardButton.Discard))
        sign_in_as(qtbot, window, second, PASSWORD)
        assert not is_locked(window)
        assert window.user.username == second
        assert shell(window) == expected
        assert work_on_screen(window, work) == ""
    assert shown_menus(window) == MENU_TITLES[second]

    # And again: a second lock and unlock by whoever now holds the window changes nothing.
    after = shell(window)
    window.idle_lock.lock()
    unlock(qtbot, window, PASSWORD)
    assert shell(window) == after


# The whole walk in a separate process: a crash there fails this test with its exit status
# instead of taking the test run down with it.
WALK = textwrap.dedent(
    """
    import faulthandler, sys
    from pathlib import Path
    faulthandler.enable()
    from argon2 import PasswordHasher
    from PySide6.QtWidgets import QApplication
    from clinicdesk.services import clinic as clinic_service
    from clinicdesk.storage import keys
    clinic_service._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    keys.KDF = keys.KdfParameters(time_cost=1, memory_cost=8, parallelism=1)
    app = QApplication([])
    from clinicdesk.ui.main_window import MainWindow
    from tests.conftest import PASSWORD, make_clinic
    clinic = make_clinic(Path(sys.argv[1]))
    # Every ordered pair of roles once, the same user unlocking included.
    walk = ["admin", "admin", "clinician", "clinician", "reception", "reception", "admin",
            "reception", "clinician", "admin"]
    window = MainWindow(clinic.services, clinic.admin, idle_timeout_ms=3_600_000)
    window.show()
    for name in walk[1:]:
        window.idle_lock.lock()
        app.processEvents()
        user = clinic.services.clinic.login(name, PASSWORD)
        window.idle_lock._open(None if user.id == window.user.id else user)
        app.processEvents()
        shown = [a.text() for a in window.menuBar().actions() if a.isVisible()]
        print(name, shown, flush=True)
    window.close()
    clinic.services.close()
    """
)


def test_the_lock_and_switch_walk_does_not_crash_the_process(tmp_path: Path) -> None:
    env = dict(
        os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(Path(__file__).resolve().parents[2])
    )
    done = subprocess.run(
        [sys.executable, "-c", WALK, str(tmp_path / "clinic")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"the window crashed ({done.returncode}):\n{done.stderr}"
    lines = done.stdout.splitlines()
    assert lines == [
        "admin ['&File', '&Clinic', '&Admin', '&Help']",
        "clinician ['&File', '&Clinic', '&Help']",
        "clinician ['&File', '&Clinic', '&Help']",
        "reception ['&File', '&Clinic', '&Help']",
        "reception ['&File', '&Clinic', '&Help']",
        "admin ['&File', '&Clinic', '&Admin', '&Help']",
        "reception ['&File', '&Clinic', '&Help']",
        "clinician ['&File', '&Clinic', '&Help']",
        "admin ['&File', '&Clinic', '&Admin', '&Help']",
    ]
