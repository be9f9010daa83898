"""Image handling with no Qt and no SQL: checking imported files, display copies, thumbnails.

``ingest`` decodes safely, orients, hashes and derives display copies and thumbnails;
``synthetic`` draws the demo clinic's made-up photos.

May import: ``clinicdesk.domain``, ``clinicdesk.errors``, Pillow (and pillow-heif); never Qt,
storage or services.

Tests: tests/media/.
"""
