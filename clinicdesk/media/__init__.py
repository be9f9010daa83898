"""Image handling with no Qt and no SQL: checking imported files, display copies, thumbnails."""
