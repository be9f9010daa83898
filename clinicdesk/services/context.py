"""Everything a front end needs for one clinic data folder: the open database and the services.

``open_clinic`` opens the database, refuses one that is newer than this program, takes a backup
and migrates an older one, and builds the services around the one connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clinicdesk.paths import Paths
from clinicdesk.services.clinic import ClinicService
from clinicdesk.services.patients import PatientService
from clinicdesk.storage.database import Database, open_database
from clinicdesk.storage.migrations import migrate

log = logging.getLogger(__name__)


@dataclass
class ClinicServices:
    db: Database
    clinic: ClinicService
    patients: PatientService
    backup_before_migration: Path | None = None

    def close(self) -> None:
        self.db.close()


def open_clinic(paths: Paths, today: Callable[[], date] = date.today) -> ClinicServices:
    paths.ensure()
    db = open_database(paths.database)
    try:
        backup = migrate(db, paths.backups_dir)
    except BaseException:
        db.close()
        raise
    return ClinicServices(db, ClinicService(db), PatientService(db, today), backup)
