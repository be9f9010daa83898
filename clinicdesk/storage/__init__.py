"""The only package that knows SQL and the file layout.

``database`` opens the (SQLCipher) database and runs transactions; ``migrations`` upgrades it;
one repository module per area (patients, clinical, assessments, photos, consents, clinic);
``search`` the full-text index; ``sealed_files`` and ``recorded_files`` the files beside the
database; ``audit`` the hash-chained audit log; ``keys`` the key ring; ``driver`` picks the
SQLite driver (imported first, below).

May import: ``clinicdesk.domain``, ``clinicdesk.errors``, ``clinicdesk.paths``, sqlite-utils
(only here); never Qt, services or the front ends. Only services import this package (the GUI
and the command line go through them; import-linter checks it).

Tests: tests/storage/, and tests/reliability/ for failures.
"""

# First, before anything imports sqlite-utils: make it use SQLCipher's driver (see driver.py).
from clinicdesk.storage import driver as _driver  # noqa: F401
