"""``DateEdit``: the one date input of every form. It keeps exactly what was typed (the service
reads it, and refuses it with a message at the field when it is not a real date), never
corrects it, and has a calendar pop-up."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QPoint, QRect, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QCalendarWidget, QLineEdit, QWidget

from clinicdesk.domain.dates import format_uk, try_parse_date

DATE_PLACEHOLDER = "DD/MM/YYYY"
DATE_TIME_PLACEHOLDER = "DD/MM/YYYY HH:MM"


def _calendar_icon() -> QIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(QColor("#486581"))
    painter.drawRect(QRect(1, 2, 13, 12))
    painter.fillRect(QRect(1, 2, 14, 3), QColor("#486581"))
    for row in range(2):
        for column in range(3):
            painter.fillRect(QRect(3 + 4 * column, 7 + 3 * row, 2, 2), QColor("#486581"))
    painter.end()
    return QIcon(pixmap)


class DateEdit(QLineEdit):
    """The date input of every form: typed as DD/MM/YYYY (or, ``with_time``, DD/MM/YYYY HH:MM)
    and kept exactly as typed: whoever saves the form reads the text and refuses it, with a
    message at the field, when it is not a real date (a two-digit year included). Nothing
    corrects it silently. The calendar button (``calendar_action``) opens a month to pick
    from; picking a day writes it in the field (keeping a typed time)."""

    def __init__(self, parent: QWidget | None = None, *, with_time: bool = False) -> None:
        super().__init__(parent)
        self.with_time = with_time
        self.setPlaceholderText(DATE_TIME_PLACEHOLDER if with_time else DATE_PLACEHOLDER)
        self.setMaxLength(16 if with_time else 10)
        self.setMaximumWidth(160 if with_time else 130)
        self.calendar_action = QAction(_calendar_icon(), "Choose from a calendar", self)
        self.calendar_action.setObjectName("calendar_action")
        self.calendar_action.setToolTip("Choose the date from a calendar")
        self.calendar_action.triggered.connect(self.show_calendar)
        self.addAction(self.calendar_action, QLineEdit.ActionPosition.TrailingPosition)
        self.calendar: QCalendarWidget | None = None

    def date_part(self) -> str:
        return self.text().strip()[:10]

    def show_calendar(self) -> None:
        """The calendar pop-up, on the typed date when there is one (else today)."""
        if self.isReadOnly() or not self.isEnabled():
            return
        if self.calendar is None:
            calendar = QCalendarWidget(self)
            calendar.setObjectName("date_calendar")
            calendar.setWindowFlags(Qt.WindowType.Popup)
            calendar.setGridVisible(True)
            calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
            calendar.clicked.connect(self.pick)
            calendar.activated.connect(self.pick)
            self.calendar = calendar
        shown = try_parse_date(self.date_part()) or date.today()
        self.calendar.setSelectedDate(QDate(shown.year, shown.month, shown.day))
        self.calendar.adjustSize()
        self.calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self.calendar.show()
        self.calendar.setFocus(Qt.FocusReason.PopupFocusReason)

    def pick(self, chosen: QDate) -> None:
        text = format_uk(date(chosen.year(), chosen.month(), chosen.day()))
        if self.with_time:
            time = self.text().strip()[10:].strip()
            text = f"{text} {time}" if time else text
        self.setText(text)
        self.textEdited.emit(text)  # as if typed: forms mark themselves changed
        if self.calendar is not None:
            self.calendar.hide()
        self.setFocus(Qt.FocusReason.PopupFocusReason)
