"""Roles through the command line, and ``clinicdesk users ...`` for administrators.

Each role signs in with its password (``CLINICDESK_PASSWORD``) and runs the commands the CLI
has; exit 0 where DESIGN.md's permission table allows the action, 3 where it refuses it, with
one line on stderr and no traceback (the service layer decides; tests/services prove it there).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinicdesk.domain.roles import Role
from tests.cli.test_cli import Run, assert_user_error

DEMO_PASSWORD = "demo"
NEW_PASSWORD = "a brand new password"
ALL = {Role.RECEPTION, Role.CLINICIAN, Role.ADMIN}
ADMIN = {Role.ADMIN}

# (command line, roles the table allows); {patient} is a demo patient's id.
COMMANDS: list[tuple[tuple[str, ...], set[Role]]] = [
    (("patients", "search", "quill"), ALL),
    (("patients", "show", "{patient}"), ALL),
    (("patients", "add", "--first", "Ann", "--last", "Lee", "--dob", "1990-01-02"), ALL),
    (("users", "list"), ADMIN),
    (("users", "add", "newbie", "--name", "New Person", "--role", "reception"), ADMIN),
    (("users", "set-role", "newcomer", "clinician", "--registration", "GMC 7654321"), ADMIN),
    (("users", "disable", "newcomer"), ADMIN),
    (("users", "enable", "newcomer"), ADMIN),
    (("users", "reset-password", "newcomer"), ADMIN),
]


class ClinicRun(Run):
    patient_id = ""


@pytest.fixture
def clinic_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> ClinicRun:
    """A demo clinic (users admin, clinician, reception; password demo), the reception user
    'newcomer' and the patient Zoë Quill (``patient_id``)."""
    run = ClinicRun(tmp_path / "data", capsys)
    code, _, err = run("demo", "--patients", "3", "--seed", "5")
    assert (code, err) == (0, ""), err
    monkeypatch.setenv("CLINICDESK_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("CLINICDESK_NEW_PASSWORD", NEW_PASSWORD)
    code, _, err = run("users", "add", "newcomer", "--role", "reception", user="admin")
    assert (code, err) == (0, ""), err
    patient = run.json(
        "patients",
        "add",
        "--first",
        "Zoë",
        "--last",
        "Quill",
        "--dob",
        "1980-05-06",
        user="reception",
    )
    run.patient_id = patient["id"]
    return run


@pytest.mark.parametrize("role", sorted(Role))
@pytest.mark.parametrize("command", [c for c, _ in COMMANDS], ids=lambda c: " ".join(c[:2]))
def test_each_role_may_run_what_the_table_allows(
    clinic_run: ClinicRun, command: tuple[str, ...], role: Role
) -> None:
    allowed = dict(COMMANDS)[command]
    argv = [part.replace("{patient}", clinic_run.patient_id) for part in command]
    result = clinic_run(*argv, user=role.value)
    if role in allowed:
        assert result[0] == 0, result[2]
        assert result[2] == ""
    else:
        assert_user_error(result, 3, f"Your role ({role.label}) does not allow this")


@pytest.mark.parametrize("role", sorted(Role))
def test_patients_show_leaves_out_what_the_role_may_not_see(
    clinic_run: ClinicRun, role: Role
) -> None:
    record = clinic_run.json("patients", "show", clinic_run.patient_id, user=role.value)
    clinical = role is not Role.RECEPTION
    assert ("medical_history" in record) is clinical
    assert ("classification" in record) is clinical
    assert "red_flag_banner" in record


def test_a_refused_add_does_not_ask_for_the_new_password(
    clinic_run: ClinicRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLINICDESK_NEW_PASSWORD")
    result = clinic_run("users", "add", "sneaky", "--role", "admin", user="clinician")
    assert_user_error(result, 3, "does not allow this")


def test_users_list_as_json(clinic_run: ClinicRun) -> None:
    accounts = clinic_run.json("users", "list", user="admin")
    assert [(a["username"], a["role"], a["active"]) for a in accounts] == [
        ("admin", "admin", True),
        ("clinician", "clinician", True),
        ("grader", "clinician", True),  # the demo's two photo graders
        ("grader2", "clinician", True),
        ("newcomer", "reception", True),
        ("reception", "reception", True),
    ]
    assert set(accounts[0]) == {
        "id",
        "username",
        "display_name",
        "role",
        "registration_number",
        "active",
        "version",
        "must_change_password",
        "last_sign_in",
    }
    by_name = {a["username"]: a for a in accounts}
    # Made by an administrator (the fixture's `users add`): its owner must choose a password.
    assert by_name["newcomer"]["must_change_password"] is True
    assert by_name["newcomer"]["last_sign_in"] is None
    assert by_name["reception"]["must_change_password"] is False  # a demo account
    assert by_name["admin"]["last_sign_in"].endswith("Z")  # signed in just now
    assert "argon2" not in json.dumps(accounts)


def test_disable_then_sign_in_is_refused_until_enabled_and_reset(
    clinic_run: ClinicRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = clinic_run("users", "disable", "clinician", user="admin")
    assert (code, out) == (0, "clinician can no longer sign in.\n")
    assert_user_error(
        clinic_run("patients", "search", "quill", user="clinician"), 2, "user name or password"
    )
    assert "[disabled]" in clinic_run("users", "list", user="admin")[1]
    code, out, _ = clinic_run("users", "enable", "clinician", user="admin")
    assert code == 0 and "reset their password" in out
    # Disabling removed the account's key slot: enabled alone is not enough to open the data.
    assert_user_error(
        clinic_run("patients", "search", "quill", user="clinician"), 2, "user name or password"
    )
    assert clinic_run("users", "reset-password", "clinician", user="admin")[0] == 0
    monkeypatch.setenv("CLINICDESK_PASSWORD", NEW_PASSWORD)
    # The new password opens the clinic, and its owner is told to choose their own first.
    assert_user_error(
        clinic_run("patients", "search", "quill", user="clinician"), 2, "choose a new password"
    )


def test_reset_password_replaces_the_old_one(
    clinic_run: ClinicRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = clinic_run("users", "reset-password", "reception", user="admin")
    assert (code, out, err) == (0, "New password set for reception.\n", "")
    assert_user_error(
        clinic_run("patients", "search", "quill", user="reception"), 2, "user name or password"
    )
    monkeypatch.setenv("CLINICDESK_PASSWORD", NEW_PASSWORD)
    result = clinic_run("patients", "search", "quill", user="reception")
    assert_user_error(result, 2, "Sign in to the ClinicDesk window, which asks for a new password")


def test_the_admin_cannot_disable_themselves_from_the_command_line(clinic_run: ClinicRun) -> None:
    assert_user_error(clinic_run("users", "disable", "admin", user="admin"), 2, "your own account")


def test_a_clinician_needs_a_registration_number(clinic_run: ClinicRun) -> None:
    result = clinic_run("users", "add", "dr.who", "--role", "clinician", user="admin")
    assert_user_error(result, 2, "registration number: is required for clinicians")
    code, out, _ = clinic_run(
        "users", "add", "dr.who", "--role", "clinician", "--registration", "GMC 1", user="admin"
    )
    assert (code, out) == (0, "Created dr.who (clinician).\n")


def test_an_unknown_user_name_is_a_plain_error(clinic_run: ClinicRun) -> None:
    assert_user_error(clinic_run("users", "disable", "nobody", user="admin"), 2, "no user called")


def test_no_new_password_and_no_terminal_is_a_plain_error(
    clinic_run: ClinicRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLINICDESK_NEW_PASSWORD")
    result = clinic_run("users", "reset-password", "reception", user="admin")
    assert_user_error(result, 2, "CLINICDESK_NEW_PASSWORD")
