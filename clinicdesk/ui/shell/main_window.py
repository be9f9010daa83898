"""The main window: find a patient on the left, their record on the right.

Search box (Ctrl+F) over a lazily fetched patient list; the record has a header (photo
placeholder, name, age, NHS number, red-flag banner) and tabs. New patient (Ctrl+N), Save
(Ctrl+S), Archive/Restore. Leaving a record with unsaved changes asks first. Saves go through
the services, which validate, check the version and audit; messages are shown at the fields.
File > Lock now (Ctrl+Shift+L), Switch user… (Ctrl+Shift+W) and Sign out (Ctrl+Shift+O) hand
the window to the idle lock at once; who is signed in stays in the status bar's right corner.

The record's Measurements, Timeline and Photos tabs are made when a record is first opened or a
new patient begun (``record_tabs``), not with the window: they and what they import (the photo
grid and viewers, the clinical forms) are a good part of start-up, and until then only the
search and the list are on screen.

The window is built in layers, one module each, so that each responsibility reads on its own:
``idle_lock.LockableWindow`` (what the idle lock needs of it), ``window_menus.MenuWindow`` (the
menus, toolbar and the dialogs they open), ``record_tabs.RecordTabsWindow`` (the tabs made on
first need, kept in step), ``record_saving.RecordSavingWindow`` (saving the record) and this
``MainWindow``: the patient list and search, opening a record, leaving it. The header above the
record is ``patient_header.PatientHeader``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinicdesk import APP_NAME
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.patients.patient_list import PatientListModel
from clinicdesk.ui.shell.idle_lock import IdleLock
from clinicdesk.ui.shell.record_saving import RecordSavingWindow
from clinicdesk.ui.shell.start_up import AFTER_WINDOW_UP_MS
from clinicdesk.ui.shell.window_layout import (
    EmptyListMessage,
    bring_to_front,
    fit_patient_list,
    keep_tabs_whole,
    place_splitter,
)
from clinicdesk.ui.widgets.errors import show_user_error

# Imported when first needed (a record opened, a dialog opened), not at start-up.
if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QTabWidget

    from clinicdesk.domain.classification import Classification
    from clinicdesk.domain.medical import MedicalHistory
    from clinicdesk.domain.patient import Patient
    from clinicdesk.services.audit import AuditService
    from clinicdesk.ui.admin.audit_view import AuditTrailDialog
    from clinicdesk.ui.patients.duplicate_patient import DuplicatePatientDialog
    from clinicdesk.ui.shell.auto_backup import AutoBackup
    from clinicdesk.ui.shell.patient_header import PatientHeader
    from clinicdesk.ui.shell.record_tabs import RecordTabs

log = logging.getLogger(__name__)

# Coalesces a burst of key presses; a search itself takes a few ms even at 100k patients.
SEARCH_DELAY_MS = 30


class MainWindow(RecordSavingWindow):
    services: ClinicServices  # given with ``bind``
    user: CurrentUser

    def __init__(
        self,
        services: ClinicServices | None = None,
        user: CurrentUser | None = None,
        *,
        idle_timeout_ms: int | None = None,
    ) -> None:
        """The window for ``services`` and ``user``. Without them, only its widgets, menus and
        actions, which need no clinic: made while the sign-in dialog waits for a password
        (``application.prepare_main_window``), and given the clinic and who signed in with
        ``bind``."""
        super().__init__()
        self.patient: Patient | None = None
        self.creating = False
        # The day's backups and their banner (``auto_backup``), attached by the application
        # once the window is up; None in a window built without it (tests, the benches).
        self.auto_backup: AutoBackup | None = None
        self.history: MedicalHistory | None = None
        self._demographics_dirty = False
        self._medical_dirty = False
        self._version_override: int | None = None
        self.duplicate_dialog: DuplicatePatientDialog | None = None  # while it is open
        self.setObjectName("main_window")
        self._build()
        self._build_actions()
        if services is not None and user is not None:
            self.bind(services, user, idle_timeout_ms=idle_timeout_ms)

    def bind(
        self, services: ClinicServices, user: CurrentUser, *, idle_timeout_ms: int | None = None
    ) -> None:
        """Given the open clinic and who signed in (once): the title, the patient list's first
        page, the sync control, what the role may do and the idle lock. ``idle_timeout_ms``:
        input-free time before the window locks; None for the clinic's ``idle_lock_minutes``
        setting."""
        self.services = services
        self.user = user
        clinic_name = services.clinic.clinic_name()
        title = f"{APP_NAME} — {clinic_name}" if clinic_name else APP_NAME
        self.setWindowTitle(f"{title}[*]")  # [*] shows the unsaved-changes mark
        self._show_patient_list()
        from clinicdesk.ui.sync.control import SyncControl

        self.sync_control = SyncControl(self)  # the Sync button, conflicts, sites and sync
        self._apply_role()
        self.show_placeholder()
        self.show_signed_in()
        self.resize(1200, 760)
        if idle_timeout_ms is None:
            idle_timeout_ms = services.clinic.idle_lock_minutes() * 60_000
        self.idle_lock = IdleLock(self, idle_timeout_ms)

    # -- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter()
        self.splitter = splitter  # remembered between sessions (window_layout.WindowLayout)
        self.setCentralWidget(splitter)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        self.search_box = QLineEdit()
        self.search_box.setObjectName("search_box")
        self.search_box.setPlaceholderText("Search name, date of birth, phone, email or NHS number")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMaxLength(200)
        self.search_box.textChanged.connect(self._schedule_search)
        self.search_box.returnPressed.connect(self._open_first_result)
        left_layout.addWidget(self.search_box)
        self.include_archived = QCheckBox("Include archived")
        self.include_archived.setObjectName("include_archived")
        self.include_archived.toggled.connect(self._include_archived_toggled)
        left_layout.addWidget(self.include_archived)
        self.list_view = QTableView()
        self.list_view.setObjectName("patient_list")
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.verticalHeader().setVisible(False)
        self.list_view.verticalHeader().setDefaultSectionSize(22)
        self.list_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.list_view.horizontalHeader().setStretchLastSection(True)
        self.list_view.setAlternatingRowColors(True)
        self.list_view.activated.connect(self._row_activated)
        self.list_view.clicked.connect(self._row_activated)
        left_layout.addWidget(self.list_view)
        self.result_label = QLabel()
        self.result_label.setObjectName("result_label")
        left_layout.addWidget(self.result_label)
        splitter.addWidget(left)

        self.stack = QStackedWidget()
        self.placeholder = QLabel(
            "Search for a patient on the left, or press Ctrl+N to register a new one."
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.placeholder)
        # The record's side (header, tabs) is made when first needed: see record_pane.
        self._record_pane: tuple[QWidget, PatientHeader, QTabWidget] | None = None
        self._audit: AuditService | None = None
        self.audit_dialog: AuditTrailDialog | None = None
        self._record_tabs: RecordTabs | None = None  # see record_tabs
        splitter.addWidget(self.stack)
        self._list_margins = left_layout.contentsMargins()

        self.signed_in_label = QLabel()
        self.signed_in_label.setObjectName("signed_in_as")
        self.signed_in_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addPermanentWidget(self.signed_in_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)

    def _show_patient_list(self) -> None:
        """The list's first page, its columns fitted to them and the splitter placed beside
        it (``bind``)."""
        self.model = PatientListModel(self.services.patients, self.user, self)
        self.list_view.setModel(self.model)
        fit_patient_list(self.list_view)
        self.empty_list_message = EmptyListMessage(
            self.list_view, lambda: "No patients match." if self.model.query else "No patients."
        )
        margins = self._list_margins
        place_splitter(self.splitter, self.list_view, margins.left() + margins.right())
        # "100,000 patients" once the window is up: on a cold start counting reads the whole
        # of an index (some 13 ms at 100,000 patients).
        QTimer.singleShot(AFTER_WINDOW_UP_MS, self, self._first_count)

    def record_pane(self) -> tuple[QWidget, PatientHeader, QTabWidget]:
        """The record's side of the window, its header above its tabs, made when first needed
        (a record opened, a new patient begun, the tabs made in idle time): until then the
        window shows only the search, the list and the placeholder."""
        if self._record_pane is None:
            from PySide6.QtWidgets import QTabWidget

            from clinicdesk.ui.shell.patient_header import PatientHeader

            record = QWidget()
            record_layout = QVBoxLayout(record)
            header = PatientHeader()
            record_layout.addWidget(header)
            tabs = QTabWidget()
            tabs.setObjectName("record_tabs")
            keep_tabs_whole(tabs)
            record_layout.addWidget(tabs, 1)
            self.stack.addWidget(record)
            self._record_pane = (record, header, tabs)
        return self._record_pane

    @property
    def record_pane_made(self) -> bool:
        return self._record_pane is not None

    @property
    def header(self) -> PatientHeader:
        return self.record_pane()[1]

    @property
    def tabs(self) -> QTabWidget:
        return self.record_pane()[2]

    def _show_record(self) -> None:
        self.stack.setCurrentWidget(self.record_pane()[0])

    def _apply_role(self) -> None:
        """Show what the user's role may use; again when another user takes the window over."""
        self.users_action.setVisible(self.user.may(Permission.MANAGE_CLINIC))
        self.audit_action.setVisible(self.user.may(Permission.AUDIT_TRAIL))
        self.idle_setting_action.setVisible(self.user.may(Permission.MANAGE_CLINIC))
        self.clinic_details_action.setVisible(self.user.may(Permission.MANAGE_CLINIC))
        self.data_check_action.setVisible(self.user.may(Permission.MANAGE_CLINIC))
        for act in (self.erasure_action, self.retention_action):
            act.setVisible(self.user.may(Permission.INFORMATION_GOVERNANCE))
        self.backups_action.setVisible(self.user.may(Permission.MANAGE_CLINIC))
        self.follow_ups_action.setVisible(self.user.may(Permission.FOLLOW_UPS))
        self.find_lot_action.setVisible(self.user.may(Permission.VIEW_CLINICAL_RECORDS))
        self.outcomes_action.setVisible(self.user.may(Permission.VIEW_CLINICAL_RECORDS))
        self.grade_photos_action.setVisible(
            self.user.may(Permission.PHOTOS) and self.user.may(Permission.EDIT_CLINICAL_RECORDS)
        )
        self.subject_access_action.setVisible(self.user.may(Permission.INFORMATION_GOVERNANCE))
        if self._record_tabs is not None:
            self.apply_role_to_tabs(self._record_tabs)
        self.sync_control.apply_role()
        # The Admin menu shows only while it holds something this user may use.
        self.admin_menu.menuAction().setVisible(
            any(a.isVisible() and not a.isSeparator() for a in self.admin_menu.actions())
        )

    def show_signed_in(self) -> None:
        """Who holds the window, in the status bar's permanent corner: menu hints and other
        passing messages never cover it."""
        site = self.services.clinic.this_site()
        self.signed_in_label.setText(
            f"Signed in as {self.user.display_name} ({self.user.role.label}) at {site.name}"
        )

    def show_signed_out(self) -> None:
        self.signed_in_label.setText("Signed out")

    def switch_user(self, user: CurrentUser) -> None:
        """Make the window ``user``'s, who signed in at the lock screen (the previous user's
        unsaved changes discarded after asking): their role, the whole list, no record open."""
        self.user = user
        self._version_override = None
        if self._record_tabs is not None:
            from clinicdesk.domain.medical import MedicalHistory

            self.demographics.load(None)
            self.medical.load(MedicalHistory(), self.services.patients.today())
        self.show_placeholder()
        self._apply_role()
        self._search_timer.stop()
        with QSignalBlocker(self.search_box), QSignalBlocker(self.include_archived):
            self.search_box.clear()
            self.include_archived.setChecked(False)
        self.model.set_user(user)
        self._update_result_label()
        self.list_view.selectionModel().clearSelection()
        self.show_signed_in()
        self.focus_search()

    # -- search and list ------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def _schedule_search(self, _text: str) -> None:
        self._search_timer.start()

    def run_search(self) -> None:
        self._search_timer.stop()
        if self.services.closed:  # typed just before the clinic was closed under the window
            return
        self.model.set_query(self.search_box.text())
        self._update_result_label()
        self._select_current_in_list()

    def _include_archived_toggled(self, include: bool) -> None:
        self.model.set_include_archived(include)
        self._update_result_label()
        self._select_current_in_list()

    def _first_count(self) -> None:
        if not self.services.closed:  # (a test may close them under a window left open)
            self._update_result_label()

    def _update_result_label(self) -> None:
        rows = self.model.rowCount()
        if self.model.query:
            self.result_label.setText(
                "No patient matches." if rows == 0 else f"{rows} match{'es' if rows != 1 else ''}"
            )
        else:
            total = self.services.patients.count(
                self.user, include_archived=self.include_archived.isChecked()
            )
            self.result_label.setText(f"{total} patient{'s' if total != 1 else ''}")

    def _open_first_result(self) -> None:
        if self._search_timer.isActive():
            self.run_search()
        if self.model.rowCount() > 0:
            self._row_activated(self.model.index(0, 0))

    def _row_activated(self, index: QModelIndex) -> None:
        summary = self.model.summary_at(index.row())
        if summary is None or (self.patient is not None and self.patient.id == summary.id):
            return
        if not self.confirm_leave():
            self._select_current_in_list()
            return
        self.open_patient(summary.id, paint_next_turn=True)

    def _select_current_in_list(self) -> None:
        selection = self.list_view.selectionModel()
        row = self.model.row_of(self.patient.id) if self.patient else -1
        if row < 0:
            selection.clearSelection()
            return
        selection.setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    # -- opening records ------------------------------------------------------------------

    def show_placeholder(self) -> None:
        self.forget_later_loads()
        self.patient = None
        self.creating = False
        self.history = None
        self._set_clean()
        if self._record_pane is not None:
            self.header.clear()
        if self._record_tabs is not None:
            self.timeline.set_patient(None)
            self.photos.set_patient(None)
            self.documents.set_patient(None)
        self.stack.setCurrentWidget(self.placeholder)
        self._update_actions()

    def open_patient(self, patient_id: str, *, paint_next_turn: bool = False) -> None:
        """Open the patient's record. ``paint_next_turn`` (Enter or a click in the list): the
        record's pane, when it is not on screen yet, is shown on the next turn of the event
        loop, so that reading the record and painting it are not one long turn."""
        try:
            record = self.services.patients.record(self.user, patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        made = self.record_tabs()
        self.patient = record.patient
        self.creating = False
        self.history = record.medical_history
        self._version_override = None
        today = self.services.patients.today()
        patient, sex = record.patient, record.patient.details.sex
        self.header.show_patient(patient, patient.age(today), record.banner)
        self._name_patient_in_forms(patient)
        made.demographics.load(patient.details)
        # The tabs not on screen are filled on the next turns of the event loop (the one on
        # screen at once): the record shows without waiting for them (see load_later).
        self.forget_later_loads()
        history = record.medical_history
        if history is not None:
            may_edit = self.user.may(Permission.EDIT_MEDICAL)

            def load_medical() -> None:
                made.medical.load(history, today, sex)
                made.medical.set_read_only(not may_edit)

            self.load_later(made.medical, load_medical)
        classifications = record.classifications
        if classifications is not None:
            self.load_later(
                made.classification, lambda: made.classification.load(classifications, sex, today)
            )
        self.load_later(made.access_log, lambda: self._load_access_log(patient.id))
        made.measurements.load(patient.id)
        made.timeline.set_patient(patient.id, patient.display_name)
        made.photos.set_patient(patient.id)
        made.documents.set_patient(patient.id, patient.display_name)
        self._set_clean()
        if paint_next_turn and self.stack.currentWidget() is not self.record_pane()[0]:
            self.show_record_next_turn()
        else:
            self._show_record()
        self._set_clinical_tabs_enabled(True)
        self._select_current_in_list()
        self._update_actions()

    def new_patient(self) -> None:
        if not self.confirm_leave():
            return
        self.record_tabs()
        from clinicdesk.domain.medical import MedicalHistory

        self.forget_later_loads()
        self.patient = None
        self.creating = True
        self.history = None
        self.header.show_new()
        self.demographics.load(None)
        self.medical.load(MedicalHistory(), self.services.patients.today())
        self._set_clean()
        self._show_record()
        self.tabs.setCurrentWidget(self.demographics)
        self._set_clinical_tabs_enabled(False)
        self.list_view.selectionModel().clearSelection()
        self.demographics.editor("first_name").setFocus()
        self._update_actions()

    def _set_clinical_tabs_enabled(self, enabled: bool) -> None:
        made = self.record_tabs()
        if not enabled:
            made.access_log.clear()
            made.measurements.clear()
            made.timeline.set_patient(None)
            made.photos.set_patient(None)
            made.documents.set_patient(None)
        clinical_tabs = (made.medical, made.classification, made.access_log, made.measurements)
        for widget in (*clinical_tabs, made.timeline, made.photos, made.documents):
            index = self.tabs.indexOf(widget)
            if index >= 0:
                self.tabs.setTabEnabled(index, enabled)
                self.tabs.setTabToolTip(index, "" if enabled else "Save the new patient first")

    # -- editing state --------------------------------------------------------------------

    def _demographics_changed(self) -> None:
        self._demographics_dirty = True
        self._update_actions()

    def _medical_changed(self) -> None:
        self._medical_dirty = True
        self._update_actions()

    def _set_clean(self) -> None:
        self._demographics_dirty = False
        self._medical_dirty = False
        self._update_actions()

    @property
    def has_unsaved_changes(self) -> bool:
        return self._demographics_dirty or self._medical_dirty

    def _update_actions(self) -> None:
        if not hasattr(self, "save_action"):
            return
        self.save_action.setEnabled(self.has_unsaved_changes or self.creating)
        self.archive_action.setEnabled(self.patient is not None)
        self.subject_access_action.setEnabled(self.patient is not None)
        self.erasure_action.setEnabled(self.patient is not None and not self.creating)
        archived = self.patient is not None and self.patient.archived
        self.archive_action.setText("&Restore patient" if archived else "&Archive patient")
        self.setWindowModified(self.has_unsaved_changes)

    def confirm_leave(self) -> bool:
        """True when it is fine to leave the current record (saved, discarded or unchanged)."""
        if not self.has_unsaved_changes:
            return True
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            "This record has changes that are not saved. Save them now?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        # Locked, saving would act for an absent user: their changes are only ever discarded.
        if not (
            self.idle_lock.confirm_discard("If you quit, they are discarded.")
            if self.idle_lock.locked
            else self.confirm_leave()
        ):
            event.ignore()
        elif self.sync_control.sync_before_closing(self.close):
            event.ignore()  # this site's changes to the hub first; it closes the window after
        elif self.auto_backup is not None and self.auto_backup.backup_before_closing(self.close):
            event.ignore()  # the day's backup first (with progress); it closes the window after
        else:
            # Nothing more is read for the record once the window goes (the clinic may be
            # closed next): its tabs not yet filled stay empty, its pane unshown.
            self.forget_later_loads()
            event.accept()

    # -- saving ---------------------------------------------------------------------------

    # -- archive --------------------------------------------------------------------------

    def toggle_archive(self) -> None:
        if self.patient is None:
            return
        archived = not self.patient.archived
        if archived:
            from PySide6.QtWidgets import QMessageBox

            answer = QMessageBox.question(
                self,
                "Archive patient",
                f"Archive the record of {self.patient.display_name}? It will no longer appear in "
                "the patient list or searches; nothing is deleted and it can be restored.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        if not self.confirm_leave():
            return
        try:
            patient = self.services.patients.set_archived(
                self.user, self.patient.id, self.patient.version, archived
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.model.reload()
        self._update_result_label()
        self.open_patient(patient.id)
        verb = "archived" if archived else "restored"
        self.statusBar().showMessage(f"Record {verb}.", 5000)

    # -- classification -------------------------------------------------------------------

    def _add_classification(
        self, scale: str, grade: str, assessed_on: str, note: str
    ) -> list[Classification]:
        assert self.patient is not None
        try:
            return self.services.patients.add_classification(
                self.user, self.patient.id, scale, grade, assessed_on, note
            )
        except ValidationError:
            raise
        except UserError as exc:
            show_user_error(self, exc)
            return self.services.patients.classifications(self.user, self.patient.id)

    def _remove_classification(self, entry: Classification) -> list[Classification]:
        assert self.patient is not None
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self,
            "Remove classification",
            f"Remove {entry.label} assessed on {format_uk(entry.assessed_on)}? "
            "It stays in the record's history.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            try:
                return self.services.patients.remove_classification(
                    self.user, self.patient.id, entry
                )
            except UserError as exc:
                show_user_error(self, exc)
        return self.services.patients.classifications(self.user, self.patient.id)

    # -- audit trail ----------------------------------------------------------------------

    # -- clinic lists (follow-ups due, lot look-up) -------------------------------------------

    def open_patient_from_list(self, patient_id: str) -> None:
        """Open a record chosen in another window (the follow-up list, the lot finder), asking
        first about unsaved changes to the record on screen, as choosing it in the list does."""
        if self.creating or self.patient is None or self.patient.id != patient_id:
            if not self.confirm_leave():
                return
            self.open_patient(patient_id)
        bring_to_front(self)  # in front of the list, restored if it was minimised

    # -- Timeline and Measurements in step ------------------------------------------------
