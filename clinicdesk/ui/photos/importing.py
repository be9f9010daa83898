"""Importing photos off the GUI thread: choose the view and visit, watch progress, read the
summary.

The import is ``PhotoService.import_photos`` run by ``BackgroundTask`` on a connection of its
own (SQLite connections belong to the thread that made them), closed when the work ends. The
progress dialog appears only when the import is slow and has Cancel; files not started when
Cancel is pressed are reported as not imported (the files already imported stay). The summary
lists what was imported, what was already there and what was refused, each refusal with its
reason.

Files dragged onto the Photos tab go through ``photo_files_in`` first: a file is taken as it
is (if it is not a photo, the summary says so), a folder is searched with its sub-folders (a
camera card keeps its photos in ``DCIM/100CANON`` and the like) for files named as photos,
hidden files and folders left out. A drop in which nothing may be a photo (``letter.docx``, an
empty folder) says so at once, naming the files, instead of asking for a view and a visit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import DateError, format_uk, parse_date
from clinicdesk.domain.photos import View
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.photos import ImportOutcome
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.errors import show_failure
from clinicdesk.ui.widgets.fields import FieldWithError, plain_label
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif"})
MAX_FOLDER_FILES = 2000  # a dropped folder is searched for at most this many photos


@dataclass(frozen=True)
class DroppedFiles:
    files: list[Path]
    folders: int  # folders searched
    truncated: bool  # a folder held more than MAX_FOLDER_FILES photos; the rest were left

    def description(self) -> str:
        count = len(self.files)
        text = f"{count} file{'s' if count != 1 else ''}"
        if self.folders:
            text += f" (from {self.folders} folder{'s' if self.folders != 1 else ''})"
        text += " dropped."
        if self.truncated:
            text += f" Only the first {MAX_FOLDER_FILES} photos of a folder are taken at once."
        return text


def photo_files_in(paths: Iterable[Path]) -> DroppedFiles:
    """The files to import for dropped ``paths``: files as given, folders searched with their
    sub-folders for photo files (by name), in name order; hidden entries and links to folders
    are skipped, and nothing is opened or read (a pipe named like a photo is listed, and the
    import refuses it without reading it)."""
    files: list[Path] = []
    folders = 0
    truncated = False
    for path in paths:
        if path.is_dir():
            folders += 1
            found: list[Path] = []
            for folder, subfolders, names in os.walk(path):  # os.walk follows no folder links
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                found += [
                    Path(folder) / name
                    for name in sorted(names)
                    if not name.startswith(".") and Path(name).suffix.lower() in PHOTO_SUFFIXES
                ]
                if len(found) > MAX_FOLDER_FILES:
                    found, truncated = found[:MAX_FOLDER_FILES], True
                    break
            files += found
        elif path.is_symlink() or path.exists():
            # Not only regular files: a pipe or a link to a device is passed on too, so that
            # the import refuses it by name with its reason instead of it vanishing.
            files.append(path)
    return DroppedFiles(files, folders, truncated)


def nothing_to_import(dropped: DroppedFiles) -> str | None:
    """Why a drop imports nothing, naming what was dropped and what to drop instead; None
    when some file may be a photo. A file named as something else (``letter.docx``) is not
    sent through the import dialog only to be refused at the end; one with no extension is
    tried, as cameras and phones sometimes write such names."""
    maybe = [f for f in dropped.files if not f.suffix or f.suffix.lower() in PHOTO_SUFFIXES]
    if maybe:
        return None
    kinds = "JPEG, PNG, TIFF or HEIC"
    if dropped.files:
        names = [f.name for f in dropped.files]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        verb = "is not a photo" if len(names) == 1 else "are not photos"
        return (
            f"{shown} {verb}: only {kinds} photos can be imported. Nothing was imported; "
            "drop the photo files, or the folder that holds them."
        )
    return (
        f"No photo files ({kinds}) were found in what was dropped. Nothing was imported; "
        "drop the photo files, or the folder that holds them."
    )


class ImportOptionsDialog(GuardedDialog):
    """The view and visit date given to every file of one import."""

    def __init__(
        self,
        count: int,
        today: date,
        parent: QWidget | None = None,
        *,
        description: str | None = None,
        view: View | None = None,
        visit_date: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photo_import_options")
        self.setWindowTitle("Import photos")
        form = QFormLayout(self)
        self.description = plain_label(
            "import_description", description or f"{count} file{'s' if count != 1 else ''} chosen."
        )
        form.addRow(self.description)
        self.view_box = QComboBox()
        self.view_box.setObjectName("import_view")
        self.view_box.addItem("Not tagged yet", None)
        for each in View:
            self.view_box.addItem(each.label, each.value)
        if view is not None:
            self.view_box.setCurrentIndex(self.view_box.findData(view.value))
        form.addRow("&View:", self.view_box)
        self.visit_edit = DateEdit()
        self.visit_edit.setObjectName("import_visit_date")
        self.today = today
        visit = visit_date if visit_date is not None and visit_date <= today else today
        self.visit_edit.setText(format_uk(visit))
        self.visit_field = FieldWithError(self.visit_edit)
        form.addRow("Visit &date:", self.visit_field)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._ok_clicked)
        buttons.rejected.connect(self.cancel)
        form.addRow(buttons)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def view(self) -> View | None:
        value = self.view_box.currentData()
        return View(value) if value else None

    @property
    def visit_date(self) -> date:
        """The visit date as typed (call once ``check_visit_date`` has passed)."""
        return parse_date(self.visit_edit.text())

    def check_visit_date(self) -> bool:
        """The typed visit date is taken exactly as typed, or refused with a message at the
        field (not a date, a two-digit year, later than today): never corrected."""
        try:
            visit = parse_date(self.visit_edit.text())
        except DateError as exc:
            self.visit_field.set_error(f"The visit date {exc}.")
            return False
        if visit > self.today:
            self.visit_field.set_error(
                f"The visit date is in the future (today is {format_uk(self.today)})."
            )
            return False
        self.visit_field.set_error(None)
        return True

    def _ok_clicked(self) -> None:
        if self.check_visit_date():
            self.accept()


def summary_text(outcomes: Sequence[ImportOutcome], requested: int) -> str:
    """The import's outcome as a person reads it."""
    imported = [o for o in outcomes if o.status == "imported"]
    duplicates = [o for o in outcomes if o.status == "duplicate"]
    refused = [o for o in outcomes if o.status == "refused"]
    lines = [
        f"Imported: {len(imported)}",
        f"Already in the record (not stored again): {len(duplicates)}",
        f"Refused: {len(refused)}",
    ]
    if len(outcomes) < requested:
        lines.append(f"Cancelled: {requested - len(outcomes)} file(s) were not imported.")
    if refused:
        lines += ["", "Refused files:"]
        lines += [f"• {o.reason}" for o in refused]
    if duplicates:
        lines += ["", "Duplicates:"]
        lines += [f"• {o.reason}" for o in duplicates]
    return "\n".join(lines)


class ImportSummaryDialog(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photo_import_summary")
        self.setWindowTitle("Photo import")
        layout = QVBoxLayout(self)
        self.details = QPlainTextEdit(text)
        self.details.setObjectName("import_summary_text")
        self.details.setReadOnly(True)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 320)

    def text(self) -> str:
        return self.details.toPlainText()


def start_import(
    parent: QWidget,
    services: ClinicServices,
    user: CurrentUser,
    patient_id: str,
    paths: Sequence[Path],
    view: View | None,
    visit_date: date,
    on_done: Callable[[list[ImportOutcome]], None],
) -> BackgroundTask:
    """Run the import in the background; ``on_done`` gets the outcomes on the GUI thread.
    Errors (a visit date in the future, the clinic locked) are shown to the user."""
    files = [Path(p) for p in paths]

    def work(progress: Progress, cancelled: Cancelled) -> list[ImportOutcome]:
        own = services.open_for_job()
        try:
            return own.photos.import_photos(
                user,
                patient_id,
                files,
                view=view,
                visit_date=visit_date,
                progress=progress,
                cancelled=cancelled,
            )
        finally:
            own.close()

    def succeeded(result: object) -> None:
        assert isinstance(result, list)
        on_done(result)

    def failed(exc: BaseException) -> None:
        show_failure(parent, exc)

    count = len(files)
    label = f"Importing {count} photo{'s' if count != 1 else ''} for the visit of "
    task = BackgroundTask(parent, label + format_uk(visit_date) + "…", work, succeeded, failed)
    task.dialog.setWindowModality(Qt.WindowModality.WindowModal)
    task.start()
    return task
