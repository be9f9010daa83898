"""Administration: staff accounts (``users_dialog``, ``account_form``, ``change_password``), the
audit trail (``audit_view``), a record's access log (``access_log``) and the clinic's details
printed on documents (``clinic_details``).

May import: ``clinicdesk.ui.widgets``, services, domain; not the shell or another feature.

Tests: tests/ui/admin/.
"""
