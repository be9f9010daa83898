"""A second site of the same clinic, and audit entries carried between sites as sync carries them.

``second_site`` copies the clinic's data folder (database, key ring, anchor file) and makes the
copy the satellite clinic's installation, as the sync engine's join does; ``carry_audit`` copies
one database's audit entries that the other lacks into it as plain INSERTs, each site's in
number order, never re-sealed, then records the received heads and anchors them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from clinicdesk.paths import Paths
from clinicdesk.services.context import ClinicServices, open_clinic
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit_anchor
from clinicdesk.storage.clinic import THIS_SITE_KEY
from clinicdesk.storage.database import Database, write_transaction
from tests.conftest import PASSWORD, Clinic

COLUMNS = "id, seq, at, user_id, site_id, action, entity, entity_id, detail, prev_hash, hash"


@dataclass
class Site:
    paths: Paths
    services: ClinicServices
    admin: CurrentUser
    clinician: CurrentUser
    reception: CurrentUser


def second_site(clinic: Clinic, data_dir: Path, site_name: str = "Satellite clinic") -> Site:
    """The same clinic at another site: a copy of ``clinic``'s data folder whose installation is
    ``site_name`` (closing and reopening ``clinic.services`` around the copy)."""
    clinic.services.close()
    shutil.copytree(clinic.paths.data_dir, data_dir)
    clinic.services = clinic.reopen()
    paths = Paths(data_dir)
    services = open_clinic(paths, data_key=clinic.key, keyring=clinic.services.keyring)
    (site,) = [s for s in services.clinic.sites() if s.name == site_name]
    with write_transaction(services.db):
        audit_anchor.hand_over_head(services.db)
        services.clinic.repo.set_local(THIS_SITE_KEY, site.id)
    people = [services.clinic.login(name, PASSWORD) for name in ("admin", "clinician", "reception")]
    return Site(paths, services, *people)


def carry_audit(source: Database, target: Database) -> int:
    """Insert into ``target`` the audit entries of ``source`` it lacks, as sync does; returns how
    many."""
    have = {str(i) for (i,) in target.execute("SELECT id FROM audit_log")}
    rows = [
        r
        for r in source.execute(f"SELECT {COLUMNS} FROM audit_log ORDER BY site_id, seq")
        if r[0] not in have
    ]
    with write_transaction(target):
        for row in rows:
            target.execute(
                f"INSERT INTO audit_log ({COLUMNS}) VALUES ({', '.join('?' * len(row))})",
                list(row),
            )
        audit_anchor.record_synced_heads(target)
    audit_anchor.update_anchor(target)
    return len(rows)
