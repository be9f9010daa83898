"""Staff accounts: what an administrator does to them, and what each person does to their own.

Administrators (``MANAGE_CLINIC``) list accounts, create them, change a role, disable and
enable an account and set a new password for someone who forgot theirs. Accounts are never
deleted, because the audit trail names them: disabling sets ``deleted_at``, and sign-in refuses
a disabled account. The clinic always keeps at least one active administrator, and nobody
disables, demotes or resets themselves through the admin screen (that is how an administrator
locks themselves out by accident); everyone changes their own password by giving the old one.

Each change is written with its audit entry in one transaction and carries the version the
administrator saw, so two administrators editing one account cannot overwrite each other. When
a password is set (new account, reset, own change) ``on_password_set`` runs inside that same
transaction: the encryption layer re-wraps the clinic's data key for the new password there, so
the password and the key that it opens change together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from clinicdesk.domain.checks import clean_name
from clinicdesk.domain.ids import UserId
from clinicdesk.domain.roles import Permission, Role
from clinicdesk.errors import ConcurrentEdit, NotFound, UserError, ValidationError
from clinicdesk.services.clinic import (
    hash_password,
    validate_password,
    validate_username,
    verify_password,
)
from clinicdesk.services.lockout import LoginThrottle
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinic import ClinicRepository, UserRow
from clinicdesk.storage.database import Database, write_transaction

# (id of the account whose password was set, its user name, the new password)
PasswordSetHook = Callable[[UserId, str, str], None]


@dataclass(frozen=True)
class UserAccount:
    """A staff account as the admin screen shows it; never carries the password hash."""

    id: UserId
    username: str
    display_name: str
    role: Role
    registration_number: str  # GMC / NMC / GDC number; required for clinicians
    active: bool
    version: int
    # The account still has a password an administrator set (it must choose its own).
    must_change_password: bool = False
    # When the account last signed in (UTC, ISO 8601), None if never; filled by list_users.
    last_sign_in: str | None = None


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    role: Role
    password: str
    registration_number: str = ""


def _account(row: UserRow, last_sign_in: str | None = None) -> UserAccount:
    return UserAccount(
        row.id,
        row.username,
        row.display_name,
        Role(row.role),
        row.registration_number,
        row.active,
        row.version,
        row.must_change_password,
        last_sign_in,
    )


def _registration(value: str, role: Role, errors: dict[str, str]) -> str:
    number = clean_name("registration_number", value, errors, required=False)
    if role is Role.CLINICIAN and not number and "registration_number" not in errors:
        errors["registration_number"] = "is required for clinicians (GMC, NMC or GDC number)"
    return number


class UserService:
    def __init__(
        self,
        db: Database,
        *,
        throttle: LoginThrottle | None = None,
        on_password_set: PasswordSetHook | None = None,
        on_disabled: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.repo = ClinicRepository(db)
        self.throttle = throttle
        self.on_password_set = on_password_set
        # Called with the user name after an account is disabled: the key ring drops that
        # user's slot, so a former colleague's password no longer opens a copy of the files.
        self.on_disabled = on_disabled

    def require_admin(self, acting: CurrentUser) -> None:
        """Raise ``PermissionDenied`` (audited) unless ``acting`` may manage accounts."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user")

    # -- reading --------------------------------------------------------------------------

    def list_users(self, acting: CurrentUser) -> list[UserAccount]:
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user")
        return [self._view(row) for row in self.repo.users()]

    def account(self, acting: CurrentUser, username: str) -> UserAccount:
        """One account by user name (for the command line)."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user")
        row = self.repo.user_by_name(username.strip().lower())
        if row is None:
            raise NotFound(f"There is no user called {username.strip()!r}.")
        return self._view(row)

    # -- administrator operations ---------------------------------------------------------

    def create_user(self, acting: CurrentUser, new: NewUser) -> UserAccount:
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user")
        errors: dict[str, str] = {}
        name = validate_username(new.username, errors, "username")
        display = clean_name("display_name", new.display_name or name, errors, required=True)
        registration = _registration(new.registration_number, new.role, errors)
        validate_password(new.password, errors, "password")
        if name and "username" not in errors and self.repo.user_by_name(name) is not None:
            errors["username"] = "is already taken (a disabled account keeps its name)"
        if errors:
            raise ValidationError(errors)
        password_hash = hash_password(new.password)  # slow on purpose: outside the transaction
        with write_transaction(self.db):
            user_id = self.repo.add_user(
                name,
                display,
                new.role,
                password_hash,
                acting.actor,
                registration_number=registration,
                must_change_password=True,  # the administrator knows this password
            )
            audit.append(self.db, acting.actor, "create", "user", user_id, {"role": new.role.value})
            self._password_set(user_id, name, new.password)
            return self._view(self._row(user_id))

    def change_role(
        self,
        acting: CurrentUser,
        account: UserAccount,
        role: Role,
        registration_number: str | None = None,
    ) -> UserAccount:
        """Give ``account`` another role; ``registration_number`` None keeps the current one."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user", entity_id=account.id)
        if account.id == acting.id:
            raise UserError("You cannot change your own role. Ask another administrator to do it.")
        errors: dict[str, str] = {}
        if registration_number is None:
            registration_number = account.registration_number
        registration = _registration(registration_number, role, errors)
        if errors:
            raise ValidationError(errors)
        with write_transaction(self.db):
            current = self._current(account)
            if (current.role, current.registration_number) == (role.value, registration):
                return self._view(current)
            if Role(current.role) is Role.ADMIN and role is not Role.ADMIN:
                self._keep_an_admin(current, "change the role of")
            values = {"role": role.value, "registration_number": registration}
            if not self.repo.update_user(current, values, acting.actor):
                raise ConcurrentEdit("user account", account, self._view(current))
            audit.append(
                self.db,
                acting.actor,
                "update",
                "user",
                account.id,
                {"role": role.value, "previous_role": current.role},
            )
            return self._view(self._row(account.id))

    def disable_user(self, acting: CurrentUser, account: UserAccount) -> UserAccount:
        """Stop ``account`` signing in; its name stays in the audit trail and its records."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user", entity_id=account.id)
        if account.id == acting.id:
            raise UserError("You cannot disable your own account while signed in with it.")
        with write_transaction(self.db):
            current = self._current(account)
            if not current.active:
                return self._view(current)
            if Role(current.role) is Role.ADMIN:
                self._keep_an_admin(current, "disable")
            if not self.repo.set_user_disabled(current, True, acting.actor):
                raise ConcurrentEdit("user account", account, self._view(current))
            audit.append(self.db, acting.actor, "disable", "user", account.id, {})
            disabled = self._view(self._row(account.id))
        if self.on_disabled is not None:
            self.on_disabled(current.username)
        return disabled

    def enable_user(self, acting: CurrentUser, account: UserAccount) -> UserAccount:
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user", entity_id=account.id)
        with write_transaction(self.db):
            current = self._current(account)
            if current.active:
                return self._view(current)
            if not self.repo.set_user_disabled(current, False, acting.actor):
                raise ConcurrentEdit("user account", account, self._view(current))
            audit.append(self.db, acting.actor, "enable", "user", account.id, {})
            return self._view(self._row(account.id))

    def reset_password(
        self, acting: CurrentUser, account: UserAccount, new_password: str
    ) -> UserAccount:
        """Set a new password for someone who forgot theirs; they must choose their own at
        their next sign-in, before anything else."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user", entity_id=account.id)
        if account.id == acting.id:
            raise UserError(
                "To change your own password use File > Change my password, "
                "which asks for the current one."
            )
        errors: dict[str, str] = {}
        validate_password(new_password, errors, "password")
        if errors:
            raise ValidationError(errors)
        password_hash = hash_password(new_password)
        with write_transaction(self.db):
            current = self._current(account)
            if not self.repo.set_password_hash(
                current, password_hash, acting.actor, must_change_password=True
            ):
                raise ConcurrentEdit("user account", account, self._view(current))
            audit.append(self.db, acting.actor, "reset_password", "user", account.id, {})
            self._password_set(current.id, current.username, new_password)
            saved = self._view(self._row(account.id))
        if self.throttle is not None:
            # The person can sign in at once with the password the administrator gave them.
            self.throttle.record_success(current.username)
        return saved

    # -- everyone -------------------------------------------------------------------------

    def change_own_password(
        self, user: CurrentUser, old_password: str, new_password: str
    ) -> CurrentUser:
        """Change the signed-in user's password; the old one must be given (a walk-up guard).

        A wrong old password counts as a failed sign-in: the same growing wait applies, so this
        form is no way round it. Returns the signed-in user as they are now: a password the
        administrator set no longer needs changing.
        """
        if self.throttle is not None:
            self.throttle.check(user.username)
        row = self._row(user.id)
        if not row.active:
            raise UserError("This account has been disabled; ask an administrator.")
        errors: dict[str, str] = {}
        if not verify_password(row.password_hash, old_password):
            if self.throttle is not None:
                self.throttle.record_failure(user.username, audited=True)  # audited just below
            with write_transaction(self.db):
                audit.append(self.db, user.actor, "change_password_failed", "user", user.id, {})
            raise ValidationError({"old_password": "is not your current password"})
        validate_password(new_password, errors, "new_password")
        if not errors and new_password == old_password:
            errors["new_password"] = "must be different from the current one"
        if errors:
            raise ValidationError(errors)
        password_hash = hash_password(new_password)
        with write_transaction(self.db):
            current = self._row(user.id)
            if current.version != row.version:
                raise ConcurrentEdit("user account", None, self._view(current))
            if not self.repo.set_password_hash(
                current, password_hash, user.actor, must_change_password=False
            ):
                raise ConcurrentEdit("user account", None, self._view(current))
            audit.append(self.db, user.actor, "change_password", "user", user.id, {})
            self._password_set(user.id, current.username, new_password)
        if self.throttle is not None:
            self.throttle.record_success(user.username)
        return replace(user, must_change_password=False)

    # -- helpers --------------------------------------------------------------------------

    def _view(self, row: UserRow) -> UserAccount:
        """The account as the admin screen shows it, with when it last signed in."""
        return _account(row, self.repo.last_sign_in(row.id))

    def _row(self, user_id: str) -> UserRow:
        row = self.repo.user_by_id(user_id)
        if row is None:
            raise NotFound("That user account does not exist.")
        return row

    def _current(self, account: UserAccount) -> UserRow:
        """The stored row, refusing if someone changed it since ``account`` was read."""
        current = self._row(account.id)
        if current.version != account.version:
            raise ConcurrentEdit("user account", account, self._view(current))
        return current

    def _keep_an_admin(self, row: UserRow, verb: str) -> None:
        if [i for i in self.repo.active_admin_ids() if i != row.id]:
            return
        raise UserError(
            f"You cannot {verb} {row.display_name}: they are the clinic's last active "
            "administrator. Make someone else an administrator first."
        )

    def _password_set(self, user_id: UserId, username: str, password: str) -> None:
        if self.on_password_set is not None:
            self.on_password_set(user_id, username, password)
