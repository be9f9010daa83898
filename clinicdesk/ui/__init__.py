"""The PySide6 front end: one sub-package per thing the user sees. Qt is imported only here and
in ``app``.

    shell/         start-up, sign-in, first run, the main window (list and search, menus, record
                   tabs, header, saving), idle lock and switch user: the only package that
                   composes the features
    patients/      patient list model, demographics form, medical history, classification (and
                   its scale pictures), the possible-duplicate question
    care/          Timeline, consultation/treatment/adverse event forms, follow-ups, lot finder
    measurements/  Measurements tab, its chart, the assessment form and CSV import report
    photos/        Photos tab: import, grid, details, viewer and side-by-side compare
    documents/     Documents tab, PDF preview and printing, consent dialogs, signature pad
    admin/         users, account forms, change password, audit trail, access log, clinic details
    widgets/       shared pieces: fields with messages, table models, background runner, error
                   dialogs, chosen files, the patient-tab base, the idle-lock mark

May import: ``clinicdesk.services``, ``clinicdesk.domain``, ``clinicdesk.errors``,
``clinicdesk.paths``; never ``clinicdesk.storage`` (services stand between), reportlab or
sqlite-utils. Inside: shell -> features -> widgets, and no feature imports another (a piece two
features need lives in widgets). All checked by import-linter (pyproject.toml).

Tests: tests/ui/<package>/ mirrors this (qtbot, offscreen); tests/ui/conftest.py holds the
shared fixtures; tests/ui/test_form_safety.py and test_switch_user.py cover the whole window.
"""
