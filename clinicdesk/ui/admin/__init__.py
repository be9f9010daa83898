"""Administration: staff accounts (``users_dialog``, ``account_form``, ``change_password``), the
audit trail (``audit_view``), a record's access log (``access_log``), the clinic's details
printed on documents (``clinic_details``) and the check of the clinic's data (``data_check``).

May import: ``clinicdesk.ui.widgets``, services, domain; not the shell or another feature.

Tests: tests/ui/admin/.
"""
