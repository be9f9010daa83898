"""The patient's Timeline tab: the whole course of care, newest first, each entry opening its form.

Consultations, treatments, adverse events and follow-ups come from ``ClinicalService.timeline``
(one audited view). The tab is for those who may see clinical records (clinicians edit,
administrators view); reception never gets it (``attach``). It loads when it is shown, not when
a record is opened, so the audit trail records a view of the timeline only when someone looked
at it. After a form saves, the timeline is read again: saving a treatment adds its follow-ups.

Other record kinds plug in through ``openers`` (the main window opens assessments with the
Measurements tab's dialog): a function per ``TimelineItem.kind`` that opens the item.

After a save here the tab emits ``changed`` with what the service returned, so the window can
bring other tabs in step (a treatment moves the Measurements tab's baseline). When a record
shown here changes elsewhere, ``refresh`` reads the timeline again, at once if it is on screen,
else when it is next shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.clinical import (
    AdverseEvent,
    Consultation,
    FollowUp,
    Treatment,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.services.clinical import TimelineItem, TimelineKind
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.care.adverse_event_form import AdverseEventForm
from clinicdesk.ui.care.clinical_forms import ClinicalForm, FormContext
from clinicdesk.ui.care.consultation_form import ConsultationForm
from clinicdesk.ui.care.follow_up_dialog import FollowUpDialog
from clinicdesk.ui.care.treatment_form import TreatmentForm
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.keep_at_lock import KEEP_AT_LOCK
from clinicdesk.ui.widgets.patient_identity import name_the_patient
from clinicdesk.ui.widgets.patient_tab import PatientTab
from clinicdesk.ui.widgets.table_model import AnyIndex, ListTableModel, list_table_view

COLUMNS = ("Date", "Kind", "Details")
TIMELINE_WIDTHS = (96, 120)
TAB_LABEL = "&Timeline"
Opener = Callable[[TimelineItem], None]

_KIND_COLOURS = {
    TimelineKind.ADVERSE_EVENT: QColor("#8a1c1c"),
    TimelineKind.FOLLOW_UP: QColor("#52606d"),
    TimelineKind.ASSESSMENT: QColor("#1f5f8b"),
}


def override_of(item: TimelineItem) -> str:
    """The reason a treatment went ahead despite the eligibility check ("" for none)."""
    record = item.record
    if item.kind is not TimelineKind.TREATMENT or not isinstance(record, Treatment):
        return ""
    return record.overrides[-1].reason if record.overrides else ""


def shown_title(item: TimelineItem) -> str:
    """The item's title; a treatment saved with an override says so, with its reason."""
    reason = override_of(item)
    return f"{item.title} (override: {reason})" if reason else item.title


class TimelineModel(ListTableModel[TimelineItem]):
    COLUMNS = COLUMNS

    def set_items(self, items: Sequence[TimelineItem]) -> None:
        self.set_rows(items)

    def item_at(self, row: int) -> TimelineItem | None:
        return self.row_at(row)

    def items(self) -> list[TimelineItem]:
        return self.rows

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        item = self.row_for(index)
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            values = (format_uk(item.on), item.kind.label, shown_title(item))
            return values[index.column()] if 0 <= index.column() < len(values) else None
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2 and override_of(item):
            return shown_title(item)
        if role == Qt.ItemDataRole.ForegroundRole and item.kind in _KIND_COLOURS:
            return QBrush(_KIND_COLOURS[item.kind])
        if role == Qt.ItemDataRole.FontRole and item.kind is TimelineKind.TREATMENT:
            font = QFont()
            font.setBold(True)
            return font
        return None


class TimelineTab(PatientTab):
    # What a form here saved (the service's return value), after the timeline was read again.
    changed = Signal(object)

    def __init__(
        self, services: ClinicServices, user: CurrentUser, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.services = services
        self.user = user
        self.patient_name = ""
        self.form: ClinicalForm | None = None
        # Hook: how to open each kind that has no form here (assessments, follow-ups).
        self.openers: dict[str, Opener] = {TimelineKind.FOLLOW_UP.value: self._open_follow_up}
        self.follow_up_dialog: FollowUpDialog | None = None

        layout = QVBoxLayout(self)
        buttons = QHBoxLayout()
        self.new_consultation_button = QPushButton("New consultation…")
        self.new_consultation_button.setObjectName("new_consultation")
        self.record_treatment_button = QPushButton("Record treatment…")
        self.record_treatment_button.setObjectName("record_treatment")
        self.adverse_event_button = QPushButton("Adverse event…")
        self.adverse_event_button.setObjectName("new_adverse_event")
        self.new_consultation_button.clicked.connect(self.new_consultation)
        self.record_treatment_button.clicked.connect(self.record_treatment)
        self.adverse_event_button.clicked.connect(self.new_adverse_event)
        for button in (
            self.new_consultation_button,
            self.record_treatment_button,
            self.adverse_event_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.summary = QLabel()
        self.summary.setObjectName("timeline_summary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.summary)
        self.model = TimelineModel(self)
        self.table = list_table_view(
            self.model, "timeline_table", TIMELINE_WIDTHS, single_selection=True, wrapped_rows=True
        )
        self.table.activated.connect(self._activated)  # double-click or Enter
        layout.addWidget(self.table, 1)
        self.set_user(user)

    # -- role and patient -----------------------------------------------------------------

    @property
    def may_edit(self) -> bool:
        return self.user.may(Permission.EDIT_CLINICAL_RECORDS)

    def set_user(self, user: CurrentUser) -> None:
        """The window's user changed (or the roles apply again): forget what was shown."""
        self.user = user
        for button in (
            self.new_consultation_button,
            self.record_treatment_button,
            self.adverse_event_button,
        ):
            button.setVisible(self.may_edit)
        self.set_patient(None)

    def attach(self, tabs: QTabWidget, before: QWidget | None = None) -> None:
        """Be one of ``tabs`` (placed before ``before`` when it is there) only for a user who may
        see clinical records; taken out otherwise."""
        allowed = self.user.may(Permission.VIEW_CLINICAL_RECORDS)
        index = tabs.indexOf(self)
        if allowed and index < 0:
            anchor = tabs.indexOf(before) if before is not None else -1
            if anchor >= 0:
                tabs.insertTab(anchor, self, TAB_LABEL)
            else:
                tabs.addTab(self, TAB_LABEL)
        elif not allowed and index >= 0:
            tabs.removeTab(index)

    def set_patient(self, patient_id: str | None, patient_name: str = "") -> None:
        """Show ``patient_id``'s timeline (read now if the tab is on screen, else when shown)."""
        self.patient_id = patient_id
        self.patient_name = patient_name if patient_id is not None else ""
        self._loaded = False
        self.model.set_items([])
        self.summary.setText("")
        self._update_buttons()
        if patient_id is not None and self.isVisible():
            self.reload()

    def reload(self) -> None:
        if self.patient_id is None or not self.user.may(Permission.VIEW_CLINICAL_RECORDS):
            return
        try:
            items = self.services.clinical.timeline(self.user, self.patient_id)
        except UserError as exc:
            self.model.set_items([])
            show_user_error(self, exc)
            return
        self._loaded = True
        self.model.set_items(items)
        n = len(items)
        self.summary.setText(
            "Nothing recorded yet."
            if n == 0
            else f"{n} entr{'ies' if n != 1 else 'y'}, newest first. "
            "Double-click or press Enter to open one."
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_treatment = any(item.kind is TimelineKind.TREATMENT for item in self.model.items())
        self.adverse_event_button.setEnabled(has_treatment)
        self.adverse_event_button.setToolTip(
            "" if has_treatment else "An adverse event is recorded against a treatment."
        )

    # -- forms ----------------------------------------------------------------------------

    def _context(self) -> FormContext:
        assert self.patient_id is not None
        treatments = [
            (item.record.id, f"{format_uk(item.on)}: {zones_of(item.record)}")
            for item in self.model.items()
            if isinstance(item.record, Treatment)
        ]
        return FormContext(
            service=self.services.clinical,
            user=self.user,
            patient_id=self.patient_id,
            sites=[(site.id, site.name) for site in self.services.clinic.sites()],
            this_site_id=self.services.clinic.this_site().id,
            clinicians=self.services.clinical.clinicians(self.user),
            today=self.services.patients.today(),
            treatments=treatments,
            device=self.services.clinic_details.details().device,
        )

    def _open_form(self, make: Callable[[FormContext], ClinicalForm]) -> ClinicalForm | None:
        if self.patient_id is None:
            return None
        try:
            form = make(self._context())
        except UserError as exc:
            show_user_error(self, exc)
            return None
        if self.form is not None:
            self.form.deleteLater()  # closed by now: forms are modal
        self.form = form
        name_the_patient(form, self.identity)
        form.saved.connect(self._form_saved)
        form.setProperty(KEEP_AT_LOCK, True)  # what was typed survives the idle lock
        form.open()
        return form

    def new_consultation(self) -> None:
        self._open_form(lambda context: ConsultationForm(context, None, self))

    def record_treatment(self) -> None:
        self._open_form(lambda context: TreatmentForm(context, None, self))

    def new_adverse_event(self) -> None:
        self._open_form(lambda context: AdverseEventForm(context, None, self))

    def _form_saved(self, result: object) -> None:
        self.reload()
        self.changed.emit(result)

    def _activated(self, index: QModelIndex) -> None:
        self.open_row(index.row())

    def _open_follow_up(self, item: TimelineItem) -> None:
        self.open_follow_up(item)

    def open_row(self, row: int) -> None:
        item = self.model.item_at(row)
        if item is None:
            return
        opener = self.openers.get(item.kind.value)
        if opener is not None:
            opener(item)
            return
        clinical = self.services.clinical
        record = item.record
        # Read the record again: opening it is an audited view and gets its latest version.
        try:
            if isinstance(record, Consultation):
                fresh_consultation = clinical.consultation(self.user, record.id)
                self._open_form(lambda context: ConsultationForm(context, fresh_consultation, self))
            elif isinstance(record, Treatment):
                fresh_treatment = clinical.treatment(self.user, record.id)
                self._open_form(lambda context: TreatmentForm(context, fresh_treatment, self))
            elif isinstance(record, AdverseEvent):
                fresh_event = clinical.adverse_event(self.user, record.id)
                self._open_form(lambda context: AdverseEventForm(context, fresh_event, self))
        except UserError as exc:
            show_user_error(self, exc)

    def open_follow_up(self, item: TimelineItem) -> FollowUpDialog:
        """A follow-up opens in a small dialog that books it or records what happened (the
        due list's actions); each change reads the timeline again."""
        follow_up = item.record
        assert isinstance(follow_up, FollowUp)
        if self.follow_up_dialog is not None:
            self.follow_up_dialog.deleteLater()  # closed by now: it is modal
        dialog = FollowUpDialog(
            self.services.clinical, self.user, follow_up, self.patient_name, self
        )
        dialog.name_patient(self.identity)
        dialog.changed.connect(self._follow_up_changed)
        self.follow_up_dialog = dialog
        dialog.open()
        return dialog

    def _follow_up_changed(self, saved: object) -> None:
        self.reload()
        self.changed.emit(saved)


def zones_of(treatment: Treatment) -> str:
    return ", ".join(zone.label for zone in treatment.details.treated_zones)
