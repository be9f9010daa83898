"""Roles and what each may do: the table in DESIGN.md "Security model", as data.

The services check these; the GUI only hides what a role cannot use.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CLINICIAN = "clinician"
    RECEPTION = "reception"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Permission(StrEnum):
    PATIENT_DEMOGRAPHICS = "patient_demographics"  # search, view and edit demographics
    RED_FLAG_BANNER = "red_flag_banner"
    VIEW_MEDICAL = "view_medical"  # history, red flags, labs, classification
    EDIT_MEDICAL = "edit_medical"
    MANAGE_CLINIC = "manage_clinic"  # users, settings, backups
    AUDIT_TRAIL = "audit_trail"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.RECEPTION: frozenset({Permission.PATIENT_DEMOGRAPHICS, Permission.RED_FLAG_BANNER}),
    Role.CLINICIAN: frozenset(
        {
            Permission.PATIENT_DEMOGRAPHICS,
            Permission.RED_FLAG_BANNER,
            Permission.VIEW_MEDICAL,
            Permission.EDIT_MEDICAL,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Permission.PATIENT_DEMOGRAPHICS,
            Permission.RED_FLAG_BANNER,
            Permission.VIEW_MEDICAL,
            Permission.MANAGE_CLINIC,
            Permission.AUDIT_TRAIL,
        }
    ),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
