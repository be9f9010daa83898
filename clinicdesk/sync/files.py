"""Photo and consent files travel beside the changeset, content-addressed, and are copied and
hash-checked into the receiving store before the rows that name them are applied.

Every installation of a clinic shares its data key, so each file is opened (which checks its
seal, the record it belongs to and the sha256 of its content) from the sending store and stored
in the receiving one through ``ContentStore.put`` (temp name, fsync, rename): a sync stopped
half-way leaves whole files or none, never a partial one a row points at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import apsw

from clinicdesk.storage.keys import derive_subkey
from clinicdesk.storage.sealed_files import ContentStore, SealedFileError
from clinicdesk.sync.changes import FILE_COLUMNS
from clinicdesk.sync.connection import SyncError

# store name -> (folder name in a data folder and in the hub, subkey purpose)
STORES = {"photos": ("photos", "photos"), "consents": ("consents", "consent-files")}


def store(root: Path, name: str, data_key: bytes) -> ContentStore:
    folder, purpose = STORES[name]
    return ContentStore(root / folder, derive_subkey(data_key, purpose))


def bound_id(conn: apsw.Connection, table: str, row_id: str, schema: str = "main") -> str:
    """The id a file named by ``table``'s row ``row_id`` is sealed to (its patient's)."""
    bound = FILE_COLUMNS[table][0][2]
    if bound == "id":
        return row_id
    row = conn.execute(
        f'SELECT "{bound}" FROM {schema}."{table}" WHERE id = ?', (row_id,)
    ).fetchone()
    return "" if row is None or row[0] is None else str(row[0])


def copy_files(
    wanted: Iterable[tuple[str, str, str]],
    source_root: Path,
    target_root: Path,
    data_key: bytes,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Copy each (store, sha256, bound id) missing at ``target_root`` from ``source_root``,
    checked; returns how many were copied. A file missing or damaged at the source stops the
    sync (``SyncError`` naming it) before any row naming it is applied."""
    todo = sorted(set(wanted))
    copied = 0
    for done, (name, sha256, bound) in enumerate(todo, 1):
        if cancelled is not None and cancelled():
            raise SyncCancelled()
        target = store(target_root, name, data_key)
        if not target.exists(sha256):
            source = store(source_root, name, data_key)
            try:
                data = source.get(sha256, bound)
            except SealedFileError as exc:
                raise SyncError(
                    f"The {name} file {sha256[:12]}… in {source.root} is missing or damaged, so "
                    "the rows naming it were not sent. Run `clinicdesk verify` there; nothing "
                    "was changed."
                ) from exc
            target.put(data, bound, sha256=sha256)
            target.get(sha256, bound)  # read back: the copy opens and hashes right
            copied += 1
        if progress is not None:
            progress(done, len(todo))
    return copied


class SyncCancelled(SyncError):
    def __init__(self) -> None:
        super().__init__("Sync was cancelled; nothing was lost, and the next sync completes it.")
