"""Use cases: the one API the GUI and the CLI call. Permission checks, transactions, audit.

One module per area (patients, clinical, assessments, photos, documents, reports, consents,
users, clinic, audit, ...); ``context`` opens a clinic and builds ``ClinicServices``, the bundle
the front ends hold. Long jobs take a progress callback and a cancel token. What the front ends
need of storage (saving a copy of a file, telling a database failure from a bug) is offered
here too (``files``, ``database_errors``), so they never import storage.

May import: ``clinicdesk.storage``, ``clinicdesk.media``, ``clinicdesk.documents``,
``clinicdesk.domain``, ``clinicdesk.errors``, ``clinicdesk.paths``; never Qt or the front ends.
Modules that import reportlab or Pillow keep those imports lazy where start-up would pay.

Tests: tests/services/ (one file per area), tests/reliability/ for failures (disk full,
damaged files, crashes mid-write).
"""
