"""The permission table in code says what the table in DESIGN.md "Security model" says.

``TABLE`` is copied from DESIGN.md, cell for cell; ``ROW_PERMISSIONS`` says which permissions
each row covers and what a cell other than yes/no grants. If someone changes one table and not
the other, this fails.
"""

from __future__ import annotations

from clinicdesk.domain.roles import ROLE_PERMISSIONS, WHO_MAY, Permission, Role, allows

# action | reception | clinician | admin   (DESIGN.md, "Security model")
TABLE = [
    ("search patients, view and edit demographics, contact, GP", "yes", "yes", "yes"),
    (
        "view/edit medical history, red flags, labs, classification",
        "red-flag banner only",
        "yes",
        "view",
    ),
    ("consultations, treatments, assessments, adverse events", "no", "yes", "view"),
    ("follow-up list, book/rebook follow-ups", "yes", "yes", "yes"),
    ("photos (view, import, compare)", "no", "yes", "no"),
    ("print consent pack, pre-treatment and aftercare sheets", "yes", "yes", "yes"),
    ("record consent signed/withdrawn", "yes (as witness)", "yes", "yes"),
    ("progress report", "no", "yes", "no"),
    ("subject access export, erasure, retention", "no", "no", "yes"),
    ("users, settings, backups, restore, sync set-up", "no", "no", "yes"),
    ("run sync, resolve conflicts", "no", "yes", "yes"),
    ("audit trail", "no", "own patients' access log", "yes"),
]

P = Permission
# For each row: every permission "yes" grants, then what the other wordings grant.
ROW_PERMISSIONS: dict[str, dict[str, set[Permission]]] = {
    TABLE[0][0]: {"yes": {P.PATIENT_DEMOGRAPHICS}},
    TABLE[1][0]: {
        "yes": {P.RED_FLAG_BANNER, P.VIEW_MEDICAL, P.EDIT_MEDICAL},
        "view": {P.RED_FLAG_BANNER, P.VIEW_MEDICAL},
        "red-flag banner only": {P.RED_FLAG_BANNER},
    },
    TABLE[2][0]: {
        "yes": {P.VIEW_CLINICAL_RECORDS, P.EDIT_CLINICAL_RECORDS},
        "view": {P.VIEW_CLINICAL_RECORDS},
    },
    TABLE[3][0]: {"yes": {P.FOLLOW_UPS}},
    TABLE[4][0]: {"yes": {P.PHOTOS}},
    TABLE[5][0]: {"yes": {P.PRINT_DOCUMENTS}},
    TABLE[6][0]: {"yes": {P.RECORD_CONSENT}, "yes (as witness)": {P.RECORD_CONSENT}},
    TABLE[7][0]: {"yes": {P.PROGRESS_REPORT}},
    TABLE[8][0]: {"yes": {P.INFORMATION_GOVERNANCE}},
    TABLE[9][0]: {"yes": {P.MANAGE_CLINIC}},
    TABLE[10][0]: {"yes": {P.RUN_SYNC}},
    TABLE[11][0]: {
        "yes": {P.AUDIT_TRAIL, P.PATIENT_ACCESS_LOG},
        "own patients' access log": {P.PATIENT_ACCESS_LOG},
    },
}
COLUMNS = (Role.RECEPTION, Role.CLINICIAN, Role.ADMIN)


def expected_permissions() -> dict[Role, frozenset[Permission]]:
    granted: dict[Role, set[Permission]] = {role: set() for role in Role}
    for action, *cells in TABLE:
        for role, cell in zip(COLUMNS, cells, strict=True):
            if cell != "no":
                granted[role] |= ROW_PERMISSIONS[action][cell]
    return {role: frozenset(permissions) for role, permissions in granted.items()}


def test_the_code_grants_exactly_what_the_design_table_says() -> None:
    assert dict(ROLE_PERMISSIONS) == expected_permissions()


def test_every_permission_belongs_to_one_row_of_the_table() -> None:
    rows_of = {
        permission: [
            action for action, cells in ROW_PERMISSIONS.items() if permission in cells["yes"]
        ]
        for permission in Permission
    }
    assert {p: len(rows) for p, rows in rows_of.items()} == {p: 1 for p in Permission}
    assert set(WHO_MAY) == set(Permission)


def test_reception_never_reaches_clinical_notes_photos_or_the_report() -> None:
    # Issue 3, point 2, in the words a clinic manager would use.
    for permission in (
        P.VIEW_MEDICAL,
        P.VIEW_CLINICAL_RECORDS,
        P.PHOTOS,
        P.PROGRESS_REPORT,
        P.AUDIT_TRAIL,
        P.MANAGE_CLINIC,
    ):
        assert not allows(Role.RECEPTION, permission), permission
    for permission in (P.PATIENT_DEMOGRAPHICS, P.FOLLOW_UPS, P.PRINT_DOCUMENTS):
        assert allows(Role.RECEPTION, permission), permission
