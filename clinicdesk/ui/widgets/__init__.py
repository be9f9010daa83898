"""Shared pieces every GUI package may use: fields that show their own messages (``fields``),
the style sheet snippets they share (``styles``),
the form rules (``guarded_dialog``), the date input (``dates``), forms naming their patient
(``patient_identity``), table models and views (``table_model``, ``item_table``), the background
runner with delayed progress (``background``), error and bug dialogs (``errors``), reading a
chosen file (``chosen_file``), the base of a record tab (``patient_tab``), the "someone else
saved this" dialog (``concurrent_edit``) and the idle lock's mark on dialogs that hold typed
work (``keep_at_lock``).

May import: services, domain, errors; never another GUI package (everything else imports this).

Tests: tests/ui/widgets/ and, through the screens that use them, the other tests/ui folders.
"""
