"""The clinic's response threshold (CLINICAL.md "Response categories"): read by reports and
the outcomes audit, changed by an administrator (audited)."""

from __future__ import annotations

from clinicdesk.domain.response import (
    THRESHOLD_SETTING,
    threshold_percent,
    validate_threshold_percent,
)
from clinicdesk.domain.roles import Permission
from clinicdesk.services.clinic import save_setting
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.database import Database


class ResponseSettings:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.settings = ClinicRepository(db)

    def threshold_percent(self) -> float:
        """The threshold in per cent (the default, 5, when never set)."""
        return threshold_percent(self.settings.setting(THRESHOLD_SETTING))

    def set_threshold_percent(self, user: CurrentUser, text: str) -> float:
        """Set the threshold from what an administrator typed; ``ValidationError`` naming
        the field when it is not a percentage between 0 and 100."""
        require(self.db, user, Permission.MANAGE_CLINIC, entity="setting")
        value = validate_threshold_percent(text)
        save_setting(
            self.db, self.settings, user, THRESHOLD_SETTING, repr(value), {"percent": value}
        )
        return value
