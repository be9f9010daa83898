"""Documents: the tab (``tab``: progress reports, consent forms, the documents log), the PDF
preview with printing and saving a copy (``pdf_preview``), opening a PDF from memory and
printing it (``printing``: the print dialog is ``printing.choose_printer``), the consent dialogs
(``consent_dialogs``) and the signature pad (``signature_pad``).

May import: ``clinicdesk.ui.widgets``, services, domain; not the shell or another feature.

Tests: tests/ui/documents/.
"""
