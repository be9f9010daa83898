"""The idle lock: an unattended window hides all patient data until its user is back.

``IdleWatcher`` is an application-wide event filter: each key press, mouse press, mouse move or
wheel turn anywhere in the application (dialogs included) restarts one single-shot timer, and
when the timer runs out ``IdleLock`` locks the main window. Locking closes and reloads nothing.
The window's central widget is the first page of a stack whose second page is the lock screen,
so the patient list, the record header and tabs, and the form with any unsaved edits are hidden
just as they were; the header labels and the status bar are emptied too. The window's actions
join a disabled ``QActionGroup``, which keeps them disabled whatever tries to enable them
meanwhile (a dialog that was open when the lock came finishing its work, say) and gives each its
own state back on unlock; only Quit stays. Open dialogs are cancelled, except the record forms
that hold typed work (they opt in with the ``KEEP_AT_LOCK`` property): those are hidden and come
back as they were when the same user unlocks, and are discarded only after asking when another
user signs in.

File > Lock now and File > Switch user lock at once (the latter opens "Sign in as someone
else"); File > Sign out locks too, with the lock screen shown as a sign-in screen: the user's
unsaved work is kept just the same until they sign back in.

The lock screen takes the same user's password, which brings back exactly what was on screen.
Another user may sign in instead: the window becomes theirs, and the first user's unsaved work
is discarded only after asking. Both go through ``ClinicService.login``, which checks the
password and audits the attempt, good or bad.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget, QWidget

from clinicdesk.errors import UserError
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.shell.start_up import EVENT_FILTERS_AFTER_MS, IdleSteps
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.keep_at_lock import KEEP_AT_LOCK

# What only locking, unlocking and their questions use is imported then (see WATCH_AFTER_MS).
if TYPE_CHECKING:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QAction, QActionGroup
    from PySide6.QtWidgets import QDialog

    from clinicdesk.domain.patient import Patient
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.ui.shell.lock_screen import LockScreen
    from clinicdesk.ui.shell.patient_header import PatientHeader

log = logging.getLogger(__name__)

# The watcher starts watching input this long after it is made (at most half the idle time),
# once the window is up: its event filter's first event would otherwise delay the window (see
# start_up.EVENT_FILTERS_AFTER_MS). The idle time is counted afresh from then, so input it did
# not see never locks early.
WATCH_AFTER_MS = EVENT_FILTERS_AFTER_MS


def activity() -> frozenset[QEvent.Type]:
    """What a person at the keyboard does; timers, paints and the like are not activity."""
    from PySide6.QtCore import QEvent

    return frozenset(
        {
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonDblClick,
            QEvent.Type.MouseMove,
            QEvent.Type.Wheel,
            QEvent.Type.TouchBegin,
            QEvent.Type.TabletPress,
        }
    )


class IdleWatcher(QObject):
    """Emits ``idle`` after ``timeout_ms`` without input anywhere in the application (input
    counts from ``WATCH_AFTER_MS`` after it is made; see there)."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.idle)
        self._activity: frozenset[QEvent.Type] = frozenset()
        assert QApplication.instance() is not None, "the idle watcher needs a QApplication"
        IdleSteps([self._watch], self, after_ms=min(WATCH_AFTER_MS, timeout_ms // 2))

    @property
    def watching(self) -> bool:
        """Input is seen (``WATCH_AFTER_MS`` after the watcher was made)."""
        return bool(self._activity)

    def _watch(self) -> None:
        app = QApplication.instance()
        if app is None or self._activity:
            return
        self._activity = activity()
        app.installEventFilter(self)
        if self._timer.isActive():
            self._timer.start()  # input until now went unseen: the idle time starts now

    @property
    def timeout_ms(self) -> int:
        return self._timer.interval()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def set_timeout_ms(self, timeout_ms: int) -> None:
        """A new idle time, counted from now."""
        self._timer.setInterval(timeout_ms)
        if self._timer.isActive():
            self._timer.start()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Only input from the window system counts (QTest's events count as such): events the
        # application makes itself, such as a widget passing a key press on, are not a person.
        if event.spontaneous() and event.type() in self._activity and self._timer.isActive():
            self._timer.start()
        return False


class LockableWindow(QMainWindow):
    """What the idle lock needs of the window it locks; ``MainWindow`` is one (its layers
    ``MenuWindow`` and ``RecordTabsWindow`` in between). Declared here so that the lock does
    not import the window that makes it."""

    services: ClinicServices
    user: CurrentUser
    patient: Patient | None
    creating: bool
    quit_action: QAction

    @property
    def header(self) -> PatientHeader:
        """The header above the record (made with the record's side of the window)."""
        raise NotImplementedError

    @property
    def record_pane_made(self) -> bool:
        """The record's side of the window is made (it is on first need, not at start-up)."""
        raise NotImplementedError

    @property
    def has_unsaved_changes(self) -> bool:
        raise NotImplementedError

    def show_signed_in(self) -> None:
        raise NotImplementedError

    def show_signed_out(self) -> None:
        raise NotImplementedError

    def switch_user(self, user: CurrentUser) -> None:
        raise NotImplementedError


class IdleLock(QObject):
    """Locks ``window`` after ``timeout_ms`` without input; see the module docstring."""

    def __init__(self, window: LockableWindow, timeout_ms: int) -> None:
        super().__init__(window)
        self._window = window
        self.locked = False
        self.signed_out = False  # locked by File > Sign out: the sign-in screen
        self._focus: QWidget | None = None
        self.kept: list[QDialog] = []  # record forms hidden at the lock, shown again on unlock
        self._action_lock: QActionGroup | None = None
        self._disabled_directly: list[QAction] = []
        content = window.takeCentralWidget()
        assert content is not None, "build the window's content before the lock"
        self.content = content
        self.pages = QStackedWidget()
        self.pages.setObjectName("lock_pages")
        self.pages.addWidget(self.content)
        self._screen: LockScreen | None = None  # made at the first lock
        window.setCentralWidget(self.pages)
        self.watcher = IdleWatcher(timeout_ms, self)
        self.watcher.idle.connect(self.lock)
        self.watcher.start()

    @property
    def screen(self) -> LockScreen:
        """The lock screen, made when first needed (the first lock): not at start-up."""
        if self._screen is None:
            from clinicdesk.ui.shell.lock_screen import LockScreen

            self._screen = LockScreen()
            self.pages.addWidget(self._screen)
            self._screen.unlock_requested.connect(self._unlock)
            self._screen.switch_requested.connect(self._switch_user)
        return self._screen

    # -- locking --------------------------------------------------------------------------

    def lock(self) -> None:
        """Hide the window's patient data behind the lock screen; nothing is closed or lost."""
        if self.locked:
            return
        window = self._window
        self.locked = True
        self.watcher.stop()
        # The window's own focus widget: QApplication's is None while a dialog is active.
        focus = window.focusWidget()
        self._focus = focus if focus is not None and self.content.isAncestorOf(focus) else None
        self._lock_actions()
        self._close_dialogs()
        if window.record_pane_made:
            window.header.clear()
        window.statusBar().clearMessage()
        self.screen.reset(window.user, unsaved=window.has_unsaved_changes or bool(self.kept))
        self.pages.setCurrentWidget(self.screen)
        self.screen.password.setFocus(Qt.FocusReason.OtherFocusReason)
        log.info("window locked after %d s without input", self.watcher.timeout_ms // 1000)

    def sign_out(self) -> None:
        """File > Sign out: the lock, shown as the sign-in screen. The user's unsaved work is
        kept as at the lock: given back if they sign in again, discarded only after asking if
        someone else does."""
        window = self._window
        self.lock()
        self.signed_out = True
        self.screen.show_signed_out(
            window.user, unsaved=window.has_unsaved_changes or bool(self.kept)
        )
        window.show_signed_out()
        log.info("signed out")

    def _close_dialogs(self) -> None:
        """Cancel the window's open dialogs: left open over the lock screen, a passer-by could
        read or use them (the Users dialog, a question naming a patient). Cancel never saves
        or discards anything: each dialog's cancel keeps the window's state as it was."""
        from PySide6.QtWidgets import QDialog

        window = self._window
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible() and _owned_by(window, widget):
                if widget.property(KEEP_AT_LOCK) is True:
                    log.info("hiding a %s at the lock", type(widget).__name__)
                    widget.hide()
                    self.kept.append(widget)
                    widget.destroyed.connect(self._kept_destroyed)
                else:
                    log.info("closing a %s at the lock", type(widget).__name__)
                    widget.reject()

    def _kept_destroyed(self, gone: QObject | None = None) -> None:
        self.kept = [d for d in self.kept if d is not gone]

    def _give_back_kept(self) -> None:
        """The same user is back: the record forms hidden at the lock, as they were."""
        kept, self.kept = self.kept, []
        for dialog in kept:
            dialog.show()
            dialog.activateWindow()

    def _discard_kept(self) -> None:
        """Another user takes the window: the hidden record forms are cancelled (their cancel
        saves nothing and changes nothing)."""
        kept, self.kept = self.kept, []
        for dialog in kept:
            dialog.reject()

    def _lockable_actions(self) -> list[QAction]:
        """The window's own actions, its toolbars' and those in its menus (submenus too), but
        not the menus' own title actions: those belong to their QMenu (see _unlock_actions)."""
        from PySide6.QtWidgets import QMenu, QToolBar

        window = self._window
        found: dict[int, QAction] = {}

        def collect(actions: list[QAction]) -> None:
            for action in actions:
                menu = action.menu()
                if isinstance(menu, QMenu):
                    collect(menu.actions())
                elif action is not window.quit_action and not action.isSeparator():
                    found.setdefault(id(action), action)

        collect(window.actions())
        collect(window.menuBar().actions())
        for toolbar in window.findChildren(QToolBar):
            collect(toolbar.actions())
        return list(found.values())

    def _lock_actions(self) -> None:
        # A disabled group keeps its actions disabled even if something calls setEnabled(True)
        # on one while locked, and on unlock each gets back the state it was last given.
        from PySide6.QtGui import QActionGroup

        group = QActionGroup(self)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.None_)
        group.setEnabled(False)
        self._disabled_directly = []
        for action in self._lockable_actions():
            if action.actionGroup() is None:
                group.addAction(action)
            elif action.isEnabled():
                # Already in a group of its own (radio choices): joining ours would take it
                # out of that one, so it is disabled plainly.
                action.setEnabled(False)
                self._disabled_directly.append(action)
        self._action_lock = group

    def _unlock_actions(self) -> None:
        group, self._action_lock = self._action_lock, None
        if group is not None:
            group.setEnabled(True)
            # Not group.removeAction: PySide6 hands the removed action's ownership to Python,
            # which deletes the C++ action as soon as the last Python reference goes. For an
            # action made in C++ (a menu's title action) that deleted it behind its menu's back:
            # the menu vanished from the menu bar and the next menuAction() call crashed.
            for action in group.actions():
                action.setActionGroup(None)  # type: ignore[arg-type]  # Qt takes nullptr
            group.deleteLater()
        for action in self._disabled_directly:
            action.setEnabled(True)
        self._disabled_directly = []

    # -- unlocking ------------------------------------------------------------------------

    def _unlock(self, password: str) -> None:
        user = self._login(self._window.user.username, password, self.screen.show_error)
        if user is not None:
            self._open(None)

    def _switch_user(self, username: str, password: str) -> None:
        window = self._window
        name = username.strip().lower()
        if not name:
            self.screen.show_switch_error("Type your user name.")
            self.screen.switch_username.setFocus()
            return
        same = name == window.user.username
        if not same and not self.confirm_discard("If you sign in, they are discarded."):
            # Their password is not left typed in for whoever comes to the screen next.
            self.screen.switch_password.clear()
            self.screen.switch_username.setFocus()
            return
        user = self._login(name, password, self.screen.show_switch_error)
        if user is None:
            return
        self._open(None if user.id == window.user.id else user)

    def _login(
        self, username: str, password: str, show_error: Callable[[str], None]
    ) -> CurrentUser | None:
        try:
            user = self._window.services.clinic.login(username, password)
        except UserError as exc:
            show_error(exc.message)
            return None
        # Someone whose password an administrator set chooses their own before taking over.
        from clinicdesk.ui.admin.change_password import choose_own_password

        chosen = choose_own_password(self._window.services.users, user, password, self.screen)
        if chosen is None:
            show_error("Choose your own password to sign in; nothing was opened.")
        return chosen

    def _open(self, new_user: CurrentUser | None) -> None:
        """Show the window's content again: as it was, or started afresh for ``new_user``."""
        window = self._window
        self.locked = False
        self.signed_out = False
        self._unlock_actions()
        self.pages.setCurrentWidget(self.content)
        if new_user is None:
            self._show_header()
            window.show_signed_in()
            focus = self._focus
            if focus is not None:
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
            self._give_back_kept()
        else:
            log.info("another user signed in at the lock screen")
            self._discard_kept()
            window.switch_user(new_user)
        self._focus = None
        if self._screen is not None:
            self._screen.reset(None, unsaved=False)
        self.watcher.start()

    def _show_header(self) -> None:
        window = self._window
        if window.creating:
            window.header.show_new()
        elif window.patient is not None:
            patient = window.patient
            try:
                banner = window.services.patients.banner(window.user, patient.id)
            except UserError as exc:
                show_user_error(window, exc)
                banner = []
            window.header.show_patient(
                patient, patient.age(window.services.patients.today()), banner
            )

    def confirm_discard(self, consequence: str) -> bool:
        """With unsaved changes in the locked window, ask before they are thrown away."""
        window = self._window
        if not window.has_unsaved_changes and not self.kept:
            return True
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(window)
        box.setObjectName("discard_unsaved_changes")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"{window.user.display_name} has changes that are not saved. {consequence}")
        box.setInformativeText(
            f"To keep them, {window.user.display_name} unlocks the window and saves first."
        )
        box.setStandardButtons(
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        discard = box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Discard
        box.deleteLater()
        return discard


def _owned_by(window: QWidget, widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if parent is window:
            return True
        parent = parent.parentWidget()
    return False
