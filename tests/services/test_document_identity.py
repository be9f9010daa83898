"""Each document the service makes states the time it was made (the time its generation is
logged), has an ID of its own, and comes in large print on request."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from clinicdesk.domain.consent import DocumentAction
from clinicdesk.services.documents import DocumentService
from tests.conftest import VALID_PATIENT, Clinic
from tests.services.report_setup import treated_patient

STARTED = datetime(2026, 3, 12, 14, 30, 5, 123_456, tzinfo=UTC)


@pytest.fixture
def clock(clinic: Clinic) -> Iterator[list[datetime]]:
    """The document service's clock: each document made moves it on a minute."""
    now = [STARTED]

    def tick() -> datetime:
        moment = now[0]
        now[0] = moment + timedelta(minutes=1)
        return moment

    documents = clinic.services.documents
    saved = documents.now
    documents.now = tick
    yield now
    documents.now = saved


def trailer_id(pdf: bytes) -> bytes:
    return bytes(PdfReader(io.BytesIO(pdf)).trailer["/ID"][0].original_bytes)


def created(pdf: bytes) -> str:
    return str(PdfReader(io.BytesIO(pdf)).trailer["/Info"]["/CreationDate"])


def body_sizes(pdf: bytes) -> set[float]:
    sizes: set[float] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        content = page.get_contents()
        assert content is not None
        sizes |= {float(s) for s in re.findall(rb"/[\w+]+ ([\d.]+) Tf", content.get_data())}
    return sizes


def test_the_logged_generation_time_is_the_pdfs_creation_date(
    clinic: Clinic, clock: list[datetime]
) -> None:
    documents: DocumentService = clinic.services.documents
    patient = clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT))
    pack = documents.consent_pack(clinic.reception, patient.id)
    assert pack.generated_at == "2026-03-12T14:30:05.123Z"
    assert created(pack.pdf) == "D:20260312143005+00'00'"
    records = clinic.services.consents.documents(clinic.admin, patient.id)
    generated = [r for r in records if r.action is DocumentAction.GENERATED]
    assert generated and {r.created_at for r in generated} == {pack.generated_at}
    assert {r.pdf_sha256 for r in generated} == {pack.sha256}
    # Saving is logged when it happens, not at the generation time.
    documents.record_output(clinic.reception, pack, DocumentAction.PRINTED)
    printed = [
        r
        for r in clinic.services.consents.documents(clinic.admin, patient.id)
        if r.action is DocumentAction.PRINTED
    ]
    assert printed and all(r.created_at != pack.generated_at for r in printed)


def test_two_patients_reports_have_their_own_ids(clinic: Clinic, clock: list[datetime]) -> None:
    documents: DocumentService = clinic.services.documents
    first = treated_patient(clinic)
    other = clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "first_name": "Amir", "last_name": "Haddad"}
    )
    mine = documents.progress_report(clinic.clinician, first.id, flavour="patient")
    theirs = documents.progress_report(clinic.clinician, other.id, flavour="patient")
    again = documents.progress_report(clinic.clinician, first.id, flavour="patient")
    assert len({trailer_id(d.pdf) for d in (mine, theirs, again)}) == 3
    assert created(mine.pdf) != created(again.pdf)  # made a minute apart, and says so


def test_forms_the_pack_and_the_report_in_large_print(
    clinic: Clinic, clock: list[datetime]
) -> None:
    documents: DocumentService = clinic.services.documents
    treated = treated_patient(clinic)
    made = [
        documents.form(clinic.reception, treated.id, "aftercare", large_print=True),
        documents.consent_pack(clinic.reception, treated.id, large_print=True),
        documents.progress_report(
            clinic.clinician, treated.id, flavour="patient", large_print=True
        ),
    ]
    for document in made:
        sizes = body_sizes(document.pdf)
        assert 12.0 in sizes and 9.0 not in sizes, document.title
    normal = documents.form(clinic.reception, treated.id, "aftercare")
    assert 9.0 in body_sizes(normal.pdf) and 12.0 not in body_sizes(normal.pdf)
