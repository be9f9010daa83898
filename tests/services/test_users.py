"""Staff accounts: the admin operations, each person's own password, and who may do what.

RELIABILITY row 14 for ``UserService``: each operation is tried as each role; a refused call
raises ``PermissionDenied``, changes nothing and leaves exactly one ``denied`` audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.domain.ids import UserId
from clinicdesk.domain.roles import Role
from clinicdesk.errors import (
    AuthenticationFailed,
    ConcurrentEdit,
    PermissionDenied,
    UserError,
    ValidationError,
)
from clinicdesk.services.lockout import LoginDelayed, LoginThrottle
from clinicdesk.services.session import CurrentUser
from clinicdesk.services.users import NewUser, UserAccount, UserService
from clinicdesk.storage import audit
from tests.conftest import PASSWORD, Clinic

NEW_PASSWORD = "a new long password"
Call = Callable[[UserService, CurrentUser, UserAccount], Any]


def account_of(clinic: Clinic, username: str) -> UserAccount:
    return clinic.services.users.account(clinic.admin, username)


def user_of(clinic: Clinic, role: Role) -> CurrentUser:
    return {Role.RECEPTION: clinic.reception, Role.CLINICIAN: clinic.clinician}.get(
        role, clinic.admin
    )


def snapshot(clinic: Clinic) -> dict[str, list[Any]]:
    db = clinic.services.db
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in db.table_names()
        # The audit trail and its head (kept in local_state) grow with every audited call.
        if table not in ("audit_log", "local_state") and not table.startswith("patient_search")
    }


def added_audit(clinic: Clinic, before: int) -> list[tuple[str, str, str, str]]:
    return [
        (e.action, e.entity, e.entity_id, e.user_id)
        for e in audit.entries(clinic.services.db)[before:]
    ]


ADMIN_ONLY = {Role.ADMIN}
EVERYONE = set(Role)

# Each operation acts on a spare reception account ("target"), never on the caller.
OPERATIONS: dict[str, tuple[Call, set[Role]]] = {
    "list users": (lambda s, u, t: s.list_users(u), ADMIN_ONLY),
    "look up a user": (lambda s, u, t: s.account(u, t.username), ADMIN_ONLY),
    "create user": (
        lambda s, u, t: s.create_user(u, NewUser("newbie", "New Person", Role.RECEPTION, PASSWORD)),
        ADMIN_ONLY,
    ),
    "change role": (
        lambda s, u, t: s.change_role(u, t, Role.CLINICIAN, "NMC 12A3456B"),
        ADMIN_ONLY,
    ),
    "disable user": (lambda s, u, t: s.disable_user(u, t), ADMIN_ONLY),
    "enable user": (lambda s, u, t: s.enable_user(u, t), ADMIN_ONLY),
    "reset password": (lambda s, u, t: s.reset_password(u, t, NEW_PASSWORD), ADMIN_ONLY),
    "change own password": (
        lambda s, u, t: s.change_own_password(u, PASSWORD, NEW_PASSWORD),
        EVERYONE,
    ),
}


@pytest.mark.parametrize("role", sorted(Role))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_role_table_for_user_accounts(clinic: Clinic, operation: str, role: Role) -> None:
    service = clinic.services.users
    target = service.create_user(
        clinic.admin, NewUser("target", "Tess Target", Role.RECEPTION, PASSWORD)
    )
    if operation == "enable user":
        target = service.disable_user(clinic.admin, target)
    call, allowed = OPERATIONS[operation]
    user = user_of(clinic, role)
    if role in allowed:
        call(service, user, target)
        return
    before, count = snapshot(clinic), len(audit.entries(clinic.services.db))
    with pytest.raises(PermissionDenied, match=role.label):
        call(service, user, target)
    assert snapshot(clinic) == before
    assert [a[0] for a in added_audit(clinic, count)] == ["denied"]
    assert added_audit(clinic, count)[0][3] == user.id


def test_an_admin_creates_a_clinician_who_can_then_sign_in(clinic: Clinic) -> None:
    service = clinic.services.users
    count = len(audit.entries(clinic.services.db))
    made = service.create_user(
        clinic.admin,
        NewUser(" N.Nurse ", "Nia Nurse", Role.CLINICIAN, PASSWORD, "NMC 12A3456B"),
    )
    assert (made.username, made.display_name, made.role, made.registration_number) == (
        "n.nurse",
        "Nia Nurse",
        Role.CLINICIAN,
        "NMC 12A3456B",
    )
    assert made.active
    assert made in service.list_users(clinic.admin)
    assert added_audit(clinic, count) == [("create", "user", made.id, clinic.admin.id)]
    signed_in = clinic.services.clinic.login("n.nurse", PASSWORD)
    assert (signed_in.id, signed_in.role) == (made.id, Role.CLINICIAN)


def test_new_account_form_errors_come_back_together(clinic: Clinic) -> None:
    with pytest.raises(ValidationError) as caught:
        clinic.services.users.create_user(
            clinic.admin, NewUser("reception", "", Role.CLINICIAN, "short")
        )
    assert caught.value.errors == {
        "username": "is already taken (a disabled account keeps its name)",
        "registration_number": "is required for clinicians (GMC, NMC or GDC number)",
        "password": "must be at least 8 characters",
    }


def test_the_password_hash_never_leaves_the_service(clinic: Clinic) -> None:
    for account in clinic.services.users.list_users(clinic.admin):
        assert not any("argon2" in str(value) for value in vars(account).values())


def test_a_disabled_user_cannot_sign_in_until_enabled_again(clinic: Clinic) -> None:
    service = clinic.services.users
    count = len(audit.entries(clinic.services.db))
    disabled = service.disable_user(clinic.admin, account_of(clinic, "reception"))
    assert not disabled.active
    with pytest.raises(AuthenticationFailed):
        clinic.services.clinic.login("reception", PASSWORD)
    # Never deleted: the account is still listed (and named by the audit trail).
    assert disabled in service.list_users(clinic.admin)

    enabled = service.enable_user(clinic.admin, disabled)
    assert enabled.active
    assert clinic.services.clinic.login("reception", PASSWORD).id == clinic.reception.id
    actions = [(a[0], a[2]) for a in added_audit(clinic, count)]
    rid = clinic.reception.id
    assert actions == [("disable", rid), ("login_failed", rid), ("enable", rid), ("login", rid)]


def test_after_a_reset_the_old_password_fails_and_the_new_one_works(clinic: Clinic) -> None:
    count = len(audit.entries(clinic.services.db))
    clinic.services.users.reset_password(
        clinic.admin, account_of(clinic, "clinician"), NEW_PASSWORD
    )
    assert added_audit(clinic, count) == [
        ("reset_password", "user", clinic.clinician.id, clinic.admin.id)
    ]
    with pytest.raises(AuthenticationFailed):
        clinic.services.clinic.login("clinician", PASSWORD)
    assert clinic.services.clinic.login("clinician", NEW_PASSWORD).id == clinic.clinician.id


def test_a_reset_password_must_meet_the_length_rule(clinic: Clinic) -> None:
    with pytest.raises(ValidationError, match="at least 8"):
        clinic.services.users.reset_password(clinic.admin, account_of(clinic, "clinician"), "2shrt")
    assert clinic.services.clinic.login("clinician", PASSWORD)


def test_changing_your_own_password_needs_the_current_one(clinic: Clinic) -> None:
    service = clinic.services.users
    count = len(audit.entries(clinic.services.db))
    with pytest.raises(ValidationError) as caught:
        service.change_own_password(clinic.reception, "not my password", NEW_PASSWORD)
    assert caught.value.errors == {"old_password": "is not your current password"}
    assert clinic.services.clinic.login("reception", PASSWORD)

    service.change_own_password(clinic.reception, PASSWORD, NEW_PASSWORD)
    with pytest.raises(AuthenticationFailed):
        clinic.services.clinic.login("reception", PASSWORD)
    assert clinic.services.clinic.login("reception", NEW_PASSWORD).id == clinic.reception.id
    assert [a[0] for a in added_audit(clinic, count)] == [
        "change_password_failed",
        "login",
        "change_password",
        "login_failed",
        "login",
    ]


@pytest.mark.parametrize(
    ("new", "problem"),
    [("short", "must be at least 8 characters"), (PASSWORD, "must be different")],
)
def test_a_new_own_password_is_checked(clinic: Clinic, new: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clinic.services.users.change_own_password(clinic.clinician, PASSWORD, new)
    assert problem in caught.value.errors["new_password"]


def test_wrong_current_passwords_count_towards_the_sign_in_wait(clinic: Clinic) -> None:
    service = clinic.services.users
    for _ in range(5):
        with pytest.raises(ValidationError):
            service.change_own_password(clinic.clinician, "guess", NEW_PASSWORD)
    with pytest.raises(LoginDelayed, match="Too many failed sign-ins for clinician"):
        service.change_own_password(clinic.clinician, PASSWORD, NEW_PASSWORD)
    assert clinic.services.login_throttle.delay_for("clinician") > 0


def test_admins_cannot_lock_themselves_out(clinic: Clinic) -> None:
    service = clinic.services.users
    me = account_of(clinic, "admin")
    with pytest.raises(UserError, match="your own account"):
        service.disable_user(clinic.admin, me)
    with pytest.raises(UserError, match="your own role"):
        service.change_role(clinic.admin, me, Role.RECEPTION)
    with pytest.raises(UserError, match="Change my password"):
        service.reset_password(clinic.admin, me, NEW_PASSWORD)
    assert account_of(clinic, "admin") == me


def test_the_last_active_admin_is_kept(clinic: Clinic) -> None:
    service = clinic.services.users
    second = service.create_user(clinic.admin, NewUser("boss", "Bea Boss", Role.ADMIN, PASSWORD))
    boss = clinic.services.clinic.login("boss", PASSWORD)
    boss = service.change_own_password(boss, PASSWORD, NEW_PASSWORD)  # asked at first sign-in
    second = account_of(clinic, "boss")
    # Bea demotes Ada; Ada's screen, still open as an admin, then tries to disable Bea.
    service.change_role(boss, account_of(clinic, "admin"), Role.RECEPTION)
    for attempt in (
        lambda: service.disable_user(clinic.admin, second),
        lambda: service.change_role(clinic.admin, second, Role.CLINICIAN, "GMC 7654321"),
    ):
        with pytest.raises(UserError, match="last active administrator"):
            attempt()
    assert account_of(clinic, "boss") == second

    # With a second admin again, demoting and disabling work.
    ada = service.change_role(boss, account_of(clinic, "admin"), Role.ADMIN)
    assert service.disable_user(clinic.admin, second).active is False
    assert ada.role is Role.ADMIN


def test_change_role_is_audited_with_the_old_and_new_role(clinic: Clinic) -> None:
    count = len(audit.entries(clinic.services.db))
    changed = clinic.services.users.change_role(
        clinic.admin, account_of(clinic, "reception"), Role.CLINICIAN, "GMC 7654321"
    )
    assert (changed.role, changed.registration_number) == (Role.CLINICIAN, "GMC 7654321")
    (entry,) = audit.entries(clinic.services.db)[count:]
    assert (entry.action, entry.entity, entry.entity_id) == ("update", "user", changed.id)
    assert entry.detail == {"role": "clinician", "previous_role": "reception"}
    assert clinic.services.clinic.login("reception", PASSWORD).role is Role.CLINICIAN


def test_a_clinician_needs_a_registration_number(clinic: Clinic) -> None:
    with pytest.raises(ValidationError, match="registration number"):
        clinic.services.users.change_role(
            clinic.admin, account_of(clinic, "reception"), Role.CLINICIAN
        )


def test_two_admins_editing_one_account_do_not_overwrite_each_other(clinic: Clinic) -> None:
    service = clinic.services.users
    seen = account_of(clinic, "reception")
    service.change_role(clinic.admin, seen, Role.CLINICIAN, "GMC 7654321")
    with pytest.raises(ConcurrentEdit):
        service.disable_user(clinic.admin, seen)
    assert account_of(clinic, "reception").active


def test_the_password_hook_runs_in_the_transaction(clinic: Clinic) -> None:
    calls: list[tuple[UserId, str, str]] = []
    service = UserService(clinic.services.db, on_password_set=lambda *args: calls.append(args))
    made = service.create_user(clinic.admin, NewUser("hooked", "Hook", Role.RECEPTION, PASSWORD))
    service.reset_password(clinic.admin, made, NEW_PASSWORD)
    hooked = clinic.services.clinic.login("hooked", NEW_PASSWORD)
    service.change_own_password(hooked, NEW_PASSWORD, "third password")
    assert calls == [
        (made.id, "hooked", PASSWORD),
        (made.id, "hooked", NEW_PASSWORD),
        (made.id, "hooked", "third password"),
    ]

    def fail(user_id: UserId, username: str, password: str) -> None:
        raise RuntimeError("keyring write failed")

    failing = UserService(clinic.services.db, on_password_set=fail)
    with pytest.raises(RuntimeError):
        failing.reset_password(clinic.admin, account_of(clinic, "hooked"), "fourth password")
    # Rolled back with the key: the password that opens the key still works.
    assert clinic.services.clinic.login("hooked", "third password")


def test_a_reset_clears_the_wait_after_failed_sign_ins(clinic: Clinic, tmp_path: Path) -> None:
    throttle = clinic.services.login_throttle
    for _ in range(7):
        throttle.record_failure("clinician")
    assert throttle.delay_for("clinician") > 0
    clinic.services.users.reset_password(
        clinic.admin, account_of(clinic, "clinician"), NEW_PASSWORD
    )
    assert throttle.delay_for("clinician") == 0
    assert LoginThrottle(clinic.paths.login_attempts).failures("clinician") == 0
