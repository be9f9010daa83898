"""Creating the clinic, signing in, and the clinic's sites and users."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from clinicdesk.domain.checks import clean_name
from clinicdesk.domain.ids import SiteId, UserId, uuid7
from clinicdesk.domain.roles import Permission, Role
from clinicdesk.errors import AuthenticationFailed, UserError, ValidationError
from clinicdesk.services.lockout import FailedSignIns, LoginThrottle
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinic import THIS_SITE_KEY, ClinicRepository, SiteRow, UserRow
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.records import Actor

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
CLINIC_NAME_KEY = "clinic_name"
# Minutes without keyboard or mouse input before the window locks (DESIGN.md "Security model").
IDLE_LOCK_MINUTES_KEY = "idle_lock_minutes"
IDLE_LOCK_MINUTES_DEFAULT = 5
IDLE_LOCK_MINUTES_MAX = 24 * 60
# Days between the consent discussion and the earliest treatment (CLINICAL.md "Consent").
COOLING_OFF_DAYS_KEY = "cooling_off_days"
# Made with the first password checked (``_password_hasher``), not at start-up: the main window
# of a session already signed in has no use for argon2. Tests put a cheap one here.
_hasher: PasswordHasher | None = None


def _password_hasher() -> PasswordHasher:
    """argon2id with the parameters RELIABILITY.md row 12 expects
    ($argon2id$v=19$m=65536,t=3,p=4)."""
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
    return _hasher


def hash_password(password: str) -> str:
    return _password_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the stored argon2 hash (False for a damaged hash)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class NewClinic:
    clinic_name: str
    main_site: str
    satellite_sites: Sequence[str]
    admin_username: str
    admin_display_name: str
    admin_password: str


def validate_username(value: str, errors: dict[str, str], field: str = "admin_username") -> str:
    name = clean_name(field, value, errors).lower()
    if name and (not name.replace(".", "").replace("-", "").replace("_", "").isalnum()):
        errors[field] = "may contain only letters, digits, dots, dashes and underscores"
    return name


def validate_password(value: str, errors: dict[str, str], field: str = "admin_password") -> None:
    if len(value) < MIN_PASSWORD_LENGTH:
        errors[field] = f"must be at least {MIN_PASSWORD_LENGTH} characters"


def cooling_off_days_of(repo: ClinicRepository) -> int:
    """The cooling-off setting; the default (14) if unset or not a whole number from 0 to 60
    (a damaged setting must not shorten the time a patient gets to reflect)."""
    # Imported here: the consent rules (and the clinical records they bring) are not needed
    # to open the clinic and show the patient list.
    from clinicdesk.domain.consent import COOLING_OFF_DAYS_DEFAULT, COOLING_OFF_DAYS_MAX

    value = (repo.setting(COOLING_OFF_DAYS_KEY) or "").strip()
    if value.isdecimal() and value.isascii() and 0 <= int(value) <= COOLING_OFF_DAYS_MAX:
        return int(value)
    return COOLING_OFF_DAYS_DEFAULT


def save_setting(
    db: Database,
    settings: ClinicRepository,
    acting: CurrentUser,
    key: str,
    value: str,
    detail: Mapping[str, Any],
) -> None:
    """Write one of the clinic's settings and its audit entry (an "update" of setting ``key``,
    ``detail`` saying to what) in one transaction; the caller has checked the permission and
    the value."""
    with write_transaction(db):
        settings.set_setting(key, value, acting.actor)
        audit.append(db, acting.actor, "update", "setting", key, detail)


class ClinicService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.repo = ClinicRepository(db)
        # Called with (username, password) whenever a password is set, so the data key gets
        # wrapped for it (ClinicServices.set_key_slot); None for an unencrypted database.
        self.on_password_set: Callable[[str, str], None] | None = None
        # Counts failed sign-ins outside the database (set by open_clinic; see lockout).
        self.throttle: LoginThrottle | None = None

    def is_initialised(self) -> bool:
        return self.repo.is_initialised()

    def clinic_name(self) -> str:
        return self.repo.setting(CLINIC_NAME_KEY) or ""

    def idle_lock_minutes(self) -> int:
        """The clinic's idle time before the window locks; the default if unset or not a whole
        number of minutes from 1 to a day (a damaged setting must not turn the lock off)."""
        value = (self.repo.setting(IDLE_LOCK_MINUTES_KEY) or "").strip()
        minutes = int(value) if value.isdecimal() and value.isascii() else 0
        return minutes if 1 <= minutes <= IDLE_LOCK_MINUTES_MAX else IDLE_LOCK_MINUTES_DEFAULT

    def set_idle_lock_minutes(self, acting: CurrentUser, minutes: int) -> int:
        """Change how long the window waits before locking (administrators only; audited)."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="setting")
        if not 1 <= minutes <= IDLE_LOCK_MINUTES_MAX:
            raise ValidationError(
                {"idle_lock_minutes": f"must be from 1 to {IDLE_LOCK_MINUTES_MAX} minutes"}
            )
        save_setting(
            self.db, self.repo, acting, IDLE_LOCK_MINUTES_KEY, str(minutes), {"minutes": minutes}
        )
        return minutes

    def cooling_off_days(self) -> int:
        """The clinic's cooling-off period in days (see ``cooling_off_days_of``)."""
        return cooling_off_days_of(self.repo)

    def set_cooling_off_days(self, acting: CurrentUser, days: int) -> int:
        """Change the cooling-off period, 0 to 60 days (administrators only; audited)."""
        from clinicdesk.domain.consent import check_cooling_off_days

        require(self.db, acting, Permission.MANAGE_CLINIC, entity="setting")
        check_cooling_off_days(days)
        save_setting(self.db, self.repo, acting, COOLING_OFF_DAYS_KEY, str(days), {"days": days})
        return days

    def this_site(self) -> SiteRow:
        site_id = self.repo.local(THIS_SITE_KEY)
        for site in self.repo.sites():
            if site.id == site_id:
                return site
        raise UserError("This installation is not set up yet: create the clinic first.")

    def sites(self) -> list[SiteRow]:
        return self.repo.sites()

    def create_clinic(self, clinic: NewClinic, *, this_site_index: int = 0) -> CurrentUser:
        """Create the clinic, its sites and the first admin; this install becomes one site."""
        if self.is_initialised():
            raise UserError("This data folder already holds a clinic; nothing was changed.")
        errors: dict[str, str] = {}
        name = clean_name("clinic_name", clinic.clinic_name, errors)
        main = clean_name("main_site", clinic.main_site, errors)
        satellites = [
            s
            for i, raw in enumerate(clinic.satellite_sites)
            if (s := clean_name(f"satellite_sites[{i}]", raw, errors, required=False))
        ]
        username = validate_username(clinic.admin_username, errors)
        display = clean_name("admin_display_name", clinic.admin_display_name or username, errors)
        validate_password(clinic.admin_password, errors)
        if errors:
            raise ValidationError(errors)
        admin_id, main_id = UserId(uuid7()), SiteId(uuid7())
        actor = Actor(admin_id, main_id)
        password_hash = hash_password(clinic.admin_password)
        with write_transaction(self.db):
            self.repo.add_site(main, "main", actor, site_id=main_id)
            site_ids = [main_id]
            for satellite in satellites:
                site_ids.append(self.repo.add_site(satellite, "satellite", actor))
            this_site = site_ids[min(this_site_index, len(site_ids) - 1)]
            self.repo.add_user(
                username, display, Role.ADMIN, password_hash, actor, user_id=admin_id
            )
            self.repo.set_setting(CLINIC_NAME_KEY, name, actor)
            self.repo.set_local(THIS_SITE_KEY, this_site)
            audit.append(
                self.db, actor, "create_clinic", "clinic", main_id, {"sites": len(site_ids)}
            )
        log.info("clinic created with %d site(s)", len(site_ids))
        return CurrentUser(admin_id, username, display, Role.ADMIN, this_site)

    def login(self, username: str, password: str) -> CurrentUser:
        """Check the password; audit success and failure alike.

        With a throttle (the app always has one), a user name with 5 failures in a row must
        wait a growing delay before the next try (``LoginDelayed``), and failures counted
        while the database was still locked (wrong passwords at sign-in) are written to the
        audit trail by the next good sign-in.
        """
        name = username.strip().lower()
        if self.throttle is not None:
            self.throttle.check(name)
        site = self.this_site()
        user = self.repo.user_by_name(name)
        ok = False
        if user is not None and user.active:
            ok = verify_password(user.password_hash, password)
        earlier = None
        if self.throttle is not None:
            if ok:
                earlier = self.throttle.record_success(name)
            else:
                self.throttle.record_failure(name, audited=True)  # audited just below
        events: list[audit.Event] = []
        if not ok:
            actor = Actor(user.id if user else "unknown", site.id)
            events.append((actor, "login_failed", "user", user.id if user else "", {}))
        else:
            assert user is not None
            actor = Actor(user.id, site.id)
            if earlier is not None:
                events.extend(self._earlier_failures(actor, user.id, earlier))
            events.append((actor, "login", "user", user.id, {}))
        # With the disk full the entries wait in memory and the sign-in goes on, for reading
        # (RELIABILITY row 26): refusing it would lock everyone out of the records.
        written = audit.record_all(self.db, events)
        if (
            written
            and ok
            and user is not None
            and self.db.read_only is None
            and _password_hasher().check_needs_rehash(user.password_hash)
        ):
            with write_transaction(self.db):
                self.repo.set_password_hash(user, hash_password(password), actor)
        if not ok or user is None:
            raise AuthenticationFailed("The user name or password is wrong. Try again.")
        return self._current(user, site.id)

    def _earlier_failures(
        self, actor: Actor, user_id: str, earlier: FailedSignIns
    ) -> list[audit.Event]:
        # One entry per failed try, as if written at the time (the time is in the detail).
        when = datetime.fromtimestamp(earlier.last_failure_at, UTC).isoformat(
            timespec="milliseconds"
        )
        events: list[audit.Event] = [
            (
                actor,
                "login_failed",
                "user",
                user_id,
                {"recorded_late": True, "attempt": number, "last_failure_at": when},
            )
            for number in range(1, earlier.unaudited + 1)
        ]
        if earlier.refused:
            events.append(
                (
                    actor,
                    "login_delayed",
                    "user",
                    user_id,
                    {"refused_tries": earlier.refused, "last_failure_at": when},
                )
            )
        return events

    def _current(self, user: UserRow, site_id: SiteId) -> CurrentUser:
        return CurrentUser(
            user.id,
            user.username,
            user.display_name,
            Role(user.role),
            site_id,
            must_change_password=user.must_change_password,
        )

    def user(self, username: str) -> CurrentUser:
        """The acting user for trusted local automation (tests, demo data) without a password."""
        row = self.repo.user_by_name(username)
        if row is None:
            raise UserError(f"There is no user called {username!r}.")
        return self._current(row, self.this_site().id)

    def add_user(
        self,
        acting: CurrentUser,
        username: str,
        display_name: str,
        role: Role,
        password: str,
        registration_number: str = "",
    ) -> CurrentUser:
        """An account for trusted set-up code (tests, benchmarks): unlike Admin > Users
        (``UserService.create_user``) it does not ask the new user to change the password."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="user")
        errors: dict[str, str] = {}
        name = validate_username(username, errors, "username")
        display = clean_name("display_name", display_name or name, errors)
        registration = clean_name(
            "registration_number", registration_number, errors, required=False
        )
        validate_password(password, errors, "password")
        if name and self.repo.user_by_name(name) is not None:
            errors["username"] = "is already taken"
        if errors:
            raise ValidationError(errors)
        password_hash = hash_password(password)
        with write_transaction(self.db):
            user_id = self.repo.add_user(
                name,
                display,
                role,
                password_hash,
                acting.actor,
                registration_number=registration,
            )
            audit.append(self.db, acting.actor, "create", "user", user_id, {"role": role.value})
        self.password_set(name, password)
        return CurrentUser(user_id, name, display, role, acting.site_id)

    def recover_password(self, username: str, new_password: str) -> CurrentUser:
        """After the recovery key opened the clinic: give an administrator a new password.

        Other users' forgotten passwords are reset by an administrator instead.
        """
        site = self.this_site()
        user = self.repo.user_by_name(username)
        if user is None or not user.active or user.role != Role.ADMIN:
            raise ValidationError({"username": "is not an active administrator of this clinic"})
        errors: dict[str, str] = {}
        validate_password(new_password, errors, "password")
        if errors:
            raise ValidationError(errors)
        actor = Actor(user.id, site.id)
        with write_transaction(self.db):
            # The administrator chose this password themselves: no change is asked for.
            if not self.repo.set_password_hash(
                user, hash_password(new_password), actor, must_change_password=False
            ):
                raise UserError("The account changed while recovering; try again.")
            audit.append(self.db, actor, "password_recovered", "user", user.id, {})
        self.password_set(user.username, new_password)
        return self._current(self.repo.user_by_name(user.username) or user, site.id)

    def password_set(self, username: str, password: str) -> None:
        """Tell the key ring that ``username`` now has ``password`` (after the commit: a key
        slot for a user the database does not have would be harmless, the reverse not)."""
        if self.on_password_set is not None:
            self.on_password_set(username, password)
