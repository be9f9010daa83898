"""Reading trichoscopy measurements from a CSV file, all or nothing.

The format (one row per region per visit; a header row naming the columns, in any order)::

    visit_date,region,measurement_site,total_density,terminal_density,vellus_density,
    mean_diameter_um,thin_hairs_pct,fu_density,hairs_per_fu,anagen_pct,telogen_pct,
    yellow_dots,hair_mass

(``CSV_HEADER`` below, on one line.) ``visit_date`` is DD/MM/YYYY or YYYY-MM-DD. ``region`` is
a code or label: frontal, mid_scalp (or mid-scalp), vertex, temporal_left, temporal_right,
occipital. Numbers use a decimal point; units are those of ``MEASURES`` (hairs/cm², µm, %,
FU/cm², hairs/FU, /cm²). ``measurement_site``, ``anagen_pct``, ``telogen_pct``,
``yellow_dots`` and ``hair_mass`` are optional: the column may be left out or a cell left
blank. Header names are matched ignoring case, surrounding spaces, and ``-`` or space for
``_``; other columns (software adds its own) are ignored. The delimiter may be ``,``, ``;`` or a
tab (whichever the header uses); the file may start with a UTF-8 byte-order mark and use Windows
line endings; text that is not UTF-8 is read as Windows-1252, as older Windows exports are.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
Any bad cell anywhere makes the whole file fail with ``CsvImportError``, whose ``problems`` list
every bad row and column, so the person can fix the file once and import it again. A file that
cannot be read as a table at all (empty, binary, no header, required columns missing) fails
with one message saying so.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from clinicdesk.domain.assessments import (
    MEASURES,
    RegionMeasurement,
    validate_region,
)
from clinicdesk.domain.dates import DateError, format_uk, parse_date
from clinicdesk.errors import UserError, ValidationError

CSV_COLUMNS: tuple[str, ...] = (
    "visit_date",
    "region",
    "measurement_site",
    *(m.name for m in MEASURES),
)
CSV_HEADER = ",".join(CSV_COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "visit_date",
    "region",
    *(m.name for m in MEASURES if m.required),
)
OPTIONAL_COLUMNS: tuple[str, ...] = tuple(c for c in CSV_COLUMNS if c not in REQUIRED_COLUMNS)
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_PROBLEMS_IN_MESSAGE = 50  # ``problems`` holds all of them; the one-line message is capped


@dataclass(frozen=True)
class CsvProblem:
    row: int  # spreadsheet row number: header = 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


def describe_columns(missing: Sequence[str] = ()) -> str:
    """The columns a file must have and those it may have, as two lines; the ``missing``
    required ones are marked."""
    required = ", ".join(f"{c} (missing)" if c in missing else c for c in REQUIRED_COLUMNS)
    return (
        f"Required columns: {required}.\n"
        f"Optional columns (may be left out or blank): {', '.join(OPTIONAL_COLUMNS)}."
    )


class CsvImportError(UserError):
    """The file was not imported. ``problems`` lists each bad cell (empty when the file as a
    whole could not be read; then the message says why). When required columns are missing,
    ``missing_columns`` names them and ``unknown_columns`` the header names not recognised
    (often the same columns misspelt)."""

    def __init__(
        self,
        message: str,
        problems: list[CsvProblem] | None = None,
        *,
        missing_columns: Sequence[str] = (),
        unknown_columns: Sequence[str] = (),
    ) -> None:
        self.problems = list(problems or [])
        self.missing_columns = list(missing_columns)
        self.unknown_columns = list(unknown_columns)
        if self.problems:
            shown = "; ".join(str(p) for p in self.problems[:MAX_PROBLEMS_IN_MESSAGE])
            more = len(self.problems) - MAX_PROBLEMS_IN_MESSAGE
            if more > 0:
                shown += f"; and {more} more"
            message = f"{message} {shown}"
        super().__init__(message)


@dataclass(frozen=True)
class ImportedVisit:
    """The rows of one visit date: one assessment to create."""

    visit_date: date
    regions: tuple[RegionMeasurement, ...]
    rows: tuple[int, ...]  # the spreadsheet rows they came from


def _decode(data: bytes) -> str:
    if not data.strip():
        raise CsvImportError("The file is empty; nothing was imported.")
    if b"\x00" in data:
        raise CsvImportError(
            "The file is not a CSV text file (it looks like a binary file, such as a "
            "spreadsheet or an image); export the measurements as CSV and import that."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise CsvImportError(
                "The file is not readable text; export the measurements as CSV (UTF-8)."
            ) from None
    bad = [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t"]
    if bad:
        raise CsvImportError(
            "The file is not a CSV text file (it contains control characters); export the "
            "measurements as CSV and import that."
        )
    return text


def listed(names: Sequence[str], most: int = 10) -> str:
    """``names`` separated by commas, the first ``most`` of them and how many more."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _column_name(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().casefold())


def parse_assessment_csv(data: bytes | str, *, today: date) -> list[ImportedVisit]:
    """The visits in a CSV file in the documented format, oldest first; raises
    ``CsvImportError`` (listing every bad row and column) unless every row is good."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise CsvImportError(
                f"The file is too large for a measurements file (over "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB); nothing was imported."
            )
        text = _decode(data)
    else:
        text = data.removeprefix("\ufeff")
        if not text.strip():
            raise CsvImportError("The file is empty; nothing was imported.")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise CsvImportError(f"The file is not a readable CSV table ({exc}).") from None
    # Spreadsheet row numbers: blank lines still count as rows.
    numbered = [(n, r) for n, r in enumerate(records, start=1) if any(c.strip() for c in r)]
    if not numbered:
        raise CsvImportError("The file is empty; nothing was imported.")
    header = numbered[0][1]
    columns = [_column_name(c) for c in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        unknown = [
            name.strip() for name, c in zip(header, columns, strict=True) if c not in CSV_COLUMNS
        ]
        unknown = [name for name in unknown if name]
        not_recognised = f" Columns not recognised (ignored): {listed(unknown)}." if unknown else ""
        raise CsvImportError(
            f"The file is missing the required column(s) {', '.join(missing)}.{not_recognised} "
            "The first row must name the columns. " + describe_columns(missing).replace("\n", " "),
            missing_columns=missing,
            unknown_columns=unknown,
        )
    duplicated = sorted({c for c in columns if c in CSV_COLUMNS and columns.count(c) > 1})
    if duplicated:
        raise CsvImportError(f"The file names the column(s) {', '.join(duplicated)} twice.")
    body = numbered[1:]
    if not body:
        raise CsvImportError("The file has a header but no measurements; nothing was imported.")
    if len(body) > MAX_ROWS:
        raise CsvImportError(f"The file has more than {MAX_ROWS} rows; split it and try again.")
    index = {name: columns.index(name) for name in CSV_COLUMNS if name in columns}
    problems: list[CsvProblem] = []
    visits: dict[date, list[tuple[int, RegionMeasurement]]] = {}
    for row_number, record in body:
        if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
            problems.append(
                CsvProblem(
                    row_number, "(row)", f"has {len(record)} cells; the header has {len(header)}"
                )
            )
            continue
        cells = {name: (record[i] if i < len(record) else "") for name, i in index.items()}
        visit_date: date | None = None
        try:
            visit_date = parse_date(cells["visit_date"])
            if visit_date > today:
                problems.append(CsvProblem(row_number, "visit_date", "is in the future"))
                visit_date = None
        except DateError as exc:
            message = "is required" if not cells["visit_date"].strip() else str(exc)
            problems.append(CsvProblem(row_number, "visit_date", message))
        try:
            measured = validate_region(cells)
        except ValidationError as exc:
            problems.extend(CsvProblem(row_number, k, m) for k, m in exc.errors.items())
            continue
        if visit_date is None:
            continue
        same_day = visits.setdefault(visit_date, [])
        clash = next((n for n, m in same_day if m.region == measured.region), None)
        if clash is not None:
            problems.append(
                CsvProblem(
                    row_number,
                    "region",
                    f"{measured.region.label} on {format_uk(visit_date)} is already in row {clash}",
                )
            )
            continue
        same_day.append((row_number, measured))
    if problems:
        raise CsvImportError(
            f"Nothing was imported: {len(problems)} problem(s) in the file.", problems
        )
    return [
        ImportedVisit(day, tuple(m for _, m in rows), tuple(n for n, _ in rows))
        for day, rows in sorted(visits.items())
    ]
