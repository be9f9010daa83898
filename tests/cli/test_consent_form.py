"""``clinicdesk consent-form``: a prefilled form or the pack, written whole and recorded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from clinicdesk.app import main
from clinicdesk.documents.templates import TemplateLibrary
from clinicdesk.domain.consent import ConsentKind, ConsentStatus
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic


@pytest.fixture
def patient_id(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    return clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "first_name": "Siobhán", "last_name": "Ní Bhriain"}
    ).id


def run(clinic: Clinic, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(
        ["--data-dir", str(clinic.paths.data_dir), "--user", "reception", "consent-form", *args]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages]


def test_reception_writes_the_procedure_consent_form(
    clinic: Clinic, patient_id: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "consent.pdf"
    code, out, err = run(
        clinic, capsys, patient_id, "--template", "micrograft-consent", "-o", str(out_file)
    )
    assert (code, out, err) == (0, f"{out_file}\n", "")
    template = clinic.services.documents.library.current("micrograft-consent")
    for text in pages(out_file):
        assert "Siobhán Ní Bhriain" in text
        assert f"micrograft-consent v{template.version}" in text and template.short_hash in text
    [consent] = clinic.services.consents.consents(clinic.reception, patient_id)
    assert (consent.kind, consent.status) == (ConsentKind.PROCEDURE, ConsentStatus.PREPARED)
    log = clinic.services.consents.documents(clinic.reception, patient_id)
    assert sorted(d.action.value for d in log) == ["generated", "saved"]


def test_the_pack_holds_every_document_of_the_pack(
    clinic: Clinic, patient_id: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "pack.pdf"
    assert run(clinic, capsys, patient_id, "--template", "pack", "-o", str(out_file))[0] == 0
    text = "\n".join(pages(out_file))
    library = TemplateLibrary()
    for template_id in ("micrograft-consent", "photo-consent", "data-protection", "pre-treatment"):
        assert f"{template_id} v{library.current(template_id).version}" in text


def test_an_unknown_template_is_a_usage_error_naming_the_known_ones(
    clinic: Clinic, patient_id: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "x.pdf"
    code, out, err = run(clinic, capsys, patient_id, "--template", "botox", "-o", str(out_file))
    assert code == 2 and out == ""
    assert "botox" in err and "micrograft-consent" in err
    assert not out_file.exists()


def test_an_unknown_patient_is_a_usage_error_naming_the_id(
    clinic: Clinic, patient_id: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "x.pdf"
    code, out, err = run(
        clinic,
        capsys,
        "01a-no-such-patient",
        "--template",
        "micrograft-consent",
        "-o",
        str(out_file),
    )
    assert (code, out) == (2, "")
    assert err.startswith("clinicdesk: ") and len(err.splitlines()) == 1
    assert "“01a-no-such-patient” does not exist" in err and "Find the patient by name" in err
    assert not out_file.exists()
    # Nothing was prepared or logged for anyone.
    assert clinic.services.db.execute("SELECT count(*) FROM consents").fetchone()[0] == 0


def test_large_print_writes_the_form_and_the_pack_with_12_pt_body_text(
    clinic: Clinic, patient_id: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import re

    def sizes(path: Path) -> set[float]:
        found: set[float] = set()
        for page in PdfReader(io.BytesIO(path.read_bytes())).pages:
            content = page.get_contents()
            assert content is not None
            found |= {float(s) for s in re.findall(rb"/[\w+]+ ([\d.]+) Tf", content.get_data())}
        return found

    for template in ("pre-treatment", "pack"):
        large = tmp_path / f"{template}-large.pdf"
        args = (patient_id, "--template", template, "--large-print", "-o", str(large))
        assert run(clinic, capsys, *args) == (0, f"{large}\n", "")
        assert 12.0 in sizes(large) and 9.0 not in sizes(large)
        assert "Siobhán Ní Bhriain" in "\n".join(pages(large))
