"""Follow-ups after a treatment: the schedule, their status, and booking an appointment.

The schedule comes from CLINICAL.md ("Follow-up schedule"): a donor-site check a week after
the treatment, then 1, 3, 6 and 12 months (calendar months, clamped to the month's end). A
follow-up is *open* while it is still to happen (not booked, booked, did not attend); an open
one past its due date with nothing arranged is overdue.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import DateError, parse_date
from clinicdesk.domain.ids import PatientId
from clinicdesk.domain.record_info import RecordInfo
from clinicdesk.errors import ValidationError


class FollowUpKind(Coded):
    """The schedule from the treatment date (CLINICAL.md "Follow-up schedule")."""

    DONOR_CHECK = "donor_check", "Donor-site check (1 week)"
    MONTH_1 = "month_1", "1 month"
    MONTH_3 = "month_3", "3 months"
    MONTH_6 = "month_6", "6 months (primary end point)"
    MONTH_12 = "month_12", "12 months"

    def due_after(self, treated_on: date) -> date:
        if self is FollowUpKind.DONOR_CHECK:
            return treated_on + timedelta(days=7)
        return add_months(treated_on, int(self.value.removeprefix("month_")))


class FollowUpStatus(Coded):
    NOT_BOOKED = "not_booked"
    BOOKED = "booked"
    ATTENDED = "attended"
    CANCELLED = "cancelled"
    DID_NOT_ATTEND = "did_not_attend"

    @property
    def open(self) -> bool:
        """Still to happen: on the due list and moved when the treatment date changes.

        "Did not attend" stays open (it needs rebooking); "cancelled" means the follow-up will
        not happen (booking it again reopens it)."""
        return self in (
            FollowUpStatus.NOT_BOOKED,
            FollowUpStatus.BOOKED,
            FollowUpStatus.DID_NOT_ATTEND,
        )


@functools.lru_cache(maxsize=65_536)  # the outcomes audit asks for thousands of windows
def add_months(start: date, months: int) -> date:
    """``start`` plus whole calendar months, clamped to the month's end (31/01 + 1 = 28/02)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def time_since_treatment(treated_on: date, visit_on: date) -> str:
    """A visit named as the schedule names it, by the time since the treatment: "1 week",
    "3 months", "6 months". A visit off the schedule gets the nearest sensible name: days in
    the first few days, whole weeks in the first three, then the nearest whole calendar month
    ("4 months"; of two equally near, the earlier)."""
    days = (visit_on - treated_on).days
    if days < 0:
        return "before the treatment"
    if days == 0:
        return "treatment day"
    if days < 5:
        return _plural(days, "day")
    if days < 25:
        return _plural(max(1, round(days / 7)), "week")
    months = min(
        range(1, days // 28 + 2),
        key=lambda m: (abs((add_months(treated_on, m) - visit_on).days), m),
    )
    return _plural(months, "month")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def follow_up_schedule(treated_on: date) -> list[tuple[FollowUpKind, date]]:
    return [(kind, kind.due_after(treated_on)) for kind in FollowUpKind]


@dataclass(frozen=True)
class FollowUp:
    id: str
    patient_id: PatientId
    treatment_id: str
    kind: FollowUpKind
    due_on: date
    status: FollowUpStatus
    booked_at: datetime | None
    notes: str
    info: RecordInfo

    @property
    def version(self) -> int:
        return self.info.version

    def overdue(self, today: date) -> bool:
        """Past its due date with nothing arranged: not booked, missed, or booked for a day
        already gone. Booked for today or later, it is in hand and no longer overdue."""
        if not self.status.open or self.due_on >= today:
            return False
        if self.status is FollowUpStatus.BOOKED and self.booked_at is not None:
            return self.booked_at.date() < today
        return True


_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_appointment(text: str) -> datetime:
    """An appointment's local date and time: ``DD/MM/YYYY HH:MM`` or ISO ``YYYY-MM-DDTHH:MM``.

    Appointment times are the clinic's wall-clock time, so they are naive (not UTC)."""
    value = text.strip().replace("T", " ")
    day_text, _, time_text = value.rpartition(" ")
    match = _TIME.match(time_text)
    if not day_text or not match:
        raise ValidationError(
            {"booked_at": "needs a date and a time, for example 14/03/2026 10:30"}
        )
    try:
        day = parse_date(day_text)
    except DateError as exc:
        raise ValidationError({"booked_at": str(exc)}) from None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValidationError({"booked_at": "has a time that does not exist"})
    return datetime(day.year, day.month, day.day, hour, minute)
