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
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicdesk import APP_NAME
from clinicdesk.domain.assessments import Assessment
from clinicdesk.domain.classification import Classification
from clinicdesk.domain.clinical import FollowUp, Treatment
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.medical import BannerItem, MedicalHistory
from clinicdesk.domain.patient import Patient, PatientDetails, PatientSummary
from clinicdesk.domain.roles import Permission
from clinicdesk.domain.words import plural
from clinicdesk.errors import ConcurrentEdit, DuplicatePatient, UserError, ValidationError
from clinicdesk.services.audit import NOT_OWN_PATIENT, AuditService
from clinicdesk.services.clinic import IDLE_LOCK_MINUTES_MAX
from clinicdesk.services.clinical import TimelineItem, TimelineKind, TreatmentSaved
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.access_log import AccessLogTab
from clinicdesk.ui.classification import ClassificationTab
from clinicdesk.ui.concurrent_edit import ConcurrentEditDialog, compare_rows
from clinicdesk.ui.documents_tab import DocumentsTab
from clinicdesk.ui.duplicate_patient import DuplicateChoice, DuplicatePatientDialog
from clinicdesk.ui.errors import show_user_error
from clinicdesk.ui.fields import HEADER_NAME, PatientIdentity
from clinicdesk.ui.idle_lock import IdleLock
from clinicdesk.ui.medical_history import MedicalHistoryTab
from clinicdesk.ui.patient_form import GROUPS, DemographicsForm
from clinicdesk.ui.patient_list import PatientListModel
from clinicdesk.ui.shell_layout import (
    EmptyListMessage,
    bring_to_front,
    fit_patient_list,
    keep_tabs_whole,
    place_splitter,
)

# The record tabs made on first need (record_tabs) and the menus' dialogs are imported then,
# not at start-up.
if TYPE_CHECKING:
    from clinicdesk.ui.audit_view import AuditTrailDialog
    from clinicdesk.ui.gallery import PhotosTab
    from clinicdesk.ui.measurements import MeasurementsTab
    from clinicdesk.ui.timeline import TimelineTab

log = logging.getLogger(__name__)

# Coalesces a burst of key presses; a search itself takes a few ms even at 100k patients.
SEARCH_DELAY_MS = 30
# File menu: leaving the desk (README.md lists them; no other action of the window uses them).
LOCK_SHORTCUT = "Ctrl+Shift+L"
SWITCH_USER_SHORTCUT = "Ctrl+Shift+W"
SIGN_OUT_SHORTCUT = "Ctrl+Shift+O"
FIELD_LABELS = {
    name: (label or "Address line 2") for _, specs in GROUPS for name, label, _, _ in specs
}


class PatientHeader(QWidget):
    """Photo placeholder, name, age and identifiers, and the red-flag banner."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(HEADER_NAME)  # forms open below it (fields.place_below_header)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.photo = QLabel()
        self.photo.setObjectName("photo_placeholder")
        self.photo.setFixedSize(72, 72)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setTextFormat(Qt.TextFormat.PlainText)
        self.photo.setToolTip("No photo yet")
        self.photo.setStyleSheet(
            "background: #d9e2ec; color: #334e68; border-radius: 36px; font-size: 22px;"
        )
        layout.addWidget(self.photo)
        text = QVBoxLayout()
        self.name = QLabel()
        self.name.setObjectName("patient_name")
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.facts = QLabel()
        self.facts.setObjectName("patient_facts")
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.banner = QLabel()
        self.banner.setObjectName("red_flag_banner")
        self.banner.setTextFormat(Qt.TextFormat.RichText)  # built from escaped text only
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fde8e8; color: #8a1c1c; border: 1px solid #f5b5b5; padding: 4px;"
        )
        text.addWidget(self.name)
        text.addWidget(self.facts)
        text.addWidget(self.banner)
        layout.addLayout(text, 1)
        self.clear()

    def clear(self) -> None:
        self.photo.setText("")
        self.name.setText("")
        self.facts.setText("")
        self.banner.setText("")
        self.banner.setVisible(False)

    def show_new(self) -> None:
        self.clear()
        self.photo.setText("+")
        self.name.setText("New patient")
        self.facts.setText("Fill in the details and press Save (Ctrl+S).")

    def show_patient(self, patient: Patient, age: int, banner: Sequence[BannerItem]) -> None:
        d = patient.details
        initials = (d.first_name[:1] + d.last_name[:1]).upper()
        self.photo.setText(initials)
        name = " ".join(part for part in (d.title, d.first_name, d.last_name) if part)
        if d.preferred_name:
            name += f' ("{d.preferred_name}")'
        if patient.archived:
            name += "  [archived]"
        self.name.setText(name)
        facts = [f"Born {format_uk(d.date_of_birth)} (age {age})", d.sex.label]
        if d.nhs_number:
            facts.append(f"NHS {format_nhs_number(d.nhs_number)}")
        self.facts.setText("   ·   ".join(facts))
        self.set_banner(banner)

    def set_banner(self, banner: Sequence[BannerItem]) -> None:
        parts = [
            ("<b>" if item.severity == "danger" else "")
            + html.escape(item.text)
            + ("</b>" if item.severity == "danger" else "")
            for item in banner
        ]
        self.banner.setText("⚠ " + " &nbsp;|&nbsp; ".join(parts) if parts else "")
        self.banner.setVisible(bool(parts))

    def banner_text(self) -> str:
        """The banner as plain text (what a user reads)."""
        doc = self.banner.text()
        from PySide6.QtGui import QTextDocumentFragment

        return QTextDocumentFragment.fromHtml(doc).toPlainText() if doc else ""


@dataclass(frozen=True)
class RecordTabs:
    measurements: MeasurementsTab
    timeline: TimelineTab
    photos: PhotosTab


class MainWindow(QMainWindow):
    def __init__(
        self, services: ClinicServices, user: CurrentUser, *, idle_timeout_ms: int | None = None
    ) -> None:
        """``idle_timeout_ms``: input-free time before the window locks; None for the clinic's
        ``idle_lock_minutes`` setting."""
        super().__init__()
        self.services = services
        self.user = user
        self.patient: Patient | None = None
        self.creating = False
        self.history: MedicalHistory | None = None
        self._demographics_dirty = False
        self._medical_dirty = False
        self._version_override: int | None = None
        self.duplicate_dialog: DuplicatePatientDialog | None = None  # while it is open
        self.setObjectName("main_window")
        clinic_name = services.clinic.clinic_name()
        title = f"{APP_NAME} — {clinic_name}" if clinic_name else APP_NAME
        self.setWindowTitle(f"{title}[*]")  # [*] shows the unsaved-changes mark
        self._build()
        self._build_actions()
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
        self.splitter = splitter  # remembered between sessions (shell_layout.WindowLayout)
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
        self.model = PatientListModel(self.services.patients, self.user, self)
        self.list_view = QTableView()
        self.list_view.setObjectName("patient_list")
        self.list_view.setModel(self.model)
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.verticalHeader().setVisible(False)
        self.list_view.verticalHeader().setDefaultSectionSize(22)
        self.list_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.list_view.horizontalHeader().setStretchLastSection(True)
        fit_patient_list(self.list_view)
        self.empty_list_message = EmptyListMessage(
            self.list_view, lambda: "No patients match." if self.model.query else "No patients."
        )
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
        record = QWidget()
        record_layout = QVBoxLayout(record)
        self.header = PatientHeader()
        record_layout.addWidget(self.header)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("record_tabs")
        keep_tabs_whole(self.tabs)
        sites = [(site.id, site.name) for site in self.services.clinic.sites()]
        self.demographics = DemographicsForm(sites)
        self.demographics.changed.connect(self._demographics_changed)
        self.medical = MedicalHistoryTab()
        self.medical.changed.connect(self._medical_changed)
        self.classification = ClassificationTab()
        self.classification.set_handlers(
            self._add_classification, self._remove_classification, self.services.patients.today
        )
        self.tabs.addTab(self.demographics, "&Demographics")
        self.tabs.addTab(self.medical, "&Medical history")
        self.tabs.addTab(self.classification, "C&lassification")
        self.audit = AuditService(self.services.db)
        self.audit_dialog: AuditTrailDialog | None = None
        # A tab only for those allowed (see _apply_role). Parented from the start and hidden:
        # a parentless widget owned by Python could be garbage-collected on a worker thread
        # after the window is gone, which crashes Qt.
        self.access_log = AccessLogTab(self.tabs)
        self.access_log.hide()
        self._record_tabs: RecordTabs | None = None  # see record_tabs
        # Made with the window (every role has it, and its Consent pack action, Ctrl+Shift+P,
        # is the window's from the start). Deferring it like the record tabs would save ~20 ms.
        self.documents = DocumentsTab(self.services, self.user, self.tabs)
        self.documents.hide()
        record_layout.addWidget(self.tabs, 1)
        self.stack.addWidget(record)
        splitter.addWidget(self.stack)
        margins = left_layout.contentsMargins()
        place_splitter(splitter, self.list_view, margins.left() + margins.right())

        self.signed_in_label = QLabel()
        self.signed_in_label.setObjectName("signed_in_as")
        self.signed_in_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addPermanentWidget(self.signed_in_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)
        self._update_result_label()

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
            act = QAction(text, self)
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
        # Ctrl+Shift+P prints the consent pack from anywhere in the record (and the idle lock
        # disables it with the window's other actions).
        self.addAction(self.documents.consent_pack_action)
        self.follow_ups_action = action(
            "&Follow-ups due…", "Ctrl+D", self.open_follow_ups, "Follow-ups due and overdue"
        )
        self.clinic_menu.addAction(self.follow_ups_action)
        self.find_lot_action = action(
            "Find &lot…", None, self.open_lot_finder, "Patients treated with a kit or drug lot"
        )
        self.clinic_menu.addAction(self.find_lot_action)
        help_menu = self.menuBar().addMenu("&Help")
        # Help > User guide (F1): resources/guide/user-guide.md, see ui/user_guide.py.
        from clinicdesk.ui.user_guide import add_user_guide_action

        self.user_guide_action = add_user_guide_action(self, help_menu)
        about = QAction("&About ClinicDesk", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)
        self._update_actions()

    def _apply_role(self) -> None:
        """Show what the user's role may use; again when another user takes the window over."""
        clinical = self.user.may(Permission.VIEW_MEDICAL)
        tabs = ((self.medical, "&Medical history"), (self.classification, "C&lassification"))
        for position, (widget, label) in enumerate(tabs, start=1):
            # Reception sees the red-flag banner only, never the clinical tabs.
            shown = self.tabs.indexOf(widget) >= 0
            if clinical and not shown:
                self.tabs.insertTab(position, widget, label)
            elif shown and not clinical:
                self.tabs.removeTab(self.tabs.indexOf(widget))
        read_only = not self.user.may(Permission.EDIT_MEDICAL)
        self.medical.set_read_only(read_only)
        self.classification.set_read_only(read_only)
        self.users_action.setVisible(self.user.may(Permission.MANAGE_CLINIC))
        self.audit_action.setVisible(self.user.may(Permission.AUDIT_TRAIL))
        self.idle_setting_action.setVisible(self.user.may(Permission.MANAGE_CLINIC))
        self.clinic_details_action.setVisible(self.user.may(Permission.MANAGE_CLINIC))
        self.follow_ups_action.setVisible(self.user.may(Permission.FOLLOW_UPS))
        self.find_lot_action.setVisible(self.user.may(Permission.VIEW_CLINICAL_RECORDS))
        made = self._record_tabs
        if made is not None:
            made.measurements.apply_role(self.user, after=self.classification)
            made.photos.apply_role(self.user, after=made.measurements)
        self._show_access_log_tab(self.user.may(Permission.PATIENT_ACCESS_LOG))
        if made is not None:
            made.timeline.set_user(self.user)
            made.timeline.attach(self.tabs, before=self.access_log)
        self.documents.apply_role(self.user, before=self.access_log)
        # The Admin menu shows only while it holds something this user may use.
        self.admin_menu.menuAction().setVisible(
            any(a.isVisible() and not a.isSeparator() for a in self.admin_menu.actions())
        )

    def record_tabs(self) -> RecordTabs:
        """The Measurements, Timeline and Photos tabs, made on first use: when a record is
        first opened or a new patient begun (or something asks for one of them)."""
        if self._record_tabs is not None:
            return self._record_tabs
        from clinicdesk.ui.gallery import PhotosTab
        from clinicdesk.ui.measurements import MeasurementsTab
        from clinicdesk.ui.timeline import TimelineTab

        made = RecordTabs(
            MeasurementsTab(self.services.assessments, self.user, self.tabs),
            TimelineTab(self.services, self.user, self.tabs),
            PhotosTab(self.services, self.user, self.tabs),
        )
        self._record_tabs = made
        for tab in (made.measurements, made.timeline, made.photos):
            tab.hide()
        # The two tabs show the same assessments (and the baseline hangs on the treatments):
        # a save in one brings the other in step.
        made.timeline.openers[TimelineKind.ASSESSMENT.value] = self._open_timeline_assessment
        made.measurements.changed.connect(self._measurements_changed)
        made.timeline.changed.connect(self._timeline_changed)
        # Placed as _apply_role places them: the Timeline comes just before Documents (or the
        # access log, or last, when those are not there).
        made.measurements.apply_role(self.user, after=self.classification)
        made.photos.apply_role(self.user, after=made.measurements)
        made.timeline.set_user(self.user)
        documents_shown = self.tabs.indexOf(self.documents) >= 0
        made.timeline.attach(
            self.tabs, before=self.documents if documents_shown else self.access_log
        )
        return made

    @property
    def measurements(self) -> MeasurementsTab:
        return self.record_tabs().measurements

    @property
    def timeline(self) -> TimelineTab:
        return self.record_tabs().timeline

    @property
    def photos(self) -> PhotosTab:
        return self.record_tabs().photos

    def show_signed_in(self) -> None:
        """Who holds the window, in the status bar's permanent corner: menu hints and other
        passing messages never cover it."""
        site = self.services.clinic.this_site()
        self.signed_in_label.setText(
            f"Signed in as {self.user.display_name} ({self.user.role.label}) at {site.name}"
        )

    def show_signed_out(self) -> None:
        self.signed_in_label.setText("Signed out")

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

    def switch_user(self, user: CurrentUser) -> None:
        """Make the window ``user``'s, who signed in at the lock screen (the previous user's
        unsaved changes discarded after asking): their role, the whole list, no record open."""
        self.user = user
        self._version_override = None
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
        self.model.set_query(self.search_box.text())
        self._update_result_label()
        self._select_current_in_list()

    def _include_archived_toggled(self, include: bool) -> None:
        self.model.set_include_archived(include)
        self._update_result_label()
        self._select_current_in_list()

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
        self.open_patient(summary.id)

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
        self.patient = None
        self.creating = False
        self.history = None
        self._set_clean()
        self.header.clear()
        if self._record_tabs is not None:
            self.timeline.set_patient(None)
            self.photos.set_patient(None)
        self.documents.set_patient(None)
        self.stack.setCurrentWidget(self.placeholder)
        self._update_actions()

    def open_patient(self, patient_id: str) -> None:
        try:
            record = self.services.patients.record(self.user, patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.record_tabs()
        self.patient = record.patient
        self.creating = False
        self.history = record.medical_history
        self._version_override = None
        today = self.services.patients.today()
        self.header.show_patient(record.patient, record.patient.age(today), record.banner)
        self._name_patient_in_forms(record.patient)
        self.demographics.load(record.patient.details)
        if record.medical_history is not None:
            self.medical.load(record.medical_history, today, record.patient.details.sex)
            self.medical.set_read_only(not self.user.may(Permission.EDIT_MEDICAL))
        if record.classifications is not None:
            self.classification.load(record.classifications, record.patient.details.sex, today)
        self._load_access_log(record.patient.id)
        self.measurements.load(record.patient.id)
        self.timeline.set_patient(record.patient.id, record.patient.display_name)
        self.photos.set_patient(record.patient.id)
        self.documents.set_patient(record.patient.id, record.patient.display_name)
        self._set_clean()
        self.stack.setCurrentIndex(1)
        self._set_clinical_tabs_enabled(True)
        self._select_current_in_list()
        self._update_actions()

    def _name_patient_in_forms(self, patient: Patient) -> None:
        """The forms the record's tabs open name this patient (title and top line)."""
        identity = PatientIdentity.of(patient)
        self.timeline.identity = identity
        self.measurements.identity = identity
        self.photos.identity = identity
        self.documents.identity = identity

    def new_patient(self) -> None:
        if not self.confirm_leave():
            return
        self.record_tabs()
        self.patient = None
        self.creating = True
        self.history = None
        self.header.show_new()
        self.demographics.load(None)
        self.medical.load(MedicalHistory(), self.services.patients.today())
        self._set_clean()
        self.stack.setCurrentIndex(1)
        self.tabs.setCurrentWidget(self.demographics)
        self._set_clinical_tabs_enabled(False)
        self.list_view.selectionModel().clearSelection()
        self.demographics.editor("first_name").setFocus()
        self._update_actions()

    def _set_clinical_tabs_enabled(self, enabled: bool) -> None:
        if not enabled:
            self.access_log.clear()
            self.measurements.clear()
            self.timeline.set_patient(None)
            self.photos.set_patient(None)
            self.documents.set_patient(None)
        clinical_tabs = (self.medical, self.classification, self.access_log, self.measurements)
        for widget in (*clinical_tabs, self.timeline, self.photos, self.documents):
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
        archived = self.patient is not None and self.patient.archived
        self.archive_action.setText("&Restore patient" if archived else "&Archive patient")
        self.setWindowModified(self.has_unsaved_changes)

    def confirm_leave(self) -> bool:
        """True when it is fine to leave the current record (saved, discarded or unchanged)."""
        if not self.has_unsaved_changes:
            return True
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
        if (
            self.idle_lock.confirm_discard("If you quit, they are discarded.")
            if self.idle_lock.locked
            else self.confirm_leave()
        ):
            event.accept()
        else:
            event.ignore()

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> bool:
        """Save what changed; True when everything on screen is now stored."""
        if self.creating:
            return self._save_new()
        if self.patient is None:
            return True
        ok = True
        if self._demographics_dirty:
            ok = self._save_demographics()
        if ok and self._medical_dirty:
            ok = self._save_medical()
        return ok

    def _save_new(self, *, duplicate_reason: str = "") -> bool:
        raw = self.demographics.raw()
        try:
            patient = self.services.patients.register(
                self.user, raw, duplicate_reason=duplicate_reason
            )
        except ValidationError as exc:
            self._show_validation(exc)
            return False
        except DuplicatePatient as exc:
            choice, reason = self._ask_about_duplicate(exc, registering=True)
            if choice is DuplicateChoice.GO_AHEAD:
                return self._save_new(duplicate_reason=reason)
            if choice is DuplicateChoice.OPEN_EXISTING:
                self._set_clean()
                self.creating = False
                self.open_patient(exc.existing[0])
                return True
            return False  # the form stays as typed
        except UserError as exc:
            show_user_error(self, exc)
            return False
        self.demographics.show_errors({})
        self.statusBar().showMessage(f"Registered {patient.display_name}.", 5000)
        self._set_clean()
        self.creating = False
        self.model.reload()
        if self.model.row_of(patient.id) < 0:
            # Not on the loaded page of the list: search for the new patient so the list
            # shows (and selects) the record just made.
            self.search_box.setText(f"{patient.details.first_name} {patient.details.last_name}")
            self.run_search()
        self._update_result_label()
        self.open_patient(patient.id)
        return True

    def _ask_about_duplicate(
        self, exc: DuplicatePatient, *, registering: bool
    ) -> tuple[DuplicateChoice, str]:
        """Another live patient has the NHS number: open theirs, go ahead with a written
        reason, or go back to the form as typed."""
        dialog = DuplicatePatientDialog(exc, registering=registering, parent=self)
        self.duplicate_dialog = dialog
        dialog.exec()
        self.duplicate_dialog = None
        dialog.deleteLater()
        return dialog.choice, dialog.reason_text()

    def _save_demographics(self, *, duplicate_reason: str = "") -> bool:
        assert self.patient is not None
        version = self._version_override or self.patient.version
        try:
            patient = self.services.patients.update(
                self.user,
                self.patient.id,
                version,
                self.demographics.raw(),
                duplicate_reason=duplicate_reason,
            )
        except ValidationError as exc:
            self._show_validation(exc)
            return False
        except DuplicatePatient as exc:
            choice, reason = self._ask_about_duplicate(exc, registering=False)
            if choice is DuplicateChoice.GO_AHEAD:
                return self._save_demographics(duplicate_reason=reason)
            return False  # the edit stays on screen, unsaved
        except ConcurrentEdit as exc:
            self._resolve_concurrent_edit(exc)
            return False
        except UserError as exc:
            show_user_error(self, exc)
            return False
        self.patient = patient
        self._version_override = None
        self._demographics_dirty = False
        self.demographics.show_errors({})
        today = self.services.patients.today()
        self.header.show_patient(
            patient, patient.age(today), self.services.patients.banner(self.user, patient.id)
        )
        self._name_patient_in_forms(patient)
        self.model.replace_summary(_summary_of(patient))
        self.statusBar().showMessage("Saved.", 4000)
        self._update_actions()
        return True

    def _save_medical(self) -> bool:
        assert self.patient is not None
        today = self.services.patients.today()
        try:
            history = self.medical.collect(today)
            saved = self.services.patients.save_medical_history(self.user, self.patient.id, history)
        except ValidationError as exc:
            self.medical.show_errors(exc.errors)
            self.tabs.setCurrentWidget(self.medical)
            self.statusBar().showMessage(
                "Not saved: correct the medical history entries marked in red.", 8000
            )
            return False
        except ConcurrentEdit as exc:
            theirs = exc.theirs
            assert isinstance(theirs, MedicalHistory)
            answer = QMessageBox.question(
                self,
                "Someone else saved this medical history",
                exc.message + "\n\nYes: show the saved version (your changes are dropped).\n"
                "No: keep your changes on screen; saving again replaces the other version.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self._medical_dirty = False
                self.medical.load(theirs, today)
                self._update_actions()
            else:
                self.medical.adopt_version(theirs.version)
            return False
        except UserError as exc:
            show_user_error(self, exc)
            return False
        self.history = saved
        self.medical.load(saved, today)
        self._medical_dirty = False
        self.header.set_banner(self.services.patients.banner(self.user, self.patient.id))
        self.statusBar().showMessage("Medical history saved.", 4000)
        self._update_actions()
        return True

    def _show_validation(self, exc: ValidationError) -> None:
        if "duplicate_reason" in exc.errors:  # not a field of the form: the dialog's reason
            show_user_error(self, exc)
            return
        self.demographics.show_errors(exc.errors)
        self.tabs.setCurrentWidget(self.demographics)
        self.statusBar().showMessage("Not saved: correct the fields marked in red.", 8000)

    def _resolve_concurrent_edit(self, exc: ConcurrentEdit) -> None:
        theirs = exc.theirs
        assert isinstance(theirs, Patient)
        mine_form = self.demographics.raw()
        theirs_form = _display_form(theirs.details)
        editor = self.services.clinic.repo.user_by_id(theirs.updated_by)
        who = editor.display_name if editor else "another user"
        dialog = ConcurrentEditDialog(
            exc.message, compare_rows(FIELD_LABELS, _display_raw(mine_form), theirs_form), who, self
        )
        self.concurrent_dialog = dialog
        dialog.exec()
        if dialog.choice == ConcurrentEditDialog.KEEP_MINE:
            # The user has seen the other version; a further Save replaces it knowingly.
            self._version_override = theirs.version
            self.statusBar().showMessage(
                "Your changes are still on screen. Press Save again to replace the other version.",
                10000,
            )
        elif dialog.choice == ConcurrentEditDialog.USE_SAVED:
            self._demographics_dirty = False
            self.open_patient(theirs.id)
        else:
            # Closed without choosing (Escape, or the idle lock): nothing is lost or replaced;
            # the edits stay on screen and the next Save shows both versions again.
            self.statusBar().showMessage("Not saved: someone else changed this record.", 10000)

    # -- archive --------------------------------------------------------------------------

    def toggle_archive(self) -> None:
        if self.patient is None:
            return
        archived = not self.patient.archived
        if archived:
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

    def open_audit_trail(self) -> None:
        """Admin > Audit trail (the service refuses anyone else, should the menu ever show)."""
        if self.audit_dialog is not None:
            self.audit_dialog.deleteLater()  # each opening is a fresh, audited view
            self.audit_dialog = None
        from clinicdesk.ui.audit_view import AuditTrailDialog

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
        from clinicdesk.ui.clinic_details_dialog import ClinicDetailsDialog

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

    def _show_access_log_tab(self, allowed: bool) -> None:
        """The access log tab for clinicians and admins only; emptied whenever roles apply."""
        self.access_log.clear()
        index = self.tabs.indexOf(self.access_log)
        if allowed and index < 0:
            self.tabs.addTab(self.access_log, "Acc&ess log")
        elif not allowed and index >= 0:
            self.tabs.removeTab(index)

    def _load_access_log(self, patient_id: str) -> None:
        if self.tabs.indexOf(self.access_log) < 0:
            return
        if not self.audit.may_see_access_log(self.user, patient_id):
            self.access_log.show_restricted(NOT_OWN_PATIENT)
            return
        try:
            self.access_log.load(self.audit.patient_access(self.user, patient_id))
        except UserError as exc:
            self.access_log.clear()
            show_user_error(self, exc)

    def set_idle_lock_time(self, minutes: int | None = None) -> None:
        """Admin > Idle lock time: ask for the minutes (``minutes`` given skips the question)."""
        if minutes is None:
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

    def _open_timeline_assessment(self, item: TimelineItem) -> None:
        """A Timeline assessment opens in the Measurements tab's dialog (read-only for those
        who may only view), so saving it updates both tabs."""
        record = item.record
        assert isinstance(record, Assessment)
        if self.measurements.patient_id != record.patient_id:
            return
        try:
            fresh = self.services.assessments.get(self.user, record.id)  # its latest version
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.measurements.open_assessment(fresh)

    def _measurements_changed(self) -> None:
        self.timeline.refresh()

    def _timeline_changed(self, saved: object) -> None:
        # Only a treatment matters to the Measurements tab: it moves the baseline.
        if isinstance(saved, (Treatment, TreatmentSaved)):
            self.measurements.refresh()
        due_list = getattr(self, "follow_ups_dialog", None)
        if isinstance(saved, FollowUp) and due_list is not None:
            due_list.show_saved(saved)  # booked or settled from the Timeline

    def _follow_ups_changed(self, patient_id: str) -> None:
        """A follow-up changed in the due list: the Timeline shows it if that patient is open."""
        if self._record_tabs is not None and self.timeline.patient_id == patient_id:
            self.timeline.refresh()

    def open_follow_ups(self) -> None:
        """Clinic > Follow-ups due: not modal, so it stays open beside the record it opens."""
        current = getattr(self, "follow_ups_dialog", None)
        if current is not None and current.isVisible() and current.user == self.user:
            current.reload()
            current.activateWindow()
            return
        from clinicdesk.ui.follow_ups import FollowUpsDialog

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
        from clinicdesk.ui.lots import LotFinderDialog

        self.lot_finder = LotFinderDialog(
            self.services.clinical, self.user, self.open_patient_from_list, self
        )
        self.lot_finder.show()

    def open_users(self) -> None:
        """Admin > Users (the service refuses anyone else, should the menu ever show)."""
        from clinicdesk.ui.users_dialog import UsersDialog

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
        from clinicdesk.ui.change_password import ChangePasswordDialog

        if (previous := getattr(self, "change_password_dialog", None)) is not None:
            previous.deleteLater()
        self.change_password_dialog = ChangePasswordDialog(self.services.users, self.user, self)

        def changed() -> None:
            self.statusBar().showMessage("Your password was changed.", 5000)

        self.change_password_dialog.accepted.connect(changed)
        self.change_password_dialog.open()

    def _about(self) -> None:
        from clinicdesk import __version__

        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\nRecords for a hair-loss micrografting clinic.",
        )


def _summary_of(patient: Patient) -> PatientSummary:
    d = patient.details
    return PatientSummary(
        patient.id,
        d.first_name,
        d.last_name,
        d.preferred_name,
        d.date_of_birth,
        d.sex,
        d.nhs_number,
        d.phone,
        d.postcode,
        patient.archived,
    )


def _display_form(details: PatientDetails) -> dict[str, str]:
    form = details.as_form()
    form["nhs_number"] = format_nhs_number(details.nhs_number)
    form["sex"] = details.sex.label
    form.pop("home_site_id", None)
    return form


def _display_raw(raw: dict[str, str]) -> dict[str, str]:
    shown = dict(raw)
    shown.pop("home_site_id", None)
    return shown
