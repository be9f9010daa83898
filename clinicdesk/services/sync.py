"""Sync as the command line runs it: signing in, permissions, audit, and the search index
around the sync engine (``clinicdesk.sync``).

The engine uses APSW, which brings its own SQLite library: this module is for the sync process
only (``clinicdesk sync``, ``hub create``, ``join``), never the GUI process, which runs
``clinicdesk sync --hub DIR --json`` as a child process instead (import-linter keeps
``clinicdesk.ui`` from importing this module). Within this process the clinic's ordinary
(sqlcipher3) connection is closed before the engine opens the database and opened again after
it has closed it, so the two libraries never hold the same file at once.

Entry points, each returning a result with ``to_json``:
``create_hub`` (admins), ``join_hub`` (an admin of the hub's clinic, by password or recovery
key), ``sync_with_hub``, ``export_bundle`` and ``import_bundle`` (admins and clinicians).
``progress(step, done, total)`` is called as the sync goes; ``cancelled()`` is polled between
files and steps (a cancelled sync stops cleanly; a killed one is completed by the next).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinicdesk.domain.ids import SiteId
from clinicdesk.domain.roles import Permission, Role
from clinicdesk.errors import PermissionDenied, UserError
from clinicdesk.paths import Paths
from clinicdesk.services.context import ClinicServices, SignedIn, open_clinic, unlock_clinic
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.database import open_database, write_transaction
from clinicdesk.storage.keys import KeyRing, WrongSecret
from clinicdesk.storage.migrations import known_migration_names, migrate, migrations
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.sync_state import SyncConflictRepository
from clinicdesk.sync import bundle, engine, hub
from clinicdesk.sync.engine import SyncResult

Progress = Callable[[str, int, int], None]
Cancelled = Callable[[], bool]

__all__ = ["SyncResult", "create_hub", "export_bundle", "import_bundle", "join_hub"]


# A password, or (the GUI's child process, given it on stdin) the data key itself.
Secret = str | bytes


def _with_key(paths: Paths, username: str, key: bytes) -> SignedIn:
    """The session of ``username`` (active) in a clinic opened with ``key``, as the window of
    a signed-in user hands it to its sync child: the database opens only with the clinic's key
    (anything else is refused, nothing changed)."""
    if not paths.keyring.exists():
        raise UserError("This data folder holds no clinic yet: create one first.")
    services = open_clinic(paths, data_key=key, keyring=KeyRing.load(paths.keyring))
    try:
        row = services.clinic.repo.user_by_name(username.strip().lower())
        if row is None or not row.active:
            raise UserError("The user name or data key is wrong.")
        return SignedIn(services, services.clinic.user(row.username))
    except BaseException:
        services.close()
        raise


def _signed_in(
    paths: Paths, username: str, password: Secret, permission: Permission
) -> tuple[CurrentUser, bytes]:
    """Sign in, check ``permission``, and close the ordinary connection again."""
    if isinstance(password, bytes):
        signed = _with_key(paths, username, password)
    else:
        signed = unlock_clinic(paths, username, password)
    try:
        require(signed.services.db, signed.user, permission, entity="sync")
        key = signed.services.data_key
        if key is None:
            raise UserError("Sync needs an encrypted clinic; sign in to the app once first.")
    finally:
        signed.services.close()
    return signed.user, key


def _after(
    paths: Paths,
    key: bytes,
    user: CurrentUser,
    action: str,
    detail: dict[str, Any],
    patients: set[str] | None = None,
    *,
    rebuild: bool = False,
) -> int:
    """Re-index the patients sync changed, audit ``action``, and return the open conflicts.
    The database's start-up check passed in this process moments ago (at sign-in, or when a
    joined copy was first opened): it is not run again (on a large clinic it costs more than a
    second)."""
    services: ClinicServices = open_clinic(
        paths, data_key=key, keyring=KeyRing.load(paths.keyring), checked=True
    )
    try:
        with write_transaction(services.db):
            repo = PatientRepository(services.db)
            if rebuild:
                repo.rebuild_search_index()
            elif patients:
                repo.reindex(sorted(patients))
            audit.append(services.db, user.actor, action, "sync", user.site_id, detail)
        return len(SyncConflictRepository(services.db).conflicts())
    finally:
        services.close()


@dataclass
class HubCreated:
    hub_dir: Path
    files: int

    def to_json(self) -> dict[str, Any]:
        return {"hub": str(self.hub_dir), "files": self.files}


def create_hub(paths: Paths, username: str, password: Secret, hub_dir: Path) -> HubCreated:
    """Make ``hub_dir`` the clinic's hub from this installation (administrators)."""
    user, key = _signed_in(paths, username, password, Permission.MANAGE_CLINIC)
    copied = hub.create_hub(paths.data_dir, key, hub_dir)
    _after(paths, key, user, "hub_create", {"files": copied})
    return HubCreated(hub_dir, copied)


@dataclass
class Joined:
    data_dir: Path
    site_id: str
    site_name: str
    files: int
    workstation: str = ""  # "workstation 2"...: a further installation at the site

    def to_json(self) -> dict[str, Any]:
        return {
            "data_dir": str(self.data_dir),
            "site_id": self.site_id,
            "site": self.site_name,
            "workstation": self.workstation,
            "files": self.files,
        }


def join_hub(
    paths: Paths,
    hub_dir: Path,
    username: str,
    site_name: str,
    *,
    password: str | None = None,
    recovery_key: str | None = None,
) -> Joined:
    """A new installation of the hub's clinic in ``paths.data_dir`` (new or empty), for the
    site ``site_name``: an administrator of that clinic unlocks it with their password (or the
    recovery key: then ``username`` must still name an administrator)."""
    folder = engine.HubFolder(hub_dir)
    folder.check()
    ring = KeyRing.load(folder.keyring)
    username = username.strip().lower()
    try:
        key = (
            ring.unlock_with_recovery_key(recovery_key)
            if recovery_key
            else ring.unlock(username, password or "")
        )
    except WrongSecret:
        raise UserError("The user name, password or recovery key is wrong. Try again.") from None
    found = hub.user_role(hub_dir, key, username)
    if found is None or found[1] != Role.ADMIN:
        raise PermissionDenied(
            f"Only an administrator of the hub's clinic can join it; {username!r} is not one."
        )
    joined, copied = hub.join_hub(hub_dir, key, paths.data_dir, site_name, found[0])
    site_id = joined.site_id
    services = open_clinic(paths, data_key=key, keyring=KeyRing.load(paths.keyring))
    try:
        actor_user = services.clinic.repo.user_by_name(username)
        assert actor_user is not None
        user = CurrentUser(
            actor_user.id, username, actor_user.display_name, Role.ADMIN, SiteId(site_id)
        )
        name = services.clinic.this_site().name
    finally:
        services.close()
    detail = {"site": site_id, "installation": joined.installation_id, "files": copied}
    _after(paths, key, user, "join", detail, rebuild=True)
    return Joined(paths.data_dir, site_id, name, copied, joined.label)


@dataclass
class SyncDone:
    result: SyncResult
    open_conflicts: int

    def to_json(self) -> dict[str, Any]:
        return {**self.result.to_json(), "open_conflicts": self.open_conflicts}


def bring_up_to_date(paths: Paths, key: bytes, hub_dir: Path | None) -> list[str]:
    """Bring the hub's database (``hub_dir``) and this installation's base copy of it to this
    version's schema, as signing in did for this installation's own database: after an update
    of ClinicDesk adds a migration, the first sync from an updated installation updates the
    hub (a backup of its database is taken first, in the hub's ``backups/``), and each
    installation's base copy at its next sync (its backup in ``sync/backups/``), so they sync
    on. Only a database whose
    migrations are all this version's, in order, is updated; any other (a newer ClinicDesk's)
    is left for the sync's schema check to name the side to update. Returns what was updated.
    Runs with the ordinary driver before the sync engine opens either file."""
    updated = []
    base = engine.base_path(paths.data_dir)
    copies = [(base, base.parent / "backups", "base")]
    if hub_dir is not None:
        folder = engine.HubFolder(hub_dir)
        copies.insert(0, (folder.database, folder.root / "backups", "hub"))
    known = known_migration_names()
    for database, backups, name in copies:
        if not database.is_file():
            continue  # no hub there (the sync says so), or not joined yet
        db = open_database(database, key, wal=False)
        try:
            applied = [m.name for m in migrations.applied(db)]
            if applied == known or applied != known[: len(applied)]:
                continue
            migrate(db, backups)
            updated.append(name)
        finally:
            db.close()
    return updated


def sync_with_hub(
    paths: Paths,
    username: str,
    password: Secret,
    hub_dir: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> SyncDone:
    """One sync with the hub at ``hub_dir`` (admins and clinicians): push, then pull."""
    user, key = _signed_in(paths, username, password, Permission.RUN_SYNC)
    bring_up_to_date(paths, key, hub_dir)
    result = engine.sync_with_hub(
        paths.data_dir,
        key,
        hub_dir,
        progress=progress or (lambda step, done, total: None),
        cancelled=cancelled or (lambda: False),
    )
    open_conflicts = _after(paths, key, user, "sync", result.to_json(), result.patients_changed)
    return SyncDone(result, open_conflicts)


def export_bundle(paths: Paths, username: str, password: Secret, dest_dir: Path) -> bundle.Exported:
    """This installation's changes, with their files, in one sealed bundle in ``dest_dir``."""
    user, key = _signed_in(paths, username, password, Permission.RUN_SYNC)
    bring_up_to_date(paths, key, None)
    exported = bundle.export_bundle(paths.data_dir, key, dest_dir)
    _after(paths, key, user, "sync_export", exported.to_json())
    return exported


@dataclass
class BundleRead:
    imported: bundle.Imported
    open_conflicts: int  # at this installation, after it

    def to_json(self) -> dict[str, Any]:
        return {**self.imported.to_json(), "open_conflicts": self.open_conflicts}


def import_bundle(
    paths: Paths, username: str, password: Secret, bundle_file: Path, hub_dir: Path | None
) -> BundleRead:
    """With ``hub_dir`` (at the hub's PC): apply a replica's bundle to the hub and write the
    reply bundle beside it. Without (at the replica): take a reply bundle's changes."""
    user, key = _signed_in(paths, username, password, Permission.RUN_SYNC)
    bring_up_to_date(paths, key, hub_dir)
    if hub_dir is not None:
        imported = bundle.apply_to_hub(hub_dir, key, bundle_file)
    else:
        imported = bundle.take_reply(paths.data_dir, key, bundle_file)
    open_conflicts = _after(
        paths, key, user, "sync_import", imported.to_json(), imported.patients_changed
    )
    return BundleRead(imported, open_conflicts)
