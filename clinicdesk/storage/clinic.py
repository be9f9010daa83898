"""Sites, users, clinic settings and this installation's own facts, in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinicdesk.domain.ids import SiteId, UserId
from clinicdesk.domain.patient_numbers import site_prefix
from clinicdesk.storage.database import Database
from clinicdesk.storage.records import Actor, insert_record, set_archived, update_record

THIS_SITE_KEY = "this_site_id"
LAST_SIGN_IN_SQL = (
    "SELECT at FROM audit_log WHERE entity = 'user' AND entity_id = ? "
    "AND action = 'login' ORDER BY rowid DESC LIMIT 1"
)


@dataclass(frozen=True)
class SiteRow:
    id: SiteId
    name: str
    kind: str
    number_prefix: str = ""
    address: str = ""
    version: int = 1


@dataclass(frozen=True)
class UserRow:
    id: UserId
    username: str
    display_name: str
    role: str
    password_hash: str
    registration_number: str
    version: int
    active: bool
    must_change_password: bool = False


class ClinicRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- this installation ----------------------------------------------------------------

    def local(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM local_state WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_local(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO local_state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def is_initialised(self) -> bool:
        return "local_state" in self.db.table_names() and self.local(THIS_SITE_KEY) is not None

    # -- sites ----------------------------------------------------------------------------

    def add_site(self, name: str, kind: str, actor: Actor, *, site_id: str | None = None) -> SiteId:
        """A new site, with a patient-number prefix no other site has."""
        taken = [str(r[0]) for r in self.db.execute("SELECT number_prefix FROM sites")]
        values = {"name": name, "kind": kind, "number_prefix": site_prefix(name, taken)}
        return SiteId(insert_record(self.db, "sites", values, actor, record_id=site_id))

    def sites(self) -> list[SiteRow]:
        rows = self.db.execute(
            "SELECT id, name, kind, number_prefix, address, version FROM sites "
            "WHERE deleted_at IS NULL ORDER BY kind = 'satellite', created_at"
        )
        return [SiteRow(SiteId(r[0]), *r[1:]) for r in rows]

    def set_site_address(self, site: SiteRow, address: str, actor: Actor) -> bool:
        return update_record(self.db, "sites", site.id, site.version, {"address": address}, actor)

    def site_exists(self, site_id: str) -> bool:
        """Whether ``site_id`` is one of the clinic's live (not archived) sites."""
        row = self.db.execute(
            "SELECT 1 FROM sites WHERE id = ? AND deleted_at IS NULL", [site_id]
        ).fetchone()
        return row is not None

    # -- users ----------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        display_name: str,
        role: str,
        password_hash: str,
        actor: Actor,
        *,
        user_id: str | None = None,
        registration_number: str = "",
        must_change_password: bool = False,
    ) -> UserId:
        values: dict[str, str | int] = {
            "username": username,
            "display_name": display_name,
            "role": role,
            "password_hash": password_hash,
            "registration_number": registration_number,
            "must_change_password": int(must_change_password),
        }
        return UserId(insert_record(self.db, "users", values, actor, record_id=user_id))

    def _user(self, where: str, value: str) -> UserRow | None:
        row = self.db.execute(
            "SELECT id, username, display_name, role, password_hash, registration_number, "
            f"version, deleted_at, must_change_password FROM users WHERE {where} = ?",
            [value],
        ).fetchone()
        if row is None:
            return None
        uid, username, display, role, pw_hash, registration, version, deleted, must_change = row
        return UserRow(
            UserId(uid),
            username,
            display,
            role,
            pw_hash,
            registration,
            version,
            deleted is None,
            bool(must_change),
        )

    def user_by_name(self, username: str) -> UserRow | None:
        return self._user("username", username)

    def user_by_id(self, user_id: str) -> UserRow | None:
        return self._user("id", user_id)

    def users(self) -> list[UserRow]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM users ORDER BY username")]
        return [u for u in (self.user_by_id(i) for i in ids) if u is not None]

    def set_password_hash(
        self,
        user: UserRow,
        password_hash: str,
        actor: Actor,
        *,
        must_change_password: bool | None = None,
    ) -> bool:
        """A new password; ``must_change_password`` None leaves the flag as it is."""
        values: dict[str, str | int] = {"password_hash": password_hash}
        if must_change_password is not None:
            values["must_change_password"] = int(must_change_password)
        return update_record(self.db, "users", user.id, user.version, values, actor)

    def last_sign_in(self, user_id: str) -> str | None:
        """When ``user_id`` last signed in (UTC, ISO 8601), from the audit trail's ``login``
        entries; None if never. The ``audit_by_entity`` index finds the account's entries and
        rowid order is the order they were written, so this reads back from the newest entry
        to the first sign-in (usually the newest itself) instead of scanning the trail."""
        row = self.db.execute(LAST_SIGN_IN_SQL, [user_id]).fetchone()
        return None if row is None else str(row[0])

    def update_user(self, user: UserRow, values: dict[str, str], actor: Actor) -> bool:
        """Change ``role``, ``display_name`` or ``registration_number`` if still at its version."""
        return update_record(self.db, "users", user.id, user.version, values, actor)

    def set_user_disabled(self, user: UserRow, disabled: bool, actor: Actor) -> bool:
        """Disable (``deleted_at`` set) or enable an account; users are never deleted."""
        return set_archived(self.db, "users", user.id, user.version, disabled, actor)

    def active_admin_ids(self) -> list[UserId]:
        rows = self.db.execute(
            "SELECT id FROM users WHERE role = 'admin' AND deleted_at IS NULL ORDER BY id"
        )
        return [UserId(r[0]) for r in rows]

    # -- settings -------------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        row = self.db.execute(
            "SELECT value FROM settings WHERE key = ? AND deleted_at IS NULL", [key]
        ).fetchone()
        return None if row is None else str(row[0])

    def setting_changed_at(self, key: str) -> str | None:
        """When the setting was last set (ISO UTC), or ``None`` if it never was."""
        row = self.db.execute(
            "SELECT updated_at FROM settings WHERE key = ? AND deleted_at IS NULL", [key]
        ).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str, actor: Actor) -> None:
        row: Any = self.db.execute(
            "SELECT id, version FROM settings WHERE key = ?", [key]
        ).fetchone()
        if row is None:
            insert_record(self.db, "settings", {"key": key, "value": value}, actor)
        else:
            update_record(self.db, "settings", row[0], row[1], {"value": value}, actor)
