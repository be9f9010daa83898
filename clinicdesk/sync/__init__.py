"""Exchange of changes between sites through a hub (DESIGN.md "Sites and sync").

The merge engine is SQLite's session extension, used through APSW (``apsw-sqlite3mc``, which
opens the SQLCipher database with ``cipher=sqlcipher, legacy=4``). APSW bundles its own SQLite,
so this package runs only in the sync process (``clinicdesk sync`` or a child process the GUI
starts), never beside the sqlcipher3 connections of the GUI process; import-linter keeps the
GUI from importing it. Within the sync process no sqlcipher3 connection to a database is open
while APSW has it open (two SQLite libraries in one process release each other's POSIX locks).

Modules: ``connection`` (opening, attaching, copying, the replicated tables, schema versions),
``changes`` (the changeset between two copies, and the files it names), ``merge`` (applying a
changeset at the hub, never overwriting, and at a replica, keeping what changed meanwhile),
``files`` (content-addressed stores copied and hash-checked), ``bundle`` (the sealed file on a
USB stick), ``hub`` (create, join) and ``engine`` (one sync: push then pull, with progress and
cancel). The entry points are ``engine.sync_with_hub``, ``engine.export_bundle``,
``engine.import_bundle``, ``hub.create_hub`` and ``hub.join_hub``.
"""
