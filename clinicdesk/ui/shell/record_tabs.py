"""The record's tabs, made when a record is first opened or a new patient begun, and kept in
step with each other. ``RecordTabsWindow`` is the layer of ``MainWindow`` that owns them.

Until a record is opened only the search and the patient list are on screen, so none of the
tabs (and none of what they import: the forms, the clinical and document services, the photo
grid and viewers, PDF previews) is made with the window: they are a good part of start-up.
``record_tabs`` makes them all at once on first need (``MainWindow.warm_up`` may do it earlier,
in idle time after the window is up); the properties below (``demographics``, ``medical``, ...)
make them when something asks for one.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget

from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.ui.shell.start_up import IdleSteps
from clinicdesk.ui.shell.window_menus import MenuWindow
from clinicdesk.ui.widgets.errors import show_user_error

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTabWidget

    from clinicdesk.domain.classification import Classification
    from clinicdesk.domain.patient import Patient
    from clinicdesk.services.clinical import TimelineItem
    from clinicdesk.ui.admin.access_log import AccessLogTab
    from clinicdesk.ui.care.timeline import TimelineTab
    from clinicdesk.ui.documents.tab import DocumentsTab
    from clinicdesk.ui.measurements.tab import MeasurementsTab
    from clinicdesk.ui.patients.classification import ClassificationTab
    from clinicdesk.ui.patients.medical_history import MedicalHistoryTab
    from clinicdesk.ui.patients.patient_form import DemographicsForm
    from clinicdesk.ui.photos.gallery import PhotosTab


# What making the record's tabs imports, heaviest last; ``warm_up`` imports one a turn.
WARM_UP_MODULES = (
    "clinicdesk.ui.shell.patient_header",
    "clinicdesk.ui.patients.patient_form",
    "clinicdesk.ui.patients.medical_history",
    "clinicdesk.ui.patients.classification",
    # Each module before the one that imports it, so that every turn stays short.
    "clinicdesk.domain.assessments",
    "clinicdesk.domain.assessment_csv",
    "clinicdesk.ui.measurements.assessments",
    "clinicdesk.ui.measurements.tab",
    "clinicdesk.domain.follow_ups",
    "clinicdesk.domain.clinical",
    "clinicdesk.services.audit",
    "clinicdesk.ui.admin.access_log",
    "clinicdesk.domain.consent",
    "clinicdesk.services.photos",
    "clinicdesk.ui.photos.compare",
    "clinicdesk.ui.photos.grid",
    "clinicdesk.ui.photos.gallery",
    "clinicdesk.services.clinical",
    "clinicdesk.ui.care.clinical_forms",
    "clinicdesk.ui.care.follow_ups",
    "clinicdesk.ui.care.follow_up_dialog",
    "clinicdesk.ui.care.adverse_event_form",
    "clinicdesk.ui.care.timeline",
    "clinicdesk.documents.templates",
    "clinicdesk.services.documents",
    "clinicdesk.ui.documents.pdf_preview",
    "clinicdesk.ui.documents.making",
    "clinicdesk.ui.documents.sign_consent",
    "clinicdesk.ui.documents.tab",
)
# The record's tabs by their names in ``RecordTabs``, in the order ``warm_up`` makes them.
TAB_NAMES = (
    "demographics",
    "medical",
    "classification",
    "measurements",
    "timeline",
    "photos",
    "documents",
    "access_log",
)
WARM_UP_AFTER_MS = 1500  # after the window is up: the list is painted, the user looks at it
WARM_UP_STEP_MS = 40  # between steps: keys typed meanwhile are handled in between


@dataclass(frozen=True)
class RecordTabs:
    demographics: DemographicsForm
    medical: MedicalHistoryTab
    classification: ClassificationTab
    measurements: MeasurementsTab
    timeline: TimelineTab
    photos: PhotosTab
    documents: DocumentsTab
    access_log: AccessLogTab


class RecordTabsWindow(MenuWindow):
    """The record tabs made on first need (see the module docstring)."""

    _record_tabs: RecordTabs | None
    _later: dict[QWidget, Callable[[], None]]  # see load_later
    _later_timer: QTimer
    _pre_made: dict[str, QWidget]  # tabs made in idle time (``warm_up``), until placed
    _shown_next_turn: QTimer | None = None  # see show_record_next_turn

    def _show_record(self) -> None:
        raise NotImplementedError

    # Made by MainWindow.
    @property
    def tabs(self) -> QTabWidget:
        raise NotImplementedError

    def _demographics_changed(self) -> None:
        raise NotImplementedError

    def _medical_changed(self) -> None:
        raise NotImplementedError

    def _add_classification(
        self, scale: str, grade: str, assessed_on: str, note: str
    ) -> list[Classification]:
        raise NotImplementedError

    def _remove_classification(self, entry: Classification) -> list[Classification]:
        raise NotImplementedError

    @property
    def record_tabs_made(self) -> bool:
        return self._record_tabs is not None

    # -- filling the tabs not on screen after the record is shown -------------------------

    def load_later(self, tab: QWidget, load: Callable[[], None]) -> None:
        """Fill ``tab`` with the open record: now if it is the tab on screen, else on a later
        turn of the event loop (one tab a turn), so that opening a record never holds the
        window for long at a time. Asking for the tab (``medical``, ``classification``,
        ``access_log``) or showing it fills it at once."""
        if self.tabs.currentWidget() is tab:
            load()
            return
        self._later_loads()[tab] = load
        if self._shown_next_turn is None or not self._shown_next_turn.isActive():
            self._later_timer.start()

    def forget_later_loads(self) -> None:
        """The record is left (another opened, a new patient, none): its fills are dropped,
        and so is a record pane still to be shown (``show_record_next_turn``)."""
        if hasattr(self, "_later"):
            self._later.clear()
        if self._shown_next_turn is not None:
            self._shown_next_turn.stop()

    def show_record_next_turn(self) -> None:
        """Show the record's pane, filled now out of sight, on the next turn of the event
        loop, and only then fill the tabs not on screen: painting the pane (its header and
        the form on screen) is then a turn of its own, not added to the turn that read the
        record and filled it."""
        if self._shown_next_turn is None:
            self._shown_next_turn = QTimer(self)
            self._shown_next_turn.setSingleShot(True)
            self._shown_next_turn.setInterval(0)
            self._shown_next_turn.timeout.connect(self._show_held_record)
        self._later_loads()
        self._later_timer.stop()  # after the pane is shown
        self._shown_next_turn.start()

    def _show_held_record(self) -> None:
        self._show_record()
        if self._later_loads():
            self._later_timer.start()

    def _later_loads(self) -> dict[QWidget, Callable[[], None]]:
        if not hasattr(self, "_later"):
            self._later = {}
            # A timer, not a queued call (``QTimer.singleShot(0, ...)``): Qt delivers a queued
            # call with the events already waiting, before the record's first paint and with
            # no timer between; a timer's turn comes after them, so the record is painted
            # first and each fill is a turn of its own.
            self._later_timer = QTimer(self)
            self._later_timer.setSingleShot(True)
            self._later_timer.setInterval(0)
            self._later_timer.timeout.connect(self._load_next_later)
            self.tabs.currentChanged.connect(self._tab_shown)
        return self._later

    def _load_next_later(self) -> None:
        later = self._later_loads()
        if not later:
            return
        tab = next(iter(later))
        later.pop(tab)()
        if later:
            self._later_timer.start()

    def _filled(self, tab: QWidget) -> None:
        load = self._later_loads().pop(tab, None)
        if load is not None:
            load()

    def _tab_shown(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if tab is not None:
            self._filled(tab)

    def warm_up(self, after_ms: int = WARM_UP_AFTER_MS) -> None:
        """Make the record's tabs in idle time once the window is up, so that the first record
        opens as quickly as the next (making them takes far longer than opening a record):
        one module imported per turn of the event loop, ``WARM_UP_STEP_MS`` apart, then the
        tabs. Nothing is read or audited; a record opened meanwhile makes them at once."""
        steps: list[Callable[[], object]] = [
            functools.partial(importlib.import_module, name) for name in WARM_UP_MODULES
        ]
        # Then each tab a turn (making them all took some 70 ms: keys typed meanwhile waited),
        # and last the tabs put together.
        steps += [functools.partial(self._pre_make, name) for name in TAB_NAMES]
        steps.append(self.record_tabs)
        IdleSteps(
            steps,
            self,
            after_ms=after_ms,
            step_ms=WARM_UP_STEP_MS,
            stop=lambda: self._record_tabs is not None,
        )

    def _tab_makers(self) -> dict[str, Callable[[], QWidget]]:
        """How each tab of the record is made, by its name in ``RecordTabs``. Every one is
        parented from the start (hidden until placed): a parentless widget owned by Python
        could be garbage-collected on a worker thread after the window is gone, which
        crashes Qt."""
        from clinicdesk.ui.admin.access_log import AccessLogTab
        from clinicdesk.ui.care.timeline import TimelineTab
        from clinicdesk.ui.documents.tab import DocumentsTab
        from clinicdesk.ui.measurements.tab import MeasurementsTab
        from clinicdesk.ui.patients.classification import ClassificationTab
        from clinicdesk.ui.patients.medical_history import MedicalHistoryTab
        from clinicdesk.ui.patients.patient_form import DemographicsForm
        from clinicdesk.ui.photos.gallery import PhotosTab

        services, tabs, user = self.services, self.tabs, self.user

        def parented(widget: QWidget) -> QWidget:
            widget.setParent(tabs)
            widget.hide()
            return widget

        def demographics() -> QWidget:
            sites = [(site.id, site.name) for site in services.clinic.sites()]
            return parented(DemographicsForm(sites))

        return {
            "demographics": demographics,
            "medical": lambda: parented(MedicalHistoryTab()),
            "classification": lambda: parented(ClassificationTab()),
            "measurements": lambda: MeasurementsTab(services.assessments, user, tabs),
            "timeline": lambda: TimelineTab(services, user, tabs),
            "photos": lambda: PhotosTab(services, user, tabs),
            "documents": lambda: DocumentsTab(services, user, tabs),
            "access_log": lambda: AccessLogTab(tabs),
        }

    def _pre_make(self, name: str) -> None:
        """One tab made in idle time, for ``record_tabs`` to take."""
        if not hasattr(self, "_pre_made"):
            self._pre_made = {}
        self._pre_made[name] = self._tab_makers()[name]()

    def record_tabs(self) -> RecordTabs:
        """Every tab of the record, made on first use: when a record is first opened or a new
        patient begun (or something asks for one of them)."""
        if self._record_tabs is not None:
            return self._record_tabs
        from clinicdesk.services.clinical import TimelineKind

        services, tabs = self.services, self.tabs
        pre_made: dict[str, QWidget] = getattr(self, "_pre_made", None) or {}
        self._pre_made = {}
        makers = self._tab_makers()

        def take(name: str) -> Any:
            made_earlier = pre_made.pop(name, None)
            return makers[name]() if made_earlier is None else made_earlier

        demographics: DemographicsForm = take("demographics")
        demographics.changed.connect(self._demographics_changed)
        medical: MedicalHistoryTab = take("medical")
        medical.changed.connect(self._medical_changed)
        classification: ClassificationTab = take("classification")
        classification.set_handlers(
            self._add_classification, self._remove_classification, services.patients.today
        )
        made = RecordTabs(
            demographics,
            medical,
            classification,
            take("measurements"),
            take("timeline"),
            take("photos"),
            # Every role has it. Its Consent pack action (Ctrl+Shift+P) is the window's too,
            # so that it works from any tab of the record (and the idle lock disables it).
            take("documents"),
            take("access_log"),
        )
        self._record_tabs = made
        for tab in (made.measurements, made.timeline, made.photos, made.documents):
            tab.hide()
        made.access_log.hide()
        stand_in = self.consent_pack_stand_in
        self.insertAction(stand_in, made.documents.consent_pack_action)
        self.removeAction(stand_in)
        stand_in.setShortcut(QKeySequence())  # gone at once: no two actions share the keys
        stand_in.deleteLater()
        # The two tabs show the same assessments (and the baseline hangs on the treatments):
        # a save in one brings the other in step.
        made.timeline.openers[TimelineKind.ASSESSMENT.value] = self._open_timeline_assessment
        made.measurements.changed.connect(self._measurements_changed)
        made.timeline.changed.connect(self._timeline_changed)
        tabs.addTab(demographics, "&Demographics")
        self.apply_role_to_tabs(made)
        return made

    def apply_role_to_tabs(self, made: RecordTabs) -> None:
        """Show the tabs the user's role may use, in their order: Demographics, Medical
        history, Classification, Measurements, Photos, Timeline, Documents, Access log."""
        user = self.user
        clinical = user.may(Permission.VIEW_MEDICAL)
        pairs = ((made.medical, "&Medical history"), (made.classification, "C&lassification"))
        for position, (widget, label) in enumerate(pairs, start=1):
            # Reception sees the red-flag banner only, never the clinical tabs.
            shown = self.tabs.indexOf(widget) >= 0
            if clinical and not shown:
                self.tabs.insertTab(position, widget, label)
            elif shown and not clinical:
                self.tabs.removeTab(self.tabs.indexOf(widget))
        read_only = not user.may(Permission.EDIT_MEDICAL)
        made.medical.set_read_only(read_only)
        made.classification.set_read_only(read_only)
        made.measurements.apply_role(user, after=made.classification)
        made.photos.apply_role(user, after=made.measurements)
        self._show_access_log_tab(made.access_log, user.may(Permission.PATIENT_ACCESS_LOG))
        made.timeline.set_user(user)
        made.timeline.attach(self.tabs, before=made.access_log)
        made.documents.apply_role(user, before=made.access_log)

    @property
    def demographics(self) -> DemographicsForm:
        return self.record_tabs().demographics

    @property
    def medical(self) -> MedicalHistoryTab:
        tab = self.record_tabs().medical
        self._filled(tab)
        return tab

    @property
    def classification(self) -> ClassificationTab:
        tab = self.record_tabs().classification
        self._filled(tab)
        return tab

    @property
    def measurements(self) -> MeasurementsTab:
        return self.record_tabs().measurements

    @property
    def timeline(self) -> TimelineTab:
        return self.record_tabs().timeline

    @property
    def photos(self) -> PhotosTab:
        return self.record_tabs().photos

    def _name_patient_in_forms(self, patient: Patient) -> None:
        """The forms the record's tabs open name this patient (title and top line)."""
        from clinicdesk.ui.widgets.patient_identity import PatientIdentity

        identity = PatientIdentity.of(patient)
        self.timeline.identity = identity
        self.measurements.identity = identity
        self.photos.identity = identity
        self.documents.identity = identity

    @property
    def documents(self) -> DocumentsTab:
        return self.record_tabs().documents

    @property
    def access_log(self) -> AccessLogTab:
        tab = self.record_tabs().access_log
        self._filled(tab)
        return tab

    def _show_access_log_tab(self, access_log: AccessLogTab, allowed: bool) -> None:
        """The access log tab for clinicians and admins only; emptied whenever roles apply."""
        access_log.clear()
        index = self.tabs.indexOf(access_log)
        if allowed and index < 0:
            self.tabs.addTab(access_log, "Acc&ess log")
        elif not allowed and index >= 0:
            self.tabs.removeTab(index)

    def _load_access_log(self, patient_id: str) -> None:
        if self.tabs.indexOf(self.access_log) < 0:
            return
        if not self.audit.may_see_access_log(self.user, patient_id):
            from clinicdesk.services.audit import NOT_OWN_PATIENT

            self.access_log.show_restricted(NOT_OWN_PATIENT)
            return
        try:
            self.access_log.load(self.audit.patient_access(self.user, patient_id))
        except UserError as exc:
            self.access_log.clear()
            show_user_error(self, exc)

    def _open_timeline_assessment(self, item: TimelineItem) -> None:
        """A Timeline assessment opens in the Measurements tab's dialog (read-only for those
        who may only view), so saving it updates both tabs."""
        from clinicdesk.domain.assessments import Assessment

        record = item.record
        assert isinstance(record, Assessment)
        if self.measurements.patient_id != record.patient_id:
            return
        self.measurements.ensure_loaded()  # its list takes the correction in when saved
        try:
            fresh = self.services.assessments.get(self.user, record.id)  # its latest version
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.measurements.open_assessment(fresh)

    def _measurements_changed(self) -> None:
        self.timeline.refresh()

    def _timeline_changed(self, saved: object) -> None:
        from clinicdesk.domain.clinical import FollowUp, Treatment
        from clinicdesk.services.clinical import TreatmentSaved

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
