"""One sync of a replica with its hub: push, then pull (DESIGN.md "Sites and sync").

1. Push. The replica's changes are the diff of its database against its base copy
   (``sync/base.db``, the hub as this replica last pulled it), taken in one read transaction.
   The files those rows name are copied, hash-checked, into the hub's stores; then the
   changeset is applied at the hub in one transaction with the bundle id (``merge``: never
   overwriting; conflicts parked in ``sync_conflicts``).
2. Pull. A consistent copy of the hub (``VACUUM INTO``, into ``sync/hub.db``) is diffed
   against the base; the files it names are fetched and checked; the changes are applied to
   the replica in one short ``BEGIN IMMEDIATE`` transaction (rows changed here after the push
   keep their value); then the copy is renamed over the base.

A sync killed at any point leaves both sides consistent and the next one completes it: before
the hub's commit nothing happened there; after it, the same changes are diffed again and found
already at the hub (counted as applied, changing nothing); before the base's rename, the pulled
changes are found already at the replica. Files are only ever renamed into place whole.

``checkpoint`` is called at the points between steps (tests stop the process there).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apsw

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.paths import Paths
from clinicdesk.storage.clinic import THIS_SITE_KEY
from clinicdesk.storage.keys import KeyRing, password_stamp
from clinicdesk.storage.sync_state import INSTALLATION_KEY, LAST_SYNC_KEY, LAST_SYNCS_KEY
from clinicdesk.sync import audit_rows, changes, connection, files, merge
from clinicdesk.sync.connection import SyncError
from clinicdesk.sync.files import SyncCancelled

Progress = Callable[[str, int, int], None]
Cancelled = Callable[[], bool]


def checkpoint(name: str) -> None:
    """A point between steps of a sync (see the module); does nothing."""


def _no_progress(step: str, done: int, total: int) -> None:
    pass


def _never() -> bool:
    return False


@dataclass
class SyncResult:
    """What one sync did. ``sent``: changes this installation sent (applied at the hub or
    already there); ``parked``: sent changes parked as conflicts; ``received``: the hub's
    changes to records taken here (other sites' audit entries are ``audit_received``);
    ``kept``: hub changes not taken because the row changed here while the sync ran (sent next
    time)."""

    sent: int = 0
    parked: int = 0
    received: int = 0
    kept: int = 0
    audit_received: int = 0
    files_sent: int = 0
    files_received: int = 0
    bundle_id: str = ""
    patients_changed: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "received": self.received,
            "parked": self.parked,
            "kept": self.kept,
            "audit_received": self.audit_received,
            "files_sent": self.files_sent,
            "files_received": self.files_received,
            "bundle_id": self.bundle_id,
        }


@dataclass(frozen=True)
class HubFolder:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "hub.db"

    @property
    def keyring(self) -> Path:
        return self.root / "keyring.json"

    def check(self) -> None:
        if not self.database.is_file():
            raise SyncError(
                f"No hub was found at {self.root} (it has no hub.db): check that the hub's "
                "folder is reachable (the network share is connected), or make one with "
                "`clinicdesk hub create DIR`."
            )


def sync_dir(data_dir: Path) -> Path:
    return data_dir / "sync"


def base_path(data_dir: Path) -> Path:
    return sync_dir(data_dir) / "base.db"


@dataclass(frozen=True)
class _Diff:
    """A database's changes since the base attached to it as "base", and the files they need."""

    tables: list[str]
    columns: dict[str, list[str]]
    changeset: bytes
    summary: changes.ChangeSummary
    files: list[tuple[str, str, str]]  # (store, sha256, bound id)


def _diff_against_base(conn: apsw.Connection) -> _Diff:
    """The diff both directions take: the replica against its base (push), the hub's snapshot
    against the same base (pull)."""
    tables = connection.replicated_tables(conn)
    columns = changes.table_columns(conn, tables)
    changeset = changes.diff_changeset(conn, "base", tables)
    summary = changes.summarise(changeset, columns)
    wanted = [
        (store, sha, files.bound_id(conn, table, row_id))
        for store, sha, table, row_id in summary.files
    ] + files.rebound_files(conn, summary.rebound)
    return _Diff(tables, columns, changeset, summary, wanted)


def _copy_files(
    step: str,
    wanted: list[tuple[str, str, str]],
    source_root: Path,
    target_root: Path,
    key: bytes,
    progress: Progress,
    cancelled: Cancelled,
) -> int:
    """``files.copy_files`` with its progress shown as ``step`` (sending to the hub, receiving
    from it); ``SyncCancelled`` when the user cancelled meanwhile. Returns how many were
    copied."""
    progress(step, 0, len(wanted))
    copied = files.copy_files(
        wanted,
        source_root,
        target_root,
        key,
        progress=lambda done, total: progress(step, done, total),
        cancelled=cancelled,
    )
    if cancelled():
        raise SyncCancelled()
    return copied


@dataclass
class Push:
    changeset: bytes
    columns: dict[str, list[str]]
    summary: changes.ChangeSummary
    files: list[tuple[str, str, str]]
    site_id: str
    installation_id: str
    schema: list[str]


def read_push(data_dir: Path, key: bytes) -> Push:
    """This replica's changes since its base, and the files they name (read only)."""
    paths = Paths(data_dir)
    base = base_path(data_dir)
    if not base.is_file():
        raise SyncError(
            f"This installation ({data_dir}) has not joined a hub (it has no {base}): join "
            "one with `clinicdesk join DIR --site NAME`, or make it the hub's first "
            "installation with `clinicdesk hub create DIR`."
        )
    conn = connection.connect(paths.database, key)
    try:
        connection.attach(conn, base, key, "base")
        schema = connection.migration_names(conn)
        if connection.migration_names(conn, "base") != schema:
            raise connection.SchemaMismatch(
                "This installation's database was updated to a newer ClinicDesk since its last "
                "sync, but its base copy was not: update the hub too, then join it again."
            )
        with connection.transaction(conn, "DEFERRED"):
            diff = _diff_against_base(conn)
            site_id = connection.local_value(conn, THIS_SITE_KEY) or ""
            installation = connection.local_value(conn, INSTALLATION_KEY) or site_id
        connection.detach(conn, "base")
    finally:
        conn.close()
    return Push(
        diff.changeset, diff.columns, diff.summary, diff.files, site_id, installation, schema
    )


def push_to_hub(
    hub: HubFolder,
    data_dir: Path,
    key: bytes,
    push: Push,
    bundle_id: str,
    progress: Progress,
    cancelled: Cancelled,
    *,
    files_root: Path | None = None,
) -> merge.HubApply:
    """Copy the push's files into the hub's stores, then apply its changeset there with
    ``bundle_id`` in one transaction. A bundle already applied changes nothing."""
    hub.check()
    conn = connection.connect(hub.database, key, wal=False)
    try:
        connection.check_same_schema(
            push.schema, connection.migration_names(conn), here_name="this installation"
        )
        sent_files = _copy_files(
            "Sending files", push.files, files_root or data_dir, hub.root, key, progress, cancelled
        )
        progress("Sending changes", 0, push.summary.changes)
        with connection.transaction(conn):
            done = conn.execute(
                "SELECT changes, applied, parked FROM sync_bundles WHERE bundle_id = ?",
                (bundle_id,),
            ).fetchone()
            if done is not None:
                result = merge.HubApply(changes=done[0], applied=done[1], already=done[1])
                result.parked = []
                return result
            result = merge.apply_at_hub(
                conn, push.changeset, push.columns, merge.Origin(bundle_id, push.site_id)
            )
            conn.execute(
                "INSERT INTO sync_bundles (bundle_id, site_id, installation_id, applied_at, "
                "changes, applied, parked) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    bundle_id,
                    push.site_id,
                    push.installation_id,
                    utc_now(),
                    result.changes,
                    result.applied,
                    len(result.parked),
                ),
            )
            audit_rows.seal_at_hub(conn, result.touched, bundle_id)
            audit_rows.record_heads(conn)
            checkpoint("before-hub-commit")
        checkpoint("after-hub-commit")
        audit_rows.update_anchor(conn)
        result.files = sent_files
        return result
    finally:
        conn.close()


def pull_from_snapshot(
    data_dir: Path,
    key: bytes,
    snapshot: Path,
    files_root: Path,
    pushed: dict[tuple[str, str], int | None],
    progress: Progress,
    cancelled: Cancelled,
) -> tuple[merge.ReplicaApply, int, set[str]]:
    """Take the changes between the base and ``snapshot`` (a copy of the hub, in this
    installation's sync folder) into the replica, then make the snapshot the new base.
    Returns the apply's counts, the files fetched and the patients changed."""
    paths = Paths(data_dir)
    base = base_path(data_dir)
    reader = connection.connect(snapshot, key, wal=False)
    try:
        connection.attach(reader, base, key, "base")
        diff = _diff_against_base(reader)
        connection.detach(reader, "base")
    finally:
        reader.close()
    fetched = _copy_files(
        "Receiving files", diff.files, files_root, data_dir, key, progress, cancelled
    )
    progress("Receiving changes", 0, diff.summary.changes)
    conn = connection.connect(paths.database, key)
    try:
        connection.attach(conn, snapshot, key, "hub")
        if connection.replicated_tables(conn) != diff.tables:
            raise connection.SchemaMismatch(
                "This installation's tables differ from the hub's: update ClinicDesk so both "
                "are at the same version, then sync. Nothing was changed."
            )
        with connection.transaction(conn):
            applied = merge.apply_at_replica(conn, diff.changeset, diff.columns, pushed, "hub")
            if applied.foreign_key_problems:
                raise SyncError(
                    f"{applied.foreign_key_problems} of the hub's changes refer to records "
                    "missing here; nothing was changed. Report this to your IT support."
                )
            connection.set_local_value(conn, LAST_SYNC_KEY, utc_now())
            connection.set_local_value(conn, LAST_SYNCS_KEY, json.dumps(hub_last_syncs(conn)))
            audit_rows.record_heads(conn)
        connection.detach(conn, "hub")
        audit_rows.update_anchor(conn)
    finally:
        conn.close()
    checkpoint("before-base-refresh")
    connection.replace_file(snapshot, base)
    return applied, fetched, diff.summary.patients


def hub_last_syncs(conn: apsw.Connection, schema: str = "hub") -> list[list[str]]:
    """[site id, installation id, when] of each installation's latest bundle applied at the
    hub, from its copy attached as ``schema`` (kept here for Admin > Sites and sync)."""
    rows = conn.execute(
        f"SELECT site_id, installation_id, max(applied_at) FROM {schema}.sync_bundles "
        "GROUP BY site_id, installation_id ORDER BY 3 DESC"
    ).fetchall()
    return [[str(r[0]), str(r[1]), str(r[2])] for r in rows]


def sync_with_hub(
    data_dir: Path,
    key: bytes,
    hub_dir: Path,
    *,
    progress: Progress = _no_progress,
    cancelled: Cancelled = _never,
) -> SyncResult:
    """Push this installation's changes to the hub at ``hub_dir``, then pull the hub's."""
    hub = HubFolder(hub_dir)
    hub.check()
    progress("Reading this installation's changes", 0, 1)
    check_schemas(data_dir, key, hub)
    push = read_push(data_dir, key)
    bundle_id = uuid7()
    pushed = push_to_hub(hub, data_dir, key, push, bundle_id, progress, cancelled)
    result = SyncResult(bundle_id=bundle_id)
    result.sent = pushed.applied
    result.parked = len(pushed.parked)
    result.files_sent = pushed.files
    result.patients_changed = set(push.summary.patients)
    progress("Copying the hub's state", 0, 1)
    snapshot = snapshot_path(data_dir)
    take_snapshot(hub, key, snapshot)
    applied, fetched, patients = pull_from_snapshot(
        data_dir, key, snapshot, hub.root, push.summary.versions, progress, cancelled
    )
    result.received = applied.taken
    result.audit_received = applied.audit_entries
    result.kept = applied.kept
    result.files_received = fetched
    result.patients_changed |= patients
    carry_key_slots(data_dir, key, hub)
    progress("Done", 1, 1)
    return result


def carry_key_slots(data_dir: Path, key: bytes, hub: HubFolder) -> None:
    """Users made at one installation sign in at every other after their syncs, and a password
    changed or reset at one (or an account disabled there) is the same at every other: each key
    ring takes from the other what its own database's ``users`` rows, already synced, now ask
    for (``take_key_slots``). Run twice (a sync stopped here, run again) it changes nothing
    more. A USB bundle carries the rings the same way (``bundle``)."""
    local = Paths(Path(data_dir))
    take_key_slots(hub.keyring, KeyRing.load(local.keyring), hub.database, key, wal=False)
    take_key_slots(local.keyring, KeyRing.load(hub.keyring), local.database, key, wal=True)


def take_key_slots(
    ring_path: Path, other: KeyRing, database: Path, key: bytes, *, wal: bool
) -> list[str]:
    """The key ring at ``ring_path`` takes from ``other`` (another installation's ring) the
    slots that ``database``'s ``users`` rows, already synced, ask for (``KeyRing.take_slots``:
    the rows decide, never the files' times; the recovery slot is never replaced). Saved
    atomically when something changed; returns the changed slots' names."""
    ring = KeyRing.load(ring_path)
    changed = ring.take_slots(other, _accounts(database, key, wal=wal))
    if changed:
        ring.save()
    return changed


def _accounts(database: Path, key: bytes, *, wal: bool) -> dict[str, str | None]:
    """User name -> ``password_stamp`` of its password hash, or None for a disabled account."""
    conn = connection.connect(database, key, wal=wal)
    try:
        rows = conn.execute("SELECT username, password_hash, deleted_at FROM users").fetchall()
    finally:
        conn.close()
    return {
        str(name): None if deleted is not None else password_stamp(str(password_hash))
        for name, password_hash, deleted in rows
    }


def check_schemas(data_dir: Path, key: bytes, hub: HubFolder) -> None:
    """Refuse (``SchemaMismatch``, naming the side to update) unless this installation and
    the hub are at the same schema version."""
    names = []
    for path, wal in ((Paths(data_dir).database, True), (hub.database, False)):
        conn = connection.connect(path, key, wal=wal)
        try:
            names.append(connection.migration_names(conn))
        finally:
            conn.close()
    connection.check_same_schema(names[0], names[1], here_name="this installation")


def snapshot_path(data_dir: Path) -> Path:
    return sync_dir(data_dir) / "hub.db"


def take_snapshot(hub: HubFolder, key: bytes, snapshot: Path) -> None:
    """A consistent copy of the hub's database at ``snapshot`` (temp name, then renamed)."""
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    temp = snapshot.with_name(snapshot.name + ".tmp")
    conn = connection.connect(hub.database, key, wal=False)
    try:
        connection.copy_into(conn, temp)
    except apsw.Error as exc:
        raise SyncError(f"The hub's database could not be copied: {exc}") from exc
    finally:
        conn.close()
    connection.replace_file(temp, snapshot)
    with contextlib.suppress(OSError):
        temp.unlink()
