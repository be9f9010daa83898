"""The patient's Documents tab: print the consent pack and the sheets, record consents signed
and withdrawn, make a progress report, and see what was printed for the patient.

Everyone has the tab (DESIGN.md: reception prints the pack and records signings as witness);
only the progress report is for clinicians. Documents are built in the background on a
connection of their own (a consent pack takes tens of milliseconds, a report with photos much
longer: neither belongs on the GUI thread), then open in ``PdfPreviewDialog``. Making a
document is recorded by ``DocumentService`` (and prepares the consents of a consent form);
the preview's ``printed`` and ``saved`` signals record what then left the building.

Two tables: the patient's consents (the exact wording each points at, where it stands, the
photo consent's scopes) and the document log (one line per document made, printed or saved:
the rows the service keeps for each template of a pack are shown as one line). Both are read
when the tab is shown (each read is an audited view), again after a change made here.
Double-clicking a signed consent shows the signed form; a prepared one opens the signing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.consent import (
    AttachmentFormat,
    Consent,
    ConsentKind,
    ConsentStatus,
    DocumentKind,
    DocumentRecord,
    attachment_format,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.services.consents import Attachment
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.documents.consent_table import (
    CONSENT_WIDTHS,
    KIND_SHORT,
    LOG_WIDTHS,
    STATUS_SHORT,
    ConsentLine,
    ConsentTableModel,
    DocumentLogModel,
    LogLine,
    group_log,
    local_time,
    scopes_text,
    withdrawal_text,
    witness_text,
)
from clinicdesk.ui.documents.making import DocumentMakingTab
from clinicdesk.ui.documents.pdf_preview import PdfPreviewDialog
from clinicdesk.ui.documents.sign_consent import SignConsentDialog
from clinicdesk.ui.documents.signed_form import AttachmentImageDialog, read_image
from clinicdesk.ui.documents.withdraw_consent import WithdrawConsentDialog
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.keep_at_lock import KEEP_AT_LOCK
from clinicdesk.ui.widgets.patient_identity import name_the_patient
from clinicdesk.ui.widgets.table_model import list_table_view

TAB_LABEL = "D&ocuments"
NO_PATIENT = "Open a patient to print their documents."


class DocumentsTab(DocumentMakingTab):
    # A consent signed or withdrawn here (the Consent as stored).
    changed = Signal(object)

    def __init__(self, services: ClinicServices, user: CurrentUser, tabs: QTabWidget) -> None:
        super().__init__(services, user, tabs)
        self.setObjectName("documents")
        self._tabs = tabs
        self.consents: list[Consent] = []
        self.sign_dialog: SignConsentDialog | None = None
        self.withdraw_dialog: WithdrawConsentDialog | None = None
        self.image_dialog: AttachmentImageDialog | None = None

        self._build()
        self._show_role_actions()
        self.set_patient(None)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        # Mnemonics: the menu bar holds F, C, A, H and the record's tabs D, M, L, S, H, T, E, O.
        self.consent_pack_action = self._action(
            "Consent &pack…",
            self.make_consent_pack,
            "Print the consent pack: procedure and photo consent, privacy notice, "
            "pre-treatment instructions (Ctrl+Shift+P)",
            "Ctrl+Shift+P",
        )
        self.progress_report_action = self._action(
            "Pro&gress report…", self.ask_progress_report, "The patient's progress report"
        )
        self.sign_action = self._action(
            "Record s&igned consent…",
            self._sign_triggered,
            "Record a printed consent form as signed: scan or signature, who took consent",
        )
        self.withdraw_action = self._action(
            "&Withdraw consent…",
            self._withdraw_triggered,
            "Record that the patient withdrew a consent (or part of the photo consent)",
        )

        bar = QHBoxLayout()
        self.consent_pack_button = self._button(self.consent_pack_action, "consent_pack")
        bold = self.consent_pack_button.font()
        bold.setBold(True)
        self.consent_pack_button.setFont(bold)
        bar.addWidget(self.consent_pack_button)
        self.forms_menu = QMenu(self)
        self.forms_menu.setObjectName("forms_menu")
        self.forms_button = QPushButton("Fo&rm or sheet")
        self.forms_button.setObjectName("forms_button")
        self.forms_button.setToolTip("Print one consent form or information sheet")
        self.forms_button.setMenu(self.forms_menu)
        bar.addWidget(self.forms_button)
        self.form_actions: dict[str, QAction] = {}
        self._template_order: dict[str, int] = {}  # the pack's order, then by title
        self._fill_forms_menu()
        self.progress_report_button = self._button(self.progress_report_action, "progress_report")
        bar.addWidget(self.progress_report_button)
        bar.addWidget(self.large_print_box)
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.VLine)
        separator.setFrameShadow(QFrame.Shadow.Sunken)
        bar.addWidget(separator)
        bar.addWidget(self._button(self.sign_action, "record_signed"))
        bar.addWidget(self._button(self.withdraw_action, "withdraw_consent"))
        bar.addStretch(1)
        layout.addLayout(bar)

        layout.addWidget(self.status)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        consents_box = QGroupBox("Consents")
        consents_layout = QVBoxLayout(consents_box)
        self.consent_model = ConsentTableModel(self)
        self.consent_table = list_table_view(
            self.consent_model, "consents_table", CONSENT_WIDTHS, single_selection=True
        )
        self.consent_table.activated.connect(self._consent_activated)
        self.consent_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.consent_table.customContextMenuRequested.connect(self._consent_menu_requested)
        self.consent_table.selectionModel().currentRowChanged.connect(self._selection_changed)
        consents_layout.addWidget(self.consent_table)
        self.consents_hint = QLabel()
        self.consents_hint.setObjectName("consents_hint")
        self.consents_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.consents_hint.setStyleSheet("color: #52606d;")
        consents_layout.addWidget(self.consents_hint)
        splitter.addWidget(consents_box)

        log_box = QGroupBox("Documents made for this patient")
        log_layout = QVBoxLayout(log_box)
        self.log_model = DocumentLogModel(self)
        self.log_table = list_table_view(self.log_model, "document_log", LOG_WIDTHS)
        log_layout.addWidget(self.log_table)
        splitter.addWidget(log_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self.consent_menu: QMenu | None = None

    def _action(
        self, text: str, slot: Callable[[], None], tip: str, shortcut: str | None = None
    ) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))

        def triggered(_checked: bool = False) -> None:
            slot()

        action.triggered.connect(triggered)
        self.addAction(action)
        return action

    def _button(self, action: QAction, name: str) -> QPushButton:
        """A push button that triggers ``action`` and follows its state (a QToolButton would
        drop the "…" and stay on screen when its action is hidden)."""
        button = QPushButton(action.text(), self)  # parented: never a window of its own
        button.setObjectName(name)
        button.setAutoDefault(False)

        def clicked(_checked: bool = False) -> None:
            action.trigger()

        def follow() -> None:
            button.setEnabled(action.isEnabled())
            button.setVisible(action.isVisible())
            button.setToolTip(action.toolTip())

        button.clicked.connect(clicked)
        action.changed.connect(follow)
        follow()
        return button

    def _fill_forms_menu(self) -> None:
        try:
            templates = self.services.documents.templates()
        except UserError as exc:
            self.forms_button.setEnabled(False)
            self.forms_button.setToolTip(exc.message)
            return
        self._template_order = {template.id: n for n, template in enumerate(templates)}
        for template in templates:
            action = self.forms_menu.addAction(template.title)
            action.setToolTip(f"{template.id} v{template.version}")
            action.setObjectName(f"form_{template.id}")
            template_id = template.id

            def triggered(_checked: bool = False, template_id: str = template_id) -> None:
                self.make_form(template_id)

            action.triggered.connect(triggered)
            self.form_actions[template.id] = action
        self.forms_menu.setToolTipsVisible(True)

    # -- role and patient -----------------------------------------------------------------

    def apply_role(self, user: CurrentUser, before: QWidget | None = None) -> None:
        """Be one of the record's tabs (before ``before`` when it is there) for everyone who
        may print documents; the progress report only for those who may make one."""
        self.user = user
        self._close_windows()
        self.set_patient(None)
        # Taken out and put back, so it sits in the same place whichever role had it before.
        index = self._tabs.indexOf(self)
        if index >= 0:
            self._tabs.removeTab(index)
            self.hide()
        if user.may(Permission.PRINT_DOCUMENTS):
            anchor = self._tabs.indexOf(before) if before is not None else -1
            if anchor >= 0:
                self._tabs.insertTab(anchor, self, TAB_LABEL)
            else:
                self._tabs.addTab(self, TAB_LABEL)
        self._show_role_actions()

    def _show_role_actions(self) -> None:
        user = self.user
        self.progress_report_action.setVisible(user.may(Permission.PROGRESS_REPORT))
        self.sign_action.setVisible(user.may(Permission.RECORD_CONSENT))
        self.withdraw_action.setVisible(user.may(Permission.RECORD_CONSENT))

    def set_patient(self, patient_id: str | None, patient_name: str = "") -> None:
        """Show ``patient_id``'s documents (read now if on screen, else when shown)."""
        if patient_id != self.patient_id:
            self._close_windows()
        self.patient_id = patient_id
        self.patient_name = patient_name if patient_id is not None else ""
        self._loaded = False
        self.consents = []
        self.consent_model.set_rows([])
        self.log_model.set_rows([])
        self.status.setText("" if patient_id is not None else NO_PATIENT)
        self._update_actions()
        if patient_id is not None and self.isVisible():
            self.reload()

    def reload(self) -> None:
        if self.patient_id is None or self._tabs.indexOf(self) < 0:
            return
        consents_service = self.services.consents
        try:
            consents = consents_service.consents(self.user, self.patient_id)
            records = consents_service.documents(self.user, self.patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._loaded = True
        self._show_consents(consents)
        self._show_log(records)

    def _show_consents(self, consents: Sequence[Consent]) -> None:
        keep = self.selected_consent()
        self.consents = list(consents)
        names = _NameCache(self.services)
        lines = [
            ConsentLine(
                consent,
                (
                    KIND_SHORT[consent.kind],
                    STATUS_SHORT[consent.status],
                    format_uk(consent.signed_on) if consent.signed_on else "",
                    names.get(consent.consent_taken_by_id),
                    scopes_text(consent),
                    withdrawal_text(consent),
                    witness_text(consent),
                    format_uk(consent.prepared_on),
                    f"{consent.template.template_id} v{consent.template.version}",
                ),
            )
            for consent in consents
        ]
        self.consent_model.set_rows(lines)
        if keep is not None:
            self.select_consent(keep.id)
        waiting = sum(c.status is ConsentStatus.PREPARED for c in consents)
        if not consents:
            hint = "No consent yet: printing the consent pack prepares them."
        else:
            hint = "Double-click a signed consent to see the signed form"
            hint += "; a prepared one to record its signing" if waiting else ""
            hint += " (right-click one to print a copy on the wording it was prepared on)."
        self.consents_hint.setText(hint)
        self._update_actions()

    def _show_log(self, records: Sequence[DocumentRecord]) -> None:
        names = _NameCache(self.services)
        lines = []
        for group in group_log(records):
            first = group[0]
            what = self._document_title(first)
            templates = sorted(
                (r.template for r in group if r.template is not None),
                key=lambda t: (self._template_order.get(t.template_id, 99), t.template_id),
            )
            wording = ", ".join(f"{t.template_id} v{t.version}" for t in templates)
            lines.append(
                LogLine(
                    tuple(group),
                    (
                        local_time(first.created_at),
                        first.action.value.capitalize(),
                        what,
                        names.get(first.created_by),
                        wording,
                    ),
                )
            )
        self.log_model.set_rows(lines)

    def _document_title(self, record: DocumentRecord) -> str:
        if record.kind in (DocumentKind.CONSENT_PACK, DocumentKind.PROGRESS_REPORT):
            return record.kind.label
        if record.template is not None:
            try:
                library = self.services.documents.library
                return library.get(record.template.template_id, record.template.version).title
            except UserError:
                return record.template.template_id
        return record.kind.label

    def _update_actions(self) -> None:
        has_patient = self.patient_id is not None
        busy = self.task is not None
        for action in (self.consent_pack_action, self.progress_report_action):
            action.setEnabled(has_patient and not busy)
        self.forms_button.setEnabled(has_patient and not busy and bool(self.form_actions))
        prepared = any(c.status is ConsentStatus.PREPARED for c in self.consents)
        signed = any(c.status is ConsentStatus.SIGNED for c in self.consents)
        self.sign_action.setEnabled(has_patient and prepared)
        self.withdraw_action.setEnabled(has_patient and signed)

    def selected_consent(self) -> Consent | None:
        index = self.consent_table.currentIndex()
        return self.consent_model.consent_at(index.row()) if index.isValid() else None

    def select_consent(self, consent_id: str) -> None:
        for row, line in enumerate(self.consent_model.rows):
            if line.consent.id == consent_id:
                self.consent_table.selectRow(row)
                return

    def _selection_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_actions()

    # -- consents -------------------------------------------------------------------------

    def _sign_triggered(self) -> None:
        self.open_sign_dialog()

    def _withdraw_triggered(self) -> None:
        self.open_withdraw_dialog()

    def open_sign_dialog(self, consent_id: str | None = None) -> SignConsentDialog | None:
        if self.patient_id is None:
            return None
        chosen = consent_id
        if chosen is None and (selected := self.selected_consent()) is not None:
            chosen = selected.id
        try:
            takers = self.services.documents.consent_takers(self.user)
            dialog = SignConsentDialog(
                self.services.consents,
                self.user,
                self.patient_name,
                self.consents,
                takers,
                today=self.services.patients.today(),
                default_taker=self._discussion_clinician,
                chosen_id=chosen,
                parent=self,
            )
        except UserError as exc:
            show_user_error(self, exc, "Record signed consent")
            return None
        if self.sign_dialog is not None:
            self.sign_dialog.deleteLater()  # closed by now: it is modal
        self.sign_dialog = dialog
        self._show_consent_dialog(dialog)
        return dialog

    def open_withdraw_dialog(self, consent_id: str | None = None) -> WithdrawConsentDialog | None:
        if self.patient_id is None:
            return None
        chosen = consent_id
        selected = self.selected_consent()
        if chosen is None and selected is not None and selected.status is ConsentStatus.SIGNED:
            chosen = selected.id
        if chosen is None:
            # Marketing is what patients usually withdraw: start on a photo consent.
            photo = [
                c
                for c in self.consents
                if c.kind is ConsentKind.PHOTO and c.status is ConsentStatus.SIGNED
            ]
            chosen = photo[0].id if photo else None
        try:
            dialog = WithdrawConsentDialog(
                self.services.consents,
                self.user,
                self.patient_name,
                self.consents,
                today=self.services.patients.today(),
                chosen_id=chosen,
                parent=self,
            )
        except UserError as exc:
            show_user_error(self, exc, "Withdraw consent")
            return None
        if self.withdraw_dialog is not None:
            self.withdraw_dialog.deleteLater()
        self.withdraw_dialog = dialog
        self._show_consent_dialog(dialog)
        return dialog

    def _show_consent_dialog(self, dialog: SignConsentDialog | WithdrawConsentDialog) -> None:
        """Open a consent dialog over the record: named for the patient, kept through the
        idle lock (typed work survives it), the tab refreshed when it saves."""
        name_the_patient(dialog, self.identity)
        dialog.changed.connect(self._consent_changed)
        dialog.setProperty(KEEP_AT_LOCK, True)
        dialog.open()

    def _discussion_clinician(self, consent: Consent) -> str | None:
        """The clinician who led the consent discussion the consent belongs to: the one who
        should take consent (GMC guidance). Only the id is read, which reception may see (it
        is printed on the form they hand over); the discussion itself stays out of reach."""
        if consent.consultation_id is None:
            return None
        consultation = self.services.consents.clinical.consultation(consent.consultation_id)
        return consultation.details.clinician_id if consultation is not None else None

    def _consent_changed(self, consent: object) -> None:
        self.refresh()
        if isinstance(consent, Consent):
            self.select_consent(consent.id)
            if consent.status is ConsentStatus.SIGNED and consent.signed_on is not None:
                self.status.setText(
                    f"{consent.kind.label} recorded as signed on {format_uk(consent.signed_on)}."
                )
            elif consent.status is ConsentStatus.WITHDRAWN or withdrawal_text(consent):
                self.status.setText(f"{consent.kind.label}: withdrawal recorded.")
        self.changed.emit(consent)

    def _consent_activated(self, index: QModelIndex) -> None:
        consent = self.consent_model.consent_at(index.row())
        if consent is None:
            return
        if consent.status is ConsentStatus.PREPARED:
            self.open_sign_dialog(consent.id)
        else:
            self.view_signed_form(consent)

    def _consent_menu_requested(self, position: QPoint) -> None:
        index = self.consent_table.indexAt(position)
        consent = self.consent_model.consent_at(index.row())
        if consent is None:
            return
        self.consent_table.selectRow(index.row())
        if self.consent_menu is not None:
            self.consent_menu.deleteLater()
        menu = QMenu(self)
        menu.setObjectName("consent_menu")
        if consent.status is ConsentStatus.PREPARED:
            menu.addAction(self.sign_action)
        if consent.scan_sha256:
            scan = menu.addAction("View the scanned form")
            scan.triggered.connect(lambda _checked=False: self.view_signed_form(consent, "scan"))
        if consent.signature_sha256:
            signature = menu.addAction("View the signature drawn on screen")
            signature.triggered.connect(
                lambda _checked=False: self.view_signed_form(consent, "signature")
            )
        if consent.status is ConsentStatus.SIGNED:
            menu.addAction(self.withdraw_action)
        if self.user.may(Permission.PRINT_DOCUMENTS):
            copy = menu.addAction(f"Print a copy of this form (version {consent.template.version})")
            copy.setObjectName("consent_copy")
            copy.setEnabled(self.task is None)
            copy.triggered.connect(lambda _checked=False: self.make_consent_copy(consent.id))
        self.consent_menu = menu
        menu.popup(self.consent_table.viewport().mapToGlobal(position))

    def view_signed_form(self, consent: Consent, which: Attachment | None = None) -> None:
        """The scanned signed form (a PDF in the preview, a picture in a window) or the
        signature drawn on screen. Each look is an audited view."""
        if not (consent.scan_sha256 or consent.signature_sha256):
            return
        try:
            data = self.services.consents.attachment(self.user, consent.id, which)
        except UserError as exc:
            show_user_error(self, exc, "Signed form")
            return
        chosen = which or ("scan" if consent.scan_sha256 else "signature")
        signed = format_uk(consent.signed_on) if consent.signed_on else ""
        title = f"Signed {consent.kind.label.lower()} – {self.patient_name}"
        if attachment_format(data) is AttachmentFormat.PDF:
            try:
                preview = PdfPreviewDialog(
                    data, title=title, suggested_name=consent.scan_name or None, parent=self
                )
            except UserError as exc:
                show_user_error(self, exc, "Signed form")
                return
            # A copy of a signed form printed or saved here would leave no trace in the
            # document log (it records the documents the clinic makes): view only.
            preview.print_action.setVisible(False)
            preview.save_action.setVisible(False)
            self._replace_preview(preview)
            preview.show()
            return
        try:
            image = read_image(data)
        except UserError as exc:
            show_user_error(self, exc, "Signed form")
            return
        if chosen == "scan":
            caption = f"Scan of the signed form ({consent.scan_name}), signed on {signed}."
        else:
            caption = f"Signature drawn on screen on {signed}."
        if self.image_dialog is not None:
            self.image_dialog.close()
            self.image_dialog.deleteLater()
        self.image_dialog = AttachmentImageDialog(image, title, caption, self)
        self.image_dialog.show()

    def _close_windows(self) -> None:
        """Close what shows this patient's documents (another patient or user takes over)."""
        for dialog in (self.image_dialog, self.report_dialog):
            if dialog is not None and dialog.isVisible():
                dialog.reject()
        self._replace_preview(None)


class _NameCache:
    """Users' names by id, read once per table fill."""

    def __init__(self, services: ClinicServices) -> None:
        self.repo = services.clinic.repo
        self.names: dict[str, str] = {}

    def get(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        if user_id not in self.names:
            found = self.repo.user_by_id(user_id)
            self.names[user_id] = found.display_name if found else "another user"
        return self.names[user_id]
