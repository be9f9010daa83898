"""The consultation form: history, examination, classification and the consent discussion."""

from __future__ import annotations

from collections.abc import Mapping

from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.clinical import (
    Alternative,
    Consultation,
    ConsultationDetails,
    MaterialRisk,
    RawValue,
    consultation_form,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.ui.care.clinical_forms import (
    ClinicalForm,
    Values,
)
from clinicdesk.ui.care.form_inputs import CodeCombo, enum_choices


class ConsultationForm(ClinicalForm):
    TITLE = "Consultation"

    def _title(self) -> str:
        if self.record is None:
            return "New consultation"
        return "Consultation" + (" (view only)" if self.read_only else "")

    def _build(self) -> None:
        visit = self.group("Visit")
        self.date_field(visit, "consulted_on", "Date")
        self.site_field(visit)
        self.clinician_field(visit, "clinician_id", "Clinician")

        clinical = self.group("Assessment and plan")
        self.note_field(clinical, "presenting_complaint", "Presenting complaint")
        self.note_field(clinical, "history", "History")
        self.note_field(clinical, "examination", "Examination")
        self.scale = CodeCombo(enum_choices(HairLossScale), blank="— none —")
        self.scale.setObjectName("classification_scale")
        self.grade = CodeCombo([], blank="")
        self.grade.setObjectName("classification_grade")
        self.scale.currentIndexChanged.connect(self._fill_grades)
        self.add(clinical, "classification_scale", "Classification", self.scale)
        self.add(clinical, "classification_grade", "Grade", self.grade)
        self.note_field(clinical, "plan", "Plan")

        consent = self.group("Consent discussion (Montgomery: what was actually discussed)")
        self.checklist_field(
            consent, "risks_discussed", "Material risks discussed", enum_choices(MaterialRisk)
        )
        self.checklist_field(
            consent,
            "alternatives_discussed",
            "Alternatives discussed",
            enum_choices(Alternative),
        )
        self.note_field(consent, "patient_questions", "Patient's questions")
        self.note_field(consent, "patient_priorities", "Patient's priorities")
        self.date_field(consent, "discussed_on", "Date of discussion")
        self.date_field(consent, "decided_on", "Date of decision")
        self.body.addStretch(1)
        self._fill_grades(0)

    def _fill_grades(self, _index: int) -> None:
        code = self.scale.code()
        grades = HairLossScale(code).grades if code else ()
        self.grade.set_choices([(g, g) for g in grades], blank="")
        self.grade.setEnabled(bool(code) and not self.read_only)

    def _defaults(self) -> Values:
        # The date of the consent discussion starts the cooling-off period: never filled in
        # for the user (a discussion is recorded with the date it took place).
        return {
            "consulted_on": format_uk(self.context.today),
            "site_id": self.context.this_site_id,
            "clinician_id": self._me(),
        }

    def _me(self) -> str:
        user = self.context.user
        return user.id if any(c.id == user.id for c in self.context.clinicians) else ""

    def _values_of(self, record: object) -> Values:
        assert isinstance(record, Consultation)
        return consultation_values(record.details)

    def load_values(self, values: Mapping[str, RawValue]) -> None:
        # The grade list depends on the scale: set the scale first.
        ordered = dict(values)
        grade = ordered.pop("classification_grade", None)
        super().load_values(ordered)
        if grade is not None:
            super().load_values({"classification_grade": grade})

    def _submit(self, raw: Values) -> object | None:
        context = self.context
        if self.record is None:
            return context.service.add_consultation(context.user, context.patient_id, raw)
        assert isinstance(self.record, Consultation)
        return context.service.update_consultation(context.user, self.record.id, self._version, raw)


def consultation_values(details: ConsultationDetails) -> Values:
    return consultation_form(details)
