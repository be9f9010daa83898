"""This installation's sync settings and state, for the window (no sync engine here).

Kept in ``local_state`` (this installation's own facts, never replicated): the hub's folder
(``hub_dir``: set by ``hub create`` and ``join``, or chosen in Admin > Sites and sync), when the
last sync succeeded (``last_sync_at``, written by the engine) and how often the window syncs in
the background (``sync_every_minutes``; 0 = only when asked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ValidationError
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.sync_state import (
    HUB_KEY,
    INSTALLATION_KEY,
    LAST_SYNC_KEY,
    hub_last_syncs,
    installations,
)

EVERY_KEY = "sync_every_minutes"
DEFAULT_EVERY_MINUTES = 5
MAX_EVERY_MINUTES = 24 * 60


@dataclass(frozen=True)
class InstallationSync:
    """One of the clinic's installations in Admin > Sites and sync: its name ("Main clinic",
    "Main clinic (workstation 2)"), when it last synced as far as this installation knows
    (the hub's record, carried back at this installation's last sync), and whether it is this
    one."""

    name: str
    last_sync_at: datetime | None
    this_one: bool


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


class SyncSettings:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.repo = ClinicRepository(db)

    def hub_dir(self) -> Path | None:
        value = self.repo.local(HUB_KEY)
        return Path(value) if value else None

    def set_hub_dir(self, user: CurrentUser, folder: Path) -> None:
        require(self.db, user, Permission.MANAGE_CLINIC, entity="sync")
        with write_transaction(self.db):
            self.repo.set_local(HUB_KEY, str(folder))
            audit.append(self.db, user.actor, "update", "sync", "hub_dir", {})

    def last_sync_at(self) -> datetime | None:
        return _when(self.repo.local(LAST_SYNC_KEY))

    def installations(self) -> list[InstallationSync]:
        """The clinic's installations and when each last synced (this one's own last sync is
        its own record; the others' are the hub's as of that sync). An installation that
        synced but joined before installations were registered is listed by its site."""
        this, mine = self.repo.local(INSTALLATION_KEY), self.last_sync_at()
        known = installations(self.db)
        at_hub = hub_last_syncs(self.db)
        synced = {installation: _when(at) for _site, installation, at in at_hub}
        if this is not None and mine is not None:
            synced[this] = mine
        listed = [InstallationSync(i.name, synced.get(i.id), i.id == this) for i in known]
        registered = {i.id for i in known}
        sites = {str(site.id): site.name for site in self.repo.sites()}
        listed += [
            InstallationSync(sites.get(site, "an installation"), synced[i], i == this)
            for site, i, _at in at_hub
            if i not in registered
        ]
        return listed

    def every_minutes(self) -> int:
        value = self.repo.local(EVERY_KEY)
        return int(value) if value and value.isdigit() else DEFAULT_EVERY_MINUTES

    def set_every_minutes(self, user: CurrentUser, minutes: int) -> int:
        require(self.db, user, Permission.MANAGE_CLINIC, entity="sync")
        if not 0 <= minutes <= MAX_EVERY_MINUTES:
            raise ValidationError(
                {"sync_every_minutes": f"must be 0 (never) to {MAX_EVERY_MINUTES} minutes"}
            )
        with write_transaction(self.db):
            self.repo.set_local(EVERY_KEY, str(minutes))
            audit.append(self.db, user.actor, "update", "sync", EVERY_KEY, {"minutes": minutes})
        return minutes
