"""A parked conflict on a user's password (two sites changed it before syncing) never shows
the password hashes: not on the Conflicts screen's service, not in ``conflicts --json``."""

from __future__ import annotations

import json

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.services.conflicts import ConflictService
from clinicdesk.storage.database import write_transaction
from clinicdesk.storage.sync_state import NOT_SHOWN
from tests.conftest import Clinic

HUB_HASH = "$argon2id$v=19$m=65536,t=3,p=4$aHViLXNhbHQ$aHViLWhhc2g"
INCOMING_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2F0LXNhbHQ$c2F0LWhhc2g"


def _park_password_conflict(clinic: Clinic) -> None:
    """A conflict row as the sync engine parks it (clinicdesk.sync.merge)."""
    db, now, user = clinic.services.db, utc_now(), clinic.clinician
    columns = ["password_hash", "display_name"]
    with write_transaction(db):
        db.execute(
            "INSERT INTO sync_conflicts (id, created_at, updated_at, created_by, updated_by, "
            "site_id, version, table_name, row_id, patient_id, kind, columns, hub_values, "
            "incoming_values, hub_site_id, hub_updated_by, hub_updated_at, incoming_site_id, "
            "incoming_updated_by, incoming_updated_at, bundle_id) VALUES (?, ?, ?, ?, ?, ?, 1, "
            "?, ?, NULL, 'edit', ?, ?, ?, '', ?, ?, ?, ?, ?, ?)",
            [
                uuid7(),
                now,
                now,
                user.id,
                user.id,
                user.site_id,
                "users",
                user.id,
                json.dumps(columns),
                json.dumps({"password_hash": HUB_HASH, "display_name": "Dr A"}),
                json.dumps({"password_hash": INCOMING_HASH, "display_name": "Dr B"}),
                user.id,
                now,
                user.site_id,
                user.id,
                now,
                uuid7(),
            ],
        )


def test_a_password_conflict_shows_neither_hash(clinic: Clinic) -> None:
    _park_password_conflict(clinic)
    [conflict] = ConflictService(clinic.services.db).conflicts(clinic.admin)
    assert conflict.hub_values == {"password_hash": NOT_SHOWN, "display_name": "Dr A"}
    assert conflict.incoming_values == {"password_hash": NOT_SHOWN, "display_name": "Dr B"}
    shown = json.dumps(conflict.to_json())
    assert HUB_HASH not in shown and INCOMING_HASH not in shown and "argon2" not in shown
