"""A file that leaves the program (a saved PDF, an exported CSV) is on disk if and only if the
database records it (RELIABILITY row 37).

The file is written whole under a temporary name beside its destination and flushed first;
then one transaction records it and renames it into place. A record that fails (the data disk
full, the database busy) rolls back and the temporary file is removed; a rename that fails
rolls the record back; a commit that fails after the rename removes the file again. So the
message "nothing was saved" is true whichever step failed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.sealed_files import SaveFailed, fsync_directory


def stage(path: Path, data: bytes) -> Path:
    """``data`` written and flushed to a new temporary file beside ``path``; ``SaveFailed``
    (and nothing left behind) when it cannot be."""
    temp: str | None = None
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise _failed(exc, path) from exc
    return Path(temp)


def place_recorded(db: Database, staged: Path, path: Path, record: Callable[[], object]) -> None:
    """Rename ``staged`` (whole and flushed) to ``path`` in the transaction that ``record``
    writes. Whatever fails, ``staged`` is gone afterwards, and ``path`` holds the new file only
    if the record was committed. ``StorageError`` when recording fails, ``SaveFailed`` when
    the rename does."""
    placed = False
    try:
        with write_transaction(db):
            record()
            try:
                os.replace(staged, path)
            except OSError as exc:
                raise _failed(exc, path) from exc
            placed = True
    except BaseException:
        if placed:  # the commit failed after the rename: take the unrecorded file away again
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    finally:
        with contextlib.suppress(OSError):
            staged.unlink()
    fsync_directory(path.parent)


def save_recorded(db: Database, path: Path, data: bytes, record: Callable[[], object]) -> None:
    """Write ``data`` to ``path`` and ``record`` it, both or neither (see the module)."""
    place_recorded(db, stage(path, data), path, record)


def _failed(exc: OSError, path: Path) -> SaveFailed:
    return SaveFailed(f"Cannot save {path}: {exc.strerror or exc}. Nothing was saved.", exc.errno)
