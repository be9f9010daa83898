"""Recording a consent's withdrawal.

``WithdrawConsentDialog`` records a withdrawal with its date and the patient's reason; for a
photo consent it withdraws only the scopes ticked (marketing alone is the usual case).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import ClassVar

from PySide6.QtWidgets import (
    QWidget,
)

from clinicdesk.domain.consent import (
    SCOPE_LABELS,
    Consent,
    ConsentKind,
    ConsentStatus,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.errors import UserError
from clinicdesk.services.consents import ConsentService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.documents.consent_dialogs import (
    ConsentForm,
    consent_date_edit,
    consent_note,
)
from clinicdesk.ui.widgets.fields import note_edit

MARKETING_NOTE = "Withdrawing marketing consent marks this patient's photos as not for marketing."
PROCEDURE_NOTE = (
    "Withdrawing the procedure consent blocks further treatment until a new consent form is "
    "signed (an earlier treatment is not affected)."
)


class WithdrawConsentDialog(ConsentForm):
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

        self.withdrawn_on = consent_date_edit("withdrawn_on", today)
        self.add_field("withdrawn_on", "Withdrawn on", self.withdrawn_on)

        self.add_scopes(
            "Scopes to withdraw", "withdraw_scopes", "withdraw", SCOPE_LABELS, row_label=""
        )
        for box in self.scope_boxes.values():
            box.toggled.connect(self._scopes_toggled)

        self.note = consent_note("", "withdraw_note")
        self.form.addRow("", self.note)
        self.note_row = self.form.rowCount() - 1

        self.reason = note_edit(
            "withdrawal_reason",
            "In the patient's words, e.g. no longer wishes to appear …",
            fixed_height=72,
        )
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
