"""The application's shell: what holds the features together.

``application`` starts the GUI (first run or sign-in, then the window), with ``start_up`` saying
what waits until a window is up (the main window's modules are imported, and its widgets made,
while the sign-in dialog waits for a password; the count line, backups and form rules come once
the main window is up); ``sign_in`` and ``first_run`` are their dialogs, with ``restore_backup``
(a new PC restored from a backup) and ``recovery_key`` (the key shown once, to print);
``main_window`` is the window, built in layers (``idle_lock.LockableWindow`` -> ``window_menus``
-> ``record_tabs`` -> ``record_saving`` -> ``main_window``) with ``patient_header`` above the
record; ``idle_lock`` hides the record when nobody is there and lets another user take over
(``lock_screen`` is what it shows); ``window_layout`` remembers sizes; ``storage_banner`` holds
the banners (the database read-only; backups not in order, from ``auto_backup``, the daily
automatic backup); ``database_check`` runs the start-up check on a worker; ``user_guide`` is
Help > User guide; ``qt_check`` tells ``make run`` whether Qt can start.

May import: every feature package (patients, care, measurements, photos, documents, admin),
``widgets``, services, domain. Nothing imports the shell except ``clinicdesk.app``.

Tests: tests/ui/shell/, tests/ui/test_switch_user.py, tests/ui/test_form_safety.py.
"""
