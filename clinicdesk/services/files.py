"""Files a user saves outside the clinic's data folder (a copy of a PDF, wherever they chose):
written whole or not at all, so the GUI and the command line never reach into storage for it."""

from __future__ import annotations

from pathlib import Path

from clinicdesk.errors import UserError
from clinicdesk.storage.sealed_files import SaveFailed, write_durably


def save_copy(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file, fsync, rename). On failure ``path``
    is as it was and a ``UserError`` names the file and says why (disk full, no permission)."""
    try:
        write_durably(path, data)
    except SaveFailed as exc:
        raise UserError(f"{path.name} could not be saved. {exc.message}") from exc
