"""The Sync button (toolbar and Clinic menu, Ctrl+Shift+Y), Clinic > Conflicts and Duplicate
patients, Admin > Sites and sync, background sync and the status bar's sync line.

One per main window. A sync is a child process (``runner``): the window keeps working while it
runs. Asked for, it shows its progress (Cancel stops it) and then a summary (sent, received,
parked, with the conflicts to look at); in the background (every ``every_minutes``, and before
the window closes) it is quiet and only the status bar speaks, saying plainly when the hub's
folder cannot be reached. After a sync the patient list and the open record are refreshed; a
record with unsaved changes is left on screen and the person is told it changed elsewhere (their
save then shows both versions, as for any concurrent edit).

Sync by USB stick (Clinic menu, beside Sync; admins and clinicians), for a site that never
sees the hub's network: "Write a sync bundle to a USB stick…" runs ``sync --export-bundle``;
"Read a sync bundle…" runs, for a bundle an installation wrote (at the main clinic's PC,
where the hub's folder is set), a sync with the hub, ``--import-bundle FILE --hub DIR`` (the
reply is written beside the bundle) and a sync again, so the window shows the other site's
records and the reply carries this one's; for the hub's reply (``*.reply.cdsync``, back at
the satellite), ``--import-bundle FILE`` (``usb``). The same child, progress, Cancel and
summary as Sync: a job is a list of commands run one after the other (``runner.Job``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QToolBar

from clinicdesk.domain.roles import Permission
from clinicdesk.services.sync_settings import SyncSettings

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox, QProgressDialog

    from clinicdesk.domain.patient import Patient
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.patient_merge import Duplicate
    from clinicdesk.services.session import CurrentUser
    from clinicdesk.ui.sync.runner import Job, SyncRunner

SYNC_SHORTCUT = "Ctrl+Shift+Y"
SYNC = "sync"  # the kind of job the Sync button runs (``usb`` has the others)

log = logging.getLogger(__name__)


class _Idle(Protocol):
    locked: bool
    watcher: Any  # its ``idle`` signal closes the dialogs that show patients


class _ListModel(Protocol):
    def reload(self) -> None: ...


class SyncWindow(Protocol):
    """What the control needs of the main window (the shell composes it; this package does
    not import the shell). Qt's own methods are reached through the window as a QMainWindow."""

    services: ClinicServices
    user: CurrentUser
    idle_lock: _Idle
    patient: Patient | None
    model: _ListModel
    clinic_menu: QMenu
    admin_menu: QMenu

    @property
    def has_unsaved_changes(self) -> bool: ...

    def run_search(self) -> None: ...

    def open_patient(self, patient_id: str) -> None: ...


def _clock(when: datetime | None) -> str:
    if when is None:
        return "never"
    local = when.astimezone()
    return (
        local.strftime("%H:%M")
        if local.date() == datetime.now().date()
        else (local.strftime("%d/%m/%Y %H:%M"))
    )


class SyncControl(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.qt_window = window
        self.window: SyncWindow = window  # type: ignore[assignment]  # the shell's MainWindow
        self.settings = SyncSettings(self.window.services.db)
        # The hub folder as last read (``reload_hub``): closing the window asks whether the hub
        # is reachable, and by then nothing may read the database, which can be closed.
        self.hub: Path | None = self.settings.hub_dir()
        self._runner: SyncRunner | None = None  # made on first use (QProcess: not at start-up)
        self.quiet = False
        self.after: Callable[[], object] | None = None  # then (closing the window)
        self.closing_sync_done = False
        self.last_result: dict[str, Any] | None = None
        self.job: Job | None = None
        self.progress: QProgressDialog | None = None
        self.summary: QMessageBox | None = None
        self.status = QLabel()
        self.status.setObjectName("sync_status")
        window.statusBar().addPermanentWidget(self.status)
        self.sync_action = self._action("S&ync", SYNC_SHORTCUT, self.sync_now, "Sync with the hub")
        self.conflicts_action = self._action(
            "&Conflicts…", None, self.open_conflicts, "Changes sync parked: choose the value"
        )
        self.duplicates_action = self._action(
            "D&uplicate patients…", None, self.open_duplicates, "The same patient at two sites"
        )
        self.write_bundle_action = self._action(
            "&Write a sync bundle to a USB stick…",
            None,
            self.write_bundle,
            "For a site that never reaches the hub: this installation's changes, to take there",
        )
        self.read_bundle_action = self._action(
            "&Read a sync bundle…",
            None,
            self.read_bundle,
            "Apply another site's bundle at the hub, or take the hub's reply",
        )
        self.sites_action = self._action(
            "&Sites and sync…", None, self.open_sites, "This site, the hub, background sync"
        )
        toolbar = window.findChild(QToolBar, "main_toolbar")
        if toolbar is not None:
            toolbar.addAction(self.sync_action)
        for act in self.sync_actions:
            self.window.clinic_menu.addAction(act)
        self.window.admin_menu.addAction(self.sites_action)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.background_sync)
        self.reschedule()
        self.show_state()

    def _action(
        self, text: str, shortcut: str | None, slot: Callable[[], None], tip: str
    ) -> QAction:
        act = QAction(self.qt_window)
        act.setText(text)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.setStatusTip(tip)

        def run() -> None:
            slot()

        act.triggered.connect(run)
        self.qt_window.addAction(act)
        return act

    @property
    def runner(self) -> SyncRunner:
        if self._runner is None:
            from clinicdesk.ui.sync.runner import SyncRunner

            self._runner = SyncRunner(self)
            self._runner.progressed.connect(self._progressed)
            self._runner.succeeded.connect(self._succeeded)
            self._runner.failed.connect(self._failed)
        return self._runner

    @property
    def sync_actions(self) -> tuple[QAction, ...]:
        """The Clinic menu's sync items, for those who may sync."""
        return (
            self.sync_action,
            self.write_bundle_action,
            self.read_bundle_action,
            self.conflicts_action,
            self.duplicates_action,
        )

    @property
    def running(self) -> bool:
        return self._runner is not None and self._runner.running

    # -- role and state -------------------------------------------------------------------

    @property
    def may_sync(self) -> bool:
        return self.window.user.may(Permission.RUN_SYNC)

    def apply_role(self) -> None:
        for act in self.sync_actions:
            act.setVisible(self.may_sync)
        self.sites_action.setVisible(self.window.user.may(Permission.MANAGE_CLINIC))
        self.status.setVisible(self.may_sync)

    def reschedule(self) -> None:
        minutes = self.settings.every_minutes()
        if minutes > 0:
            self.timer.start(minutes * 60_000)
        else:
            self.timer.stop()

    def reload_hub(self) -> None:
        """The hub folder was chosen again (Admin > Sites and sync)."""
        self.hub = self.settings.hub_dir()
        self.show_state()

    def hub_reachable(self) -> bool:
        hub = self.hub
        return hub is not None and (hub / "hub.db").is_file()

    def show_state(self, text: str | None = None) -> None:
        hub = self.hub
        last = _clock(self.settings.last_sync_at())
        if text is None:
            if hub is None:
                text = ""  # one installation on its own: nothing to say
            elif not self.hub_reachable():
                text = f"Hub folder {hub} not reachable: last synced {last}"
            else:
                text = f"Last synced {last}"
        self.status.setText(text)

    # -- running --------------------------------------------------------------------------

    def sync_now(self) -> None:
        """The Sync button: with progress, Cancel and a summary."""
        self.start(quiet=False)

    def background_sync(self) -> None:
        if not self.qt_window.isVisible():
            return  # closed (its database may be closed too), or hidden for a moment
        if self.running or self.window.idle_lock.locked or not self.may_sync:
            return
        if self.hub_reachable():
            self.start(quiet=True)
        else:
            self.show_state()

    def sync_before_closing(self, close: Callable[[], object]) -> bool:
        """True when a sync was started first (it closes the window after)."""
        if self.closing_sync_done or not self.may_sync or not self.hub_reachable():
            return False
        if self.running:
            self.after = close
            self.closing_sync_done = True
            return True
        self.closing_sync_done = True
        self.after = close
        return self.start(quiet=False, summary=False)

    def start(self, *, quiet: bool, summary: bool = True) -> bool:
        if self.running:
            if self.progress is not None and not quiet:
                self.progress.show()
            return False
        hub = self.hub
        key = self.window.services.data_key
        if hub is None or key is None:
            if not quiet:
                self.tell(
                    "No hub is set up: an administrator chooses it in Admin > Sites and sync."
                )
            return False
        if not self.hub_reachable():
            self.show_state()
            if not quiet:
                self.tell(
                    f"The hub folder {hub} cannot be reached. Check the network, then sync again."
                )
            return False
        from clinicdesk.ui.sync.runner import Job

        job = Job(SYNC, [["sync", "--hub", str(hub), "--json"]], "Syncing with the hub…")
        self.launch(job, quiet=quiet, summary=summary)
        return True

    def launch(self, job: Job, *, quiet: bool = False, summary: bool = True) -> None:
        self.job = job
        self.quiet = quiet
        self.want_summary = summary and not quiet
        self.show_state(job.label)
        if not quiet:
            from PySide6.QtWidgets import QProgressDialog

            self.progress = QProgressDialog(job.label, "Cancel", 0, 0, self.qt_window)
            self.progress.setObjectName("sync_progress")
            self.progress.setWindowTitle("Sync")
            self.progress.setMinimumDuration(0)
            self.progress.canceled.connect(self.cancel)
            self.progress.show()
        for act in (self.sync_action, self.write_bundle_action, self.read_bundle_action):
            act.setEnabled(False)
        self._next_command()

    def _next_command(self) -> None:
        job, key = self.job, self.window.services.data_key
        assert job is not None and key is not None
        command = job.commands[len(job.results)]
        self.runner.start(
            self.window.services.paths.data_dir, self.window.user.username, key, command
        )

    # -- by USB stick (``usb``) -------------------------------------------------------------

    def write_bundle(self) -> None:
        from clinicdesk.ui.sync import usb

        usb.write_bundle(self)

    def read_bundle(self) -> None:
        from clinicdesk.ui.sync import usb

        usb.read_bundle(self)

    def busy(self) -> bool:
        if self.running:
            if self.progress is not None:
                self.progress.show()
            else:
                self.tell("A sync is running: try again in a moment, when it has finished.")
            return True
        if self.window.services.data_key is None:
            self.tell("Sync needs an encrypted clinic.")
            return True
        return False

    def cancel(self) -> None:
        self.runner.cancel()
        if self.progress is not None:
            self.progress.setLabelText("Cancelling…")

    def _progressed(self, step: str, done: int, total: int) -> None:
        text = f"{step} ({done}/{total})" if total > 1 else step
        self.show_state(f"Syncing: {text}")
        if self.progress is not None:
            self.progress.setLabelText(text)
            self.progress.setMaximum(max(total, 1))
            self.progress.setValue(min(done, max(total, 1)))

    def _end(self) -> None:
        for act in (self.sync_action, self.write_bundle_action, self.read_bundle_action):
            act.setEnabled(True)
        if self.progress is not None:
            self.progress.hide()
            self.progress.deleteLater()
            self.progress = None

    def _succeeded(self, result: dict[str, Any]) -> None:
        job = self.job
        if job is not None:
            job.results.append(result)
            if len(job.results) < len(job.commands):
                self._next_command()  # the runner is free again: this child has gone
                return
            if job.kind != SYNC:
                from clinicdesk.ui.sync import usb

                self._end()
                usb.bundle_done(self, job)
                return
        self._end()
        self.last_result = result
        sent, received = int(result.get("sent", 0)), int(result.get("received", 0))
        parked, open_conflicts = int(result.get("parked", 0)), int(result.get("open_conflicts", 0))
        self.show_state(
            f"Synced {_clock(self.settings.last_sync_at())}: sent {sent}, received {received}"
            + (f"; {open_conflicts} conflicts to look at" if open_conflicts else "")
        )
        self.refresh_window(received)
        if self.then():
            return
        if self.want_summary:
            self._show_summary(sent, received, parked, open_conflicts)
        if received and self.may_sync and not self.quiet:
            self.offer_duplicates()

    def _failed(self, message: str) -> None:
        self._end()
        self.show_state(f"Sync did not finish: {message}")
        if self.then():
            return
        if not self.quiet:
            self.tell(message)

    def then(self) -> bool:
        after, self.after = self.after, None
        if after is not None:
            after()
            return True
        return False

    def tell(self, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Information, "Sync", text, parent=self.qt_window)
        box.setObjectName("sync_message")
        self.summary = box
        box.open()

    def _show_summary(self, sent: int, received: int, parked: int, open_conflicts: int) -> None:
        lines = [f"Sent {sent} changes, received {received}."]
        if parked:
            lines.append(f"{parked} changes were parked instead of overwriting others.")
        self.show_summary_lines(lines, open_conflicts)

    def show_summary_lines(self, lines: list[str], open_conflicts: int) -> None:
        from PySide6.QtWidgets import QMessageBox

        if open_conflicts:
            lines.append(f"{open_conflicts} conflicts to look at.")
        box = QMessageBox(
            QMessageBox.Icon.Information, "Sync", "\n".join(lines), parent=self.qt_window
        )
        box.setObjectName("sync_summary")
        box.addButton(QMessageBox.StandardButton.Ok)
        if open_conflicts:
            look = box.addButton("Look at the conflicts…", QMessageBox.ButtonRole.ActionRole)
            look.setObjectName("open_conflicts")
            look.clicked.connect(self.open_conflicts)
        self.summary = box
        box.open()

    # -- after a sync ---------------------------------------------------------------------

    def refresh_window(self, received: int) -> None:
        window = self.window
        window.model.reload()
        window.run_search()
        patient = window.patient
        if patient is None or not received:
            return
        now = window.services.patients.repo.get(patient.id)
        if now is None:
            return
        if window.has_unsaved_changes:
            if now.version != patient.version:
                self.qt_window.statusBar().showMessage(
                    "This record was changed at another site. Your changes are still on "
                    "screen: when you save, both versions are shown.",
                    20000,
                )
            return
        window.open_patient(patient.id)

    def offer_duplicates(self) -> None:
        """Look for the same patient registered at two sites (a quiet job on a connection of
        its own: on a large clinic the look-up takes seconds, and the window must not wait),
        then show them, if there are any, without looking them up again."""
        from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress

        services, user = self.window.services, self.window.user

        def work(_progress: Progress, _cancelled: Cancelled) -> list[Duplicate]:
            from clinicdesk.services.patient_merge import PatientMergeService

            own = services.open_for_job()
            try:
                return PatientMergeService(own).duplicates(user)
            finally:
                own.close()

        def found(pairs: list[Duplicate]) -> None:
            if pairs and self.qt_window.isVisible() and not self.window.idle_lock.locked:
                self.open_duplicates(pairs)

        def failed(exc: BaseException) -> None:
            # Only an offer: Clinic > Duplicate patients still looks for them when asked.
            log.warning("looking for duplicate patients after sync failed: %s", type(exc).__name__)

        task = BackgroundTask(
            self.qt_window, "Looking for duplicate patients…", work, found, failed, quiet=True
        )
        self.duplicates_task = task
        task.start()

    # -- the screens ----------------------------------------------------------------------

    def open_conflicts(self) -> None:
        from clinicdesk.ui.sync.conflicts import ConflictsDialog

        dialog = ConflictsDialog(self.window.services, self.window.user, self.qt_window)
        self.window.idle_lock.watcher.idle.connect(dialog.reject)
        dialog.finished.connect(lambda _code: self.refresh_window(1))
        self.conflicts_dialog = dialog
        dialog.open()

    def open_duplicates(self, pairs: list[Duplicate] | None = None) -> None:
        """``pairs``: the duplicates just found (by ``offer_duplicates``); None looks them up."""
        from clinicdesk.ui.sync.duplicates import DuplicatesDialog

        def merged(_kept_id: str) -> None:
            self.refresh_window(1)

        dialog = DuplicatesDialog(
            self.window.services, self.window.user, merged, self.qt_window, pairs=pairs
        )
        self.window.idle_lock.watcher.idle.connect(dialog.reject)
        self.duplicates_dialog = dialog
        dialog.open()

    def open_sites(self) -> None:
        from clinicdesk.ui.sync.sites import SitesDialog

        dialog = SitesDialog(self, self.qt_window)
        self.sites_dialog = dialog
        dialog.open()

    def make_hub(self, folder: Path, done: Callable[[str], None]) -> None:
        """Make ``folder`` the clinic's hub from this installation (a child process)."""
        key = self.window.services.data_key
        if key is None or self.running:
            return
        from clinicdesk.ui.sync.runner import SyncRunner

        runner = SyncRunner(self)
        runner.succeeded.connect(lambda _r: done(""))
        runner.failed.connect(done)
        runner.finished.connect(self.reload_hub)  # the child recorded the new hub folder
        self.hub_runner = runner
        runner.start(
            self.window.services.paths.data_dir,
            self.window.user.username,
            key,
            ["hub", "create", str(folder), "--json"],
        )
