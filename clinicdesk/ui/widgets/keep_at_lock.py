"""The mark a feature puts on a dialog that holds typed work, for the shell's idle lock
(``ui/shell/idle_lock.py``). Here, among the shared pieces, so that a feature marks its dialogs
without importing the shell that composes it."""

from __future__ import annotations

# A dialog with this Qt property set to True holds typed work: the lock hides it and gives it
# back on unlock instead of cancelling it. Only for dialogs shown with ``open()``: hiding one
# running its own ``exec()`` loop would end that loop.
KEEP_AT_LOCK = "clinicdesk_keep_at_lock"
