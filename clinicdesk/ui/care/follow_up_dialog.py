"""One follow-up, opened from the Timeline (``FollowUpDialog``): what and when it is due, its
status and booked time, and the actions of the clinic's due list (``follow_ups``) on it."""

from __future__ import annotations

from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.clinical import FollowUp, FollowUpStatus
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.roles import Permission
from clinicdesk.domain.words import plural
from clinicdesk.errors import UserError
from clinicdesk.services.clinical import ClinicalService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.care.follow_ups import (
    BookFollowUpDialog,
    ChosenFollowUp,
    FollowUpActions,
    format_appointment,
    whose,
)
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import close_buttons
from clinicdesk.ui.widgets.patient_identity import PatientIdentity, name_the_patient


class FollowUpDialog(QDialog):
    """One follow-up, opened from the Timeline: what and when it is due, its status and booked
    time, and the due list's actions on it (``FollowUpActions``). It stays open after a change
    to show the follow-up as saved; ``changed`` carries what the service returned."""

    changed = Signal(object)
    identity: PatientIdentity | None = None  # set with name_the_patient; its booking names it

    def name_patient(self, who: PatientIdentity | None) -> None:
        self.identity = who
        name_the_patient(self, who)

    def __init__(
        self,
        service: ClinicalService,
        user: CurrentUser,
        follow_up: FollowUp,
        patient_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.user = user
        self.follow_up = follow_up
        self.patient_name = patient_name
        self.follow_up_actions = FollowUpActions(service, user, self, self._saved, self._reload)
        self.setObjectName("follow_up")
        self.setWindowTitle("Follow-up")
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("follow_up_title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        layout.addWidget(self.title)
        form = QFormLayout()
        self.due_label = QLabel()
        self.status_label = QLabel()
        self.booked_label = QLabel()
        self.notes_label = QLabel()
        for name, label, caption in (
            ("follow_up_due", self.due_label, "Due"),
            ("follow_up_status", self.status_label, "Status"),
            ("follow_up_booked", self.booked_label, "Booked for"),
            ("follow_up_notes", self.notes_label, "Notes"),
        ):
            label.setObjectName(name)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(caption + ":", label)
        layout.addLayout(form)
        self.done_label = QLabel()
        self.done_label.setObjectName("follow_up_done")
        self.done_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.done_label)

        actions = QHBoxLayout()
        (
            self.book_button,
            self.attended_button,
            self.did_not_attend_button,
            self.cancel_button,
        ) = self.follow_up_actions.buttons(self._chosen, "This follow-up will not happen")
        for button in (
            self.book_button,
            self.attended_button,
            self.did_not_attend_button,
            self.cancel_button,
        ):
            button.setAutoDefault(False)
            button.setVisible(user.may(Permission.FOLLOW_UPS))
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        layout.addWidget(close_buttons(self))

        self.setMinimumWidth(480)
        self._show()

    @property
    def booking_dialog(self) -> BookFollowUpDialog | None:
        return self.follow_up_actions.booking_dialog

    def _show(self) -> None:
        follow_up = self.follow_up
        today = self.service.today()
        self.title.setText(whose(self.patient_name, f"{follow_up.kind.label} follow-up"))
        due = format_uk(follow_up.due_on)
        if follow_up.overdue(today):
            days = (today - follow_up.due_on).days
            due += f" (overdue, {plural(days, 'day')})"
        self.due_label.setText(due)
        self.status_label.setText(follow_up.status.label)
        self.booked_label.setText(format_appointment(follow_up.booked_at) or "Not booked")
        self.notes_label.setText(follow_up.notes or "None")
        status = follow_up.status
        self.book_button.setText("Re&book…" if follow_up.booked_at is not None else "&Book…")
        self.attended_button.setEnabled(status is not FollowUpStatus.ATTENDED)
        self.did_not_attend_button.setEnabled(status is FollowUpStatus.BOOKED)
        self.cancel_button.setEnabled(status is not FollowUpStatus.CANCELLED)

    def _saved(self, saved: FollowUp, message: str) -> None:
        self.follow_up = saved
        self._show()
        self.done_label.setText(message)
        self.changed.emit(saved)

    def _reload(self) -> None:
        """Someone else changed it first: show its latest version (or close if it is gone)."""
        try:
            latest = self.service.follow_ups(self.user, self.follow_up.patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        fresh = next((f for f in latest if f.id == self.follow_up.id), None)
        if fresh is None:
            self.reject()
            return
        self.follow_up = fresh
        self._show()
        self.done_label.setText("")
        self.changed.emit(fresh)

    def _chosen(self) -> ChosenFollowUp:
        return self.follow_up, self.patient_name, self.identity
