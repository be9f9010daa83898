"""Everything a front end needs for one clinic data folder: the open database and the services.

``open_clinic`` opens the database, refuses one that is newer than this program, takes a backup
and migrates an older one, and builds the services around the one connection. Before migrating
it checks the file's structure: a damaged file is neither backed up (a copy of the damage is
no use for a restore) nor changed; the person is told to restore the latest good backup.

Front ends reach it through ``create_clinic_storage`` (a new clinic: a random data key, the
encrypted database, the key ring and the recovery key), ``unlock_clinic`` (sign-in: the password
unwraps the data key; failures are counted outside the still-locked database) and
``recover_access`` (the recovery key gives an administrator a new password).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from clinicdesk.errors import AuthenticationFailed, UserError
from clinicdesk.paths import Paths
from clinicdesk.services.clinic import ClinicService, NewClinic
from clinicdesk.services.lockout import LoginThrottle
from clinicdesk.services.patients import PatientService
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit
from clinicdesk.storage.database import (
    Database,
    NotClinicDatabase,
    StorageError,
    check_database,
    claim_database,
    damaged_database_message,
    encrypt_in_place,
    is_encrypted,
    open_database,
    read_only_reason,
)
from clinicdesk.storage.keys import (
    KeyRing,
    KeyRingError,
    WrongSecret,
    new_data_key,
    password_stamp,
)
from clinicdesk.storage.migrations import migrate, pending_migration_names

# Built on first use, each imported then (with the domain and storage modules it brings):
# opening the clinic and showing the patient list need only the clinic and patient services.
if TYPE_CHECKING:
    from clinicdesk.services.assessments import AssessmentService
    from clinicdesk.services.clinic_details import ClinicDetailsService
    from clinicdesk.services.clinical import ClinicalService
    from clinicdesk.services.consents import ConsentService
    from clinicdesk.services.documents import DocumentService
    from clinicdesk.services.outcomes import OutcomesService
    from clinicdesk.services.photo_grading import PhotoGradingService
    from clinicdesk.services.photos import PhotoService
    from clinicdesk.services.reports import ReportService
    from clinicdesk.services.response_settings import ResponseSettings
    from clinicdesk.services.retention import RetentionService
    from clinicdesk.services.start_up_check import StartUpCheck
    from clinicdesk.services.subject_access import SubjectAccessService
    from clinicdesk.services.users import UserService

log = logging.getLogger(__name__)


@dataclass
class ClinicServices:
    paths: Paths  # a background job opens its own connection from these
    db: Database
    clinic: ClinicService
    patients: PatientService
    backup_before_migration: Path | None = None
    # The clinic's data key, held in memory while someone is signed in (background jobs open
    # their own connections with it), and the key ring it is wrapped in.
    data_key: bytes | None = None
    keyring: KeyRing | None = None
    # The start-up check still to run on a worker (``open_clinic(..., defer_check=True)``;
    # writes are held until it passes), or None.
    start_up_check: StartUpCheck | None = None
    # Set by ``close``: work a window put off until it was up (its list's count) is dropped.
    closed: bool = False

    def set_key_slot(self, username: str, password: str) -> None:
        """Wrap the data key for ``username``'s (new) password, so they can sign in."""
        if self.data_key is None or self.keyring is None:
            return  # an unencrypted database (tests of storage only) has no key ring
        # Stamped with the password's hash as the users row now holds it: sync carries the
        # slot to every installation whose row holds the same (KeyRing.take_slots).
        row = self.db.execute(
            "SELECT password_hash FROM users WHERE username = ?", [username]
        ).fetchone()
        stamp = password_stamp(str(row[0])) if row is not None else ""
        self.keyring.set_password(username, password, self.data_key, stamp)
        self.keyring.save()

    def remove_key_slot(self, username: str) -> None:
        """``username`` can no longer unwrap the data key (their account was disabled); an
        administrator's password reset gives them a new slot if they are enabled again."""
        if self.keyring is None:
            return
        self.keyring.remove_user(username)
        self.keyring.save()

    @cached_property
    def assessments(self) -> AssessmentService:
        from clinicdesk.services.assessments import AssessmentService

        return AssessmentService(self.db, self.patients.today)

    @cached_property
    def clinical(self) -> ClinicalService:
        """Consultations, treatments, adverse events, follow-ups and the lot look-up."""
        from clinicdesk.services.clinical import ClinicalService

        return ClinicalService(self.db, self.patients.today)

    @cached_property
    def consents(self) -> ConsentService:
        """Consent records (signed forms sealed in ``paths.consent_files_dir``) and the log of
        documents made for patients."""
        from clinicdesk.services.consents import ConsentService

        return ConsentService(self.db, self.paths, self.data_key, self.patients.today)

    @cached_property
    def photos(self) -> PhotoService:
        """Treatment photos: files in ``paths.photos_dir``, sealed with the data key's subkey."""
        from clinicdesk.services.photos import PhotoService

        return PhotoService(self.db, self.paths, self.data_key, self.patients.today)

    @cached_property
    def outcomes(self) -> OutcomesService:
        """The outcomes audit: the clinic's responder rate against the published one."""
        from clinicdesk.services.outcomes import OutcomesService

        return OutcomesService(self.db, self.response_settings, self.patients.today)

    @cached_property
    def photo_grading(self) -> PhotoGradingService:
        """Blinded grading of before/after photo pairs, which feeds the assessments' blinded
        photo score."""
        from clinicdesk.services.photo_grading import PhotoGradingService

        return PhotoGradingService(self.db, self.photos, self.assessments)

    @cached_property
    def response_settings(self) -> ResponseSettings:
        """The clinic's response threshold (reports and the outcomes audit)."""
        from clinicdesk.services.response_settings import ResponseSettings

        return ResponseSettings(self.db)

    @cached_property
    def retention(self) -> RetentionService:
        """Erasure requests, restricted records and the retention schedule."""
        from clinicdesk.services.retention import RetentionService

        return RetentionService(self.db, self.paths, self.patients.today)

    @cached_property
    def clinic_details(self) -> ClinicDetailsService:
        """What documents print about the clinic (name, address, phones, logo...)."""
        from clinicdesk.services.clinic_details import ClinicDetailsService

        return ClinicDetailsService(self.clinic)

    @cached_property
    def documents(self) -> DocumentService:
        """Consent forms, information sheets, the consent pack and the progress report, each
        recorded in the document log."""
        from clinicdesk.services.documents import DocumentService

        return DocumentService(
            self.db,
            self.clinic_details,
            self.consents,
            lambda: self.reports,
            self.clinic.cooling_off_days,
            self.patients.today,
        )

    @cached_property
    def reports(self) -> ReportService:
        """Progress reports (PDF), gathered through the services above."""
        # Imported here: reportlab is imported when the first report is made, not at start-up.
        from clinicdesk.services.reports import ReportService

        return ReportService(
            self.db,
            self.clinic,
            self.clinic_details,
            self.patients,
            self.clinical,
            self.assessments,
            self.photos,
            self.patients.today,
            self.response_settings,
        )

    @cached_property
    def subject_access(self) -> SubjectAccessService:
        """Subject access export: everything held about one patient in a zip (admins)."""
        from clinicdesk.services.subject_access import SubjectAccessService

        return SubjectAccessService(
            self.db, self.clinic_details, self.photos, self.consents, self.patients.today
        )

    @cached_property
    def login_throttle(self) -> LoginThrottle:
        return LoginThrottle(self.paths.login_attempts)

    @cached_property
    def users(self) -> UserService:
        from clinicdesk.services.users import UserService

        return UserService(
            self.db,
            throttle=self.login_throttle,
            on_password_set=lambda _user_id, username, password: self.set_key_slot(
                username, password
            ),
            on_disabled=self.remove_key_slot,
        )

    @property
    def read_only(self) -> str | None:
        """Why nothing can be saved (read-only storage, a damaged database), for a banner;
        None normally, and while the start-up check still runs (writes wait only for it)."""
        return None if self.db.writes_held else self.db.read_only

    @property
    def checking(self) -> bool:
        """The start-up check still runs; writes are refused until it passes."""
        return self.db.writes_held

    def check_now(self) -> list[str]:
        """Finish the start-up check here and now if it has not (before a write that cannot
        wait, e.g. the password a user must choose at sign-in); the problems found."""
        check = self.start_up_check
        return [] if check is None else check.finish(None)

    def open_for_job(self) -> ClinicServices:
        """Another connection to this clinic, for a background job (photo import, a document).
        The file was checked when this session opened it; once that check has passed a job's
        connection is not checked again (on a large clinic that costs a second or more per
        job). While it still runs, or when it found damage, the job checks for itself."""
        check = self.start_up_check
        passed = self.db.read_only is None and (
            check is None or (check.done and not check.problems)
        )
        return open_clinic(
            self.paths,
            self.patients.today,
            data_key=self.data_key,
            keyring=self.keyring,
            checked=passed,
        )

    def close(self) -> None:
        self.closed = True
        if self.start_up_check is not None:
            self.start_up_check.cancel()
        # Audit entries still waiting (the disk was full) get a last chance to be written.
        with contextlib.suppress(UserError):
            audit.flush(self.db)
        self.db.close()


def damaged_read_only_message(path: Path) -> str:
    return (
        f"The database ({path}) is damaged, so it is open for reading only and nothing can "
        "be saved. Restore the latest backup, or contact support."
    )


def check_db(db: Database, path: Path) -> list[str]:
    """The start-up check (RELIABILITY row 3): ``PRAGMA quick_check`` over every page. A
    damaged database is switched to read-only (writes refused with what to do); the problems
    found are returned (empty when the file is sound)."""
    problems = check_database(db)
    if problems:
        _refuse_damaged(db, path, problems)
    return problems


def _refuse_damaged(db: Database, path: Path, problems: list[str]) -> None:
    log.error("database check found %d problem(s); opened read-only", len(problems))
    if db.read_only is None or db.writes_held:
        db.refuse_writes(damaged_read_only_message(path))


def open_clinic(
    paths: Paths,
    today: Callable[[], date] = date.today,
    *,
    data_key: bytes | None = None,
    keyring: KeyRing | None = None,
    defer_check: bool = False,
    checked: bool = False,
) -> ClinicServices:
    """Open the clinic's database (encrypted with ``data_key``) and build the services.

    Front ends do not call this with a key they made up: ``create_clinic_storage`` and
    ``unlock_clinic`` below get the key from the key ring.

    Another program's database is refused unchanged (``NotClinicDatabase``). On read-only
    storage, or when the start-up check (``check_db``) finds damage, the clinic opens for
    reading only: every write is refused with the reason (``ClinicServices.read_only``).

    With ``defer_check`` (the GUI: the check's time grows with the clinic and would hold up
    the window) a writable clinic with no migration due is not checked here: writes are held
    until ``ClinicServices.start_up_check`` has run, on a worker, and passed. With ``checked``
    (``ClinicServices.open_for_job``: this session already checked the file and it passed) no
    check is made.
    """
    paths.ensure()
    read_only = read_only_reason(paths.database)
    db = open_database(paths.database, data_key, read_only=read_only, clinic=True)
    deferred = None
    try:
        claim_database(db, paths.database)
        if defer_check and read_only is None and not pending_migration_names(db):
            from clinicdesk.services.start_up_check import CHECKING_MESSAGE, StartUpCheck

            db.hold_writes(CHECKING_MESSAGE)
            deferred = StartUpCheck(
                db,
                paths.database,
                data_key,
                lambda held, problems: _refuse_damaged(held, paths.database, problems),
            )
        elif not checked and check_db(db, paths.database) and pending_migration_names(db):
            log.error("damaged database not migrated")
            raise StorageError(damaged_database_message(paths.database))
        # With the check deferred nothing is due: this only refuses a newer program's file.
        backup = migrate(db, paths.backups_dir)
    except BaseException:
        db.close()
        raise
    services = ClinicServices(
        paths, db, ClinicService(db), PatientService(db, today), backup, data_key, keyring
    )
    services.start_up_check = deferred
    services.clinic.on_password_set = services.set_key_slot
    services.clinic.throttle = services.login_throttle
    return services


# -- creating and unlocking an encrypted clinic ------------------------------------------


@dataclass
class SignedIn:
    services: ClinicServices
    user: CurrentUser
    # Shown once, for printing: set when this call created the key ring (a new clinic, or a
    # database from before encryption that was just converted).
    recovery_key: str | None = None


def _remove_database_files(paths: Paths) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{paths.database}{suffix}").unlink()


def create_clinic_storage(
    paths: Paths, clinic: NewClinic, today: Callable[[], date] = date.today
) -> SignedIn:
    """A new, encrypted clinic: a random data key, the database encrypted with it, and the key
    ring holding it for the first admin and for the recovery key (returned for printing)."""
    if paths.holds_clinic():
        raise UserError("This data folder already holds a clinic; nothing was changed.")
    if paths.unfinished_restore.exists():
        raise UserError(
            f'A restore into {paths.data_dir} stopped before it was finished: run "Restore '
            'from a backup" again to finish it. Nothing was changed.'
        )
    data_key = new_data_key()
    services = open_clinic(paths, today, data_key=data_key)
    try:
        user = services.clinic.create_clinic(clinic)
        ring, recovery_key = KeyRing.create(
            paths.keyring,
            services.clinic.this_site().id,
            data_key,
            user.username,
            clinic.admin_password,
        )
    except BaseException:
        services.close()
        _remove_database_files(paths)  # it held nothing yet but the schema
        raise
    services.keyring = ring
    log.info("new encrypted clinic created")
    return SignedIn(services, user, recovery_key)


def unlock_clinic(
    paths: Paths,
    username: str,
    password: str,
    today: Callable[[], date] = date.today,
    *,
    defer_check: bool = False,
) -> SignedIn:
    """Sign in: unwrap the data key with the password, open the database, check and audit.

    A database from before encryption (no key ring yet) is converted on the way in, keeping
    every record; the new recovery key is returned for printing. ``defer_check``: see
    ``open_clinic`` (the sign-in's audit entries then wait in memory until the check passes).
    """
    username = username.strip().lower()
    if not paths.keyring.exists():
        if not paths.database.exists():
            raise UserError("This data folder holds no clinic yet: create one first.")
        if is_encrypted(paths.database):
            raise KeyRingError(
                f"The key file {paths.keyring} is missing, so the encrypted database cannot be "
                "opened; restore the key file from a backup. The database was not changed."
            )
        return _convert_plain_database(paths, username, password, today)
    ring = KeyRing.load(paths.keyring)
    _require_database(paths)
    throttle = LoginThrottle(paths.login_attempts)
    throttle.check(username)
    try:
        data_key = ring.unlock(username, password)
    except WrongSecret:
        # The database cannot be written while locked: the throttle file keeps the count and
        # the next good sign-in writes these failures to the audit trail.
        throttle.record_failure(username)
        raise AuthenticationFailed("The user name or password is wrong. Try again.") from None
    finishing = not is_encrypted(paths.database)
    if finishing:
        # A conversion stopped after the key ring was written: finish it with the same key.
        _encrypt_database_file(paths, data_key)
    services = open_clinic(
        paths, today, data_key=data_key, keyring=ring, defer_check=defer_check and not finishing
    )
    try:
        user = services.clinic.login(username, password)
        # What an import stopped by a crash left in the photo store (cheap; never raises).
        services.photos.tidy_store()
        recovery_key = None
        if finishing:
            # The recovery key made when the conversion began was never shown (the program
            # stopped first), so nobody has it: replace it with one that is shown now.
            recovery_key = ring.replace_recovery_key(data_key)
            ring.save()
    except BaseException:
        services.close()
        raise
    return SignedIn(services, user, recovery_key)


def recover_access(
    paths: Paths,
    recovery_key: str,
    username: str,
    new_password: str,
    today: Callable[[], date] = date.today,
) -> SignedIn:
    """A forgotten password: the recovery key opens the clinic, ``username`` (an admin) gets
    ``new_password``, and is signed in. Audited as a password recovery."""
    ring = KeyRing.load(paths.keyring)
    _require_database(paths)
    data_key = ring.unlock_with_recovery_key(recovery_key)
    services = open_clinic(paths, today, data_key=data_key, keyring=ring)
    try:
        user = services.clinic.recover_password(username.strip().lower(), new_password)
    except BaseException:
        services.close()
        raise
    return SignedIn(services, user)


def _require_database(paths: Paths) -> None:
    """A key ring with no database (or an empty file) beside it: say so, rather than let
    opening the database create a new, empty clinic in its place."""
    if not paths.database.exists() or paths.database.stat().st_size == 0:
        state = "is missing" if not paths.database.exists() else "is empty"
        raise StorageError(
            f"The database file ({paths.database}) {state}. Restore the latest backup; "
            "nothing was changed."
        )


def _convert_plain_database(
    paths: Paths, username: str, password: str, today: Callable[[], date]
) -> SignedIn:
    services = open_clinic(paths, today)
    try:
        user = services.clinic.login(username, password)  # the old password hash decides
        clinic_id = services.clinic.this_site().id
    finally:
        services.close()
    data_key = new_data_key()
    # The key ring first: if the program stops before the file is replaced, the next sign-in
    # finds a ring and a plain file and finishes the job with the same key.
    ring, recovery_key = KeyRing.create(paths.keyring, clinic_id, data_key, username, password)
    _encrypt_database_file(paths, data_key)
    services = open_clinic(paths, today, data_key=data_key, keyring=ring)
    log.info("unencrypted database converted; other users need a password reset")
    return SignedIn(services, user, recovery_key)


def _encrypt_database_file(paths: Paths, data_key: bytes) -> None:
    """Replace the plain database (and pre-migration backups) by encrypted copies, checking
    that every table has the same number of rows before the plain file is replaced."""
    encrypt_in_place(paths.database, data_key)  # refuses another program's database
    for backup in sorted(paths.backups_dir.glob("*.db")):
        if not is_encrypted(backup):
            try:
                encrypt_in_place(backup, data_key)
            except NotClinicDatabase:
                log.warning("a file in the backups folder is not a ClinicDesk database; skipped")
