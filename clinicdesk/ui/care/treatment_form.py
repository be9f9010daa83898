"""The micrograft treatment form. A treatment the eligibility check blocks asks for a written
override reason (``OverrideDialog``: its Save stays disabled until the reason is long enough;
Cancel saves nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.clinical import (
    OVERRIDE_REASON_MIN,
    DoseUnit,
    EligibilityBlocked,
    TreatedZone,
    Treatment,
    TreatmentDetails,
    treatment_form,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.services.clinical import TreatmentSaved
from clinicdesk.ui.care.clinical_forms import (
    ClinicalForm,
    Values,
)
from clinicdesk.ui.care.form_inputs import CodeCombo, enum_choices
from clinicdesk.ui.widgets.fields import note_edit, notice_label, plain_label
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog
from clinicdesk.ui.widgets.patient_identity import name_as


class OverrideDialog(GuardedDialog):
    """The eligibility check blocked a treatment: the reasons, and a written reason to go ahead.

    Save stays disabled until the reason has ``OVERRIDE_REASON_MIN`` characters."""

    def __init__(self, reasons: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("override_dialog")
        self.setWindowTitle("Treatment blocked by the eligibility check")
        layout = QVBoxLayout(self)
        intro = QLabel("This treatment cannot be saved yet:")
        layout.addWidget(intro)
        self.reasons = notice_label(
            "\n".join(f"•  {reason}" for reason in reasons),
            "override_reasons",
            "background: #fde8e8; color: #8a1c1c; border: 1px solid #f5b5b5; padding: 6px;",
        )
        layout.addWidget(self.reasons)
        ask = QLabel(
            "To go ahead anyway, write why (at least "
            f"{OVERRIDE_REASON_MIN} characters). The reason is stored with the treatment and "
            "in the audit trail. Cancel saves nothing."
        )
        ask.setWordWrap(True)
        layout.addWidget(ask)
        self.reason = note_edit(
            "override_reason",
            "e.g. Apixaban paused 48 h before treatment on the haematologist's advice",
            min_height=90,
        )
        self.reason.textChanged.connect(self._reason_changed)
        layout.addWidget(self.reason, 1)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            "Save with override", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("override_save")
        self.save_button.setEnabled(False)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("override_cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.cancel)
        layout.addWidget(self.buttons)
        self.resize(560, 380)

    def _reason_changed(self) -> None:
        self.save_button.setEnabled(len(self.text()) >= OVERRIDE_REASON_MIN)

    def text(self) -> str:
        return self.reason.toPlainText().strip()


class TreatmentForm(ClinicalForm):
    TITLE = "Micrograft treatment"

    def _title(self) -> str:
        if self.record is None:
            return "Record treatment"
        return "Micrograft treatment" + (" (view only)" if self.read_only else "")

    def _build(self) -> None:
        session = self.group("Session")
        self.date_field(session, "treated_on", "Date")
        self.site_field(session)
        self.clinician_field(session, "clinician_id", "Treating clinician")
        self.clinician_field(session, "consent_taken_by_id", "Consent taken by")

        donor = self.group("Donor area and device")
        self.line_field(donor, "punches", "Number of punches", "typically 2-5", 130)
        self.line_field(donor, "punch_diameter_mm", "Punch diameter (mm)", "about 2.5", 130)
        self.line_field(donor, "donor_site", "Donor site", "e.g. occipital scalp")
        self.line_field(donor, "kit_name", "Device kit")
        self.line_field(donor, "kit_lot", "Kit lot number", "copy it from the label", 240)

        anaesthetic = self.group("Local anaesthetic")
        self.line_field(anaesthetic, "anaesthetic_name", "Anaesthetic", "e.g. lidocaine 2%")
        self.dose = QLineEdit()
        self.dose.setObjectName("anaesthetic_dose")
        self.dose.setMaximumWidth(130)
        self.unit = CodeCombo(enum_choices(DoseUnit))
        self.unit.setObjectName("anaesthetic_dose_unit")
        self.unit.setMaximumWidth(130)
        self.add(anaesthetic, "anaesthetic_dose", "Dose", self.dose)
        self.add(anaesthetic, "anaesthetic_dose_unit", "Dose unit", self.unit)
        self.line_field(anaesthetic, "anaesthetic_lot", "Anaesthetic lot number", "", 240)

        injection = self.group("Micrograft suspension and injection")
        self.line_field(injection, "suspension_volume_ml", "Suspension volume (mL)", "", 130)
        self.checklist_field(injection, "treated_zones", "Treated zones", enum_choices(TreatedZone))
        self.line_field(injection, "injection_points", "Injection points", "", 130)
        self.line_field(injection, "duration_minutes", "Duration (minutes)", "", 130)

        closing = self.group("Closure and aftercare")
        self.note_field(closing, "haemostasis", "Haemostasis / closure")
        aftercare = QCheckBox("Aftercare sheet given")
        self.add(closing, "aftercare_sheet_given", "", aftercare)
        self.field_labels["aftercare_sheet_given"] = "Aftercare sheet given"
        self.note_field(closing, "immediate_complications", "Immediate complications", "none")
        self.overrides = plain_label("treatment_overrides")
        self.overrides.setStyleSheet("color: #8a5300;")
        self.overrides.setVisible(False)
        self.body.addWidget(self.overrides)
        self.body.addStretch(1)
        if isinstance(self.record, Treatment) and self.record.overrides:
            lines = [
                f"Eligibility override on {o.at[:10]}: {' '.join(o.blocking_reasons)} "
                f"Reason: {o.reason}"
                for o in self.record.overrides
            ]
            self.overrides.setText("\n".join(lines))
            self.overrides.setVisible(True)

    def _defaults(self) -> Values:
        me = self.context.user.id
        mine = me if any(c.id == me for c in self.context.clinicians) else ""
        return {
            "treated_on": format_uk(self.context.today),
            "site_id": self.context.this_site_id,
            "clinician_id": mine,
            "consent_taken_by_id": mine,
            "kit_name": self.context.device,
            "anaesthetic_dose_unit": DoseUnit.ML.value,
        }

    def _values_of(self, record: object) -> Values:
        assert isinstance(record, Treatment)
        return treatment_values(record.details)

    def _submit(self, raw: Values) -> object | None:
        try:
            return self._record(raw, "")
        except EligibilityBlocked as exc:
            reason = self.ask_override(exc.reasons)
            if reason is None:
                return None
            return self._record(raw, reason)

    def _record(self, raw: Values, override_reason: str) -> TreatmentSaved:
        context = self.context
        if self.record is None:
            return context.service.record_treatment(
                context.user, context.patient_id, raw, override_reason=override_reason
            )
        assert isinstance(self.record, Treatment)
        return context.service.update_treatment(
            context.user, self.record.id, self._version, raw, override_reason=override_reason
        )

    def ask_override(self, reasons: Sequence[str]) -> str | None:
        """The override reason, or None when the user cancelled."""
        dialog = OverrideDialog(reasons, self)
        name_as(dialog, self)
        self.override_dialog: OverrideDialog | None = dialog
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        self.override_dialog = None
        return dialog.text() if accepted else None


def treatment_values(details: TreatmentDetails) -> Values:
    return treatment_form(details)
