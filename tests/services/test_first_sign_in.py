"""An account whose password an administrator chose must choose its own before anything else,
and the admin screen shows when each account last signed in (from the audit trail)."""

from __future__ import annotations

import pytest

from clinicdesk.domain.roles import Role
from clinicdesk.errors import PasswordChangeRequired
from clinicdesk.services.users import NewUser
from clinicdesk.storage import audit
from clinicdesk.storage.clinic import LAST_SIGN_IN_SQL
from tests.conftest import PASSWORD, Clinic

NEW_PASSWORD = "my very own password"


def test_a_new_account_must_change_its_password_before_anything_else(clinic: Clinic) -> None:
    users, patients = clinic.services.users, clinic.services.patients
    made = users.create_user(
        clinic.admin, NewUser("n.nurse", "Nia Nurse", Role.RECEPTION, PASSWORD)
    )
    assert made.must_change_password
    nia = clinic.services.clinic.login("n.nurse", PASSWORD)
    assert nia.must_change_password
    count = len(audit.entries(clinic.services.db))
    for attempt in (
        lambda: patients.search(nia, "smith"),
        lambda: patients.count(nia),
        lambda: clinic.services.clinical.due_and_overdue(nia),
    ):
        with pytest.raises(PasswordChangeRequired, match="choose a new password"):
            attempt()
    assert len(audit.entries(clinic.services.db)) == count  # refused before anything was read

    nia = users.change_own_password(nia, PASSWORD, NEW_PASSWORD)
    assert not nia.must_change_password
    assert patients.count(nia) == 0
    again = clinic.services.clinic.login("n.nurse", NEW_PASSWORD)
    assert not again.must_change_password
    assert not users.account(clinic.admin, "n.nurse").must_change_password


def test_a_reset_password_must_be_changed_at_the_next_sign_in(clinic: Clinic) -> None:
    users = clinic.services.users
    account = users.account(clinic.admin, "reception")
    assert not clinic.services.clinic.login("reception", PASSWORD).must_change_password
    users.reset_password(clinic.admin, account, "given by the admin")
    rex = clinic.services.clinic.login("reception", "given by the admin")
    with pytest.raises(PasswordChangeRequired):
        clinic.services.patients.search(rex, "smith")
    rex = users.change_own_password(rex, "given by the admin", NEW_PASSWORD)
    clinic.services.patients.search(rex, "smith")


def test_the_first_administrator_and_a_recovered_password_are_not_forced(clinic: Clinic) -> None:
    assert not clinic.admin.must_change_password
    assert not clinic.services.clinic.login("admin", PASSWORD).must_change_password
    # An administrator whose password was reset, then recovered with the recovery key, chose
    # the recovered one themselves.
    users = clinic.services.users
    users.create_user(clinic.admin, NewUser("boss", "Bea Boss", Role.ADMIN, PASSWORD))
    recovered = clinic.services.clinic.recover_password("boss", NEW_PASSWORD)
    assert not recovered.must_change_password
    assert not clinic.services.clinic.login("boss", NEW_PASSWORD).must_change_password


def test_last_sign_in_comes_from_the_audit_trail(clinic: Clinic) -> None:
    users = clinic.services.users
    users.create_user(clinic.admin, NewUser("n.nurse", "Nia Nurse", Role.RECEPTION, PASSWORD))

    def last(name: str) -> str | None:
        return next(a for a in users.list_users(clinic.admin) if a.username == name).last_sign_in

    assert last("n.nurse") is None  # never signed in
    with pytest.raises(Exception, match="wrong"):
        clinic.services.clinic.login("n.nurse", "not the password")
    assert last("n.nurse") is None  # a failed try is not a sign-in
    clinic.services.clinic.login("n.nurse", PASSWORD)
    first = last("n.nurse")
    assert first is not None and first.endswith("Z")
    clinic.services.clinic.login("n.nurse", PASSWORD)
    second = last("n.nurse")
    assert second is not None and second >= first
    assert users.account(clinic.admin, "n.nurse").last_sign_in == second


def test_last_sign_in_reads_the_audit_index(clinic: Clinic) -> None:
    plan = clinic.services.db.execute(
        f"EXPLAIN QUERY PLAN {LAST_SIGN_IN_SQL}", [clinic.admin.id]
    ).fetchall()
    text = " ".join(str(row[-1]) for row in plan)
    assert "audit_by_entity" in text and "TEMP B-TREE" not in text
