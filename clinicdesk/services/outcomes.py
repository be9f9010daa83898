"""The outcomes audit (Clinic > Outcomes, ``clinicdesk outcomes``): does the clinic get the
published two-thirds?

``OutcomesService.summary`` reads every treated patient in a few queries
(``storage.outcomes``), categorises each by their first treatment with the one response rule
(``domain.response``, the clinic's threshold from ``ResponseSettings``) and counts
(``domain.outcomes``). Clinical data: clinicians and administrators only (reception is refused,
and the refusal audited); each look is audited, as is each list of patients behind a number and
each export.

Exports are pseudonymised: no names, dates of birth or ids, but a code per patient that stays
the same from one export to the next (``pseudonym``: an HMAC of the patient's id under a random
key kept in the clinic's settings, made on the first export), so two exports can be compared
without naming anyone.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.follow_ups import FollowUpStatus
from clinicdesk.domain.medical import HairTreatmentDrug
from clinicdesk.domain.outcome_groups import age_on, group_labels_at
from clinicdesk.domain.outcomes import (
    CSV_COLUMNS,
    DEFAULT_MIN_GROUP,
    PatientFacts,
    Summary,
    TreatedPatient,
    export_rows,
    summarise,
)
from clinicdesk.domain.outcomes_measured import measured_patient
from clinicdesk.domain.roles import Permission
from clinicdesk.domain.text import spreadsheet_safe
from clinicdesk.errors import UserError
from clinicdesk.services.response_settings import ResponseSettings
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.outcomes import FirstTreatment, OutcomeRepository, OutcomeRows
from clinicdesk.storage.outcomes import PatientLine as PatientLine

PSEUDONYM_KEY_SETTING = "outcomes_pseudonym_key"
ENTITY = "outcomes"


_SCALES = {s.value: s.label for s in HairLossScale}
_DRUGS = {d.value: d.label for d in HairTreatmentDrug}


def _label(code: str, labels: dict[str, str]) -> str:
    return labels.get(code, code.replace("_", " ").capitalize())


def _grades(rows: OutcomeRows, t: FirstTreatment) -> tuple[str, ...]:
    """The patient's latest grade of each scale on or before the treatment (else the first
    after)."""
    classified = rows.classifications.get(t.patient_id)
    if not classified:
        return ()
    latest: dict[str, str] = {}
    for scale, grade, on in classified:
        if on <= t.treated_on or scale not in latest:
            latest[scale] = f"{_label(scale, _SCALES)} {grade}"
    return tuple(latest.values())


def _prior_treatments(rows: OutcomeRows, t: FirstTreatment) -> tuple[str, ...]:
    drugs = rows.prior_treatments.get(t.patient_id)
    return tuple(_label(d, _DRUGS) for d in drugs) if drugs else ()


def patient_facts(rows: OutcomeRows, t: FirstTreatment) -> PatientFacts:
    """What the breakdowns need of the patient of the first treatment ``t``."""
    return PatientFacts(
        t.sex,
        t.date_of_birth,
        t.age_at_onset,
        _grades(rows, t),
        _prior_treatments(rows, t),
        t.clinician,
        t.site,
        t.kit_lot,
    )


def patient_groups(rows: OutcomeRows, t: FirstTreatment) -> Mapping[str, tuple[str, ...]]:
    """``group_labels(patient_facts(rows, t), t.treated_on)`` without making the facts (the
    count does this for thousands of patients)."""
    return group_labels_at(
        age_on(t.date_of_birth, t.treated_on),
        t.sex,
        t.age_at_onset,
        _grades(rows, t),
        _prior_treatments(rows, t),
        t.clinician,
        t.site,
        t.kit_lot,
    )


_STATUSES = {s.value: s for s in FollowUpStatus}


def end_point_follow_up(rows: OutcomeRows, t: FirstTreatment) -> FollowUpStatus | None:
    status = rows.end_point_follow_ups.get(t.treatment_id)
    if not status:
        return None
    return _STATUSES.get(status) or FollowUpStatus(status)


def treated_patients(rows: OutcomeRows, threshold: float, today: date) -> list[TreatedPatient]:
    """Every treated patient of ``rows``, categorised and with their groups."""
    return [
        measured_patient(
            t.patient_id,
            t.treatment_id,
            rows.visits[t.treatment_id],
            rows.measures,
            t.treated_on,
            t.zones,
            threshold,
            today,
            patient_groups(rows, t),
            end_point_follow_up(rows, t),
        )
        for t in rows.treatments
    ]


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Counting a large clinic makes a hundred thousand or more small objects (rows,
    visits, measures, each patient's result), all alive until the count ends: CPython's
    cyclic collector, set off by so many allocations, walks them (and everything else the
    program holds) several times over and frees nothing, a quarter to a third of the count's
    time. Paused for the count, and for the change table's rows when they are worked out
    (reference counting still frees what is dropped), then resumed if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class OutcomesService:
    def __init__(
        self, db: Database, response: ResponseSettings, today: Callable[[], date] = date.today
    ) -> None:
        self.db = db
        self.response = response
        self.today = today
        self.repo = OutcomeRepository(db)
        self.settings = ClinicRepository(db)

    def summary(self, user: CurrentUser, min_group: int = DEFAULT_MIN_GROUP) -> Summary:
        """The clinic's outcomes as of today; audited (counts only, no patient named)."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=ENTITY)
        threshold = self.response.threshold_percent()
        today = self.today()
        with cycle_collection_paused():
            summary = summarise(
                treated_patients(self.repo.rows(), threshold, today), threshold, today, min_group
            )
        audit.record(
            self.db,
            user.actor,
            "view",
            ENTITY,
            "",
            {
                "treated": len(summary.overall.treated),
                "evaluable": len(summary.overall.evaluable),
                "threshold_percent": threshold,
            },
        )
        return summary

    def patients_behind(
        self, user: CurrentUser, what: str, patient_ids: Sequence[str]
    ) -> list[PatientLine]:
        """The patients behind one number of the audit (``what`` says which, for the audit
        trail), by surname."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=ENTITY)
        lines = self.repo.patient_lines(patient_ids)
        audit.record(
            self.db, user.actor, "view", ENTITY, "", {"list": what[:80], "patients": len(lines)}
        )
        return lines

    # -- exports ----------------------------------------------------------------------

    def pseudonyms(self, user: CurrentUser, patient_ids: Sequence[str]) -> dict[str, str]:
        """A stable code for each patient (``OC-`` and 10 characters), the same in every
        export of this clinic; the key is made (and kept in the settings) on first use."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=ENTITY)
        key = self.settings.setting(PSEUDONYM_KEY_SETTING)
        if key is None:
            with write_transaction(self.db):
                key = self.settings.setting(PSEUDONYM_KEY_SETTING)
                if key is None:
                    key = secrets.token_hex(32)
                    self.settings.set_setting(PSEUDONYM_KEY_SETTING, key, user.actor)
        secret = bytes.fromhex(key)
        return {pid: pseudonym(secret, pid) for pid in patient_ids}

    def export_csv(self, user: CurrentUser, summary: Summary, path: Path) -> int:
        """The outcomes as CSV at ``path``, one row per patient and region, pseudonymised;
        audited. How many rows."""
        codes = self.pseudonyms(user, list(summary.patients))
        rows = export_rows(summary, codes)
        return write_outcomes_csv(
            path,
            rows,
            lambda staged, target: self.exported(user, "csv", summary, staged=staged, path=target),
        )

    def export_pdf(self, user: CurrentUser, summary: Summary, path: Path, clinic_name: str) -> None:
        """The audit report as a PDF at ``path`` (no patient named); audited."""
        from clinicdesk.documents.outcomes import render_outcomes_report

        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=ENTITY)
        data = render_outcomes_report(summary, clinic_name, user.display_name)
        temporary = path.with_name(f".{path.name}.partial")
        try:
            temporary.write_bytes(data)
            self.exported(user, "pdf", summary, staged=temporary, path=path)
        except OSError as exc:
            raise UserError(
                f"The report could not be written to {path}: {exc.strerror or exc}."
            ) from exc
        finally:
            temporary.unlink(missing_ok=True)

    def exported(
        self,
        user: CurrentUser,
        kind: str,
        summary: Summary,
        *,
        staged: Path | None = None,
        path: Path | None = None,
    ) -> None:
        """Record that the audit left the program as a file (``kind``: csv or pdf). Given the
        file written whole under a temporary name (``staged``) and where it goes (``path``),
        it is renamed into place in the transaction that records it: the file is on disk if
        and only if the export is audited."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=ENTITY)
        with write_transaction(self.db):
            audit.append(
                self.db,
                user.actor,
                "export",
                ENTITY,
                "",
                {
                    "format": kind,
                    "treated": len(summary.overall.treated),
                    "threshold_percent": summary.threshold,
                },
            )
            if staged is not None and path is not None:
                staged.replace(path)


def write_outcomes_csv(
    path: Path, rows: Sequence[Sequence[str]], place: Callable[[Path, Path], object]
) -> int:
    """Write ``rows`` under ``CSV_COLUMNS`` to ``path`` (UTF-8 with BOM, for spreadsheet
    programs) under a temporary name, then ``place(temporary, path)``; a failed write leaves
    no partial file. How many rows."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            writer.writerows([_cell(v) for v in row] for row in rows)
            handle.flush()
            os.fsync(handle.fileno())
        place(temporary, path)
    except OSError as exc:
        raise UserError(
            f"The outcomes could not be written to {path}: {exc.strerror or exc}."
        ) from exc
    finally:
        temporary.unlink(missing_ok=True)
    return len(rows)


def _cell(value: str) -> str:
    """A number as written (a spreadsheet reads "-0.3" as minus 0.3, not as a formula);
    any text made safe from formula injection."""
    try:
        float(value)
    except ValueError:
        return spreadsheet_safe(value)
    return value


def pseudonym(secret: bytes, patient_id: str) -> str:
    digest = hmac.new(secret, b"outcomes " + patient_id.encode(), hashlib.sha256).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    number = int.from_bytes(digest[:8])
    code = ""
    for _ in range(10):
        number, index = divmod(number, len(alphabet))
        code += alphabet[index]
    return f"OC-{code}"
