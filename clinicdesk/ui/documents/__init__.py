"""Documents: the tab (``tab``: its tables in ``consent_table``, making documents in ``making``,
the progress report's options in ``progress_report``), the PDF preview with printing and saving
a copy (``pdf_preview``), opening a PDF from memory and printing it (``printing``: the print
dialog is ``printing.choose_printer``), the consent dialogs (shared parts in
``consent_dialogs``; ``sign_consent``, ``withdraw_consent``, ``signed_form``) and the signature
pad (``signature_pad``).

May import: ``clinicdesk.ui.widgets``, services, domain; not the shell or another feature.

Tests: tests/ui/documents/.
"""
