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
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLabel, QMenu, QMessageBox, QToolBar, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.domain.roles import Role
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory, click_message_button, when_modal
from tests.ui.shell.test_idle_lock import (
    IDLE_MS,
    is_locked,
    sign_in_as,
    type_town,
    unlock,
    visible_text,
    wait_for_lock,
)

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


def item(action: QAction) -> Item:
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
    from clinicdesk.ui.shell.main_window import MainWindow
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


# -- File > Lock now, Switch user, Sign out (issue 11, item 7) ---------------------------


def press(qtbot: QtBot, window: MainWindow, shortcut: str) -> None:
    """Type ``shortcut`` where the user is: the window's focus widget. (The offscreen
    platform leaves no window active after a message box, as a window manager would.)"""
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
    sequence = QKeySequence(shortcut)
    combined = sequence[0]
    target = window.focusWidget() or window
    qtbot.keyClick(target, combined.key(), combined.keyboardModifiers())


def status_bar_text(window: MainWindow) -> list[str]:
    """What the status bar shows: its passing message and the labels on it."""
    bar = window.statusBar()
    shown = [bar.currentMessage()] if bar.currentMessage() else []
    shown += [label.text() for label in bar.findChildren(QLabel) if label.isVisible()]
    return shown


def patient_hidden(window: MainWindow) -> bool:
    return "O'Brien" not in visible_text(window) and not window.tabs.isVisible()


def open_patient_and_type(qtbot: QtBot, window: MainWindow, clinic: Clinic) -> str:
    patient_id = clinic.services.patients.register(clinic.admin, dict(VALID_PATIENT)).id
    window.open_patient(patient_id)
    type_town(qtbot, window, "Cardiff")
    assert "O'Brien" in visible_text(window)
    return patient_id


def test_the_file_menu_locks_switches_user_and_signs_out_at_once_by_shortcut(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.clinician)
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    entries = [(a.text(), a.shortcut().toString()) for a in file_menu.actions()]
    assert entries[-5:-1] == [
        ("&Lock now", "Ctrl+Shift+L"),
        ("S&witch user…", "Ctrl+Shift+W"),
        ("Sign &out", "Ctrl+Shift+O"),
        ("", ""),
    ]
    assert entries[-1][0] == "&Quit"
    patient_id = open_patient_and_type(qtbot, window, clinic)
    town = window.demographics.editor("town")

    press(qtbot, window, "Ctrl+Shift+L")
    assert is_locked(window) and patient_hidden(window)
    assert window.idle_lock.screen.password.hasFocus()
    unlock(qtbot, window, PASSWORD)
    assert not is_locked(window) and town.hasFocus()
    assert window.demographics.raw()["town"] == "Cardiff"

    press(qtbot, window, "Ctrl+Shift+W")
    screen = window.idle_lock.screen
    assert is_locked(window) and patient_hidden(window)
    assert screen.switch_form.isVisible() and screen.switch_username.hasFocus()
    when_modal(click_message_button(QMessageBox.StandardButton.Discard))
    sign_in_as(qtbot, window, "reception", PASSWORD)
    assert window.user.username == "reception"
    assert "Signed in as Rex Reception (Reception) at Main clinic" in status_bar_text(window)
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == ""

    press(qtbot, window, "Ctrl+Shift+O")
    assert is_locked(window) and patient_hidden(window)
    assert screen.title.text() == "Sign in to ClinicDesk"
    assert screen.user_label.text() == "Rex Reception signed out."
    assert not screen.password.isVisible() and not screen.unlock_button.isVisible()
    assert screen.switch_form.isVisible() and screen.switch_username.hasFocus()
    assert status_bar_text(window) == ["Signed out"]
    sign_in_as(qtbot, window, "clinician", PASSWORD)  # nothing unsaved: no question
    assert not is_locked(window) and window.user.username == "clinician"
    assert "Signed in as Dr Cara Clinician (Clinician) at Main clinic" in status_bar_text(window)


def test_signing_out_keeps_unsaved_work_for_the_same_user_and_asks_anyone_else(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.clinician)
    patient_id = open_patient_and_type(qtbot, window, clinic)
    screen = window.idle_lock.screen

    window.sign_out_action.trigger()
    assert is_locked(window) and patient_hidden(window)
    assert screen.unsaved_note.isVisible()
    assert "Dr Cara Clinician had not saved are kept" in screen.unsaved_note.text()
    for action in (window.save_action, window.lock_action, window.sign_out_action):
        assert not action.isEnabled()  # locked: only Quit

    seen = when_modal(click_message_button(QMessageBox.StandardButton.Cancel))
    sign_in_as(qtbot, window, "reception", PASSWORD)
    assert "Dr Cara Clinician has changes that are not saved" in seen[0]
    assert is_locked(window) and window.user.username == "clinician"
    assert screen.title.text() == "Sign in to ClinicDesk"  # still the sign-in screen
    assert screen.switch_password.text() == ""  # not left typed in for the next person

    sign_in_as(qtbot, window, "clinician", PASSWORD)  # the same user: no question
    assert not is_locked(window)
    assert window.demographics.raw()["town"] == "Cardiff" and window.has_unsaved_changes
    assert window.save_action.isEnabled()

    window.sign_out_action.trigger()
    when_modal(click_message_button(QMessageBox.StandardButton.Discard))
    sign_in_as(qtbot, window, "admin", PASSWORD)
    assert not is_locked(window) and window.user.username == "admin"
    assert not window.has_unsaved_changes
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == ""
    # Locking again is the plain lock screen, not the sign-in screen.
    window.lock_action.trigger()
    assert screen.title.text() == "ClinicDesk is locked" and screen.password.isVisible()
    assert not screen.switch_form.isVisible()


def test_no_two_actions_of_the_window_share_a_shortcut(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    """Qt ignores an ambiguous shortcut: both actions silently do nothing."""
    window = open_window(clinic.clinician)
    patient_id = clinic.services.patients.register(clinic.admin, dict(VALID_PATIENT)).id
    window.open_patient(patient_id)  # every record tab made, each with its actions
    window.record_tabs()
    owners: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        if action.shortcutContext() not in (
            Qt.ShortcutContext.WindowShortcut,
            Qt.ShortcutContext.ApplicationShortcut,
        ):
            continue
        parent = action.parent()
        if isinstance(parent, QWidget) and isinstance(parent.window(), QDialog):
            continue  # a dialog's own keys work only in that dialog
        for sequence in action.shortcuts():
            owners.setdefault(sequence.toString(), []).append(action.text())
    clashes = {keys: texts for keys, texts in owners.items() if len(texts) > 1}
    assert clashes == {}
    for keys in ("Ctrl+Shift+L", "Ctrl+Shift+W", "Ctrl+Shift+O", "Ctrl+D", "Ctrl+Shift+P"):
        assert keys in owners
    # Within each menu, each underlined letter picks one entry.
    for title_action in window.menuBar().actions():
        menu = title_action.menu()
        assert isinstance(menu, QMenu)
        letters = [
            a.text().split("&")[1][0].lower()
            for a in menu.actions()
            if "&" in a.text() and a.isVisible()
        ]
        assert len(letters) == len(set(letters)), (title_action.text(), letters)


@pytest.mark.qt_log_ignore(
    "This plugin does not support raise",  # the offscreen platform, opening a menu
    "This plugin does not support grabbing the keyboard",
    extend=True,
)
def test_who_is_signed_in_stays_visible_while_a_menu_hint_shows(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.admin)
    signed_in = "Signed in as Ada Admin (Admin) at Main clinic"
    assert signed_in in status_bar_text(window)
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    file_menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitExposed(file_menu)
    target = window.new_action
    QTest.mouseMove(file_menu, file_menu.actionGeometry(target).center())
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == target.statusTip())

    assert signed_in in status_bar_text(window)  # the hint shows beside it, not over it
    file_menu.close()

    window.idle_lock.lock()
    sign_in_as(qtbot, window, "reception", PASSWORD)
    assert "Signed in as Rex Reception (Reception) at Main clinic" in status_bar_text(window)
    assert signed_in not in status_bar_text(window)
