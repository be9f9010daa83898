"""Roles and what each may do: the table in DESIGN.md "Security model", written down once.

``WHO_MAY`` is that table turned on its side: one entry per permission, in the table's row
order, naming the roles that hold it. Cells that say "view" become a view permission without
its edit twin; "red-flag banner only" is the banner permission without the medical history.
``ROLE_PERMISSIONS`` is derived from it. The services check these; the GUI only hides what a
role cannot use.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from clinicdesk.domain.coded import Coded


class Role(Coded):
    ADMIN = "admin"
    CLINICIAN = "clinician"
    RECEPTION = "reception"


class Permission(StrEnum):
    # search patients, view and edit demographics, contact, GP
    PATIENT_DEMOGRAPHICS = "patient_demographics"
    # view/edit medical history, red flags, labs, classification
    RED_FLAG_BANNER = "red_flag_banner"
    VIEW_MEDICAL = "view_medical"
    EDIT_MEDICAL = "edit_medical"
    # consultations, treatments, assessments, adverse events
    VIEW_CLINICAL_RECORDS = "view_clinical_records"
    EDIT_CLINICAL_RECORDS = "edit_clinical_records"
    # follow-up list, book/rebook follow-ups
    FOLLOW_UPS = "follow_ups"
    # photos (view, import, compare)
    PHOTOS = "photos"
    # print consent pack, pre-treatment and aftercare sheets
    PRINT_DOCUMENTS = "print_documents"
    # record consent signed/withdrawn (reception signs as the witness)
    RECORD_CONSENT = "record_consent"
    # progress report
    PROGRESS_REPORT = "progress_report"
    # subject access export, erasure, retention (information governance)
    INFORMATION_GOVERNANCE = "information_governance"
    # users, settings, backups, restore, sync set-up
    MANAGE_CLINIC = "manage_clinic"
    # run sync, resolve conflicts
    RUN_SYNC = "run_sync"
    # audit trail: the whole trail (admin)
    AUDIT_TRAIL = "audit_trail"
    # audit trail: who opened a patient's record (clinician: own patients; admin: all)
    PATIENT_ACCESS_LOG = "patient_access_log"


_EVERYONE = frozenset(Role)
_CLINICIAN = frozenset({Role.CLINICIAN})
_ADMIN = frozenset({Role.ADMIN})
_CLINICIAN_AND_ADMIN = frozenset({Role.CLINICIAN, Role.ADMIN})

# The DESIGN.md table, row by row (reception / clinician / admin in the comments).
WHO_MAY: Mapping[Permission, frozenset[Role]] = {
    # search patients, view and edit demographics, contact, GP: yes / yes / yes
    Permission.PATIENT_DEMOGRAPHICS: _EVERYONE,
    # view/edit medical history, red flags, labs, classification:
    # red-flag banner only / yes / view
    Permission.RED_FLAG_BANNER: _EVERYONE,
    Permission.VIEW_MEDICAL: _CLINICIAN_AND_ADMIN,
    Permission.EDIT_MEDICAL: _CLINICIAN,
    # consultations, treatments, assessments, adverse events: no / yes / view
    Permission.VIEW_CLINICAL_RECORDS: _CLINICIAN_AND_ADMIN,
    Permission.EDIT_CLINICAL_RECORDS: _CLINICIAN,
    # follow-up list, book/rebook follow-ups: yes / yes / yes
    Permission.FOLLOW_UPS: _EVERYONE,
    # photos (view, import, compare): no / yes / no
    Permission.PHOTOS: _CLINICIAN,
    # print consent pack, pre-treatment and aftercare sheets: yes / yes / yes
    Permission.PRINT_DOCUMENTS: _EVERYONE,
    # record consent signed/withdrawn: yes (as witness) / yes / yes
    Permission.RECORD_CONSENT: _EVERYONE,
    # progress report: no / yes / no
    Permission.PROGRESS_REPORT: _CLINICIAN,
    # subject access export, erasure, retention: no / no / yes
    Permission.INFORMATION_GOVERNANCE: _ADMIN,
    # users, settings, backups, restore, sync set-up: no / no / yes
    Permission.MANAGE_CLINIC: _ADMIN,
    # run sync, resolve conflicts: no / yes / yes
    Permission.RUN_SYNC: _CLINICIAN_AND_ADMIN,
    # audit trail: no / own patients' access log / yes
    Permission.AUDIT_TRAIL: _ADMIN,
    Permission.PATIENT_ACCESS_LOG: _CLINICIAN_AND_ADMIN,
}

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    role: frozenset(p for p, roles in WHO_MAY.items() if role in roles) for role in Role
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
