"""Recording a consent as signed or withdrawn, and looking at the signed form afterwards.

``SignConsentDialog`` turns a *prepared* consent (its form was printed) into a signed one: the
date, the clinician who took consent (GMC guidance: the treating clinician, so the list holds
the clinic's enabled clinicians and starts on the one who led the consent discussion), an
optional witness and interpreter, the photo consent's three scopes exactly as the patient
ticked them, and the evidence: the scanned signed paper, or a signature drawn on screen. A
receptionist records a signing as its witness, so for reception the witness is their own name
and cannot be changed (``ConsentService.sign`` insists on the same).

``WithdrawConsentDialog`` records a withdrawal with its date and the patient's reason; for a
photo consent it withdraws only the scopes ticked (marketing alone is the usual case).

Both save through ``ConsentService``: a ``ValidationError`` puts each message under its field
and nothing is saved; a consent someone else changed meanwhile shows both versions
(``ConcurrentEditDialog``) and keeps what was typed. ``changed`` carries the consent as stored
afterwards, so the Documents tab can show it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.consent import (
    PHOTO_SCOPES,
    SCOPE_LABELS,
    Consent,
    ConsentKind,
    ConsentStatus,
    check_scan,
    scan_too_large,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.domain.roles import Role
from clinicdesk.errors import ConcurrentEdit, UserError, ValidationError
from clinicdesk.services.consents import ConsentService
from clinicdesk.services.documents import ConsentTaker
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.documents.signature_pad import SignatureDialog
from clinicdesk.ui.widgets.chosen_file import ChosenFileError, read_chosen_file, size_text
from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog
from clinicdesk.ui.widgets.dates import DateEdit
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
from clinicdesk.ui.widgets.patient_identity import IDENTITY_PROPERTY

SCAN_FILTER = "Scans of the signed form (*.pdf *.jpg *.jpeg *.png);;All files (*)"
NOTE_STYLE = "color: #52606d;"
MARKETING_NOTE = "Withdrawing marketing consent marks this patient's photos as not for marketing."
PROCEDURE_NOTE = (
    "Withdrawing the procedure consent blocks further treatment until a new consent form is "
    "signed (an earlier treatment is not affected)."
)
SCOPE_HINTS = {
    ConsentScope.CLINICAL_RECORD: "photos kept in the patient's clinical record",
    ConsentScope.TEACHING: "anonymised, for teaching and training",
    ConsentScope.MARKETING: "identifiable, on the clinic's website and leaflets",
}
SIGNATURE_THUMBNAIL = QSize(180, 48)


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


def _note(text: str, name: str, width: int = 420) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(NOTE_STYLE)
    # QFormLayout sizes a word-wrapped label for its narrowest width and hands the rows that
    # much height (it has no height-for-width): a minimum width keeps that to the lines needed.
    label.setMinimumWidth(width)
    return label


def _date_edit(name: str, today: date) -> DateEdit:
    edit = DateEdit()
    edit.setText(format_uk(today))
    edit.setObjectName(name)
    return edit


class _ConsentForm(GuardedDialog):
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


# -- signing ------------------------------------------------------------------------------------


class SignConsentDialog(_ConsentForm):
    """Record a prepared consent as signed; see the module docstring."""

    ACTION = "&Record as signed"
    ALIASES: ClassVar[Mapping[str, str]] = {
        "signature": "attachment",
        "scan": "attachment",
        "photo_scopes": "scopes",
        "consent_taken_by_id": "taken_by",
    }

    def __init__(
        self,
        service: ConsentService,
        user: CurrentUser,
        patient_name: str,
        consents: Sequence[Consent],
        takers: Sequence[ConsentTaker],
        *,
        today: date,
        default_taker: Callable[[Consent], str | None] = lambda _consent: None,
        chosen_id: str | None = None,
        choose_scan: Callable[[QWidget], Path | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``consents``: the patient's consents (the prepared ones are offered, newest first);
        ``default_taker(consent)``: the clinician who led its consent discussion, if known;
        ``choose_scan``: asks for the scan's file (a file dialog unless given)."""
        prepared = [c for c in consents if c.status is ConsentStatus.PREPARED]
        if not prepared:
            raise UserError(
                "No consent is waiting to be signed. Print the consent pack (or a consent form) "
                "first: printing it records the consent as prepared."
            )
        if chosen_id is None or not any(c.id == chosen_id for c in prepared):
            procedure = [c for c in prepared if c.kind is ConsentKind.PROCEDURE]
            chosen_id = (procedure or prepared)[0].id
        super().__init__(service, user, patient_name, prepared, parent)
        self.setObjectName("sign_consent_dialog")
        self.setWindowTitle("Record signed consent")
        self.takers = list(takers)
        self.default_taker = default_taker
        self.choose_scan = choose_scan or _ask_for_scan
        self.scan: tuple[str, bytes] | None = None
        self.signature_png: bytes | None = None
        self._taker_chosen = False

        self.signed_on = _date_edit("signed_on", today)
        self.add_field("signed_on", "Signed on", self.signed_on)

        self.taken_by = QComboBox()
        self.taken_by.setObjectName("consent_taken_by")
        self.taken_by.addItem("— choose the clinician who took consent —", "")
        for taker in self.takers:
            label = taker.name
            if taker.registration_number:
                label += f" ({taker.registration_number})"
            self.taken_by.addItem(label, taker.id)
        self.taken_by.activated.connect(self._taker_activated)
        self.add_field("taken_by", "Consent taken by", self.taken_by)

        self.witness = QLineEdit()
        self.witness.setObjectName("witness_name")
        self.witness.setMaxLength(200)
        if user.role is Role.RECEPTION:
            # Reception records a signing as its witness (ConsentService.sign insists).
            self.witness.setText(user.display_name)
            self.witness.setReadOnly(True)
            self.witness.setToolTip("Reception records the signing as its witness: you.")
        else:
            self.witness.setPlaceholderText("optional: who saw the patient sign")
        self.add_field("witness_name", "Witness", self.witness)
        if user.role is Role.RECEPTION:
            self.form.addRow("", _note("You record this signing as its witness.", "witness_note"))

        self.interpreter = QLineEdit()
        self.interpreter.setObjectName("interpreter_name")
        self.interpreter.setMaxLength(200)
        self.interpreter.setPlaceholderText("optional")
        self.add_field("interpreter_name", "Interpreter", self.interpreter)

        self.add_scopes(
            "Photo consent: what the patient agreed to",
            "photo_scopes",
            "scope",
            {scope: f"{SCOPE_LABELS[scope]}: {SCOPE_HINTS[scope]}" for scope in PHOTO_SCOPES},
            row_label=None,
            note=_note(
                "Tick exactly what the patient ticked on the form; each is independent, and "
                "refusing one never affects treatment.",
                "scopes_note",
            ),
        )

        attachment = QWidget()
        row = QVBoxLayout(attachment)
        row.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self.attach_button = QPushButton("&Attach scan…")
        self.attach_button.setObjectName("attach_scan")
        self.attach_button.setToolTip("The signed paper form, scanned: PDF, JPEG or PNG")
        self.attach_button.clicked.connect(self._attach_clicked)
        self.draw_button = QPushButton("&Draw signature…")
        self.draw_button.setObjectName("draw_signature")
        self.draw_button.setToolTip("The patient signs on screen with a pen or the mouse")
        self.draw_button.clicked.connect(self._draw_clicked)
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.draw_button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        self.scan_label = QLabel()
        self.scan_label.setObjectName("scan_attached")
        self.scan_label.setTextFormat(Qt.TextFormat.PlainText)
        self.scan_label.setWordWrap(True)
        row.addWidget(self.scan_label)
        signature_row = QHBoxLayout()
        self.signature_label = QLabel()
        self.signature_label.setObjectName("signature_attached")
        self.signature_label.setTextFormat(Qt.TextFormat.PlainText)
        self.signature_preview = QLabel()
        self.signature_preview.setObjectName("signature_preview")
        self.signature_preview.setStyleSheet("background: white; border: 1px solid #cbd2d9;")
        self.signature_preview.setVisible(False)
        signature_row.addWidget(self.signature_label)
        signature_row.addWidget(self.signature_preview)
        signature_row.addStretch(1)
        row.addLayout(signature_row)
        self.add_field("attachment", "Signed form", attachment)

        self.finish_layout(chosen_id)
        self._show_attachments()
        self.resize(620, self.sizeHint().height())

    # -- the consent chosen -----------------------------------------------------------------

    def consent_changed(self, consent: Consent) -> None:
        photo = consent.kind is ConsentKind.PHOTO
        self.form.setRowVisible(self.scopes_row, photo)
        if not self._taker_chosen:
            wanted = self.default_taker(consent)
            if wanted is None and any(t.id == self.user.id for t in self.takers):
                wanted = self.user.id  # a clinician recording their own consent
            index = self.taken_by.findData(wanted) if wanted else -1
            self.taken_by.setCurrentIndex(max(index, 0))
        self.fit_height()

    def _taker_activated(self, _index: int) -> None:
        self._taker_chosen = True  # the user's choice stays when another consent is picked

    # -- the evidence ---------------------------------------------------------------------

    def _attach_clicked(self) -> None:
        path = self.choose_scan(self)
        if path is not None:
            self.attach_scan(path)

    def attach_scan(self, path: Path) -> bool:
        """Read the scan at ``path`` and keep it to save with the signing; a file that is not
        a PDF, JPEG or PNG, too large or unreadable is refused under the field at once."""
        field = self.fields["attachment"]
        try:
            data = read_chosen_file(path, lambda size: scan_too_large(path.name, size))
            name, _format = check_scan(path.name, data)
        except ValidationError as exc:
            field.set_error(exc.errors.get("scan", "cannot be attached"))
            self.fit_height()
            return False
        except ChosenFileError as exc:
            field.set_error(exc.message)
            self.fit_height()
            return False
        self.scan = (name, data)
        field.set_error(None)
        self._show_attachments()
        return True

    def _draw_clicked(self) -> None:
        png = SignatureDialog.get_signature(
            self,
            f"{self.patient_name}: sign in the box with the pen or the mouse.",
            title="Patient's signature",
        )
        if png is not None:
            self.set_signature(png)

    def set_signature(self, png: bytes) -> None:
        self.signature_png = png
        self.fields["attachment"].set_error(None)
        self._show_attachments()

    def _show_attachments(self) -> None:
        if self.scan is not None:
            name, data = self.scan
            self.scan_label.setText(f"✓ Scan attached: {name} ({size_text(len(data))})")
            self.attach_button.setText("Replace &scan…")
        else:
            self.scan_label.setText("No scan attached.")
        if self.signature_png is not None:
            self.signature_label.setText("✓ Signature drawn on screen:")
            image = QImage.fromData(self.signature_png)
            self.signature_preview.setPixmap(
                QPixmap.fromImage(
                    image.scaled(
                        SIGNATURE_THUMBNAIL,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )
            )
            self.signature_preview.setVisible(True)
            self.draw_button.setText("Draw a&gain…")
        else:
            self.signature_label.setText("No signature drawn on screen.")
            self.signature_preview.setVisible(False)
        self.fit_height()

    # -- saving ---------------------------------------------------------------------------

    def taker_id(self) -> str:
        return str(self.taken_by.currentData() or "")

    def scopes(self) -> dict[str, bool]:
        return {scope.value: box.isChecked() for scope, box in self.scope_boxes.items()}

    def submit(self, consent: Consent) -> Consent:
        photo = consent.kind is ConsentKind.PHOTO
        return self.service.sign(
            self.user,
            consent.id,
            self.version_of(consent),
            self.signed_on.text(),
            self.taker_id(),
            witness_name=self.witness.text(),
            interpreter_name=self.interpreter.text(),
            signature_png=self.signature_png,
            scan=self.scan,
            photo_scopes=self.scopes() if photo else None,
        )

    def _taker_name(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        found = self.service.clinic.user_by_id(user_id)
        return found.display_name if found else user_id

    def mine(self, consent: Consent) -> list[tuple[str, str]]:
        return [
            ("Status", "Signed"),
            ("Signed on", self.signed_on.text()),
            ("Consent taken by", self._taker_name(self.taker_id())),
            ("Witness", self.witness.text()),
            ("Interpreter", self.interpreter.text()),
        ]

    def theirs(self, consent: Consent) -> list[tuple[str, str]]:
        return [
            ("Status", consent.status.label),
            ("Signed on", format_uk(consent.signed_on) if consent.signed_on else ""),
            ("Consent taken by", self._taker_name(consent.consent_taken_by_id)),
            ("Witness", consent.witness_name),
            ("Interpreter", consent.interpreter_name),
        ]


def _ask_for_scan(parent: QWidget) -> Path | None:
    chosen, _filter = QFileDialog.getOpenFileName(
        parent, "Attach the scanned signed form", str(Path.home()), SCAN_FILTER
    )
    return Path(chosen) if chosen else None


# -- withdrawing --------------------------------------------------------------------------------


class WithdrawConsentDialog(_ConsentForm):
    """Record a withdrawal of a signed consent (or of some of a photo consent's scopes)."""

    ACTION = "&Withdraw consent"
    ALIASES: ClassVar[Mapping[str, str]] = {"withdrawal_reason": "reason"}

    def __init__(
        self,
        service: ConsentService,
        user: CurrentUser,
        patient_name: str,
        consents: Sequence[Consent],
        *,
        today: date,
        chosen_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        signed = [c for c in consents if c.status is ConsentStatus.SIGNED]
        if not signed:
            raise UserError("No signed consent is in force, so there is nothing to withdraw.")
        if chosen_id is None or not any(c.id == chosen_id for c in signed):
            chosen_id = signed[0].id
        super().__init__(service, user, patient_name, signed, parent)
        self.setObjectName("withdraw_consent_dialog")
        self.setWindowTitle("Withdraw consent")

        self.withdrawn_on = _date_edit("withdrawn_on", today)
        self.add_field("withdrawn_on", "Withdrawn on", self.withdrawn_on)

        self.add_scopes(
            "Scopes to withdraw", "withdraw_scopes", "withdraw", SCOPE_LABELS, row_label=""
        )
        for box in self.scope_boxes.values():
            box.toggled.connect(self._scopes_toggled)

        self.note = _note("", "withdraw_note")
        self.form.addRow("", self.note)
        self.note_row = self.form.rowCount() - 1

        self.reason = QPlainTextEdit()
        self.reason.setObjectName("withdrawal_reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("In the patient's words, e.g. no longer wishes to appear …")
        self.reason.setFixedHeight(72)
        self.add_field("reason", "Reason", self.reason)

        self.finish_layout(chosen_id)
        self.resize(560, self.sizeHint().height())

    def consent_changed(self, consent: Consent) -> None:
        photo = consent.kind is ConsentKind.PHOTO
        self.form.setRowVisible(self.scopes_row, photo)
        for scope, box in self.scope_boxes.items():
            grant = consent.grant(scope)
            open_scope = grant is not None and grant.withdrawable
            box.setEnabled(open_scope)
            if grant is None or not grant.granted:
                box.setToolTip("Not granted at signing")
            elif grant.withdrawn_on is not None:
                box.setToolTip(f"Already withdrawn on {format_uk(grant.withdrawn_on)}")
            else:
                box.setToolTip("")
            # Marketing alone is what patients usually withdraw.
            box.setChecked(open_scope and scope is ConsentScope.MARKETING)
        self._scopes_toggled(False)
        self.fit_height()

    def _scopes_toggled(self, _checked: bool) -> None:
        consent = self.consent()
        if consent.kind is ConsentKind.PROCEDURE:
            self.note.setText(PROCEDURE_NOTE)
        else:
            notes = []
            if self.scope_boxes[ConsentScope.MARKETING].isChecked():
                notes.append(MARKETING_NOTE)
            left = [
                g
                for g in consent.scopes
                if g.withdrawable and not self.scope_boxes[g.scope].isChecked()
            ]
            if not left:
                notes.append("No scope is left in force: the photo consent is withdrawn.")
            self.note.setText(" ".join(notes))
        self.form.setRowVisible(self.note_row, bool(self.note.text()))

    def chosen_scopes(self) -> list[str]:
        return [s.value for s, box in self.scope_boxes.items() if box.isChecked()]

    def submit(self, consent: Consent) -> Consent:
        photo = consent.kind is ConsentKind.PHOTO
        return self.service.withdraw(
            self.user,
            consent.id,
            self.version_of(consent),
            self.withdrawn_on.text(),
            self.reason.toPlainText(),
            scopes=self.chosen_scopes() if photo else None,
        )

    def mine(self, consent: Consent) -> list[tuple[str, str]]:
        scopes = ", ".join(
            SCOPE_LABELS[s] for s, box in self.scope_boxes.items() if box.isChecked()
        )
        return [
            ("Status", "Withdrawn" if consent.kind is ConsentKind.PROCEDURE else "Signed"),
            ("Withdrawn on", self.withdrawn_on.text()),
            ("Reason", self.reason.toPlainText()),
            ("Scopes withdrawn", scopes if consent.kind is ConsentKind.PHOTO else ""),
        ]

    def theirs(self, consent: Consent) -> list[tuple[str, str]]:
        withdrawn = [g for g in consent.scopes if g.withdrawn_on is not None]
        days = [g.withdrawn_on for g in withdrawn if g.withdrawn_on is not None]
        day = consent.withdrawn_on or max(days, default=None)
        reason = consent.withdrawal_reason or "; ".join(g.withdrawal_reason for g in withdrawn)
        return [
            ("Status", consent.status.label),
            ("Withdrawn on", format_uk(day) if day else ""),
            ("Reason", reason),
            ("Scopes withdrawn", ", ".join(SCOPE_LABELS[g.scope] for g in withdrawn)),
        ]


# -- looking at a signed form -------------------------------------------------------------------


def read_image(data: bytes) -> QImage:
    """A scanned JPEG or PNG, turned upright as the camera recorded it (EXIF orientation)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    image = reader.read()
    buffer.close()
    if image.isNull():
        raise UserError(f"The signed form could not be shown: {reader.errorString()}.")
    return image


class AttachmentImageDialog(QDialog):
    """A scanned form (JPEG, PNG) or a signature drawn on screen, fitted to the window."""

    MAX_SIZE = QSize(900, 700)

    def __init__(self, image: QImage, title: str, caption: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("attachment_image_dialog")
        self.setWindowTitle(title)
        self.image = image
        layout = QVBoxLayout(self)
        self.caption = QLabel(caption)
        self.caption.setObjectName("attachment_caption")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.picture = QLabel()
        self.picture.setObjectName("attachment_picture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("background: white;")
        fitted = image
        if image.width() > self.MAX_SIZE.width() or image.height() > self.MAX_SIZE.height():
            fitted = image.scaled(
                self.MAX_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.picture.setPixmap(QPixmap.fromImage(fitted))
        scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumSize(360, 220)
        self.resize(fitted.width() + 60, fitted.height() + 120)
