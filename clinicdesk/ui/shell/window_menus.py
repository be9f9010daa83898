"""The main window's menus and toolbar (File, Clinic, Admin, Help) and the dialogs they open:
users, audit trail, idle lock time, clinic details, the clinic data check, erasure request,
records due for destruction, follow-ups due, lot finder, outcomes audit, blinded photo grading,
change password, about. ``MenuWindow`` is the layer of ``MainWindow`` that owns them; what it
needs from the rest of the window is declared here and made by ``MainWindow``.

The dialogs are imported when first opened, not at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from clinicdesk import APP_NAME
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.words import plural
from clinicdesk.errors import UserError
from clinicdesk.services.clinic import IDLE_LOCK_MINUTES_MAX
from clinicdesk.ui.shell.idle_lock import IdleLock, LockableWindow
from clinicdesk.ui.widgets.errors import show_user_error

if TYPE_CHECKING:
    from clinicdesk.services.audit import AuditService
    from clinicdesk.services.verify import VerifyReport
    from clinicdesk.ui.admin.audit_view import AuditTrailDialog
    from clinicdesk.ui.widgets.background import BackgroundTask

# File menu: leaving the desk (README.md lists them; no other action of the window uses them).
LOCK_SHORTCUT = "Ctrl+Shift+L"
SWITCH_USER_SHORTCUT = "Ctrl+Shift+W"
SIGN_OUT_SHORTCUT = "Ctrl+Shift+O"
CONSENT_PACK_SHORTCUT = "Ctrl+Shift+P"  # the Documents tab's, made with the record's tabs
SUBJECT_ACCESS_TEXT = "Export everything &held (subject access)…"
SUBJECT_ACCESS_TIP = (
    "A zip of everything the clinic holds about this patient, for a subject access request: "
    "a summary PDF, every record, photos without metadata, consent scans, the access log"
)


class MenuWindow(LockableWindow):
    """The menus, their actions and the dialogs they open (see the module docstring)."""

    idle_lock: IdleLock
    _audit: AuditService | None
    audit_dialog: AuditTrailDialog | None
    clinic_menu: QMenu
    admin_menu: QMenu
    data_check_task: BackgroundTask | None = None  # the clinic data check, while it runs

    # Made by MainWindow (the record, the list) and RecordTabsWindow.
    def new_patient(self) -> None:
        raise NotImplementedError

    def save(self) -> bool:
        raise NotImplementedError

    def toggle_archive(self) -> None:
        raise NotImplementedError

    def focus_search(self) -> None:
        raise NotImplementedError

    def open_patient_from_list(self, patient_id: str) -> None:
        raise NotImplementedError

    def _update_actions(self) -> None:
        raise NotImplementedError

    def show_placeholder(self) -> None:
        raise NotImplementedError

    def run_search(self) -> None:
        raise NotImplementedError

    def confirm_leave(self) -> bool:
        raise NotImplementedError

    def _follow_ups_changed(self, patient_id: str) -> None:
        raise NotImplementedError

    @property
    def audit(self) -> AuditService:
        """The audit trail's reading side (the access log, the audit trail dialog), made on
        first use."""
        if self._audit is None:
            from clinicdesk.services.audit import AuditService

            self._audit = AuditService(self.services.db)
        return self._audit

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        # Clinic-wide lists (follow-ups due, lot look-up); shared: whoever builds first makes it.
        if getattr(self, "clinic_menu", None) is None:
            self.clinic_menu = self.menuBar().addMenu("&Clinic")
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)

        def action(
            text: str,
            shortcut: QKeySequence.StandardKey | str | None,
            slot: Callable[[], object],
            tip: str,
        ) -> QAction:
            act = QAction(self)  # QAction(text, self) would load QIcon's enums (~3 ms)
            act.setText(text)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.setStatusTip(tip)

            # Slots must return None: PySide6 on Python 3.11 drops one reference too many to
            # a slot's returned bool (save() and close() return one), and after enough calls
            # the interpreter aborts with "deallocating True or False".
            def run() -> None:
                slot()

            act.triggered.connect(run)
            self.addAction(act)
            return act

        self.new_action = action(
            "&New patient", QKeySequence.StandardKey.New, self.new_patient, "Register a patient"
        )
        self.save_action = action(
            "&Save", QKeySequence.StandardKey.Save, self.save, "Save the changes to this record"
        )
        self.archive_action = action(
            "&Archive patient", None, self.toggle_archive, "Archive (or restore) this record"
        )
        self.find_action = action(
            "&Find patient", QKeySequence.StandardKey.Find, self.focus_search, "Search patients"
        )
        self.quit_action = action("&Quit", QKeySequence.StandardKey.Quit, self.close, "Quit")
        for act in (self.new_action, self.save_action, self.archive_action):
            toolbar.addAction(act)
            file_menu.addAction(act)
        # The open record's subject access zip: administrators only (``_apply_role``).
        self.subject_access_action = action(
            SUBJECT_ACCESS_TEXT, None, self.export_subject_access, SUBJECT_ACCESS_TIP
        )
        self.subject_access_action.setToolTip(SUBJECT_ACCESS_TIP)
        file_menu.addAction(self.subject_access_action)
        file_menu.addAction(self.find_action)
        self.change_password_action = action(
            "Change my &password…", None, self.change_password, "Change your own password"
        )
        file_menu.addAction(self.change_password_action)
        file_menu.addSeparator()
        # Leaving the desk: the lock screen at once, without waiting for the idle lock.
        self.lock_action = action(
            "&Lock now", LOCK_SHORTCUT, self.lock_now, "Hide patient data until you sign in again"
        )
        self.switch_user_action = action(
            "S&witch user…",
            SWITCH_USER_SHORTCUT,
            self.switch_user_now,
            "Lock the window and let someone else sign in",
        )
        self.sign_out_action = action(
            "Sign &out",
            SIGN_OUT_SHORTCUT,
            self.sign_out,
            "Back to the sign-in screen; unsaved changes are kept until you sign in again",
        )
        for act in (self.lock_action, self.switch_user_action, self.sign_out_action):
            file_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        # Shared with the audit screens: whoever builds first makes the menu.
        if getattr(self, "admin_menu", None) is None:
            self.admin_menu = self.menuBar().addMenu("&Admin")
        self.users_action = action(
            "&Users…", None, self.open_users, "Create staff accounts, change roles, reset passwords"
        )
        self.admin_menu.addAction(self.users_action)
        self.audit_action = action(
            "&Audit trail…", None, self.open_audit_trail, "Who did what and when; export, verify"
        )
        self.admin_menu.addAction(self.audit_action)
        self.idle_setting_action = action(
            "&Idle lock time…", None, self.set_idle_lock_time, "Minutes before the window locks"
        )
        self.admin_menu.addAction(self.idle_setting_action)
        self.clinic_details_action = action(
            "Clinic &details…",
            None,
            self.open_clinic_details,
            "Name, address, logo and cooling-off period printed on documents",
        )
        self.admin_menu.addAction(self.clinic_details_action)
        self.backups_action = action(
            "&Backups…", None, self.open_backups, "Where backups go, how they stand, back up now"
        )
        self.admin_menu.addAction(self.backups_action)
        self.data_check_action = action(
            "Check the clinic's &data…",
            None,
            self.open_data_check,
            "Check the database, every photo and consent file, and the audit trail",
        )
        self.admin_menu.addAction(self.data_check_action)
        self.admin_menu.addSeparator()
        self.erasure_action = action(
            "&Erasure request for this patient…",
            None,
            self.request_erasure,
            "Record the open patient's erasure request: marketing ends, the record is restricted",
        )
        self.admin_menu.addAction(self.erasure_action)
        self.retention_action = action(
            "&Records due for destruction…",
            None,
            self.open_retention,
            "Restricted records and records past their retention date",
        )
        self.admin_menu.addAction(self.retention_action)
        # Ctrl+Shift+P prints the consent pack from anywhere in the record (and the idle lock
        # disables it with the window's other actions). It is the Documents tab's action, which
        # takes this stand-in's place when the record's tabs are made (record_tabs); until
        # then no record is open, so it is greyed out as the tab's is without a record.
        self.consent_pack_stand_in = QAction(self)
        self.consent_pack_stand_in.setText("Consent &pack…")
        self.consent_pack_stand_in.setShortcut(QKeySequence(CONSENT_PACK_SHORTCUT))
        self.consent_pack_stand_in.setEnabled(False)
        self.addAction(self.consent_pack_stand_in)
        self.follow_ups_action = action(
            "&Follow-ups due…", "Ctrl+D", self.open_follow_ups, "Follow-ups due and overdue"
        )
        self.clinic_menu.addAction(self.follow_ups_action)
        self.find_lot_action = action(
            "Find &lot…", None, self.open_lot_finder, "Patients treated with a kit or drug lot"
        )
        self.clinic_menu.addAction(self.find_lot_action)
        self.outcomes_action = action(
            "&Outcomes…",
            None,
            self.open_outcomes,
            "The clinic's responder rate beside the published 66%, by group and over time",
        )
        self.clinic_menu.addAction(self.outcomes_action)
        self.grade_photos_action = action(
            "Grade photos (&blinded)…",
            None,
            self.open_photo_grading,
            "Grade before/after photo pairs without knowing whose they are or which is which",
        )
        self.clinic_menu.addAction(self.grade_photos_action)
        help_menu = self.menuBar().addMenu("&Help")
        # Help > User guide (F1): resources/guide/user-guide.md, see ui/shell/user_guide.py.
        from clinicdesk.ui.shell.user_guide import add_user_guide_action

        self.user_guide_action = add_user_guide_action(self, help_menu)
        about = QAction(self)
        about.setText("&About ClinicDesk")
        about.triggered.connect(self._about)
        help_menu.addAction(about)
        self._update_actions()

    def export_subject_access(self) -> None:
        """File > Export everything held (subject access): the open record's zip, on a worker
        (the service refuses anyone but an administrator, should the action ever show)."""
        patient = getattr(self, "patient", None)
        if patient is None:
            return
        from clinicdesk.ui.admin.subject_access import SubjectAccessExporter

        exporter = getattr(self, "subject_access", None)
        if exporter is None or exporter.user != self.user:
            if exporter is not None and exporter.running:
                return
            exporter = SubjectAccessExporter(self, self.services, self.user)
            self.subject_access = exporter
        exporter.ask_and_export(patient.id)

    def lock_now(self) -> None:
        """File > Lock now: the idle lock, without the wait."""
        self.idle_lock.lock()

    def switch_user_now(self) -> None:
        """File > Switch user: the lock screen, open at "Sign in as someone else"."""
        self.idle_lock.lock()
        self.idle_lock.screen.show_switch_form()

    def sign_out(self) -> None:
        """File > Sign out: the sign-in screen; see ``IdleLock.sign_out``."""
        self.idle_lock.sign_out()

    def open_audit_trail(self) -> None:
        """Admin > Audit trail (the service refuses anyone else, should the menu ever show)."""
        if self.audit_dialog is not None:
            self.audit_dialog.deleteLater()  # each opening is a fresh, audited view
            self.audit_dialog = None
        from clinicdesk.ui.admin.audit_view import AuditTrailDialog

        try:
            dialog = AuditTrailDialog(self.audit, self.user, self)
        except UserError as exc:
            show_user_error(self, exc)
            return
        # It shows patients' names: it closes when the window locks (nothing in it is unsaved).
        self.idle_lock.watcher.idle.connect(dialog.reject)
        self.audit_dialog = dialog
        dialog.open()

    def open_clinic_details(self) -> None:
        """Admin > Clinic details (the services refuse anyone else, should the menu show)."""
        from clinicdesk.ui.admin.clinic_details import ClinicDetailsDialog

        try:
            dialog = ClinicDetailsDialog(
                self.services.clinic_details, self.services.clinic, self.user, self
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if (previous := getattr(self, "clinic_details_dialog", None)) is not None:
            previous.deleteLater()  # closed by now: it is modal

        def saved() -> None:
            name = self.services.clinic.clinic_name()
            self.setWindowTitle(f"{APP_NAME} — {name}[*]" if name else f"{APP_NAME}[*]")
            self.statusBar().showMessage("Clinic details saved.", 5000)

        self.clinic_details_dialog = dialog
        dialog.accepted.connect(saved)
        dialog.open()

    def open_data_check(self) -> None:
        """Admin > Check the clinic's data: the check on a worker, then what it found (the
        service refuses anyone but an administrator, should the menu ever show)."""
        from clinicdesk.ui.admin.data_check import (
            DataCheckDialog,
            check_clinic_data,
            put_back_files,
        )

        if self.data_check_task is not None:
            return  # one check at a time; its progress dialog is showing

        def put_back(names: list[str]) -> None:
            def restored(text: str) -> None:
                self.statusBar().showMessage(text.splitlines()[0] if text else "", 10000)
                self.open_data_check()  # and check again

            self.put_back_task = put_back_files(self, self.services, self.user, names, restored)

        def done(report: VerifyReport) -> None:
            if (previous := getattr(self, "data_check_dialog", None)) is not None:
                previous.deleteLater()
            dialog = DataCheckDialog(report, self, put_back)
            # It names patient and photo records: it closes when the window locks.
            self.idle_lock.watcher.idle.connect(dialog.reject)
            self.data_check_dialog = dialog
            dialog.open()

        def finished() -> None:
            self.data_check_task = None

        self.data_check_task = check_clinic_data(self, self.services, self.user, done)
        self.data_check_task.finished.connect(finished)

    def set_idle_lock_time(self, minutes: int | None = None) -> None:
        """Admin > Idle lock time: ask for the minutes (``minutes`` given skips the question)."""
        if minutes is None:
            from PySide6.QtWidgets import QInputDialog

            current = self.services.clinic.idle_lock_minutes()
            chosen, ok = QInputDialog.getInt(
                self,
                "Idle lock time",
                "Lock every ClinicDesk window after this many minutes without input:",
                current,
                1,
                IDLE_LOCK_MINUTES_MAX,
            )
            if not ok:
                return
            minutes = chosen
        try:
            saved = self.services.clinic.set_idle_lock_minutes(self.user, minutes)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.idle_lock.watcher.set_timeout_ms(saved * 60_000)
        self.statusBar().showMessage(
            f"The window now locks after {plural(saved, 'minute')} idle.", 5000
        )

    def open_follow_ups(self) -> None:
        """Clinic > Follow-ups due: not modal, so it stays open beside the record it opens."""
        current = getattr(self, "follow_ups_dialog", None)
        if current is not None and current.isVisible() and current.user == self.user:
            current.reload()
            current.activateWindow()
            return
        from clinicdesk.ui.care.follow_ups import FollowUpsDialog

        try:
            dialog = FollowUpsDialog(
                self.services.clinical, self.user, self.open_patient_from_list, self
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if current is not None:
            current.deleteLater()
        self.follow_ups_dialog = dialog  # names and phones: the idle lock closes it
        dialog.changed.connect(self._follow_ups_changed)
        dialog.show()

    def open_lot_finder(self) -> None:
        """Clinic > Find lot (the service refuses reception, should the menu ever show)."""
        current = getattr(self, "lot_finder", None)
        if current is not None and current.isVisible() and current.user == self.user:
            current.activateWindow()
            return
        if current is not None:
            current.deleteLater()
        from clinicdesk.ui.care.lots import LotFinderDialog

        self.lot_finder = LotFinderDialog(
            self.services.clinical, self.user, self.open_patient_from_list, self
        )
        self.lot_finder.show()

    def open_outcomes(self) -> None:
        """Clinic > Outcomes (the service refuses reception, should the menu ever show). Not
        modal: the patients behind a number open in the main window beside it."""
        current = getattr(self, "outcomes_dialog", None)
        if current is not None and current.isVisible() and current.user == self.user:
            current.activateWindow()
            return
        from clinicdesk.ui.outcomes.screen import OutcomesDialog

        try:
            dialog = OutcomesDialog(
                self.services.outcomes,
                self.services.response_settings,
                self.user,
                self.open_patient_from_list,
                self,
                self.services.clinic.clinic_name(),
                self.services.open_for_job,
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if current is not None:
            current.deleteLater()
        self.outcomes_dialog = dialog  # its lists name patients: the idle lock closes it
        self.idle_lock.watcher.idle.connect(dialog.reject)
        dialog.show()

    def open_photo_grading(self) -> None:
        """Clinic > Grade photos (blinded): modal, one pair at a time. Closed by the idle
        lock (a pair, once graded, shows the patient)."""
        from clinicdesk.ui.photos.grading import GradingDialog

        try:
            dialog = GradingDialog(self.services.photo_grading, self.user, self)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.grading_dialog = dialog
        dialog.open()

    def request_erasure(self) -> None:
        """Admin > Erasure request for this patient: the record on screen, once its changes
        are saved or discarded; recorded, it is closed and leaves the list."""
        patient = self.patient
        if patient is None or not self.confirm_leave():
            return
        from clinicdesk.ui.admin.retention import ErasureRequestDialog

        dialog = ErasureRequestDialog(self.services.retention, self.user, patient, self)
        self.erasure_dialog = dialog
        self.idle_lock.watcher.idle.connect(dialog.reject)

        def recorded() -> None:
            outcome = dialog.outcome
            self.show_placeholder()
            self.run_search()
            if outcome is not None:
                self.statusBar().showMessage(
                    "Erasure request recorded: the record is restricted and kept until "
                    f"{format_uk(outcome.due_on)}.",
                    10000,
                )

        dialog.accepted.connect(recorded)
        dialog.open()

    def open_retention(self) -> None:
        """Admin > Records due for destruction (the service refuses anyone else)."""
        from clinicdesk.ui.admin.retention import RetentionDialog

        try:
            dialog = RetentionDialog(
                self.services.retention, self.user, self.open_patient_from_list, self
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if (previous := getattr(self, "retention_dialog", None)) is not None:
            previous.deleteLater()
        self.retention_dialog = dialog  # names: the idle lock closes it
        self.idle_lock.watcher.idle.connect(dialog.reject)
        dialog.show()

    def open_backups(self) -> None:
        """Admin > Backups (the services refuse anyone else, should the menu ever show)."""
        from clinicdesk.ui.admin.backups import BackupsDialog

        auto_backup = getattr(self, "auto_backup", None)
        dialog = BackupsDialog(
            self.services,
            self.user,
            auto_backup.reload if auto_backup is not None else lambda: None,
            self,
        )
        if (previous := getattr(self, "backups_dialog", None)) is not None:
            previous.deleteLater()  # closed by now: it is modal
        self.backups_dialog = dialog
        dialog.open()

    def open_users(self) -> None:
        """Admin > Users (the service refuses anyone else, should the menu ever show)."""
        from clinicdesk.ui.admin.users_dialog import UsersDialog

        try:
            dialog = UsersDialog(self.services.users, self.user, self)
        except UserError as exc:
            show_user_error(self, exc)
            return
        if (previous := getattr(self, "users_dialog", None)) is not None:
            previous.deleteLater()  # closed by now: it is modal
        self.users_dialog = dialog
        dialog.open()

    def change_password(self) -> None:
        from clinicdesk.ui.admin.change_password import ChangePasswordDialog

        if (previous := getattr(self, "change_password_dialog", None)) is not None:
            previous.deleteLater()
        self.change_password_dialog = ChangePasswordDialog(self.services.users, self.user, self)

        def changed() -> None:
            self.statusBar().showMessage("Your password was changed.", 5000)

        self.change_password_dialog.accepted.connect(changed)
        self.change_password_dialog.open()

    def _about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from clinicdesk import __version__

        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\nRecords for a hair-loss micrografting clinic.",
        )
