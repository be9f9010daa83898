"""Reading a file the user picked (a scanned signed form, the clinic's logo) into memory, with
each way it can fail said plainly: the message names the file and what to do next; and asking
where to save one (``ask_save_path``: a PDF, a CSV, a zip).

The size is checked before the file is read, so a huge file is refused at once and never held
in memory; a folder is told apart before it is opened, because Windows answers "permission
denied" when a folder is opened as a file, which would send the user after the wrong problem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clinicdesk.errors import UserError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


def size_text(count: int) -> str:
    """A file's size as people read it: ``1.4 MB``, ``380 KB``."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{max(count // 1024, 1)} KB"


class ChosenFileError(UserError):
    """The chosen file cannot be used; the message names it and says what to do."""


def read_chosen_file(path: Path, too_large: Callable[[int], str | None]) -> bytes:
    """The bytes of ``path``. ``too_large(size)`` says why a file of ``size`` bytes is refused
    before it is read (None: not too large). A folder, a file gone since it was chosen, one
    the user may not read and one that fails to read raise ``ChosenFileError``."""
    name = path.name or str(path)
    try:
        if path.is_dir():
            raise ChosenFileError(f"{name} is a folder: open it and choose the file itself.")
        refusal = too_large(path.stat().st_size)
        if refusal:
            raise ChosenFileError(refusal)
        return path.read_bytes()
    except FileNotFoundError:
        raise ChosenFileError(
            f"{name} is no longer there (moved, renamed or on a drive since removed); "
            "choose it again."
        ) from None
    except PermissionError:
        raise ChosenFileError(
            f"{name} could not be opened: another program may have it open, or you may not "
            "read it. Close that program and choose it again, or copy the file into your "
            "Documents folder and choose the copy."
        ) from None
    except OSError as exc:
        raise ChosenFileError(
            f"{name} could not be read ({exc.strerror or exc}). If it is on a network folder "
            "or a memory stick, copy it to this computer and choose the copy."
        ) from None


def documents_folder() -> Path:
    """The user's Documents folder (their home folder where the system names none): where a
    save is first offered."""
    from PySide6.QtCore import QStandardPaths

    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(location) if location else Path.home()


def ask_save_path(
    parent: QWidget, title: str, default: Path, suffix: str, kind: str
) -> Path | None:
    """Ask where to save a file, offering ``default``; the path chosen, with ``suffix``
    (".pdf") added when the user left it off, or None when they cancelled. ``kind`` names the
    files in the dialog's filter ("PDF files")."""
    from PySide6.QtWidgets import QFileDialog

    chosen, _filter = QFileDialog.getSaveFileName(
        parent, title, str(default), f"{kind} (*{suffix})"
    )
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() != suffix:
        path = path.with_name(path.name + suffix)
    return path
