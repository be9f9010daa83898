"""Admin > Clinic details: what every document prints about the clinic, and the cooling-off
period the treatment check enforces.

The name, address and phones head every page (each site's own address, where it has one, on
what that site produces); the device used and the usual cost fill in the consent forms
(CLINICAL.md: written information names the device); the data protection officer (or
contact), the ICO registration number and the processors (one per line) fill in the privacy
notice;
the logo (a PNG picture, at most 512 KB) sits beside the name. Saving sends only what changed
(``ClinicDetailsService.update`` audits the names of the fields it was given) and the
cooling-off days through ``ClinicService.set_cooling_off_days``; each problem is shown under
its field and the dialog stays open.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.consent import COOLING_OFF_DAYS_MAX, check_cooling_off_days
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.clinic import ClinicService
from clinicdesk.services.clinic_details import (
    LABELS,
    LOGO_MAX_BYTES,
    PNG_MAGIC,
    SITE_ADDRESS,
    ClinicDetailsService,
    ClinicDocumentDetails,
)
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.chosen_file import ChosenFileError, read_chosen_file, size_text
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import (
    FieldWithError,
    clear_message_when_corrected,
    grow_to_fit,
    message_line,
    save_and_cancel,
    show_field_errors,
    shown_errors,
)
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog

# (field, several lines, hint)
TEXT_FIELDS: tuple[tuple[str, bool, str], ...] = (
    ("name", False, ""),
    ("address", True, "As printed under the name, one line per line"),
    ("phone", False, "e.g. 020 7946 0000"),
    ("out_of_hours_phone", False, "For the aftercare sheet: who to call at night"),
    ("data_protection_contact", True, "Who patients write to about their data"),
    ("ico_registration_number", False, "e.g. ZA123456, from the ICO's register of fee payers"),
    (
        "processors",
        True,
        "One per line: who handles data for the clinic, and what for "
        "(e.g. Acme Cloud Ltd, encrypted off-site backups)",
    ),
    ("device", False, ""),
    ("cost", True, "e.g. £450 per session, including the 1-month review"),
)
# Taller editors, for lists.
EDITOR_HEIGHTS = {"processors": 96}
LOGO_PREVIEW = QSize(200, 70)
LOGO_FILTER = "PNG pictures (*.png);;All files (*)"
# The spin box takes more than the service allows, so that a number typed over the limit stays
# on screen and is refused with the limit (Qt would keep only its first digit: 90 became 9).
COOLING_OFF_TYPED_MAX = 999
COOLING_OFF_KEY = "cooling_off_days"


class ClinicDetailsDialog(GuardedDialog):
    def __init__(
        self,
        details_service: ClinicDetailsService,
        clinic: ClinicService,
        user: CurrentUser,
        parent: QWidget | None = None,
        *,
        choose_logo: Callable[[QWidget], Path | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("clinic_details_dialog")
        self.setWindowTitle("Clinic details")
        self.details_service = details_service
        self.clinic = clinic
        self.user = user
        self.choose_logo = choose_logo or _ask_for_logo
        self.details = details_service.details()
        self.cooling_off = clinic.cooling_off_days()
        self.logo: bytes | None = self.details.logo_png  # what the preview shows
        self.logo_changed = False
        self.saved_details: ClinicDocumentDetails | None = None

        layout = QVBoxLayout(self)
        intro = QLabel(
            "Printed on every consent form, information sheet and report. Changes apply to "
            "documents made from now on; documents already printed keep what they said."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.message = message_line("dialog_message")
        layout.addWidget(self.message)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        layout.addLayout(self.form)
        self.fields: dict[str, FieldWithError] = {}
        self.editors: dict[str, QLineEdit | QPlainTextEdit] = {}
        for key, multiline, hint in TEXT_FIELDS:
            value = str(getattr(self.details, key))
            editor: QLineEdit | QPlainTextEdit
            if multiline:
                editor = QPlainTextEdit(value)
                editor.setTabChangesFocus(True)
                editor.setFixedHeight(EDITOR_HEIGHTS.get(key, 58))
            else:
                editor = QLineEdit(value)
            editor.setObjectName(key)
            editor.setPlaceholderText(hint)
            self.editors[key] = editor
            self._add(key, LABELS[key], editor)

        self.site_editors = self._add_site_addresses()

        logo_row = QWidget()
        # Keeps its height when a message appears under it (the dialog grows instead).
        logo_row.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        logo_layout = QHBoxLayout(logo_row)
        logo_layout.setContentsMargins(0, 0, 0, 0)
        self.logo_preview = QLabel()
        self.logo_preview.setObjectName("logo_preview")
        self.logo_preview.setFixedSize(LOGO_PREVIEW)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet(
            "background: white; border: 1px solid #cbd2d9; color: #8a94a3;"
        )
        logo_layout.addWidget(self.logo_preview)
        buttons = QVBoxLayout()
        self.choose_logo_button = QPushButton("C&hoose logo…")
        self.choose_logo_button.setObjectName("choose_logo")
        self.choose_logo_button.setToolTip(f"A PNG picture, at most {LOGO_MAX_BYTES // 1024} KB")
        self.choose_logo_button.clicked.connect(self._choose_logo_clicked)
        self.remove_logo_button = QPushButton("&Remove logo")
        self.remove_logo_button.setObjectName("remove_logo")
        self.remove_logo_button.clicked.connect(self.remove_logo)
        buttons.addWidget(self.choose_logo_button)
        buttons.addWidget(self.remove_logo_button)
        buttons.addStretch(1)
        logo_layout.addLayout(buttons)
        logo_layout.addStretch(1)
        self._add("logo_png", LABELS["logo_png"], logo_row)

        self.cooling_off_days = QSpinBox()
        self.cooling_off_days.setObjectName(COOLING_OFF_KEY)
        self.cooling_off_days.setRange(0, COOLING_OFF_TYPED_MAX)
        self.cooling_off_days.setSuffix(" days")
        self.cooling_off_days.setValue(self.cooling_off)
        self.cooling_off_days.setMaximumWidth(110)
        self.cooling_off_days.setToolTip(
            f"0 to {COOLING_OFF_DAYS_MAX} days between the consent discussion and the treatment "
            "(GMC guidance); an earlier treatment needs an override with a reason"
        )
        self._add(COOLING_OFF_KEY, "Cooling-off period", self.cooling_off_days)

        self.buttons, self.save_button = save_and_cancel(self, self.save)
        layout.addWidget(self.buttons)
        self._show_logo()
        clear_message_when_corrected(self.message, self.fields)
        self.resize(620, self.sizeHint().height())

    def _add(self, key: str, label: str, editor: QWidget, row: int | None = None) -> None:
        field = FieldWithError(editor)
        self.fields[key] = field
        if row is None:
            self.form.addRow(label, field)
        else:
            self.form.insertRow(row, label, field)

    def _add_site_addresses(self) -> dict[str, QPlainTextEdit]:
        """An address per site, under the clinic's: what the documents made there print."""
        editors: dict[str, QPlainTextEdit] = {}
        row = [key for key, _multiline, _hint in TEXT_FIELDS].index("address") + 1
        for site in self.details_service.sites():
            editor = QPlainTextEdit(site.address)
            editor.setObjectName(f"site_address_{site.number_prefix or site.id}")
            editor.setTabChangesFocus(True)
            editor.setFixedHeight(44)
            editor.setPlaceholderText("Printed on what this site produces; empty: as above")
            editors[site.id] = editor
            self._add(f"{SITE_ADDRESS}:{site.id}", f"Address at {site.name}", editor, row)
            row += 1
        return editors

    def changed_site_addresses(self) -> dict[str, str]:
        stored: dict[str, str] = {s.id: s.address for s in self.details_service.sites()}
        return {
            site_id: editor.toPlainText()
            for site_id, editor in self.site_editors.items()
            if editor.toPlainText() != stored.get(site_id, "")
        }

    # -- values ---------------------------------------------------------------------------

    def text(self, key: str) -> str:
        editor = self.editors[key]
        return editor.toPlainText() if isinstance(editor, QPlainTextEdit) else editor.text()

    def changed_fields(self) -> dict[str, str]:
        """The text fields whose value differs from what is stored."""
        return {
            key: self.text(key)
            for key, _multiline, _hint in TEXT_FIELDS
            if self.text(key) != str(getattr(self.details, key))
        }

    # -- logo -----------------------------------------------------------------------------

    def _choose_logo_clicked(self) -> None:
        path = self.choose_logo(self)
        if path is not None:
            self.set_logo_file(path)

    def set_logo_file(self, path: Path) -> bool:
        """Use the picture at ``path`` as the logo (saved with the rest); a file that is not a
        PNG picture (documents embed PNG only), too large or unreadable is refused under the
        field at once."""
        field = self.fields["logo_png"]
        try:
            data = read_chosen_file(path, lambda size: _logo_too_large(path.name, size))
        except ChosenFileError as exc:
            field.set_error(exc.message)
            return False
        if not data.startswith(PNG_MAGIC) or QImage.fromData(data).isNull():
            field.set_error(
                f"{path.name} is not a PNG picture. Save the logo as PNG (most picture "
                "programs offer it under Save as or Export) and choose that file."
            )
            return False
        field.set_error(None)
        self.logo = data
        self.logo_changed = True
        self._show_logo()
        return True

    def remove_logo(self) -> None:
        self.logo = None
        self.logo_changed = True
        self.fields["logo_png"].set_error(None)
        self._show_logo()

    def _show_logo(self) -> None:
        image = QImage.fromData(self.logo) if self.logo else QImage()
        if image.isNull():
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo")
        else:
            fitted = image.scaled(
                LOGO_PREVIEW - QSize(8, 8),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self.logo_preview.setPixmap(QPixmap.fromImage(fitted))
        self.remove_logo_button.setEnabled(self.logo is not None)

    # -- saving ---------------------------------------------------------------------------

    def show_errors(self, errors: dict[str, str]) -> None:
        self.show_message(show_field_errors(self.fields, errors))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        grow_to_fit(self)  # show the messages rather than squeeze the form

    def errors(self) -> dict[str, str]:
        return shown_errors(self.fields)

    def save(self) -> None:
        """The Save button (a slot: returns None)."""
        raw = self.changed_fields()
        days = self.cooling_off_days.value()
        details = self.details
        try:
            check_cooling_off_days(days)  # before anything is saved: all or nothing
            if raw or self.logo_changed:
                new_logo = self.logo if self.logo_changed and self.logo is not None else None
                details = self.details_service.update(
                    self.user,
                    raw,
                    logo=new_logo,
                    remove_logo=self.logo_changed and self.logo is None,
                )
                self.details = details
                self.logo_changed = False
            if sites := self.changed_site_addresses():
                self.details_service.set_site_addresses(self.user, sites)
            if days != self.cooling_off:
                self.cooling_off = self.clinic.set_cooling_off_days(self.user, days)
        except ValidationError as exc:
            self.show_errors(dict(exc.errors))
            return
        except UserError as exc:
            show_user_error(self, exc, "Clinic details")
            return
        self.show_errors({})
        self.saved_details = details
        self.accept()


def _logo_too_large(name: str, size: int) -> str | None:
    if size <= LOGO_MAX_BYTES:
        return None
    return (
        f"{name} is too large ({size_text(size)}): a logo is at most "
        f"{LOGO_MAX_BYTES // 1024} KB. Save a smaller copy of the picture and choose that."
    )


def _ask_for_logo(parent: QWidget) -> Path | None:
    chosen, _filter = QFileDialog.getOpenFileName(
        parent, "Choose the clinic's logo", str(Path.home()), LOGO_FILTER
    )
    return Path(chosen) if chosen else None
