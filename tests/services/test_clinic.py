"""Creating the clinic, signing in and adding users."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicdesk.domain.roles import Role
from clinicdesk.errors import AuthenticationFailed, PermissionDenied, UserError, ValidationError
from clinicdesk.paths import Paths
from clinicdesk.services import clinic as clinic_service
from clinicdesk.services.clinic import NewClinic
from clinicdesk.services.context import open_clinic
from tests.conftest import PASSWORD, Clinic


def test_new_clinic_has_its_sites_and_this_install_is_the_main_one(clinic: Clinic) -> None:
    service = clinic.services.clinic
    assert service.is_initialised()
    assert service.clinic_name() == "Test Clinic"
    assert [(s.name, s.kind) for s in service.sites()] == [
        ("Main clinic", "main"),
        ("Satellite clinic", "satellite"),
    ]
    assert service.this_site().name == "Main clinic"
    assert clinic.admin.role is Role.ADMIN and clinic.admin.username == "admin"


def test_a_second_clinic_in_the_same_folder_is_refused(clinic: Clinic) -> None:
    with pytest.raises(UserError, match="already holds a clinic"):
        clinic.services.clinic.create_clinic(
            NewClinic("Other", "Main", [], "boss", "Boss", PASSWORD)
        )
    assert clinic.services.clinic.clinic_name() == "Test Clinic"


def test_satellite_install_belongs_to_its_own_site(tmp_path: Path) -> None:
    services = open_clinic(Paths(tmp_path / "satellite"))
    try:
        admin = services.clinic.create_clinic(
            NewClinic("C", "Main", ["Leeds satellite"], "boss", "Boss", PASSWORD),
            this_site_index=1,
        )
        assert services.clinic.this_site().name == "Leeds satellite"
        assert admin.site_id == services.clinic.this_site().id
    finally:
        services.close()


def test_clinic_form_errors_are_reported_together(tmp_path: Path) -> None:
    services = open_clinic(Paths(tmp_path / "new"))
    try:
        with pytest.raises(ValidationError) as caught:
            services.clinic.create_clinic(
                NewClinic("", "Main\x00", ["ok", "x" * 61], "no spaces please", "", "short")
            )
        assert set(caught.value.errors) == {
            "clinic_name",
            "main_site",
            "satellite_sites[1]",
            "admin_username",
            "admin_password",
        }
        assert not services.clinic.is_initialised()
    finally:
        services.close()


def test_login_ignores_case_and_spaces_in_the_user_name(clinic: Clinic) -> None:
    user = clinic.services.clinic.login("  Reception ", PASSWORD)
    assert (user.id, user.role) == (clinic.reception.id, Role.RECEPTION)


@pytest.mark.parametrize(("name", "password"), [("reception", "wrong"), ("nobody", PASSWORD)])
def test_wrong_password_or_unknown_user_get_the_same_message(
    clinic: Clinic, name: str, password: str
) -> None:
    with pytest.raises(AuthenticationFailed, match="user name or password is wrong"):
        clinic.services.clinic.login(name, password)


def test_only_an_admin_adds_users_and_names_are_unique(clinic: Clinic) -> None:
    service = clinic.services.clinic
    with pytest.raises(PermissionDenied):
        service.add_user(clinic.clinician, "nurse", "Nurse", Role.CLINICIAN, PASSWORD)
    with pytest.raises(ValidationError) as caught:
        service.add_user(clinic.admin, "Reception", "Dup", Role.RECEPTION, "short")
    assert set(caught.value.errors) == {"username", "password"}
    nurse = service.add_user(clinic.admin, "nurse", "Nia Nurse", Role.CLINICIAN, PASSWORD)
    assert service.login("nurse", PASSWORD).id == nurse.id


def test_passwords_are_hashed_with_argon2id_at_production_cost(
    production_password_hashing: None,
) -> None:
    stored = clinic_service.hash_password("a long passphrase")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "a long passphrase" not in stored
