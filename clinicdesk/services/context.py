"""Everything a front end needs for one clinic data folder: the open database and the services.

``open_clinic`` opens the database, refuses one that is newer than this program, takes a backup
and migrates an older one, and builds the services around the one connection. Before migrating
it checks the file's structure: a damaged file is neither backed up (a copy of the damage is
no use for a restore) nor changed; the person is told to restore the latest good backup.
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
from clinicdesk.storage.database import (
    Database,
    StorageError,
    check_database,
    damaged_database_message,
    open_database,
)
from clinicdesk.storage.migrations import migrate, pending_migration_names

log = logging.getLogger(__name__)


@dataclass
class ClinicServices:
    paths: Paths  # a background job opens its own connection from these
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
        if pending_migration_names(db) and (problems := check_database(db)):
            log.error("database check found %d problem(s); not migrating", len(problems))
            raise StorageError(damaged_database_message(paths.database))
        backup = migrate(db, paths.backups_dir)
    except BaseException:
        db.close()
        raise
    return ClinicServices(paths, db, ClinicService(db), PatientService(db, today), backup)
