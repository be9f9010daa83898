"""Shared by the consent-form and layout tests: a clinic, patients, and reading PDFs back."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from clinicdesk.documents.layout import ClinicDetails, PatientIdentity
from clinicdesk.paths import resources_dir

CLINIC = ClinicDetails(
    name="Harrowgate Hair Restoration Clinic",
    address="14 Station Parade\nHarrogate HG1 1UF",
    phone="01423 555 0199",
)
PATIENT = PatientIdentity("Zoë Łukasz-Ó'Brien", date(1985, 7, 3), "9434765919")
FIELDS = {
    "clinician_name": "Dr Siobhán Kowalczyk",
    "clinician_registration": "GMC 7012345",
    "device": "Micrograft kit MK-2 (CE-marked)",
    "consultation_date": "02/03/2026",
    "decision_date": "20/03/2026",
    "cost": "£1,850",
    "cooling_off_days": "14",
    "risks_discussed": "Keloid on the chest in 2019.\nTakes apixaban: GP to advise.",
}
_PAGE = re.compile(r"Page (\d+) of (\d+)")


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def page_numbers(text: str) -> tuple[int, int]:
    found = _PAGE.findall(text)
    assert len(found) == 1, text
    return int(found[0][0]), int(found[0][1])


def image_count(pdf: bytes) -> int:
    """Image XObjects in the file (reportlab writes each one once, however often drawn)."""
    return len(re.findall(rb"/Subtype\s*/Image", pdf))


def png(size: tuple[int, int] = (120, 40), colour: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def copy_templates(tmp_path: Path) -> Path:
    """A writable copy of the bundled templates, to change in a test."""
    root = tmp_path / "templates"
    shutil.copytree(resources_dir() / "templates", root)
    return root
