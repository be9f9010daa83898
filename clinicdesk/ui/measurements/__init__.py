"""Measurements: the tab (``tab``) with its chart (``chart``, made on first need) and the
trichoscopy assessment form and CSV import report (``assessments``).

May import: ``clinicdesk.ui.widgets``, services, domain; not the shell or another feature.

Tests: tests/ui/measurements/.
"""
