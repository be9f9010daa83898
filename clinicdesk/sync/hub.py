"""Making a hub from an installation, and joining a hub as a new installation.

A hub is a folder: ``hub.db`` (the clinic's shared database, encrypted with the clinic's data
key, in rollback-journal mode so it works on a network share), ``photos/`` and ``consents/``
(content-addressed, sealed as in a data folder) and ``keyring.json`` (the clinic's wrapped data
keys, so a new installation can be unlocked with an administrator's password or the recovery
key), and ``audit_anchor.json`` (the hub's anchor of every site's audit chain, sealed with the
clinic's audit key; see ``audit_rows``). Nothing in it is readable without the data key.

The hub has no site of its own (``audit_rows.HUB_SITE``): the installation it is made from hands
its chain's head over (``audit_anchor.hand_over_head``), as a joining installation does, whose
copy keeps the audit key, the entries and the anchor file, so ``audit verify`` checks every
site's chain everywhere.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.paths import Paths
from clinicdesk.storage import audit_anchor
from clinicdesk.storage.audit_anchor import ANCHOR_NAME
from clinicdesk.storage.audit_chains import CHAIN_KEY
from clinicdesk.storage.clinic import THIS_SITE_KEY
from clinicdesk.storage.sync_state import HUB_KEY, INSTALLATION_KEY, LAST_SYNC_KEY, LAST_SYNCS_KEY
from clinicdesk.sync import audit_rows, connection, files
from clinicdesk.sync.changes import FILE_COLUMNS
from clinicdesk.sync.connection import SyncError
from clinicdesk.sync.engine import HubFolder, base_path


def _empty_or_new(folder: Path, what: str) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SyncError(f"{what} {folder} is not empty: choose a new or empty folder.")


def referenced_files(conn: apsw.Connection) -> list[tuple[str, str, str]]:
    """Every (store, sha256, bound id) the database's rows name."""
    wanted: list[tuple[str, str, str]] = []
    for table, specs in FILE_COLUMNS.items():
        for column, store, bound in specs:
            rows = conn.execute(
                f'SELECT "{column}", "{bound}" FROM "{table}" WHERE "{column}" IS NOT NULL'
            )
            wanted.extend((store, str(sha), str(owner)) for sha, owner in rows)
    return wanted


def create_hub(data_dir: Path, key: bytes, hub_dir: Path) -> int:
    """Make ``hub_dir`` (new or empty) the clinic's hub from this installation's data, which
    becomes its first replica (its base copy is the hub as made). Returns the files copied."""
    _empty_or_new(hub_dir, "The hub folder")
    paths = Paths(data_dir)
    hub = HubFolder(hub_dir)
    hub_dir.mkdir(parents=True, exist_ok=True)
    temp = hub_dir / "hub.db.tmp"
    conn = connection.connect(paths.database, key)
    try:
        with connection.transaction(conn):
            # This installation is the hub's first: its row, in its database as in the copies.
            installation = connection.local_value(conn, INSTALLATION_KEY) or uuid7()
            connection.set_local_value(conn, INSTALLATION_KEY, installation)
            site = connection.local_value(conn, THIS_SITE_KEY)
            if site is not None:
                _register(conn, installation, site, audit_rows.own_site(conn), label="")
        connection.copy_into(conn, temp)
        wanted = referenced_files(conn)
    finally:
        conn.close()
    made = connection.connect(temp, key, wal=False)
    try:
        with connection.transaction(made):
            audit_anchor.hand_over_head(audit_rows.as_database(made))
            _forget_installation(made)  # the hub is no installation
            connection.set_local_value(made, THIS_SITE_KEY, audit_rows.HUB_SITE)
            made.execute("DELETE FROM sync_bundles")
    finally:
        made.close()
    copied = files.copy_files(wanted, data_dir, hub_dir, key)
    shutil.copyfile(paths.keyring, hub.keyring)
    _copy_anchor(paths.data_dir, hub_dir)
    base = base_path(data_dir)
    base.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(temp, base.with_name("base.db.tmp"))
    connection.fsync_file(base.with_name("base.db.tmp"))
    connection.replace_file(base.with_name("base.db.tmp"), base)
    connection.replace_file(temp, hub.database)
    _mark_replica(paths.database, key, hub_dir, site_id=None)
    return copied


def _mark_replica(
    database: Path,
    key: bytes,
    hub_dir: Path,
    *,
    site_id: str | None,
    joined: Registered | None = None,
    wal: bool = True,
) -> None:
    conn = connection.connect(database, key, wal=wal)
    try:
        with connection.transaction(conn):
            if site_id is not None:
                # The hub's copy: a new installation, whose own audit chain starts empty.
                audit_anchor.hand_over_head(audit_rows.as_database(conn))
                _forget_installation(conn)
                connection.set_local_value(conn, THIS_SITE_KEY, site_id)
            if joined is not None:
                connection.set_local_value(conn, INSTALLATION_KEY, joined.installation_id)
                if joined.audit_chain != site_id:
                    connection.set_local_value(conn, CHAIN_KEY, joined.audit_chain)
            if connection.local_value(conn, INSTALLATION_KEY) is None:
                connection.set_local_value(conn, INSTALLATION_KEY, uuid7())
            connection.set_local_value(conn, HUB_KEY, str(hub_dir.resolve()))
    finally:
        conn.close()


def _forget_installation(conn: apsw.Connection) -> None:
    """Drop the facts about the installation a database was copied from. The audit key, the
    heads received from each site and the fact that the trail was anchored stay (the anchor
    file is copied with the database; the copied head was handed over first)."""
    keys = (THIS_SITE_KEY, CHAIN_KEY, INSTALLATION_KEY, HUB_KEY, LAST_SYNC_KEY, LAST_SYNCS_KEY)
    conn.execute(f"DELETE FROM local_state WHERE key IN ({', '.join('?' for _ in keys)})", keys)


def _copy_anchor(source_dir: Path, target_dir: Path) -> None:
    """The audit anchor file beside one database copied beside the other (none: nothing)."""
    source = source_dir / ANCHOR_NAME
    if source.is_file():
        temp = target_dir / f".{ANCHOR_NAME}.tmp"
        shutil.copyfile(source, temp)
        connection.fsync_file(temp)
        connection.replace_file(temp, target_dir / ANCHOR_NAME)


@dataclass(frozen=True)
class Registered:
    """An installation as the hub registered it (a row of ``installations``)."""

    installation_id: str
    site_id: str
    audit_chain: str
    label: str


def _register(
    conn: apsw.Connection, installation: str, site: str, chain: str, *, label: str, by: str = ""
) -> None:
    now = utc_now()
    conn.execute(
        "INSERT OR IGNORE INTO installations (id, created_at, updated_at, created_by, "
        "updated_by, site_id, version, audit_chain, label) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
        (installation, now, now, by or "sync", by or "sync", site, chain, label),
    )


def _site_taken(conn: apsw.Connection, site: str) -> int:
    """How many installations the hub knows at ``site``: those registered, and one more when
    the site's own chain is written by an installation not registered (made or joined before
    migration 0012: the chain has entries, or the site has synced)."""
    registered, first, used = _one(
        conn,
        "SELECT (SELECT count(*) FROM installations WHERE site_id = ?1), "
        "EXISTS (SELECT 1 FROM installations WHERE site_id = ?1 AND audit_chain = ?1), "
        "EXISTS (SELECT 1 FROM audit_log WHERE site_id = ?1) "
        "OR EXISTS (SELECT 1 FROM sync_bundles WHERE site_id = ?1)",
        site,
    )
    return int(registered) + (1 if used and not first else 0)


def _one(conn: apsw.Connection, sql: str, *params: str) -> tuple[Any, ...]:
    row = conn.execute(sql, params).fetchone()
    assert row is not None  # an aggregate query returns one row
    return tuple(row)


def _register_new(conn: apsw.Connection, site: str, by: str) -> Registered:
    """Register a new installation of ``site`` at the hub (in the caller's transaction, before
    the hub is copied for it, so its copy and its base hold the row and every other
    installation receives it at its next sync). The first installation of a site writes the
    site's audit chain; a further one (a second workstation at the main clinic) a chain of its
    own, keyed by its installation id, labelled "workstation N": its records still belong to
    the site, and its audit entries never collide with the other workstation's."""
    installation = uuid7()
    known = _site_taken(conn, site)
    if known == 0:
        chain, label = site, ""
    else:
        chain, label = installation, f"workstation {known + 1}"
    _register(conn, installation, site, chain, label=label, by=by)
    return Registered(installation, site, chain, label)


def hub_sites(hub_dir: Path, key: bytes) -> list[tuple[str, str]]:
    """(id, name) of the live sites in the hub's clinic."""
    hub = HubFolder(hub_dir)
    hub.check()
    conn = connection.connect(hub.database, key, wal=False)
    try:
        rows = conn.execute(
            "SELECT id, name FROM sites WHERE deleted_at IS NULL ORDER BY kind = 'satellite', "
            "created_at"
        ).fetchall()
    finally:
        conn.close()
    return [(str(r[0]), str(r[1])) for r in rows]


def user_role(hub_dir: Path, key: bytes, username: str) -> tuple[str, str] | None:
    """(id, role) of the active user ``username`` in the hub's clinic."""
    conn = connection.connect(HubFolder(hub_dir).database, key, wal=False)
    try:
        row = conn.execute(
            "SELECT id, role FROM users WHERE username = ? AND deleted_at IS NULL", (username,)
        ).fetchone()
    finally:
        conn.close()
    return None if row is None else (str(row[0]), str(row[1]))


def join_hub(
    hub_dir: Path, key: bytes, data_dir: Path, site_name: str, created_by: str = ""
) -> tuple[Registered, int]:
    """A new installation of the hub's clinic in ``data_dir`` (new or empty) for the site
    named ``site_name``: the hub's database, files and key ring, and its base copy. Returns
    the installation as the hub registered it (``_register_new``: a site that already has an
    installation gets a second workstation, with an audit chain of its own) and the files
    copied. A name that is none of the clinic's sites is refused with the list."""
    hub = HubFolder(hub_dir)
    hub.check()
    sites = hub_sites(hub_dir, key)
    wanted_name = site_name.strip().casefold()
    matches = [sid for sid, name in sites if name.casefold() == wanted_name]
    if not matches:
        names = ", ".join(name for _, name in sites)
        raise SyncError(
            f"The clinic has no site called {site_name!r}; its sites are: {names}. Add a new "
            "site at the main clinic first (Admin), sync, then join."
        )
    paths = Paths(data_dir)
    if any(p.exists() for p in (paths.database, paths.keyring, paths.photos_dir)):
        raise SyncError(
            f"The data folder {data_dir} already holds a clinic: join into a new or empty folder."
        )
    paths.ensure()
    temp = data_dir / "clinicdesk.db.tmp"
    snapshot = base_path(data_dir).with_name("base.db.tmp")
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    conn = connection.connect(hub.database, key, wal=False)
    try:
        with connection.transaction(conn):
            joined = _register_new(conn, matches[0], created_by)
    finally:
        conn.close()
    try:
        conn = connection.connect(hub.database, key, wal=False)
        try:
            connection.copy_into(conn, temp)
            connection.copy_into(conn, snapshot)
            wanted = referenced_files(conn)
        finally:
            conn.close()
        copied = files.copy_files(wanted, hub_dir, data_dir, key)
        shutil.copyfile(hub.keyring, paths.keyring)
        _copy_anchor(hub_dir, data_dir)
        connection.replace_file(snapshot, base_path(data_dir))
        _mark_replica(temp, key, hub_dir, site_id=matches[0], joined=joined, wal=False)
        connection.replace_file(temp, paths.database)
    except BaseException:
        _unregister(hub, key, joined.installation_id)  # a join that did not finish
        raise
    return joined, copied


def _unregister(hub: HubFolder, key: bytes, installation: str) -> None:
    """Take back the registration of an installation whose join did not finish, so the next
    attempt is not numbered as a further workstation (best effort: a row left names an
    installation that never synced)."""
    with contextlib.suppress(apsw.Error, SyncError):
        conn = connection.connect(hub.database, key, wal=False)
        try:
            with connection.transaction(conn):
                conn.execute("DELETE FROM installations WHERE id = ?", (installation,))
        finally:
            conn.close()
