"""Print and screen: every PDF embeds every font it names, tells a reader its title and language
(and to show the title), has an ID of its own, states the time it was made, has a bookmark per
document of a pack, and can be made in large print; the charts read in black and white.

Read back with pypdf, and with poppler's ``pdffonts`` / ``pdfinfo`` where installed (the pypdf
checks run either way)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, PolyLine
from reportlab.platypus import Table

from clinicdesk.documents.charts import REGION_STYLES, chart_section
from clinicdesk.documents.forms import _Renderer, render_form, render_pack
from clinicdesk.documents.layout import CONTENT_WIDTH, PatientIdentity
from clinicdesk.documents.recovery import render_recovery_key
from clinicdesk.documents.report import render_progress_report
from clinicdesk.documents.templates import CONSENT_PACK, TemplateLibrary
from clinicdesk.documents.text import print_size
from clinicdesk.domain.assessments import Region
from tests.documents.pdf_helpers import CLINIC, FIELDS, PATIENT
from tests.documents.test_report import course, measured, report_data, visit

MADE_AT = datetime(2026, 3, 12, 14, 30, 5, 250_000, tzinfo=UTC)
LIBRARY = TemplateLibrary()
OTHER = PatientIdentity("Amir Haddad", date(1979, 11, 2), "4010232137")


def pack(**options: Any) -> bytes:
    items = [(LIBRARY.current(template_id), FIELDS) for template_id in CONSENT_PACK]
    return render_pack(items, CLINIC, PATIENT, **options)


def every_document() -> dict[str, bytes]:
    """The pack, each form and sheet on its own, both flavours of the report (with charts),
    the printed recovery key, and a name only the CJK fallback font can print."""
    documents = {"pack": pack()}
    for template_id in LIBRARY.ids():
        documents[template_id] = render_form(LIBRARY.current(template_id), CLINIC, PATIENT, FIELDS)
    for flavour in ("clinical", "patient"):
        documents[flavour] = render_progress_report(report_data(course()), flavour)  # type: ignore[arg-type]
    documents["recovery key"] = render_recovery_key(
        CLINIC.name, "ABCD-EFGH-2345-6701", date(2026, 3, 12)
    )
    documents["cjk"] = render_form(
        LIBRARY.current("aftercare"), CLINIC, PatientIdentity("王秀英", None), FIELDS
    )
    return documents


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def fonts_of(pdf: bytes) -> dict[str, DictionaryObject]:
    """Every font the pages name (the fonts of forms they draw included), by base name."""
    found: dict[str, DictionaryObject] = {}

    def walk(resources: Any) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            found[str(font["/BaseFont"])] = font
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            walk(xobject.get("/Resources"))

    for page in reader(pdf).pages:
        walk(page.get("/Resources"))
    return found


def embedded(font: DictionaryObject) -> bool:
    """Whether the font's program is in the file (a Type0 font's, in its descendant)."""
    if font.get("/Subtype") == "/Type0":
        return all(embedded(d.get_object()) for d in font["/DescendantFonts"])
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False  # a base-14 font: the reader's own, not the document's
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def text_sizes(pdf: bytes) -> Counter[float]:
    """How often each font size is set in the pages' content streams."""
    sizes: Counter[float] = Counter()
    for page in reader(pdf).pages:
        content = page.get_contents()
        assert content is not None
        for size in re.findall(rb"/[\w+]+ ([\d.]+) Tf", content.get_data()):
            sizes[float(size)] += 1
    return sizes


# -- fonts ----------------------------------------------------------------------------------


def test_every_font_of_every_document_is_embedded() -> None:
    for name, pdf in every_document().items():
        fonts = fonts_of(pdf)
        assert fonts, name
        assert [f for f, font in fonts.items() if not embedded(font)] == [], name
    assert any("DroidSansFallback" in f for f in fonts_of(every_document()["cjk"]))


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler's pdffonts not installed")
def test_pdffonts_lists_no_font_that_is_not_embedded(tmp_path: Path) -> None:
    for name, pdf in every_document().items():
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf)
        listing = subprocess.run(
            ["pdffonts", str(path)], check=True, capture_output=True, text=True
        ).stdout
        rows = listing.splitlines()[2:]
        assert rows, name
        for row in rows:
            # name, type, encoding, then "emb sub uni object ID": emb is the 4th from the end.
            assert row.split()[-5] == "yes", f"{name}: {row}"


# -- what a reader is told ------------------------------------------------------------------


def test_title_language_and_display_title_are_set_on_every_document() -> None:
    for name, pdf in every_document().items():
        document = reader(pdf)
        root = document.trailer["/Root"]
        assert root["/Lang"] == "en-GB", name
        assert root["/ViewerPreferences"]["/DisplayDocTitle"] is True or str(
            root["/ViewerPreferences"]["/DisplayDocTitle"]
        ) in ("True", "true"), name
        assert document.metadata is not None and document.metadata.title, name
    assert reader(every_document()["patient"]).metadata.title == "Your progress report"  # type: ignore[union-attr]


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler's pdfinfo not installed")
def test_pdfinfo_shows_the_title_and_the_creation_time(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(render_progress_report(report_data(course()), "patient", generated_at=MADE_AT))
    info = subprocess.run(
        ["pdfinfo", "-isodates", str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert re.search(r"^Title:\s+Your progress report$", info, re.MULTILINE)
    assert re.search(r"^CreationDate:\s+2026-03-12T14:30:05(Z|\+00)", info, re.MULTILINE), info


def test_the_pack_has_a_bookmark_per_form_at_its_first_page() -> None:
    pdf = pack()
    document = reader(pdf)
    titles = [LIBRARY.current(template_id).title for template_id in CONSENT_PACK]
    outline = [
        (item.title, document.get_destination_page_number(item)) for item in document.outline
    ]
    assert [title for title, _ in outline] == titles
    for title, page in outline:
        text = document.pages[page].extract_text()
        assert "Page 1 of" in text and " ".join(title.split()[:3]) in " ".join(text.split())
    assert document.trailer["/Root"]["/PageMode"] == "/UseOutlines"  # opens beside the list


# -- identity and time ----------------------------------------------------------------------


def document_id(pdf: bytes) -> bytes:
    first, second = reader(pdf).trailer["/ID"]
    assert first == second
    return bytes(first.original_bytes)


def test_each_document_has_its_own_id_and_the_same_input_the_same_bytes() -> None:
    data = report_data(course())
    mine = render_progress_report(data, "patient", generated_at=MADE_AT)
    theirs = render_progress_report(
        report_data(course(), patient=OTHER), "patient", generated_at=MADE_AT
    )
    assert document_id(mine) != document_id(theirs)
    assert render_progress_report(data, "patient", generated_at=MADE_AT) == mine
    # Made again later: another document, with another creation date and another ID.
    later = render_progress_report(data, "patient", generated_at=MADE_AT + timedelta(hours=1))
    assert document_id(later) != document_id(mine)
    # The two flavours of one report, and two forms for one patient, differ as well.
    ids = {document_id(pdf) for pdf in every_document().values()}
    assert len(ids) == len(every_document())


def test_the_creation_date_is_the_generation_time_in_utc() -> None:
    in_paris = MADE_AT.astimezone(timezone(timedelta(hours=1)))
    pdf = render_form(LIBRARY.current("aftercare"), CLINIC, PATIENT, FIELDS, generated_at=in_paris)
    info = reader(pdf).trailer["/Info"]
    assert info["/CreationDate"] == "D:20260312143005+00'00'"
    assert info["/ModDate"] == info["/CreationDate"]
    with pytest.raises(ValueError, match="time zone"):
        render_form(
            LIBRARY.current("aftercare"),
            CLINIC,
            PATIENT,
            FIELDS,
            generated_at=datetime(2026, 3, 12, 14, 30),
        )


# -- large print ----------------------------------------------------------------------------


@pytest.mark.parametrize("template_id", ["micrograft-consent", "pre-treatment"])
def test_large_print_sets_the_body_in_12_pt(template_id: str) -> None:
    template = LIBRARY.current(template_id)
    normal = text_sizes(render_form(template, CLINIC, PATIENT, FIELDS))
    large = text_sizes(render_form(template, CLINIC, PATIENT, FIELDS, large_print=True))
    assert normal[9.0] > 0 and normal[12.0] == 0
    assert large[12.0] > 0 and large[9.0] == 0
    assert large.most_common(1)[0][0] == 12.0  # the body: the most frequent size


def test_the_patients_report_and_the_pack_in_large_print() -> None:
    data = report_data(course())
    normal = text_sizes(render_progress_report(data, "patient"))
    large = text_sizes(render_progress_report(data, "patient", large_print=True))
    assert normal[9.0] > 0 and normal[12.0] == 0  # body 9 pt
    assert large[12.0] > 0 and large[9.0] == 0  # body 12 pt
    # The charts' labels grow too: their ticks from 7 to 10 pt, their axis titles to 11 pt.
    assert large[10.0] > normal[10.0] and large[11.0] > normal[11.0]
    large_pack = pack(large_print=True)
    assert text_sizes(large_pack).most_common(1)[0][0] == 12.0
    # Still a bookmark per form, on pages that are each the first of their form.
    assert len(reader(large_pack).outline) == len(CONSENT_PACK)
    assert len(reader(large_pack).pages) > len(reader(pack()).pages)


@pytest.mark.parametrize("role", ["patient", "treating-clinician", "interpreter", "witness"])
def test_large_print_signature_boxes_hold_their_labels(role: str) -> None:
    """Every fixed-height row of a signature box is at least as tall as its text: a label that
    wraps in large print ("Registration no.") grows its row instead of crossing the rule."""
    with print_size():
        renderer = _Renderer(FIELDS | {"patient_name": PATIENT.name})
        box = renderer.signature_box(role, (CONTENT_WIDTH - 17) / 2)
        box.wrap(CONTENT_WIDTH, 10_000)
        for row, height in zip(box._cellvalues, box._rowHeights, strict=True):
            for cell, width in zip(row, box._colWidths, strict=True):
                if hasattr(cell, "wrap"):
                    needed = cell.wrap(width - 10, 10_000)[1]
                    assert needed <= height - 6, (role, cell.text, needed, height)


def test_large_print_on_the_day_strip_holds_its_statements() -> None:
    with print_size():
        strip = _Renderer({}).on_the_day(["confirmation", "withdrawal"])
        [table] = [f for f in strip._content if isinstance(f, Table)]
        table.wrap(CONTENT_WIDTH, 10_000)
        for row, height in zip(table._cellvalues, table._rowHeights, strict=True):
            statement = row[0]
            assert statement.wrap(table._colWidths[0] - 10, 10_000)[1] <= height - 6


# -- charts ---------------------------------------------------------------------------------


def six_regions(*, same: bool) -> list[Any]:
    """Three visits with all six regions; ``same``: every region measuring the same."""
    days = [date(2025, 3, 10), date(2025, 6, 10), date(2025, 9, 10)]
    return [
        visit(
            day,
            *(
                measured(region, 150.0 if same else 120.0 + 10 * n + i, 60.0 if same else 55 + n)
                for n, region in enumerate(Region)
            ),
        )
        for i, day in enumerate(days)
    ]


def charts(visits: list[Any], *, plain: bool, large: bool = False) -> list[Drawing]:
    with print_size(large=large):
        section = chart_section(visits, plain=plain, width=CONTENT_WIDTH)
    return [f for block in section for f in block._content if isinstance(f, Drawing)]


def parts(drawing: Drawing) -> tuple[LinePlot, Legend]:
    [plot] = [c for c in drawing.contents if isinstance(c, LinePlot)]
    [legend] = [c for c in drawing.contents if isinstance(c, Legend)]
    return plot, legend


def marker_look(symbol: Any) -> tuple[str, bool]:
    """A marker as it prints in black and white: its shape, and whether it is filled."""
    white = symbol.fillColor is None or symbol.fillColor.hexval() == "0xffffff"
    return symbol.kind, not white


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("large", [False, True])
def test_each_regions_line_differs_in_greyscale_and_its_swatch_matches(
    plain: bool, large: bool
) -> None:
    drawings = charts(six_regions(same=False), plain=plain, large=large)
    assert len(drawings) == 2
    for drawing in drawings:
        plot, _legend = parts(drawing)
        count = len(plot.data)
        assert count == 6
        looks = []
        for index in range(count):
            line = plot.lines[index]
            dash = tuple(line.strokeDashArray or ())
            looks.append((dash, *marker_look(line.symbol)))
        # No two regions share a dash pattern, nor a marker: told apart without colour.
        assert len({look[0] for look in looks}) == count
        assert len({look[1] for look in looks}) == count
        drawn = plot.draw()
        lines = [shape for shape in _shapes(drawn) if isinstance(shape, PolyLine)]
        assert len({tuple(p.strokeDashArray or ()) for p in lines}) == count
        for index in range(count):
            swatch = plot.makeSwatchSample(index, 0, 0, 24, 6)
            swatch_line = next(s for s in _shapes(swatch) if isinstance(s, Line))
            assert tuple(swatch_line.strokeDashArray or ()) == looks[index][0]
            assert plot.getSeriesName(index) in {r.label for r in Region} | {
                "Front",
                "Middle of the scalp",
                "Crown",
                "Left temple",
                "Right temple",
                "Back of the head (not treated)",
                "Back of the head\n(not treated)",
            }
    assert {style.dash for style in REGION_STYLES.values()}.__len__() == len(Region)


def test_a_legend_draws_the_lines_swatches() -> None:
    [drawing, _] = charts(six_regions(same=False), plain=True)
    plot, legend = parts(drawing)
    plot.draw()  # as in the PDF: the plot first, whose lines the legend's swatches copy
    drawn = legend.draw()
    swatch_lines = [s for s in _shapes(drawn) if isinstance(s, Line)]
    assert len({tuple(s.strokeDashArray or ()) for s in swatch_lines}) == 6


def test_regions_measuring_the_same_are_drawn_apart_not_one_over_another() -> None:
    for drawing in charts(six_regions(same=True), plain=False):
        plot, _ = parts(drawing)
        for visit_points in zip(*plot.data, strict=True):
            assert len(set(visit_points)) == len(visit_points)  # no two points coincide
    # A region alone at its value stays exactly on its value and date.
    [drawing, _] = charts(six_regions(same=False), plain=False)
    plot, _ = parts(drawing)
    assert all(value == round(value) for line in plot.data for _, value in line)


def test_the_chart_fits_the_page_width_in_large_print() -> None:
    for drawing in charts(six_regions(same=False), plain=True, large=True):
        plot, legend = parts(drawing)
        plot.draw()
        x0, _y0, x1, _y1 = legend.getBounds()
        assert x1 <= drawing.width + 0.5, (x1, drawing.width)
        assert x0 >= 0


def _shapes(node: Any) -> list[Any]:
    out = [node]
    for child in getattr(node, "contents", []) or []:
        out += _shapes(child)
    return out


@pytest.mark.parametrize("large_print", [False, True], ids=["usual size", "large print"])
@pytest.mark.parametrize(
    ("template_id", "declaration"),
    [
        ("photo-consent", "I have read this form, and I understand"),
        ("micrograft-consent", "I am the clinician who will carry out this procedure"),
    ],
)
def test_what_is_signed_stays_on_the_page_of_its_signature_boxes(
    template_id: str, declaration: str, large_print: bool
) -> None:
    from tests.documents.pdf_helpers import pages_text

    template = LIBRARY.current(template_id)
    pages = pages_text(render_form(template, CLINIC, PATIENT, FIELDS, large_print=large_print))
    [page] = [p for p in pages if declaration in " ".join(p.split())]
    # The boxes: "Signature" alone (not the heading "Signatures"), and the clinician's box.
    assert re.search(r"Signature\b", page) and "Registration" in page, page[-400:]
