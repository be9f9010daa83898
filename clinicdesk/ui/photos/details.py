"""Correcting a photo after import: its view (and trichoscopy region) and when it was taken.

The capture time comes from the camera's EXIF date, or from the file's time when the camera
wrote none (CLINICAL: "fallback: file time, editable"); the form says which, so a clinician
knows when to check it. Saving goes through ``PhotoService.update_details`` (clinicians only,
audited): a time in the future or before the patient's birth is refused with the message under
the field, and a photo someone else changed meanwhile shows both versions
(``ConcurrentEditDialog``) and overwrites nothing. ``saved`` carries the stored photo.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.dates import DateError, format_uk, parse_date_time
from clinicdesk.domain.photos import Photo, TakenAtSource, View, view_caption
from clinicdesk.errors import ConcurrentEdit, UserError, ValidationError
from clinicdesk.services.photos import PhotoService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog, compare_rows
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import FieldWithError
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog
from clinicdesk.ui.widgets.styles import ERROR_STYLE

SOURCE_NOTES = {
    TakenAtSource.EXIF: "From the camera's own record of the time.",
    TakenAtSource.FILE: "From the file's date (the camera recorded no time): check it.",
}
FIELD_LABELS = {"view": "View", "region": "Region", "taken_at": "Taken"}


class PhotoDetailsDialog(GuardedDialog):
    saved = Signal(object)  # the stored Photo

    def __init__(
        self,
        service: PhotoService,
        user: CurrentUser,
        photo: Photo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photo_details_dialog")
        self.setWindowTitle("Photo details")
        self.service = service
        self.user = user
        self.photo = photo
        self._version = photo.version
        self.concurrent_dialog: ConcurrentEditDialog | None = None
        form = QFormLayout(self)
        name = QLabel(photo.original_name)
        name.setObjectName("details_file_name")
        form.addRow("File:", _plain(name))
        form.addRow("Visit:", _plain(QLabel(format_uk(photo.visit_date))))

        self.view_box = QComboBox()
        self.view_box.setObjectName("details_view")
        self.view_box.addItem("Not tagged", None)
        for view in View:
            self.view_box.addItem(view.label, view.value)
        self.view_field = FieldWithError(self.view_box)
        form.addRow("&View:", self.view_field)

        self.region_box = QComboBox()
        self.region_box.setObjectName("details_region")
        self.region_box.addItem("—", None)
        for region in Region:
            self.region_box.addItem(region.label, region.value)
        self.region_box.setToolTip("The scalp region of a trichoscopy close-up")
        self.region_field = FieldWithError(self.region_box)
        form.addRow("&Region:", self.region_field)

        self.taken_edit = DateEdit(with_time=True)
        self.taken_edit.setObjectName("details_taken_at")
        self.taken_field = FieldWithError(self.taken_edit)
        form.addRow("&Taken:", self.taken_field)
        self.source_note = QLabel()
        self.source_note.setObjectName("details_source_note")
        self.source_note.setWordWrap(True)
        self.source_note.setStyleSheet("color: #52606d;")
        form.addRow("", _plain(self.source_note))

        self.message = QLabel()
        self.message.setObjectName("details_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setVisible(False)
        form.addRow(_plain(self.message))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.cancel)
        form.addRow(buttons)
        self.view_box.currentIndexChanged.connect(self._view_changed)
        self.load(photo)
        self.setMinimumWidth(420)

    # -- values -----------------------------------------------------------------------------

    def load(self, photo: Photo) -> None:
        self.photo = photo
        self.view_box.setCurrentIndex(
            self.view_box.findData(photo.view.value if photo.view else None)
        )
        self.region_box.setCurrentIndex(
            self.region_box.findData(photo.region.value if photo.region else None)
        )
        self.taken_edit.setText(f"{photo.taken_at:%d/%m/%Y %H:%M}")
        self.source_note.setText(SOURCE_NOTES[photo.taken_at_source])
        self._view_changed(0)

    @property
    def view(self) -> View | None:
        value = self.view_box.currentData()
        return View(value) if value else None

    @property
    def region(self) -> Region | None:
        value = self.region_box.currentData()
        return Region(value) if value and self.view is View.TRICHOSCOPY else None

    @property
    def taken_at(self) -> datetime:
        """The capture time exactly as typed (``DateError`` when it is not a date and time)."""
        return parse_date_time(self.taken_edit.text())

    def _view_changed(self, _index: int) -> None:
        trichoscopy = self.view is View.TRICHOSCOPY
        self.region_box.setEnabled(trichoscopy)
        if not trichoscopy:
            self.region_box.setCurrentIndex(0)

    # -- saving -----------------------------------------------------------------------------

    def save(self) -> None:
        for field in (self.view_field, self.region_field, self.taken_field):
            field.set_error(None)
        self.show_message("")
        try:
            taken_at = self.taken_at
        except DateError as exc:
            self.taken_field.set_error(f"{FIELD_LABELS['taken_at']} {exc}.")
            return
        try:
            photo = self.service.update_details(
                self.user,
                self.photo.id,
                self._version,
                view=self.view,
                region=self.region,
                taken_at=taken_at,
            )
        except ValidationError as exc:
            fields = {
                "view": self.view_field,
                "region": self.region_field,
                "taken_at": self.taken_field,
            }
            for name, message in exc.errors.items():
                if name in fields:
                    fields[name].set_error(f"{FIELD_LABELS[name]} {message}.")
                else:
                    self.show_message(exc.message)
            return
        except ConcurrentEdit as exc:
            self._concurrent(exc)
            return
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.photo = photo
        self._version = photo.version
        self.saved.emit(photo)
        self.accept()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _concurrent(self, exc: ConcurrentEdit) -> None:
        theirs = exc.theirs
        assert isinstance(theirs, Photo)
        mine = exc.mine if isinstance(exc.mine, Photo) else self.photo
        dialog = ConcurrentEditDialog(
            exc.message,
            compare_rows(FIELD_LABELS, _values(mine), _values(theirs)),
            "another user",
            self,
        )
        self.concurrent_dialog = dialog
        dialog.exec()
        if dialog.choice == ConcurrentEditDialog.USE_SAVED:
            self._version = theirs.version
            self.load(theirs)
            self.mark_clean()
            self.show_message("This form now shows the saved version.")
        elif dialog.choice == ConcurrentEditDialog.KEEP_MINE:
            # The user has seen the other version; Save again replaces it knowingly.
            self._version = theirs.version
            self.show_message(
                "Your changes are still here. Press Save again to replace the other version."
            )


def _values(photo: Photo) -> dict[str, str]:
    return {
        "view": view_caption(photo.view),
        "region": photo.region.label if photo.region else "—",
        "taken_at": f"{photo.taken_at:%d/%m/%Y %H:%M}",
    }


def _plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
