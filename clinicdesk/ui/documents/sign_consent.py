"""Recording a consent as signed.

``SignConsentDialog`` turns a *prepared* consent (its form was printed) into a signed one: the
date, the clinician who took consent (GMC guidance: the treating clinician, so the list holds
the clinic's enabled clinicians and starts on the one who led the consent discussion), an
optional witness and interpreter, the photo consent's three scopes exactly as the patient
ticked them, and the evidence: the scanned signed paper, or a signature drawn on screen. A
receptionist records a signing as its witness, so for reception the witness is their own name
and cannot be changed (``ConsentService.sign`` insists on the same).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
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
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.consents import ConsentService
from clinicdesk.services.documents import ConsentTaker
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.documents.consent_dialogs import (
    ConsentForm,
    consent_date_edit,
    consent_note,
)
from clinicdesk.ui.documents.signature_pad import SignatureDialog
from clinicdesk.ui.widgets.chosen_file import ChosenFileError, read_chosen_file, size_text
from clinicdesk.ui.widgets.fields import plain_label

SCAN_FILTER = "Scans of the signed form (*.pdf *.jpg *.jpeg *.png);;All files (*)"
SCOPE_HINTS = {
    ConsentScope.CLINICAL_RECORD: "photos kept in the patient's clinical record",
    ConsentScope.TEACHING: "anonymised, for teaching and training",
    ConsentScope.MARKETING: "identifiable, on the clinic's website and leaflets",
}
SIGNATURE_THUMBNAIL = QSize(180, 48)


class SignConsentDialog(ConsentForm):
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

        self.signed_on = consent_date_edit("signed_on", today)
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
            self.form.addRow(
                "", consent_note("You record this signing as its witness.", "witness_note")
            )

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
            note=consent_note(
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
        self.scan_label = plain_label("scan_attached")
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
