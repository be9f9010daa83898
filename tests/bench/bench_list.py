"""The patient list at 100k patients: time to the first screen, and scrolling.

Budget (DESIGN.md): first screen < 200 ms, smooth scroll (lazy model). "First screen" here is
constructing the GUI's Qt list model (``clinicdesk.ui.patients.patient_list.PatientListModel``,
which loads its first page) and reading the display text of every column of the first 50 rows, as a
view does to paint them. "Smooth" is read as: fetching one more page and reading the rows that come
into view fits in one 60 Hz frame (< 16 ms). If the model is missing or its constructor differs,
the service calls behind it are timed instead and the report says so."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from tests.bench.common import Outcome, median_ms, note, report
from tests.bench.data import BenchClinic

FIRST_SCREEN_BUDGET_MS = 200.0
PAGE_BUDGET_MS = 16.0
VISIBLE_ROWS = 50
SCROLL_TO_ROWS = 5_000
REPEAT = 9
FALLBACK_PAGE = 100


def _model_factory(clinic: BenchClinic) -> tuple[Callable[[], Any] | None, str]:
    try:
        from clinicdesk.ui.patients.patient_list import PatientListModel
    except ImportError as exc:
        return None, f"clinicdesk.ui.patients.patient_list.PatientListModel not importable ({exc})"
    service, user = clinic.services.patients, clinic.user
    try:
        model = PatientListModel(service, user)
        model.rowCount()
        model.canFetchMore()
    except (TypeError, AttributeError) as exc:
        return None, f"PatientListModel(patients, user) did not work as expected ({exc})"
    del model
    return lambda: PatientListModel(service, user), "PatientListModel(patients, user)"


def _read_rows(model: Any, first: int, count: int) -> None:
    from PySide6.QtCore import Qt

    display = Qt.ItemDataRole.DisplayRole
    columns = model.columnCount()
    for row in range(first, min(first + count, model.rowCount())):
        for column in range(columns):
            model.data(model.index(row, column), display)


def run(clinic: BenchClinic, results: list[Outcome]) -> None:
    print(f"\n== Patient list, {clinic.patients:,} patients ==")
    factory, what = _model_factory(clinic)
    if factory is None:
        note(f"{what}: timing PatientService.count + list_page instead of the Qt model")
        _run_service_only(clinic, results)
        return
    note(f"measured: {what} + display text of {VISIBLE_ROWS} rows x all columns")

    def first_screen() -> Any:
        model = factory()
        _read_rows(model, 0, VISIBLE_ROWS)
        return model

    ms = median_ms(first_screen, repeat=REPEAT)
    report(
        Outcome(
            f"patient list: first screen (median of {REPEAT})",
            f"< {FIRST_SCREEN_BUDGET_MS:g} ms",
            f"{ms:.2f} ms",
            "-",
            None,
            ms < FIRST_SCREEN_BUDGET_MS,
        ),
        results,
    )

    from PySide6.QtCore import QModelIndex

    model = first_screen()
    root = QModelIndex()
    pages: list[float] = []
    first_rows = model.rowCount()
    while model.rowCount() < SCROLL_TO_ROWS and model.canFetchMore(root):
        before = model.rowCount()
        start = time.perf_counter()
        model.fetchMore(root)
        _read_rows(model, before, VISIBLE_ROWS)
        pages.append((time.perf_counter() - start) * 1000)
        if model.rowCount() == before:
            break
    _report_scroll(pages, first_rows, model.rowCount(), results)


def _report_scroll(pages: list[float], first: int, rows: int, results: list[Outcome]) -> None:
    if not pages:
        note("scrolling: the model had nothing more to fetch")
        return
    per_page = statistics.median(pages)
    worst = max(pages)
    report(
        Outcome(
            f"patient list: scroll to {rows:,} rows, per page",
            f"< {PAGE_BUDGET_MS:g} ms (one frame)",
            f"{per_page:.2f} ms",
            "-",
            None,
            worst < PAGE_BUDGET_MS,
        ),
        results,
    )
    note(
        f"{len(pages)} pages of about {(rows - first) // len(pages)} rows after the first "
        f"{first}; median {per_page:.2f} ms, slowest {worst:.2f} ms (the verdict uses the slowest)"
    )


def _run_service_only(clinic: BenchClinic, results: list[Outcome]) -> None:
    service, user = clinic.services.patients, clinic.user

    def first_screen() -> None:
        service.count(user)
        service.list_page(user, None, FALLBACK_PAGE)

    ms = median_ms(first_screen, repeat=REPEAT)
    report(
        Outcome(
            f"patient list (service only): first page (median of {REPEAT})",
            f"< {FIRST_SCREEN_BUDGET_MS:g} ms",
            f"{ms:.2f} ms",
            "-",
            None,
            ms < FIRST_SCREEN_BUDGET_MS,
        ),
        results,
    )
    rows = service.list_page(user, None, FALLBACK_PAGE)
    first = len(rows)
    pages: list[float] = []
    while len(rows) < SCROLL_TO_ROWS:
        last = rows[-1]
        start = time.perf_counter()
        page = service.list_page(user, (last.last_name, last.first_name, last.id), FALLBACK_PAGE)
        pages.append((time.perf_counter() - start) * 1000)
        if not page:
            break
        rows.extend(page)
    _report_scroll(pages, first, len(rows), results)
