"""Clinic > Follow-ups due: reception's list of follow-ups due soon or overdue, and booking.

One row per open follow-up (not booked, booked, did not attend) due within the chosen number
of days or already overdue, earliest first, with the patient's phone number to ring. Overdue
rows say so in their own column as well as in colour, so the list reads the same to someone
who cannot tell the colours apart. From a row: book or rebook (a typed ``DD/MM/YYYY HH:MM``,
checked by the service, its message shown at the field), mark attended or did not attend,
cancel (after asking), or open the patient in the main window.

A change updates its row from the follow-up the service returns (the row leaves the list when
the follow-up is no longer open) rather than querying the list again, which would be another
audited view. When someone else changed the follow-up first (``ConcurrentEdit``) nothing is
changed here: the user is told and the list is loaded again.

The dialog is not modal, so the list can stay open beside the record it opens.

The Timeline opens one follow-up in ``FollowUpDialog`` (``follow_up_dialog``); both windows act
through ``FollowUpActions``. A change here emits ``changed`` with the patient's id, so the main
window can read that patient's Timeline again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.clinical import FollowUp, FollowUpStatus, parse_appointment
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.words import plural
from clinicdesk.errors import ConcurrentEdit, UserError, ValidationError
from clinicdesk.services.clinical import ClinicalService, DueFollowUp
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import FieldWithError, close_buttons
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog
from clinicdesk.ui.widgets.patient_identity import PatientIdentity, name_the_patient
from clinicdesk.ui.widgets.table_model import AnyIndex, ListTableModel, list_table_view

COLUMNS = ("Due", "Overdue", "Patient", "Phone", "Follow-up", "Status", "Booked for")
COLUMN_WIDTHS = (86, 150, 180, 120, 210, 110)
DEFAULT_WITHIN_DAYS = 14
MAX_WITHIN_DAYS = 365
OVERDUE_BACKGROUND = QColor("#fde8e8")
OVERDUE_TEXT = QColor("#8a1c1c")


def format_appointment(value: datetime | None) -> str:
    return "" if value is None else f"{value:%d/%m/%Y %H:%M}"


def overdue_text(row: DueFollowUp, today: date) -> str:
    if not row.overdue:
        return ""
    days = (today - row.due_on).days
    return f"Overdue ({plural(days, 'day')})"


def whose(patient_name: str, text: str) -> str:
    """``Siobhán O'Brien: 1 month follow-up ...``, or the text alone when no name is known."""
    return f"{patient_name}: {text}" if patient_name else text[:1].upper() + text[1:]


def _sentence(subject: str, message: str | None) -> str | None:
    """A field message as a sentence: "is not a real date" names its field; "needs a date
    and a time, ..." reads better on its own beside the field."""
    if not message:
        return None
    if message.startswith("needs"):
        return message[:1].upper() + message[1:]
    return f"{subject} {message}"


class DueFollowUpsModel(ListTableModel[DueFollowUp]):
    """The rows of the due list; ``today`` decides what is overdue after a change."""

    COLUMNS = COLUMNS

    def __init__(self, today: Callable[[], date], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._today = today

    def row_of(self, follow_up_id: str) -> int:
        for number, row in enumerate(self._rows):
            if row.follow_up.id == follow_up_id:
                return number
        return -1

    def apply(self, saved: FollowUp) -> None:
        """Show ``saved`` (what the service returned): its row changes, or leaves the list
        when the follow-up is no longer open (attended or cancelled)."""
        number = self.row_of(saved.id)
        if number < 0:
            return
        if not saved.status.open:
            self.beginRemoveRows(QModelIndex(), number, number)
            del self._rows[number]
            self.endRemoveRows()
            return
        old = self._rows[number]
        self._rows[number] = replace(old, follow_up=saved, overdue=saved.overdue(self._today()))
        self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self._rows if row.overdue)

    # -- QAbstractTableModel --------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = self.row_for(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            follow_up = row.follow_up
            values = (
                format_uk(row.due_on),
                overdue_text(row, self._today()),
                row.patient_name,
                row.phone,
                row.kind.label,
                follow_up.status.label,
                format_appointment(follow_up.booked_at),
            )
            return values[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COLUMNS.index("Status") and row.follow_up.notes:
                return row.follow_up.notes
            if row.overdue:
                return f"Overdue: it was due on {format_uk(row.due_on)}"
            return None
        if role == Qt.ItemDataRole.BackgroundRole and row.overdue:
            return OVERDUE_BACKGROUND
        if role == Qt.ItemDataRole.ForegroundRole and row.overdue:
            return OVERDUE_TEXT
        if role == Qt.ItemDataRole.FontRole and row.overdue and column == 1:
            font = QFont()
            font.setBold(True)
            return font
        return None


class BookFollowUpDialog(GuardedDialog):
    """Book or rebook one follow-up: a typed date and time, and an optional note.

    ``submit(when, notes)`` saves; it raises ``ValidationError`` to have the messages shown at
    the fields (the dialog stays open), and returns True when the dialog should close."""

    def __init__(
        self,
        follow_up: FollowUp,
        patient_name: str,
        submit: Callable[[str, str], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._submit = submit
        rebooking = follow_up.booked_at is not None
        self.setObjectName("book_follow_up")
        self.setWindowTitle("Rebook follow-up" if rebooking else "Book follow-up")
        layout = QVBoxLayout(self)
        about = QLabel(
            whose(
                patient_name,
                f"{follow_up.kind.label} follow-up, due {format_uk(follow_up.due_on)}",
            )
            + (
                f"\nNow: {follow_up.status.label.lower()} for "
                f"{format_appointment(follow_up.booked_at)}"
                if rebooking
                else ""
            )
        )
        about.setObjectName("booking_about")
        about.setTextFormat(Qt.TextFormat.PlainText)
        about.setWordWrap(True)
        layout.addWidget(about)
        form = QFormLayout()
        self.when_edit = DateEdit(with_time=True)
        self.when_edit.setObjectName("booking_when")
        self.when_edit.setMaxLength(20)
        self.when = FieldWithError(self.when_edit)
        self.notes_edit = QLineEdit(follow_up.notes)
        self.notes_edit.setObjectName("booking_notes")
        self.notes_edit.setMaxLength(500)
        self.notes = FieldWithError(self.notes_edit)
        when_label = QLabel("&Date and time")
        when_label.setBuddy(self.when_edit)
        notes_label = QLabel("&Notes")
        notes_label.setBuddy(self.notes_edit)
        form.addRow(when_label, self.when)
        form.addRow(notes_label, self.notes)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.book_button = QPushButton("Rebook" if rebooking else "Book")
        self.book_button.setObjectName("booking_save")
        buttons.addButton(self.book_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._book_clicked)
        buttons.rejected.connect(self.cancel)
        layout.addWidget(buttons)
        # Enter books. Set once the button is in the dialog, and Cancel never becomes the
        # default by having had the focus: Enter must not silently drop what was typed.
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        self.book_button.setDefault(True)
        self.setMinimumWidth(560)
        self.when_edit.setFocus()

    def _book_clicked(self) -> None:
        self.book()

    def book(self) -> None:
        self.when.set_error(None)
        self.notes.set_error(None)
        try:
            done = self._submit(self.when_edit.text(), self.notes_edit.text())
        except ValidationError as exc:
            # The service's messages are sentence ends ("is not a real date ..."): name the field.
            when_error = exc.errors.get("booked_at")
            notes_error = exc.errors.get("notes")
            self.when.set_error(_sentence("The date and time", when_error))
            self.notes.set_error(_sentence("The note", notes_error))
            other = [v for k, v in exc.errors.items() if k not in ("booked_at", "notes")]
            if other:
                self.when.set_error("; ".join(other))
            (self.notes_edit if "notes" in exc.errors else self.when_edit).setFocus()
            # A wrapped message needs the height it asks for (a form layout does not grow a
            # dialog already shown for a label's height-for-width).
            self.adjustSize()
            return
        if done:
            self.accept()


# What an action acts on: the follow-up, its patient's name and who they are (for the booking).
ChosenFollowUp = tuple[FollowUp, str, PatientIdentity | None]


class FollowUpActions:
    """What the due list and the Timeline's follow-up dialog both do to one follow-up: book or
    rebook it (``BookFollowUpDialog``), mark it attended or did not attend, cancel it (after
    asking). ``buttons`` makes the buttons both windows show for these.

    What the service returns goes to ``saved`` with a line saying what was done. When someone
    else changed the follow-up first nothing is changed: the user is told and
    ``changed_elsewhere`` loads it again."""

    def __init__(
        self,
        service: ClinicalService,
        user: CurrentUser,
        parent: QWidget,
        saved: Callable[[FollowUp, str], None],
        changed_elsewhere: Callable[[], None],
    ) -> None:
        self.service = service
        self.user = user
        self.parent = parent
        self._saved = saved
        self._changed_elsewhere = changed_elsewhere
        self.booking_dialog: BookFollowUpDialog | None = None
        self._chosen: Callable[[], ChosenFollowUp | None] = lambda: None

    def buttons(
        self, chosen: Callable[[], ChosenFollowUp | None], cancel_tip: str
    ) -> tuple[QPushButton, QPushButton, QPushButton, QPushButton]:
        """The buttons Book…, Attended, Did not attend and Cancel appointment…, acting on the
        follow-up ``chosen`` returns when clicked (nothing when it returns None)."""
        self._chosen = chosen
        book = QPushButton("&Book…")
        book.setObjectName("follow_up_book")
        attended = QPushButton("&Attended")
        attended.setObjectName("follow_up_attended")
        did_not_attend = QPushButton("Did &not attend")
        did_not_attend.setObjectName("follow_up_did_not_attend")
        did_not_attend.setToolTip("The patient missed the booked appointment")
        cancel = QPushButton("&Cancel appointment…")
        cancel.setObjectName("follow_up_cancel")
        cancel.setToolTip(cancel_tip)
        book.clicked.connect(self._book_clicked)
        attended.clicked.connect(self._attended_clicked)
        did_not_attend.clicked.connect(self._did_not_attend_clicked)
        cancel.clicked.connect(self._cancel_clicked)
        return book, attended, did_not_attend, cancel

    def open_chosen_booking(self) -> BookFollowUpDialog | None:
        chosen = self._chosen()
        return self.open_booking(*chosen) if chosen is not None else None

    def set_chosen_status(self, status: FollowUpStatus) -> None:
        chosen = self._chosen()
        if chosen is not None:
            self.set_status(chosen[0], chosen[1], status)

    def cancel_chosen(self) -> None:
        chosen = self._chosen()
        if chosen is not None:
            self.cancel(chosen[0], chosen[1])

    # -- slots (return None: see MainWindow._build_actions) ---------------------------------

    def _book_clicked(self) -> None:
        self.open_chosen_booking()

    def _attended_clicked(self) -> None:
        self.set_chosen_status(FollowUpStatus.ATTENDED)

    def _did_not_attend_clicked(self) -> None:
        self.set_chosen_status(FollowUpStatus.DID_NOT_ATTEND)

    def _cancel_clicked(self) -> None:
        self.cancel_chosen()

    # -- the actions ------------------------------------------------------------------------

    def _concurrent_edit(self) -> None:
        QMessageBox.warning(
            self.parent,
            "Follow-up changed elsewhere",
            "Someone else changed this follow-up after it was shown here, so nothing was "
            "changed. It has been loaded again: check the follow-up and try again.",
        )
        self._changed_elsewhere()

    def book(self, follow_up: FollowUp, patient_name: str, when: str, notes: str) -> bool:
        """Book ``follow_up`` for ``when``; True when the booking dialog may close. Raises
        ``ValidationError`` for the dialog to show at its fields. A time already gone is
        booked only once the user confirms it (a typo in the year is the likelier cause)."""
        if not self._confirm_past(follow_up, when):
            return False
        try:
            saved = self.service.book_follow_up(
                self.user, follow_up.id, follow_up.version, when, notes
            )
        except ValidationError:
            raise
        except ConcurrentEdit:
            self._concurrent_edit()
            return True
        except UserError as exc:
            show_user_error(self.parent, exc)
            return False
        booked = f"for {format_appointment(saved.booked_at)}."
        self._saved(
            saved, f"Booked {patient_name} {booked}" if patient_name else f"Booked {booked}"
        )
        return True

    def _confirm_past(self, follow_up: FollowUp, when: str) -> bool:
        """True unless ``when`` is a time already gone and the user does not confirm it."""
        try:
            at = parse_appointment(when)
        except ValidationError:
            return True  # the service names the problem at the field
        today = self.service.today()
        if at >= datetime.combine(today, datetime.now().time()):
            return True
        again = follow_up.booked_at is not None
        answer = QMessageBox.question(
            self.parent,
            "Rebook into the past?" if again else "Book into the past?",
            f"{format_appointment(at)} is in the past (today is {format_uk(today)}). "
            f"{'Rebook' if again else 'Book'} the {follow_up.kind.label} follow-up for a time "
            "already gone?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def open_booking(
        self, follow_up: FollowUp, patient_name: str, who: PatientIdentity | None = None
    ) -> BookFollowUpDialog:
        """The booking dialog, naming ``who`` (title, top line)."""
        if self.booking_dialog is not None:
            self.booking_dialog.deleteLater()

        def submit(when: str, notes: str) -> bool:
            return self.book(follow_up, patient_name, when, notes)

        self.booking_dialog = BookFollowUpDialog(follow_up, patient_name, submit, self.parent)
        name_the_patient(self.booking_dialog, who)
        self.booking_dialog.open()
        return self.booking_dialog

    def set_status(self, follow_up: FollowUp, patient_name: str, status: FollowUpStatus) -> None:
        try:
            saved = self.service.set_follow_up_status(
                self.user, follow_up.id, follow_up.version, status
            )
        except ConcurrentEdit:
            self._concurrent_edit()
            return
        except UserError as exc:
            show_user_error(self.parent, exc)
            return
        self._saved(saved, whose(patient_name, f"{follow_up.kind.label} {status.label.lower()}."))

    def cancel(self, follow_up: FollowUp, patient_name: str) -> None:
        """Cancel ``follow_up`` once the user confirms."""
        of = f" of {patient_name}" if patient_name else ""
        answer = QMessageBox.question(
            self.parent,
            "Cancel follow-up",
            f"Cancel the {follow_up.kind.label} follow-up{of}"
            + (
                f" booked for {format_appointment(follow_up.booked_at)}"
                if follow_up.status is FollowUpStatus.BOOKED
                else ""
            )
            + "? It will not happen and leaves the follow-ups due list.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.set_status(follow_up, patient_name, FollowUpStatus.CANCELLED)


class FollowUpsDialog(QDialog):
    # The patient whose follow-up was changed here (the window's Timeline reads it again).
    changed = Signal(str)

    def __init__(
        self,
        service: ClinicalService,
        user: CurrentUser,
        open_patient: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.user = user
        self._open_patient = open_patient
        self.follow_up_actions = FollowUpActions(service, user, self, self._saved, self.reload)
        self.setObjectName("follow_ups_due")
        self.setWindowTitle("Follow-ups due and overdue")
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        self.within = QSpinBox()
        self.within.setObjectName("follow_ups_within")
        self.within.setRange(0, MAX_WITHIN_DAYS)
        self.within.setValue(DEFAULT_WITHIN_DAYS)
        self.within.setSuffix(" days")
        self.within.setKeyboardTracking(False)  # reload once the number is typed, not per key
        within_label = QLabel("Due &within")
        within_label.setBuddy(self.within)
        top.addWidget(within_label)
        top.addWidget(self.within)
        top.addWidget(QLabel("from today, and everything overdue"))
        top.addStretch(1)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("follow_ups_refresh")
        top.addWidget(self.refresh_button)
        layout.addLayout(top)

        self.model = DueFollowUpsModel(service.today, self)
        self.table = list_table_view(
            self.model,
            "follow_ups_table",
            COLUMN_WIDTHS,
            single_selection=True,
            alternating_rows=False,
        )
        layout.addWidget(self.table, 1)
        status_row = QHBoxLayout()
        self.count_label = QLabel()
        self.count_label.setObjectName("follow_ups_count")
        self.done_label = QLabel()
        self.done_label.setObjectName("follow_ups_done")
        self.done_label.setTextFormat(Qt.TextFormat.PlainText)
        status_row.addWidget(self.count_label)
        status_row.addStretch(1)
        status_row.addWidget(self.done_label)
        layout.addLayout(status_row)

        actions = QHBoxLayout()
        (
            self.book_button,
            self.attended_button,
            self.did_not_attend_button,
            self.cancel_button,
        ) = self.follow_up_actions.buttons(
            self._chosen, "This follow-up will not happen: it leaves the list"
        )
        self.open_button = QPushButton("&Open patient")
        self.open_button.setObjectName("follow_up_open_patient")
        for button in (
            self.book_button,
            self.attended_button,
            self.did_not_attend_button,
            self.cancel_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.open_button)
        layout.addLayout(actions)
        layout.addWidget(close_buttons(self))
        # Enter in the list opens the chosen row (``activated``) and nothing else: no button
        # is the dialog's default, so Enter does not also refresh the list or close it.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)

        self.within.valueChanged.connect(self._within_changed)
        self.refresh_button.clicked.connect(self._refresh_clicked)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(self._row_activated)
        self.open_button.clicked.connect(self._open_clicked)
        self.resize(1000, 560)
        self.reload()
        self.table.setFocus()

    # -- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        """Ask the service for the list again (one audited view), keeping the selection."""
        current = self.selected()
        keep = current.follow_up.id if current else None
        try:
            rows = self.service.due_and_overdue(self.user, within_days=self.within.value())
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.model.set_rows(rows)
        if keep is not None:
            self.select(keep)
        self._update()

    def select(self, follow_up_id: str) -> bool:
        row = self.model.row_of(follow_up_id)
        if row >= 0:
            self.table.selectRow(row)
        return row >= 0

    def selected(self) -> DueFollowUp | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update(self) -> None:
        total, overdue = self.model.rowCount(), self.model.overdue_count
        if total == 0:
            self.count_label.setText("Nothing due or overdue.")
        else:
            noun = "follow-up" if total == 1 else "follow-ups"
            self.count_label.setText(f"{total} {noun}, {overdue} overdue, earliest first")
        row = self.selected()
        status = row.follow_up.status if row else None
        for button in (self.book_button, self.attended_button, self.cancel_button):
            button.setEnabled(row is not None)
        self.open_button.setEnabled(row is not None)
        self.did_not_attend_button.setEnabled(status is FollowUpStatus.BOOKED)
        rebook = row is not None and row.follow_up.booked_at is not None
        self.book_button.setText("Re&book…" if rebook else "&Book…")

    # -- changes --------------------------------------------------------------------------

    def _saved(self, saved: FollowUp, message: str) -> None:
        self.model.apply(saved)
        self.select(saved.id)
        self._update()
        self.done_label.setText(message)
        self.changed.emit(saved.patient_id)

    @property
    def booking_dialog(self) -> BookFollowUpDialog | None:
        return self.follow_up_actions.booking_dialog

    def show_saved(self, saved: FollowUp) -> None:
        """``saved`` was changed elsewhere in this window (the Timeline): show it without
        reading the list again (its row changes, or leaves the list)."""
        self.model.apply(saved)
        self._update()

    def book(self, row: DueFollowUp, when: str, notes: str) -> bool:
        """Book ``row`` for ``when``; True when the booking dialog may close. Raises
        ``ValidationError`` for the dialog to show at its fields."""
        return self.follow_up_actions.book(row.follow_up, row.patient_name, when, notes)

    def _chosen(self) -> ChosenFollowUp | None:
        row = self.selected()
        if row is None:
            return None
        who = PatientIdentity.named(
            row.first_name, row.last_name, row.preferred_name, row.date_of_birth, row.nhs_number
        )
        return row.follow_up, row.patient_name, who

    def open_booking(self) -> BookFollowUpDialog | None:
        return self.follow_up_actions.open_chosen_booking()

    def open_selected_patient(self) -> None:
        row = self.selected()
        if row is not None:
            self._open_patient(row.patient_id)

    # -- slots (return None: see MainWindow._build_actions) ---------------------------------

    def _within_changed(self, _value: int) -> None:
        self.reload()

    def _refresh_clicked(self) -> None:
        self.reload()

    def _selection_changed(self, *_args: object) -> None:
        self._update()

    def _row_activated(self, _index: QModelIndex) -> None:
        self.open_selected_patient()

    def _open_clicked(self) -> None:
        self.open_selected_patient()
