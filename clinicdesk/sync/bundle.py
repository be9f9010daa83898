"""Sync through a file on a USB stick, for a site that never sees the hub's network.

Two kinds of bundle, both in the backup archive's format (``storage.archive``: encrypted and
authenticated chunk by chunk under the data key's archive subkey, with a manifest last), told
apart by the header's ``kind``:

- a **push** bundle (``export_bundle``, at the replica): the changeset since the base, the
  files its rows name, the replica's key ring (``keyring.json``, as its file holds it: wrapped
  slots only), and in its manifest the bundle id, site, schema version, counts, the version of
  every row it carries and the files the replica already has;
- a **reply** bundle (``apply_to_hub``, at the hub's PC, written beside the push bundle): the
  hub's database as it stands after applying the push, the hub's key ring, and the files the
  replica lacks.

The header also names the clinic (its key ring's id, as a backup's header carries its key
ring), so a bundle of another clinic is named as such rather than as damaged. Reading a bundle
that is not one, is damaged or cut short, is the other kind, or cannot be read (a USB stick
pulled out) is a ``SyncError`` naming the file; nothing is changed before the whole bundle has
been read and checked. Writing one that fails (the stick full or pulled out) names the folder
and leaves no bundle behind.

Taking the reply at the replica (``take_reply``) is the pull of ``engine``: the same rules,
the base refreshed last. Applying a push bundle twice changes nothing (its id is recorded).
Each side's key ring takes the other's slots after the rows, as a sync through the hub's
folder does (``engine.take_key_slots``): a user added, a password changed or an account
disabled at one installation is the same at the other. A bundle from before key rings were
carried has none, and its rows are taken alone.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from clinicdesk import __version__
from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.paths import Paths
from clinicdesk.storage import archive
from clinicdesk.storage.keys import KeyRing
from clinicdesk.storage.sealed_files import ContentStore
from clinicdesk.sync import changes, connection, engine, files, hub
from clinicdesk.sync.connection import SyncError

SUFFIX = ".cdsync"
PUSH, REPLY = "sync-push", "sync-reply"
KEY_RING = "keyring.json"  # the member holding the sender's key ring


@dataclass
class Exported:
    path: Path
    changes: int
    files: int
    bundle_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": str(self.path),
            "bundle_id": self.bundle_id,
            "changes": self.changes,
            "files": self.files,
        }


@dataclass
class Imported:
    path: Path | None
    sent: int = 0
    parked: int = 0
    received: int = 0
    kept: int = 0
    patients_changed: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "reply": str(self.path) if self.path else None,
            "sent": self.sent,
            "parked": self.parked,
            "received": self.received,
            "kept": self.kept,
        }


def _store_members(root: Path, wanted: list[tuple[str, str, str]]) -> list[tuple[str, Path]]:
    out = []
    for store, sha, _bound in sorted(set(wanted)):
        folder = files.STORES[store][0]
        out.append((f"files/{store}/{sha}", root / folder / sha[:2] / sha))
    return out


def _clinic(ring: Path) -> str:
    return KeyRing.load(ring).clinic_id


def _write(
    path: Path, key: bytes, kind: str, members: list[tuple[str, Path]], manifest: dict[str, Any]
) -> None:
    """The bundle at ``path``; its header names the clinic of the key ring it carries."""
    temp = path.with_name(path.name + ".tmp")
    header = {"kind": kind, "clinicdesk": __version__, "created_at": utc_now()}
    for name, ring in members:
        if name == KEY_RING:
            header["clinic"] = _clinic(ring)
    try:
        with temp.open("wb") as out:
            writer = archive.ArchiveWriter(out, key, header)
            for name, source in members:
                with source.open("rb") as handle:
                    writer.add(name, handle)
            writer.finish(manifest)
            out.flush()
            connection.fsync_file(temp)
        connection.replace_file(temp, path)
    except BaseException as exc:  # a full or pulled-out stick, or cancelled: no half bundle
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        raise SyncError(
            f"The sync bundle could not be written to {path.parent} ({exc.strerror or exc}). "
            "If it is a USB stick, check it is plugged in and has room, then try again; "
            "nothing was changed here."
        ) from None


def _read(path: Path, key: bytes, kind: str, into: Path, clinic_id: str) -> dict[str, Any]:
    """Unpack ``path`` into ``into`` (files under their stores' folders, the rest by name).
    Every failure is a ``SyncError`` naming ``path``; nothing has been changed by then."""
    try:
        return _unpack(path, key, kind, into, clinic_id)
    except archive.ArchiveTooNew:
        raise SyncError(
            f"{path} was written by a newer version of ClinicDesk: update ClinicDesk here, "
            "then read it again; nothing was changed."
        ) from None
    except archive.ArchiveDamaged as exc:
        if str(exc).startswith("This file is not a ClinicDesk backup"):
            raise SyncError(
                f"{path} is not a ClinicDesk sync bundle (choose the .cdsync file); nothing "
                "was changed."
            ) from None
        detail = str(exc).replace("The backup", "the bundle").replace("backup", "bundle")
        detail = re.sub(r",? (so (it|the file)|and) cannot be used\.$", ".", detail)
        raise SyncError(
            f"{path} cannot be used: {detail} Write the bundle again; nothing was changed."
        ) from None
    except OSError as exc:
        raise SyncError(
            f"{path} could not be read ({exc.strerror or exc}). If it is on a USB stick, "
            "check the stick is plugged in, then try again; nothing was changed."
        ) from None


def _unpack(path: Path, key: bytes, kind: str, into: Path, clinic_id: str) -> dict[str, Any]:
    opened: list[IO[bytes]] = []

    def open_member(name: str) -> IO[bytes]:
        if name.startswith("files/"):
            _, store, sha = name.split("/")
            target = into / files.STORES[store][0] / sha[:2] / sha
        else:
            target = into / Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = target.open("wb")
        opened.append(handle)
        return handle

    try:
        with path.open("rb") as source:
            header = archive.read_header(source)
            found = header.fields.get("kind")
            if found == PUSH and kind == REPLY:
                raise SyncError(
                    f"{path} is a bundle written at an installation, not the hub's reply: read "
                    "it at the main clinic's PC, where the hub's folder is set, and bring back "
                    "the .reply.cdsync file it writes; nothing was changed."
                )
            if found == REPLY and kind == PUSH:
                raise SyncError(
                    f"{path} is the hub's reply to a bundle: read it at the installation that "
                    "wrote the bundle; nothing was changed."
                )
            if found != kind:
                raise SyncError(f"{path} is not a ClinicDesk sync bundle; nothing was changed.")
            if header.fields.get("clinic", clinic_id) != clinic_id:
                raise SyncError(
                    f"{path} is a sync bundle of another clinic, so it cannot be read here; "
                    "nothing was changed."
                )
            return archive.read_members(source, header, key, open_member)
    finally:
        for sink in opened:
            sink.close()


def _have(data_dir: Path) -> dict[str, list[str]]:
    return {
        store: sorted(ContentStore.scan(data_dir / folder).originals)
        for store, (folder, _purpose) in files.STORES.items()
    }


def export_bundle(data_dir: Path, key: bytes, dest_dir: Path) -> Exported:
    push = engine.read_push(data_dir, key)
    bundle_id = uuid7()
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SyncError(
            f"The sync bundle could not be written to {dest_dir} ({exc.strerror or exc}). If "
            "it is a USB stick, check it is plugged in, then try again; nothing was changed."
        ) from None
    path = dest_dir / f"clinicdesk-{bundle_id}{SUFFIX}"
    with tempfile.TemporaryDirectory(dir=engine.sync_dir(data_dir)) as scratch:
        changeset = Path(scratch) / "changeset"
        changeset.write_bytes(push.changeset)
        manifest = {
            "bundle_id": bundle_id,
            "site_id": push.site_id,
            "installation_id": push.installation_id,
            "schema": push.schema,
            "columns": push.columns,
            "changes": push.summary.changes,
            "files": [list(f) for f in sorted(set(push.files))],
            "versions": [[t, i, v] for (t, i), v in push.summary.versions.items()],
            "have": _have(data_dir),
        }
        _write(
            path,
            key,
            PUSH,
            [
                ("changeset", changeset),
                # Read after the push: a slot is never older than the row it is for.
                (KEY_RING, Paths(data_dir).keyring),
                *_store_members(data_dir, push.files),
            ],
            manifest,
        )
    return Exported(path, push.summary.changes, len(set(push.files)), bundle_id)


def apply_to_hub(hub_dir: Path, key: bytes, bundle_file: Path) -> Imported:
    folder = engine.HubFolder(hub_dir)
    folder.check()
    with tempfile.TemporaryDirectory(dir=hub_dir) as scratch:
        root = Path(scratch)
        manifest = _read(bundle_file, key, PUSH, root, _clinic(folder.keyring))
        changeset = (root / "changeset").read_bytes()
        columns = {t: list(c) for t, c in manifest["columns"].items()}
        push = engine.Push(
            changeset,
            columns,
            changes.summarise(changeset, columns),
            [(s, h, b) for s, h, b in manifest["files"]],
            manifest["site_id"],
            manifest["installation_id"],
            list(manifest["schema"]),
        )
        result = engine.push_to_hub(
            folder,
            root,
            key,
            push,
            manifest["bundle_id"],
            engine._no_progress,
            engine._never,
            files_root=root,
        )
        _take_key_slots(root, folder.keyring, folder.database, key, wal=False)
        snapshot = root / "hub.db"
        engine.take_snapshot(folder, key, snapshot)
        conn = connection.connect(snapshot, key, wal=False)
        try:
            wanted = hub.referenced_files(conn)
        finally:
            conn.close()
        have = {(s, h) for s, shas in manifest["have"].items() for h in shas}
        missing = [w for w in wanted if (w[0], w[1]) not in have]
        reply = bundle_file.with_name(bundle_file.name.removesuffix(SUFFIX) + ".reply" + SUFFIX)
        _write(
            reply,
            key,
            REPLY,
            [("hub.db", snapshot), (KEY_RING, folder.keyring), *_store_members(hub_dir, missing)],
            {"answers": manifest["bundle_id"], "versions": manifest["versions"]},
        )
    return Imported(reply, sent=result.applied, parked=len(result.parked))


def take_reply(data_dir: Path, key: bytes, reply_file: Path) -> Imported:
    with tempfile.TemporaryDirectory(dir=engine.sync_dir(data_dir)) as scratch:
        root = Path(scratch)
        manifest = _read(reply_file, key, REPLY, root, _clinic(Paths(data_dir).keyring))
        snapshot = engine.snapshot_path(data_dir)
        connection.replace_file(root / "hub.db", snapshot)
        pushed = {(str(t), str(i)): v for t, i, v in manifest["versions"]}
        applied, _fetched, patients = engine.pull_from_snapshot(
            data_dir, key, snapshot, root, pushed, engine._no_progress, engine._never
        )
        paths = Paths(data_dir)
        _take_key_slots(root, paths.keyring, paths.database, key, wal=True)
    return Imported(None, received=applied.taken, kept=applied.kept, patients_changed=patients)


def _take_key_slots(unpacked: Path, ring: Path, database: Path, key: bytes, *, wal: bool) -> None:
    """The ring at ``ring`` takes the slots of the bundle's ring (unpacked in ``unpacked``)
    that ``database``'s rows, just synced, ask for; nothing when the bundle has no ring."""
    carried = unpacked / KEY_RING
    if carried.is_file():
        engine.take_key_slots(ring, KeyRing.load(carried), database, key, wal=wal)
