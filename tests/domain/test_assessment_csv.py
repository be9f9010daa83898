"""Trichoscopy CSV import: the documented format, every bad cell reported, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.domain.assessment_csv import (
    CSV_HEADER,
    CsvImportError,
    CsvProblem,
    parse_assessment_csv,
)
from clinicdesk.domain.assessments import Region

TODAY = date(2025, 6, 1)

GOOD = f"""{CSV_HEADER}
12/03/2025,frontal,8 cm from glabella along midline,120,80,40,60,25,60,2.0,,,,
12/03/2025,occipital,2 cm above the inion,200,180,20,72,10,90,2.2,85,15,3,14.4
2025-06-01,frontal,8 cm from glabella along midline,127.1,86,41,61.9,22,62,2.1,,,,
"""


def test_a_good_file_groups_rows_by_visit_date() -> None:
    visits = parse_assessment_csv(GOOD.encode(), today=TODAY)
    assert [v.visit_date for v in visits] == [date(2025, 3, 12), date(2025, 6, 1)]
    first, second = visits
    assert [m.region for m in first.regions] == [Region.FRONTAL, Region.OCCIPITAL]
    assert first.rows == (2, 3) and second.rows == (4,)
    occipital = first.regions[1]
    assert occipital.total_density == 200.0 and occipital.hair_mass == 14.4
    assert occipital.measurement_site == "2 cm above the inion"
    assert first.regions[0].anagen_pct is None  # blank optional cell
    assert second.regions[0].total_density == 127.1


def test_bom_crlf_semicolons_header_variants_and_extra_columns() -> None:
    text = (
        "Visit Date;Region;Total Density;Terminal-Density;vellus_density;mean_diameter_um;"
        "thin_hairs_pct;fu_density;hairs_per_fu;Device serial\r\n"
        "12/03/2025;Mid-scalp;120;80;40;60;25;60;2.0;TS-991\r\n"
        "12/03/2025;Temporal left;100;60;40;55;30;50;2.0;TS-991\r\n"
    )
    visits = parse_assessment_csv(b"\xef\xbb\xbf" + text.encode(), today=TODAY)
    (visit,) = visits
    assert [m.region for m in visit.regions] == [Region.MID_SCALP, Region.TEMPORAL_LEFT]
    assert visit.regions[0].measurement_site == ""  # optional column left out


def test_windows_1252_text_is_read() -> None:
    text = f"{CSV_HEADER}\r\n12/03/2025,frontal,8 cm – midline µ,120,80,40,60,25,60,2,,,,\r\n"
    (visit,) = parse_assessment_csv(text.encode("cp1252"), today=TODAY)
    assert visit.regions[0].measurement_site == "8 cm – midline µ"


def test_a_file_with_bad_rows_reports_every_row_and_column() -> None:
    text = f"""{CSV_HEADER}
12/03/2025,frontal,,120,80,40,60,25,60,2.0,,,,
12/03/2025,vertex,,601,80,40,4,25,60,2.0,,,,
31/02/2025,occipital,,200,180,20,72,10,90,2.2,,,,

12/03/2025,crown,,120,80,40,60,25,60,2.0,,,,
12/03/2025,frontal,,120,80,40,60,25,60,2.0,90,20,,
"""
    with pytest.raises(CsvImportError) as caught:
        parse_assessment_csv(text.encode(), today=TODAY)
    problems = caught.value.problems
    assert [str(p) for p in problems] == [
        "row 3, total_density: must be between 0 and 600 hairs/cm²",
        "row 3, mean_diameter_um: must be between 5 and 150 µm",
        "row 4, visit_date: is not a real date (check the day and month)",
        "row 6, region: must be one of: Frontal, Mid-scalp, Vertex, Temporal left, "
        "Temporal right, Occipital (reference)",
        "row 7, telogen_pct: anagen % + telogen % (110) must not exceed 100%",
    ]
    message = caught.value.message
    assert message.startswith("Nothing was imported: 5 problem(s) in the file.")
    assert "row 3, total_density: must be between 0 and 600 hairs/cm²" in message


def test_the_same_region_twice_on_one_day_names_the_first_row() -> None:
    text = f"{CSV_HEADER}\n12/03/2025,frontal,,120,80,40,60,25,60,2,,,,\n" * 1
    text += "12/03/2025,Frontal,,121,80,40,60,25,60,2,,,,\n"
    with pytest.raises(CsvImportError) as caught:
        parse_assessment_csv(text, today=TODAY)
    assert caught.value.problems == [
        CsvProblem(3, "region", "Frontal on 12/03/2025 is already in row 2")
    ]


def test_a_future_date_and_a_missing_date_are_refused() -> None:
    text = (
        f"{CSV_HEADER}\n02/06/2025,frontal,,120,80,40,60,25,60,2,,,,\n"
        ",vertex,,1,1,0,60,25,1,1,,,,\n"
    )
    with pytest.raises(CsvImportError) as caught:
        parse_assessment_csv(text, today=TODAY)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, visit_date: is in the future",
        "row 3, visit_date: is required",
    ]


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"", "The file is empty"),
        (b"\r\n  \r\n", "The file is empty"),
        (b"\xef\xbb\xbf", "The file is empty"),
        (CSV_HEADER.encode() + b"\r\n", "The file has a header but no measurements"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "The file is not a CSV text file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "The file is not a CSV text file"),
        (b"abc\x07def,ghi\n", "The file is not a CSV text file"),
    ],
)
def test_unreadable_files_fail_with_one_clear_message(data: bytes, start: str) -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_assessment_csv(data, today=TODAY)
    assert caught.value.message.startswith(start)
    assert caught.value.problems == []


def test_missing_required_columns_are_named() -> None:
    text = "visit_date,region,total_density\n12/03/2025,frontal,120\n"
    with pytest.raises(CsvImportError) as caught:
        parse_assessment_csv(text.encode(), today=TODAY)
    message = caught.value.message
    assert message.startswith(
        "The file is missing the required column(s) terminal_density, vellus_density, "
        "mean_diameter_um, thin_hairs_pct, fu_density, hairs_per_fu."
    )
    # Says what the header should be: the required columns apart from the optional ones.
    assert (
        "Required columns: visit_date, region, total_density, terminal_density (missing), "
        "vellus_density (missing), mean_diameter_um (missing), thin_hairs_pct (missing), "
        "fu_density (missing), hairs_per_fu (missing). Optional columns (may be left out or "
        "blank): measurement_site, anagen_pct, telogen_pct, yellow_dots, hair_mass."
    ) in message
    assert caught.value.missing_columns == [
        "terminal_density",
        "vellus_density",
        "mean_diameter_um",
        "thin_hairs_pct",
        "fu_density",
        "hairs_per_fu",
    ]


def test_unrecognised_columns_are_named_when_required_ones_are_missing() -> None:
    text = "Visit Date,Region,Total-Density,Terminal,Vellus,Diameter,thin_hairs_pct,fu_density,"
    text += "hairs_per_fu,Notes\n12/03/2025,frontal,120,80,40,60,25,60,2,ok\n"
    with pytest.raises(CsvImportError) as caught:
        parse_assessment_csv(text, today=TODAY)
    error = caught.value
    assert error.missing_columns == ["terminal_density", "vellus_density", "mean_diameter_um"]
    assert error.unknown_columns == ["Terminal", "Vellus", "Diameter", "Notes"]
    assert "Columns not recognised (ignored): Terminal, Vellus, Diameter, Notes." in error.message


def test_a_row_longer_than_the_header_is_reported() -> None:
    text = f"{CSV_HEADER}\n12/03/2025,frontal,,120,80,40,60,25,60,2,,,,,surplus\n"
    with pytest.raises(CsvImportError) as caught:
        parse_assessment_csv(text, today=TODAY)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, (row): has 15 cells; the header has 14"
    ]
