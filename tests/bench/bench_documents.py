"""Consent form PDF against a bare reportlab one-page document, built in the same run.

Budget (DESIGN.md): consent form PDF <= 3x a bare reportlab one-page document.

- Measured: ``forms.render_form`` of the current ``micrograft-consent`` template for a patient
  with a non-ASCII name, every field filled in, to bytes in memory (no disk): the whole form,
  with the page frame on every page, fonts embedded as subsets, "Page x of y".
- Baseline: the plainest reportlab document there is: ``SimpleDocTemplate`` on A4 with a title
  and about one page of body text in the built-in Helvetica (nothing embedded), to bytes.

Both are timed after a warm-up (font registration and the first template load are once per
process, not per form), as the median of ``REPEAT`` builds, in the same process and with the
same reportlab settings. The notes add two comparisons that say where the time goes: per page
(the consent form has several pages, the baseline one), and the same template text laid out
as bare paragraphs with no frame, tables or boxes.

    python -m tests.bench.bench_documents       # this benchmark alone, no clinic needed
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from datetime import date

from clinicdesk.documents.forms import render_form, render_pack
from clinicdesk.documents.layout import ClinicDetails, PatientIdentity
from clinicdesk.documents.templates import CONSENT_PACK, TemplateLibrary
from tests.bench.common import Outcome, note, report

RATIO_BUDGET = 3.0
REPEAT = 25

CLINIC = ClinicDetails(
    name="Harrowgate Hair Restoration Clinic",
    address="14 Station Parade\nHarrogate HG1 1UF",
    phone="01423 555 0199",
)
PATIENT = PatientIdentity("Zoë Łukasz-Ó'Brien", date(1985, 7, 3), "9434765919")
FIELDS = {
    "clinician_name": "Dr Siobhán Kowalczyk",
    "clinician_registration": "GMC 7012345",
    "device": "Micrograft disaggregation kit (CE-marked)",
    "treatment_areas": "Frontal, mid-scalp",
    "consultation_date": "02/03/2026",
    "decision_date": "20/03/2026",
    "cost": "£1,850",
    "cooling_off_days": "14",
    "risks_discussed": "Keloid on the chest in 2019: higher risk of a raised donor-site scar.",
    "alternatives_discussed": "Oral minoxidil; declined finasteride.",
    "patient_questions": "Will it hurt? Anaesthetic explained.\nHow soon will I see a change?",
}
LOREM = (
    "The quick brown fox jumps over the lazy dog while the clinic prepares the consent pack. "
) * 6


def _median_ms(work: Callable[[], object]) -> float:
    work()  # warm-up
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        work()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def _bare_one_page() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    story = [Paragraph("Consent to treatment", styles["Title"])]
    story += [Paragraph(LOREM, styles["BodyText"]) for _ in range(8)]
    SimpleDocTemplate(out, pagesize=A4, invariant=1).build(story)
    return out.getvalue()


def _bare_same_text(body: str) -> Callable[[], bytes]:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    lines = [line for line in body.split("\n") if line.strip() and not line.startswith("::")]

    def build() -> bytes:
        styles = getSampleStyleSheet()
        out = io.BytesIO()
        story = [Paragraph(escape(line), styles["BodyText"]) for line in lines]
        SimpleDocTemplate(out, pagesize=A4, invariant=1).build(story)
        return out.getvalue()

    return build


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def run(results: list[Outcome]) -> None:
    print(f"\n== Consent form PDF (median of {REPEAT}) ==")
    library = TemplateLibrary()
    template = library.current("micrograft-consent")
    pack = [(library.current(template_id), FIELDS) for template_id in CONSENT_PACK]

    def form() -> bytes:
        return render_form(template, CLINIC, PATIENT, FIELDS)

    measured = _median_ms(form)
    base = _median_ms(_bare_one_page)
    ratio = measured / base
    form_pages = _pages(form())
    report(
        Outcome(
            f"consent form PDF ({template.id} v{template.version}, {form_pages} pages)",
            f"<= {RATIO_BUDGET:g}x bare reportlab",
            f"{measured:.1f} ms",
            f"{base:.1f} ms",
            ratio,
            ratio <= RATIO_BUDGET,
        ),
        results,
    )
    same_text = _median_ms(_bare_same_text(template.body))
    note(
        f"baseline: one page of Helvetica paragraphs ({_pages(_bare_one_page())} page); per page "
        f"the form takes {measured / form_pages:.1f} ms, {measured / form_pages / base:.2f}x "
        "the baseline page"
    )
    note(
        f"the same template text as bare paragraphs, no frame, tables or embedded fonts: "
        f"{same_text:.1f} ms; the form is {measured / same_text:.2f}x that"
    )
    pack_ms = _median_ms(lambda: render_pack(pack, CLINIC, PATIENT))
    pack_pages = _pages(render_pack(pack, CLINIC, PATIENT))
    note(f"the whole consent pack ({len(pack)} documents, {pack_pages} pages): {pack_ms:.1f} ms")


if __name__ == "__main__":
    run([])
