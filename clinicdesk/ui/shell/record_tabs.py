"""The record's tabs that the main window makes on first need (Measurements, Timeline, Photos)
and keeps in step with each other, and the access log tab. ``RecordTabsWindow`` is the layer of
``MainWindow`` that owns them.

They and what they import (the photo grid and viewers, the clinical forms) are a good part of
start-up, so they are made when a record is first opened or a new patient begun
(``record_tabs``), not with the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTabWidget

from clinicdesk.domain.assessments import Assessment
from clinicdesk.domain.clinical import FollowUp, Treatment
from clinicdesk.domain.patient import Patient
from clinicdesk.errors import UserError
from clinicdesk.services.audit import NOT_OWN_PATIENT
from clinicdesk.services.clinical import TimelineItem, TimelineKind, TreatmentSaved
from clinicdesk.ui.admin.access_log import AccessLogTab
from clinicdesk.ui.patients.classification import ClassificationTab
from clinicdesk.ui.shell.window_menus import MenuWindow
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.patient_identity import PatientIdentity

if TYPE_CHECKING:
    from clinicdesk.ui.care.timeline import TimelineTab
    from clinicdesk.ui.measurements.tab import MeasurementsTab
    from clinicdesk.ui.photos.gallery import PhotosTab


@dataclass(frozen=True)
class RecordTabs:
    measurements: MeasurementsTab
    timeline: TimelineTab
    photos: PhotosTab


class RecordTabsWindow(MenuWindow):
    """The record tabs made on first need (see the module docstring)."""

    tabs: QTabWidget
    classification: ClassificationTab
    access_log: AccessLogTab
    _record_tabs: RecordTabs | None

    def record_tabs(self) -> RecordTabs:
        """The Measurements, Timeline and Photos tabs, made on first use: when a record is
        first opened or a new patient begun (or something asks for one of them)."""
        if self._record_tabs is not None:
            return self._record_tabs
        from clinicdesk.ui.care.timeline import TimelineTab
        from clinicdesk.ui.measurements.tab import MeasurementsTab
        from clinicdesk.ui.photos.gallery import PhotosTab

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

    def _name_patient_in_forms(self, patient: Patient) -> None:
        """The forms the record's tabs open name this patient (title and top line)."""
        identity = PatientIdentity.of(patient)
        self.timeline.identity = identity
        self.measurements.identity = identity
        self.photos.identity = identity
        self.documents.identity = identity

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
