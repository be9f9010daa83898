"""Sites and sync in the window: the Sync button and background sync (``control``), the sync
child process (``runner``), Clinic > Conflicts (``conflicts``), duplicate patients offered for
merging (``duplicates``) and Admin > Sites and sync (``sites``).

The sync engine itself (``clinicdesk.sync``, with APSW's own SQLite) never loads in the window's
process: the window runs ``clinicdesk sync`` as a child and hands it the data key on stdin.

May import: ``widgets``, services (never ``clinicdesk.sync`` nor ``services.sync``: checked by
import-linter), domain. The window reaches it through ``control.SyncControl``, made by the
shell; it does not import the shell back (``control.SyncWindow`` says what it needs of it).

Tests: tests/ui/sync/ (and the engine's, tests/sync/).
"""
