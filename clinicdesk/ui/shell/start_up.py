"""When the work that need not delay the first window is done, once it is up.

Start-up puts the main window up first (the patient list and the search box, ready for a
key); what the window can do without for a moment comes ``AFTER_WINDOW_UP_MS`` later, each on
a turn of the event loop of its own: the list's count line, the day's backups. The record's
tabs follow in idle time (``record_tabs.WARM_UP_AFTER_MS``), and the form rules and the idle
watcher, whose event filters have PySide make every Qt class left, later still
(``guarded_dialog.FORM_RULES_AFTER_MS``, ``idle_lock.WATCH_AFTER_MS``).
"""

from __future__ import annotations

# Long enough for the window to be painted and the first key to be handled; short enough that
# nobody sees the count line empty.
AFTER_WINDOW_UP_MS = 100
