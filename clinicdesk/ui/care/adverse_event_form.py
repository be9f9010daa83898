"""The adverse event form: what happened after a treatment, how bad, and how it ended."""

from __future__ import annotations

from clinicdesk.domain.clinical import (
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventType,
    Severity,
    adverse_event_form,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.ui.care.clinical_forms import (
    ClinicalForm,
    Values,
)
from clinicdesk.ui.care.form_inputs import enum_choices


class AdverseEventForm(ClinicalForm):
    TITLE = "Adverse event"

    def _title(self) -> str:
        if self.record is None:
            return "New adverse event"
        return "Adverse event" + (" (view only)" if self.read_only else "")

    def _build(self) -> None:
        event = self.group("Event")
        self.combo_field(
            event,
            "treatment_id",
            "After the treatment of",
            list(self.context.treatments),
            blank="— choose the treatment —",
        )
        self.date_field(event, "onset_on", "Onset")
        self.combo_field(
            event,
            "event_type",
            "Type",
            enum_choices(AdverseEventType),
            blank="— choose —",
            width=260,
        )
        self.combo_field(
            event, "severity", "Severity", enum_choices(Severity), blank="— choose —", width=260
        )
        self.note_field(event, "description", "Description", "required when the type is Other")
        self.note_field(event, "action_taken", "Action taken")
        outcome = self.group("Outcome")
        self.combo_field(
            outcome, "outcome", "Outcome", enum_choices(AdverseEventOutcome), width=260
        )
        self.date_field(outcome, "outcome_on", "Resolved on")
        self.body.addStretch(1)

    def _defaults(self) -> Values:
        latest = self.context.treatments[0][0] if self.context.treatments else ""
        return {
            "treatment_id": latest,
            "onset_on": format_uk(self.context.today),
            "outcome": AdverseEventOutcome.ONGOING.value,
        }

    def _values_of(self, record: object) -> Values:
        assert isinstance(record, AdverseEvent)
        return adverse_event_form(record.details)

    def _submit(self, raw: Values) -> object | None:
        context = self.context
        if self.record is None:
            return context.service.add_adverse_event(context.user, context.patient_id, raw)
        assert isinstance(self.record, AdverseEvent)
        return context.service.update_adverse_event(
            context.user, self.record.id, self._version, raw
        )
