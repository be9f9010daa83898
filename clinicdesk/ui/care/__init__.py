"""Care given: the Timeline tab, the consultation, treatment and adverse event forms, follow-ups
(booking from the Timeline and the clinic's due list), and the lot finder.

May import: ``clinicdesk.ui.widgets``, services, domain; not the shell or another feature.

Tests: tests/ui/care/.
"""
