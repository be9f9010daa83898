"""Where the audit trail ends, kept in three places: the key, the heads and the anchor file.

The key seals every entry (``audit_key``, made on first use; ``stored_audit_key`` for checks,
which never write). It is the clinic's, shared by every site (a replica starts from a copy of
the hub's database), so every site's seals can be checked everywhere. Each site keeps its own
chain (``storage.audit_chains``); a chain's *head* is its newest entry's number and seal: the
table holds it (``head``, ``heads``), ``local_state`` keeps it a second time (``AUDIT_HEAD``
for this installation's own chain, updated in the same transaction as each entry;
``SYNCED_HEAD`` + site for other sites' chains, as last received by sync) and each backup's
manifest a third, so a cut-off tail is seen. A new entry continues from the highest head any
place knows (``next_position``), so entries cut from the end stay visible afterwards as a gap
instead of being papered over.

The anchor. Whoever can open the database can also delete the tail *and* the head in
``local_state``, so the heads are kept outside the database too (DESIGN.md, "Security
model"): ``audit_anchor.json`` beside the database file holds each site's newest entry number
and seal (format 2; a format 1 file, from before chains were per site, holds one head and is
read as this installation's chain's), sealed with the audit key, replaced atomically (temp
file, fsync, rename) after each commit that added entries. When an anchored entry is no longer
in its chain the new anchor keeps it in that site's ``broken`` list, so later entries never heal
a cut or a rewrite: the check (``storage.audit_check``) finds every anchored entry still where
it was. A missing anchor file, once one was written (``audit_anchored`` in ``local_state``), is
reported and not silently re-created. Known limit: the anchor is sealed with the audit key,
which is in the database, so someone who can open the database (a password) can forge it too;
backups and the hub keep further copies of the heads.

Writing entries is ``storage.audit``; this module never imports it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinicdesk.storage import audit_chains
from clinicdesk.storage.database import Database, StorageError, write_transaction

log = logging.getLogger(__name__)

GENESIS = audit_chains.GENESIS
AUDIT_KEY = "audit_key"  # local_state key: the HMAC key, hex (until it derives from the data key)
AUDIT_HEAD = "audit_head"  # local_state key: "seq:seal" of the newest entry written
AUDIT_ANCHORED = "audit_anchored"  # local_state key: an anchor file was written for this trail
ANCHOR_NAME = "audit_anchor.json"  # beside the database file
SYNCED_HEAD = "audit_head:"  # local_state key prefix + site id: another site's head, as synced
ANCHOR_FORMAT = 2
KEY_BYTES = 32


class AuditUnavailable(StorageError):
    """No audit entry can be written now (the disk is full, or the audit key is missing)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class AuditKeyMissing(AuditUnavailable):
    """The audit key was removed from a database whose trail already has entries."""

    def __init__(self) -> None:
        super().__init__(
            "The audit key is missing from the database, so nothing can be saved (every change "
            "is audited); reading still works. Restore the latest backup and run "
            "`clinicdesk audit verify`.",
            "the audit key is missing",
        )


# -- the key and the head ---------------------------------------------------------------------


def local_value(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM local_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_local_value(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO local_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def stored_audit_key(db: Database) -> bytes | None:
    """The clinic's audit key if it exists; ``None`` if it was never made (or was removed).

    ``verify_chain`` uses this rather than ``audit_key`` so that checking never writes, and a
    removed key is reported instead of silently replaced.
    """
    value = local_value(db, AUDIT_KEY)
    if value is None:
        return None
    try:
        key = bytes.fromhex(value)
    except ValueError:
        return None
    return key if len(key) == KEY_BYTES else None


def audit_key(db: Database) -> bytes:
    """The key that seals audit entries: 32 random bytes, made on first use.

    Every caller goes through here, so the key can later be derived from the clinic's data
    key (encryption at rest) by changing this function and ``stored_audit_key`` alone.
    """
    key = stored_audit_key(db)
    if key is not None:
        return key
    with write_transaction(db):  # joins the caller's transaction when there is one
        key = stored_audit_key(db)
        if key is None:
            if trail_exists(db):
                # A new key would seal new entries that pass while hiding that the old ones
                # can no longer be checked: say so instead (RELIABILITY rows 15 and 35).
                raise AuditKeyMissing()
            key = secrets.token_bytes(KEY_BYTES)
            set_local_value(db, AUDIT_KEY, key.hex())
    return key


def trail_exists(db: Database) -> bool:
    """Whether this database ever had audit entries (so its key may not be made anew)."""
    if (
        db.execute("SELECT 1 FROM audit_log LIMIT 1").fetchone() is not None
        or local_value(db, AUDIT_HEAD) is not None
        or local_value(db, AUDIT_ANCHORED)
    ):
        return True
    path = anchor_path(db)
    return path is not None and path.exists()


def _parse_head(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, seal = value.partition(":")
    if not seq.isdigit() or len(seal) != len(GENESIS):
        return None
    return int(seq), seal


def recorded_head(db: Database) -> tuple[int, str] | None:
    """This installation's own chain's head kept in ``local_state``; ``None`` when absent or
    unreadable."""
    return _parse_head(local_value(db, AUDIT_HEAD))


def recorded_heads(db: Database) -> dict[str, tuple[int, str]]:
    """The heads ``local_state`` keeps, by site: this installation's own (``AUDIT_HEAD``) and
    those of other sites' chains as the sync engine last received them (``SYNCED_HEAD``)."""
    found: dict[str, tuple[int, str]] = {}
    for key, value in db.execute(
        "SELECT key, value FROM local_state WHERE key LIKE ?", [SYNCED_HEAD + "%"]
    ):
        parsed = _parse_head(str(value))
        if parsed is not None:
            found[str(key)[len(SYNCED_HEAD) :]] = parsed
    own = audit_chains.own_site(db)
    mine = recorded_head(db)
    if own is not None and mine is not None:
        found[own] = mine
    return found


def head(db: Database, site_id: str | None = None) -> tuple[int, str]:
    """The newest entry's number and seal in ``site_id``'s chain (this installation's own by
    default) as the table holds them, ``(0, GENESIS)`` when it is empty."""
    site = site_id if site_id is not None else audit_chains.own_site(db)
    if site is None:
        return 0, GENESIS
    return audit_chains.head(db, site, audit_chains.legacy(db))


def heads(db: Database) -> dict[str, tuple[int, str]]:
    """Every site's chain head as the table holds them (for anchors and backup manifests)."""
    old = audit_chains.legacy(db)
    return {site: audit_chains.head(db, site, old) for site in audit_chains.sites(db, old)}


def record_synced_heads(db: Database) -> None:
    """Keep in ``local_state`` the head of every other site's chain as it now stands; for the
    sync engine, in the transaction that inserted those sites' entries (then ``update_anchor``
    after the commit). A head never moves back: a cut made before the sync stays visible."""
    own = audit_chains.own_site(db)
    known = recorded_heads(db)
    for site, (seq, seal) in heads(db).items():
        if site == own or (site in known and known[site][0] >= seq):
            continue
        set_local_value(db, SYNCED_HEAD + site, f"{seq}:{seal}")


def hand_over_head(db: Database) -> None:
    """Before a copy of this database becomes another site's installation (the sync engine's
    join, in the transaction that changes ``this_site_id``): the head kept as this
    installation's own becomes the head last received from the site it belonged to, and the new
    installation's own chain starts empty. The audit key, the entries and the anchor file are
    kept as they are (copy the anchor file with the database)."""
    own = audit_chains.own_site(db)
    mine = recorded_head(db)
    if own is not None and mine is not None:
        set_local_value(db, SYNCED_HEAD + own, f"{mine[0]}:{mine[1]}")
    db.execute("DELETE FROM local_state WHERE key = ?", [AUDIT_HEAD])


# -- the anchor file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A chain's head as last anchored outside the database, and earlier anchored heads that the
    chain no longer held when an entry was next added (each must still be found at verify)."""

    seq: int
    seal: str
    broken: tuple[tuple[int, str], ...] = ()


Anchors = dict[str, Anchor]  # by site


def anchor_path(db: Database) -> Path | None:
    """``audit_anchor.json`` beside the database file; ``None`` for a database in memory."""
    for row in db.execute("PRAGMA database_list"):
        if row[1] == "main":
            return Path(row[2]).parent / ANCHOR_NAME if row[2] else None
    return None


def _single_mac(key: bytes, anchor: Anchor) -> str:
    """The seal of a format 1 anchor file (one head, before chains were per site)."""
    payload = json.dumps(
        {"seq": anchor.seq, "hash": anchor.seal, "broken": [list(b) for b in anchor.broken]},
        sort_keys=True,
    )
    return hmac.new(key, b"clinicdesk audit anchor " + payload.encode(), hashlib.sha256).hexdigest()


def _sites_json(anchors: Anchors) -> dict[str, Any]:
    return {
        site: {"seq": a.seq, "hash": a.seal, "broken": [list(b) for b in a.broken]}
        for site, a in sorted(anchors.items())
    }


def _anchor_mac(key: bytes, anchors: Anchors) -> str:
    payload = json.dumps(_sites_json(anchors), sort_keys=True)
    return hmac.new(
        key, b"clinicdesk audit anchors " + payload.encode(), hashlib.sha256
    ).hexdigest()


def _anchor_from(data: Any) -> Anchor:
    return Anchor(
        int(data["seq"]),
        str(data["hash"]),
        tuple((int(seq), str(seal)) for seq, seal in data.get("broken", [])),
    )


def load_anchor(path: Path, key: bytes, own_site: str | None) -> tuple[Anchors | None, str | None]:
    """``(anchors by site, None)``; ``(None, None)`` when there is no file; ``(None, problem)``
    when the file is unreadable, damaged, or not sealed with this trail's key (altered or
    replaced). A file written before chains were per site (one head) is read as the head of
    ``own_site``'s chain, which is what that trail became (``storage.audit_chains``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format", 1) == 1:
            single = _anchor_from(data)
            anchors: Anchors = {own_site or "": single}
            sound = hmac.compare_digest(str(data["mac"]), _single_mac(key, single))
        else:
            anchors = {str(site): _anchor_from(item) for site, item in data["sites"].items()}
            sound = hmac.compare_digest(str(data["mac"]), _anchor_mac(key, anchors))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"the anchor file {path.name} cannot be read ({exc.strerror or exc})"
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, f"the anchor file {path.name} is damaged, so the trail's end cannot be checked"
    if not sound:
        return None, (
            f"the anchor file {path.name} was altered or replaced: its seal does not match "
            "the audit key"
        )
    return anchors, None


def load_anchors(db: Database, key: bytes) -> tuple[Anchors | None, str | None]:
    """``load_anchor`` for the file beside ``db`` (``(None, None)`` for a database in memory)."""
    path = anchor_path(db)
    if path is None:
        return None, None
    return load_anchor(path, key, audit_chains.own_site(db))


def _write_anchor(path: Path, key: bytes, anchors: Anchors) -> bool:
    data = {
        "format": ANCHOR_FORMAT,
        "sites": _sites_json(anchors),
        "mac": _anchor_mac(key, anchors),
    }
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        with contextlib.suppress(OSError):  # make the rename itself durable
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
    except OSError as exc:
        # The previous anchor stays: an older head, still a true one. Tried again next commit.
        log.warning("audit anchor not updated: %s", exc.strerror or type(exc).__name__)
        with contextlib.suppress(OSError):
            temp.unlink()
        return False
    return True


def seal_at(db: Database, seq: int, site_id: str | None = None) -> str | None:
    """The seal of entry ``seq`` of ``site_id``'s chain (this installation's own by default)."""
    site = site_id if site_id is not None else audit_chains.own_site(db)
    if site is None:
        return None
    return audit_chains.seal_at(db, site, seq, audit_chains.legacy(db))


def update_anchor(db: Database) -> None:
    """Anchor every chain's current end (after each commit that added entries; the sync engine
    calls it after committing other sites' entries).

    An anchored entry that is no longer in its chain (cut off, or rewritten) is kept in the new
    anchor's ``broken`` list, so the next anchor never hides it. A chain the anchor knows and
    the table no longer has keeps its anchor as it was. A damaged or forged anchor file is left
    as it is for ``verify_chain`` to report, and a removed one is not re-created
    (``audit_anchored``): an administrator restores it from a backup.
    """
    path = anchor_path(db)
    key = stored_audit_key(db)
    now = {site: h for site, h in heads(db).items() if h[0] > 0}
    if path is None or key is None or not now:
        return
    anchors, problem = load_anchor(path, key, audit_chains.own_site(db))
    if problem is not None:
        return
    if anchors is None and local_value(db, AUDIT_ANCHORED) is not None:
        return
    old = dict(anchors or {})
    new: Anchors = dict(old)
    for site, (last_seq, last_seal) in now.items():
        before = old.get(site)
        if before is None:
            new[site] = Anchor(last_seq, last_seal)
            continue
        if (before.seq, before.seal) == (last_seq, last_seal):
            continue
        broken = before.broken
        if seal_at(db, before.seq, site) != before.seal and (before.seq, before.seal) not in broken:
            broken = (*broken, (before.seq, before.seal))
        new[site] = Anchor(last_seq, last_seal, broken)
    if new == old and anchors is not None:
        return
    if _write_anchor(path, key, new) and anchors is None:
        with contextlib.suppress(StorageError), write_transaction(db):
            set_local_value(db, AUDIT_ANCHORED, "1")


def reanchor(db: Database) -> int:
    """Write a new anchor for the trail as it stands (every site's chain); only when the file
    is missing or cannot be trusted (an administrator's decision, audited by the caller).
    Returns the entry anchored in this installation's own chain."""
    path = anchor_path(db)
    key = stored_audit_key(db)
    if path is None or key is None:
        raise StorageError("The audit trail cannot be anchored: its key is missing.")
    anchors, problem = load_anchor(path, key, audit_chains.own_site(db))
    if anchors is not None:
        raise StorageError(
            f"The anchor file {path.name} is sound, so it was kept: replacing it would hide "
            "entries cut from the end."
        )
    fresh = {site: Anchor(seq, seal) for site, (seq, seal) in heads(db).items() if seq > 0}
    if not _write_anchor(path, key, fresh):
        raise StorageError(f"The anchor file {path} could not be written (is the disk full?).")
    with write_transaction(db):
        set_local_value(db, AUDIT_ANCHORED, "1")
    last_seq = head(db)[0]
    log.warning("audit trail re-anchored at entry %d (%s)", last_seq, problem or "file missing")
    return last_seq


def next_position(db: Database, key: bytes, site_id: str) -> tuple[int, str]:
    """The number and seal the next entry of ``site_id``'s chain (this installation's own)
    follows: the highest head the table, ``local_state`` and the anchor file know, so entries
    cut from the end stay a visible gap."""
    seq, prev_hash = head(db, site_id)
    recorded = recorded_head(db)
    if recorded is not None and recorded[0] > seq:
        seq, prev_hash = recorded
    path = anchor_path(db)
    if path is not None:
        anchors, _ = load_anchor(path, key, site_id)
        anchor = (anchors or {}).get(site_id)
        if anchor is not None and anchor.seq > seq:
            seq, prev_hash = anchor.seq, anchor.seal
    return seq, prev_hash


def anchor_restored_trail(db: Database, anchors: Anchors) -> None:
    """Write the anchor file beside a database restored from a backup: the heads the backup's
    manifest recorded (and the broken heads the clinic's anchor kept), sealed with the restored
    trail's own key. Without it ``verify_chain`` would report the anchor missing."""
    path = anchor_path(db)
    key = stored_audit_key(db)
    if path is None or key is None:
        return
    if not _write_anchor(path, key, anchors):
        raise StorageError(f"The anchor file {path} could not be written (is the disk full?).")
