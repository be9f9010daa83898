"""The language a patient needs an interpreter for, in SQL (migration 0015).

``patients`` gains ``interpreter_language`` (appended, as sync changesets are positional):
"" when no interpreter is needed, which every existing patient is until someone records one.
Consent forms print it in the interpreter's box (``services.documents``).
"""

from __future__ import annotations

MIGRATION_NAME = "0015_interpreter_language"
SCHEMA = ["ALTER TABLE patients ADD COLUMN interpreter_language TEXT NOT NULL DEFAULT ''"]
