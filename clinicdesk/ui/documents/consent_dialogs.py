"""What the consent dialogs share: the consent chosen, its fields and their messages, the
photo consent's scope boxes, saving through ``ConsentService`` and a consent someone else
changed meanwhile.

``SignConsentDialog`` (``sign_consent``) turns a *prepared* consent into a signed one;
``WithdrawConsentDialog`` (``withdraw_consent``) records a withdrawal; ``AttachmentImageDialog``
(``signed_form``) shows a signed form's picture afterwards.

Both save through ``ConsentService``: a ``ValidationError`` puts each message under its field
and nothing is saved; a consent someone else changed meanwhile shows both versions
(``ConcurrentEditDialog``) and keeps what was typed. ``changed`` carries the consent as stored
afterwards, so the Documents tab can show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.consent import (
    PHOTO_SCOPES,
    Consent,
    ConsentStatus,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.errors import ConcurrentEdit, UserError, ValidationError
from clinicdesk.services.consents import ConsentService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import (
    FieldWithError,
    clear_message_when_corrected,
    grow_to_fit,
    message_line,
    notice_label,
    save_and_cancel,
    show_field_errors,
    shown_errors,
)
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog
from clinicdesk.ui.widgets.patient_identity import IDENTITY_PROPERTY

NOTE_STYLE = "color: #52606d;"


def consent_choice_label(consent: Consent) -> str:
    """How a consent is named in a list: kind, exact wording and where it stands."""
    wording = f"{consent.template.template_id} v{consent.template.version}"
    if consent.status is ConsentStatus.PREPARED:
        when = f"printed {format_uk(consent.prepared_on)}"
    elif consent.signed_on is not None:
        when = f"signed {format_uk(consent.signed_on)}"
    else:
        when = consent.status.label.lower()
    return f"{consent.kind.label} ({wording}), {when}"


def consent_note(text: str, name: str, width: int = 420) -> QLabel:
    label = notice_label(text, name, NOTE_STYLE)
    # QFormLayout sizes a word-wrapped label for its narrowest width and hands the rows that
    # much height (it has no height-for-width): a minimum width keeps that to the lines needed.
    label.setMinimumWidth(width)
    return label


def consent_date_edit(name: str, today: date) -> DateEdit:
    edit = DateEdit()
    edit.setText(format_uk(today))
    edit.setObjectName(name)
    return edit


class ConsentForm(GuardedDialog):
    """What the two dialogs share: a consent to choose, fields with their errors, a message
    line, and the handling of a consent someone else changed meanwhile."""

    changed = Signal(object)  # the Consent as stored after the change

    ACTION = "Save"

    def __init__(
        self,
        service: ConsentService,
        user: CurrentUser,
        patient_name: str,
        choices: Sequence[Consent],
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.user = user
        self.patient_name = patient_name
        self.choices = list(choices)
        self.saved_consent: Consent | None = None
        # A version the user chose to save over (``ConcurrentEditDialog``: keep mine).
        self._versions: dict[str, int] = {}
        self.fields: dict[str, FieldWithError] = {}
        self.concurrent_dialog: ConcurrentEditDialog | None = None

        self.outer = QVBoxLayout(self)
        heading = QLabel(patient_name)
        heading.setObjectName(IDENTITY_PROPERTY)  # name_the_patient adds date of birth, NHS no.
        heading.setTextFormat(Qt.TextFormat.PlainText)  # names are shown as typed
        heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.outer.addWidget(heading)
        self.message = message_line("dialog_message")
        self.outer.addWidget(self.message)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.outer.addLayout(self.form)

        self.consent_combo = QComboBox()
        self.consent_combo.setObjectName("consent_choice")
        self.consent_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for consent in self.choices:
            self.consent_combo.addItem(consent_choice_label(consent), consent.id)
        self.add_field("consent", "Consent", self.consent_combo)

        self.buttons, self.save_button = save_and_cancel(self, self.save, self.ACTION)

    def finish_layout(self, chosen_id: str | None) -> None:
        clear_message_when_corrected(self.message, self.fields)
        self.outer.addStretch(1)
        self.outer.addWidget(self.buttons)
        index = self.consent_combo.findData(chosen_id) if chosen_id else -1
        self.consent_combo.setCurrentIndex(max(index, 0))
        self.consent_combo.currentIndexChanged.connect(self._consent_changed)
        self._consent_changed(self.consent_combo.currentIndex())

    # -- fields ---------------------------------------------------------------------------

    def add_field(self, key: str, label: str, editor: QWidget) -> FieldWithError:
        field = FieldWithError(editor)
        self.fields[key] = field
        self.form.addRow(label, field)
        return field

    def consent(self) -> Consent:
        consent_id = self.consent_combo.currentData()
        return next(c for c in self.choices if c.id == consent_id)

    def _consent_changed(self, _index: int) -> None:
        self.consent_changed(self.consent())

    def consent_changed(self, consent: Consent) -> None:
        """The consent chosen changed: show the fields that belong to it."""

    def version_of(self, consent: Consent) -> int:
        return self._versions.get(consent.id, consent.version)

    def show_errors(
        self, errors: Mapping[str, str], aliases: Mapping[str, str] | None = None
    ) -> None:
        """Each message under its field (``aliases`` maps the service's key to a field);
        messages for no field in the line at the top."""
        self.show_message(show_field_errors(self.fields, errors, aliases))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.fit_height()

    def fit_height(self) -> None:
        """Grow to show what was added (messages, a signature) rather than squeeze it."""
        grow_to_fit(self)

    def add_scopes(
        self,
        title: str,
        name: str,
        box_prefix: str,
        texts: Mapping[ConsentScope, str],
        *,
        row_label: str | None,
        note: QLabel | None = None,
    ) -> None:
        """The photo consent's scopes as tick boxes (``scope_boxes``, named ``box_prefix`` and
        the scope) in a group (named ``name``) with its error line: the ``scopes`` field, on
        the form's row ``scopes_row`` (spanning both columns when ``row_label`` is None)."""
        self.scopes_box = QGroupBox(title)
        self.scopes_box.setObjectName(name)
        layout = QVBoxLayout(self.scopes_box)
        self.scope_boxes: dict[ConsentScope, QCheckBox] = {}
        for scope in PHOTO_SCOPES:
            box = QCheckBox(texts[scope])
            box.setObjectName(f"{box_prefix}_{scope.value}")
            layout.addWidget(box)
            self.scope_boxes[scope] = box
        if note is not None:
            layout.addWidget(note)
        self.scopes_field = FieldWithError(self.scopes_box)
        self.fields["scopes"] = self.scopes_field
        if row_label is None:
            self.form.addRow(self.scopes_field)
        else:
            self.form.addRow(row_label, self.scopes_field)
        self.scopes_row = self.form.rowCount() - 1

    def errors(self) -> dict[str, str]:
        """The messages now shown under the fields."""
        return shown_errors(self.fields)

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        """The save button (a slot: returns None)."""
        consent = self.consent()
        try:
            saved = self.submit(consent)
        except ValidationError as exc:
            self.show_errors(exc.errors, self.ALIASES)
            return
        except ConcurrentEdit as exc:
            self._resolve_concurrent_edit(consent, exc)
            return
        except UserError as exc:
            show_user_error(self, exc, self.windowTitle())
            return
        self.show_errors({})
        self.saved_consent = saved
        self.accept()
        self.changed.emit(saved)

    ALIASES: ClassVar[Mapping[str, str]] = {}

    def submit(self, consent: Consent) -> Consent:
        raise NotImplementedError

    def mine(self, consent: Consent) -> list[tuple[str, str]]:
        """(label, value) of what this dialog would save, for the two-versions view."""
        raise NotImplementedError

    def theirs(self, consent: Consent) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _resolve_concurrent_edit(self, consent: Consent, exc: ConcurrentEdit) -> None:
        stored = exc.theirs if isinstance(exc.theirs, Consent) else consent
        rows = [
            (label, mine, saved)
            for (label, mine), (_label, saved) in zip(
                self.mine(consent), self.theirs(stored), strict=True
            )
        ]
        rows.sort(key=lambda row: row[1] == row[2])  # what differs first
        who = self.service.clinic.user_by_id(stored.info.updated_by)
        dialog = ConcurrentEditDialog(
            exc.message, rows, who.display_name if who else "another user", self
        )
        self.concurrent_dialog = dialog
        dialog.exec()
        dialog.deleteLater()
        self.concurrent_dialog = None
        if dialog.choice == ConcurrentEditDialog.KEEP_MINE:
            self._versions[consent.id] = stored.version
            self.show_message(
                f"Your entries are still here. Press {self.ACTION.replace('&', '')} again to "
                "save them over the other version."
            )
        elif dialog.choice == ConcurrentEditDialog.USE_SAVED:
            self.reject()
            self.changed.emit(stored)
        else:
            self.show_message(
                "Not saved: someone else changed this consent. Your entries are still here."
            )
