"""A sync conflict parked as the sync engine parks it (a ``sync_conflicts`` row), without a hub
or APSW: for the Conflicts screen's and ``ConflictResolution``'s tests. Those that make
conflicts by syncing two replicas are in tests/sync."""

from __future__ import annotations

import json
from typing import Any

from clinicdesk.storage.database import write_transaction
from clinicdesk.storage.records import insert_record
from tests.conftest import Clinic


def park(
    clinic: Clinic,
    table: str,
    row_id: str,
    hub: dict[str, Any],
    incoming: dict[str, Any],
    *,
    patient_id: str | None,
) -> str:
    """A change sync parked: the hub's values were the clinician's, the other site's the
    admin's (as ``clinicdesk.sync.merge`` writes the row)."""
    db = clinic.services.db
    with write_transaction(db):
        return insert_record(
            db,
            "sync_conflicts",
            {
                "table_name": table,
                "row_id": row_id,
                "patient_id": patient_id,
                "kind": "edit",
                "columns": json.dumps(sorted(hub)),
                "hub_values": json.dumps(hub),
                "incoming_values": json.dumps(incoming),
                "hub_updated_by": clinic.clinician.id,
                "hub_updated_at": "2025-03-11T09:15:00Z",
                "incoming_site_id": "satellite",
                "incoming_updated_by": clinic.admin.id,
                "incoming_updated_at": "2025-03-11T10:40:00Z",
                "bundle_id": "bundle-1",
            },
            clinic.admin.actor,
        )
