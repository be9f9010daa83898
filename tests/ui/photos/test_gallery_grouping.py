"""The Photos tab's grid: visit headings with each visit's thumbnails under them, the view
filter, the keys, and thumbnails decoded on worker threads with bounded memory."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from clinicdesk.domain.photos import Photo, View
from clinicdesk.services.photos import ThumbnailReader
from clinicdesk.ui.photos.gallery import PhotosTab
from clinicdesk.ui.photos.grid import CHECKLIST_ROLE, COUNT_ROLE, VisitHeading
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory
from tests.ui.gallery_setup import import_plan, open_photos, wait_for_thumbnails

# The viewer names the patient after the photo (VALID_PATIENT).
WHO = "Siobhán O'Brien · born 03/07/1985 · NHS 943 476 5919"


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


def visits(clinic: Clinic) -> tuple[date, date, date]:
    today = clinic.services.patients.today()
    return today - timedelta(days=180), today - timedelta(days=90), today


def three_visits(clinic: Clinic, patient_id: str, folder: Path) -> list[Photo]:
    baseline, middle, latest = visits(clinic)
    return import_plan(
        clinic,
        patient_id,
        folder,
        {
            baseline: list(View),
            middle: [View.VERTEX, View.FRONTAL, None],
            latest: [View.TEMPORAL_LEFT, View.FRONTAL],
        },
    )


def groups(tab: PhotosTab) -> list[tuple[str, list[str]]]:
    """What the grid shows, top to bottom: each heading's text and the captions under it."""
    shown: list[tuple[str, list[str]]] = []
    for row in range(tab.model.rowCount()):
        index = tab.model.index(row, 0)
        if isinstance(tab.model.row_at(row), VisitHeading):
            shown.append((str(index.data()), []))
        else:
            shown[-1][1].append(str(index.data()))
    return shown


def test_each_visit_has_a_heading_with_its_thumbnails_under_it(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    baseline, middle, latest = visits(clinic)
    three_visits(clinic, patient_id, tmp_path)
    tab = open_photos(open_window, clinic, patient_id)
    uk = "%d/%m/%Y"
    assert groups(tab) == [
        (f"{latest:{uk}} · Follow-up 2", ["Frontal", "Temporal left"]),
        (f"{middle:{uk}} · Follow-up 1", ["Frontal", "Vertex", "Not tagged"]),
        (f"{baseline:{uk}} · Baseline", [view.label for view in View]),
    ]
    headings = tab.model.headings()
    assert [h.visit.visit_date for h in headings] == [latest, middle, baseline]
    first = tab.model.index(0, 0)
    assert first.data(COUNT_ROLE) == "2 photos"
    assert str(first.data(CHECKLIST_ROLE)).startswith("Missing: vertex, midline part")
    baseline_heading = tab.model.index(tab.model.rows.index(headings[2]), 0)
    assert baseline_heading.data(CHECKLIST_ROLE) == "All standard views present"
    # The left-hand list names the visits the same way.
    assert tab.visit_list.item(1).text().startswith(f"{latest:{uk}} · Follow-up 2\n2 photos\n")
    assert tab.visit_list.item(3).text().endswith("All standard views present")

    # On screen: each heading spans the grid, on a line of its own above its photos, and each
    # photo sits below its own visit's heading and above the next one.
    qtbot.wait(150)  # the grid lays itself out in batches
    grid = tab.grid
    tops = [grid.visualRect(tab.model.index(tab.model.rows.index(h), 0)).top() for h in headings]
    assert tops == sorted(tops)
    width = grid.viewport().width()
    for heading in headings:
        rect = grid.visualRect(tab.model.index(tab.model.rows.index(heading), 0))
        assert rect.width() > width - 3 * grid.spacing()
    for photo in tab.model.photos:
        rect = grid.visualRect(tab.model.index_of(photo.id))
        number = [h.visit.visit_date for h in headings].index(photo.visit_date)
        assert rect.top() > tops[number]
        if number + 1 < len(tops):
            assert rect.bottom() < tops[number + 1]
    assert not grid.grab().isNull()  # it paints


def test_the_view_filter_keeps_each_visits_heading_and_says_how_many_are_shown(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    baseline, middle, latest = visits(clinic)
    three_visits(clinic, patient_id, tmp_path)
    tab = open_photos(open_window, clinic, patient_id)
    tab.view_filter.setCurrentIndex(tab.view_filter.findData(View.VERTEX.value))
    assert [(heading, captions) for heading, captions in groups(tab)] == [
        (f"{latest:%d/%m/%Y} · Follow-up 2", []),
        (f"{middle:%d/%m/%Y} · Follow-up 1", ["Vertex"]),
        (f"{baseline:%d/%m/%Y} · Baseline", ["Vertex"]),
    ]
    counts = [
        tab.model.index(tab.model.rows.index(h), 0).data(COUNT_ROLE) for h in tab.model.headings()
    ]
    assert counts == ["0 of 2 photos shown", "1 of 3 photos shown", "1 of 7 photos shown"]
    assert tab.status.text() == "2 shown"

    tab.view_filter.setCurrentIndex(tab.view_filter.findData(""))  # "Not tagged"
    assert [captions for _heading, captions in groups(tab)] == [[], ["Not tagged"], []]

    # Choosing a visit on the left leaves only its group.
    tab.view_filter.setCurrentIndex(0)
    tab.visit_list.setCurrentRow(2)
    assert tab.selected_visit() == middle
    assert [heading for heading, _captions in groups(tab)] == [f"{middle:%d/%m/%Y} · Follow-up 1"]
    assert tab.status.text() == "3 shown"


def test_the_arrow_keys_go_from_photo_to_photo_across_visits_and_enter_opens_the_viewer(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    baseline, _middle, latest = visits(clinic)
    import_plan(
        clinic,
        patient_id,
        tmp_path,
        {baseline: [View.FRONTAL, View.VERTEX], latest: [View.FRONTAL, View.VERTEX]},
    )
    tab = open_photos(open_window, clinic, patient_id)
    qtbot.wait(150)
    grid = tab.grid
    grid.setFocus()
    qtbot.waitUntil(grid.hasFocus)

    def current() -> tuple[date, str] | None:
        photo = tab.selected_photo()
        return (photo.visit_date, str(photo.view)) if photo else None

    qtbot.keyClick(grid, Qt.Key.Key_Home)
    assert current() == (latest, "frontal")  # the first photo, not the heading above it
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert current() == (latest, "vertex")
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert current() == (baseline, "frontal")  # over the baseline's heading
    qtbot.keyClick(grid, Qt.Key.Key_Up)
    assert current() == (latest, "frontal")
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    assert current() == (baseline, "frontal")
    qtbot.keyClick(grid, Qt.Key.Key_End)
    assert current() == (baseline, "vertex")
    assert tab.compare_button.isEnabled() and tab.details_button.isEnabled()

    qtbot.keyClick(grid, Qt.Key.Key_Return)
    dialog = tab.viewer_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == f"Photo — {baseline:%d/%m/%Y} · Vertex — {WHO}"
    dialog.reject()


def test_thumbnails_are_decoded_on_a_worker_with_a_placeholder_meanwhile(
    qtbot: QtBot,
    open_window: WindowFactory,
    clinic: Clinic,
    patient_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [photo] = import_plan(clinic, patient_id, tmp_path, {visits(clinic)[2]: [View.FRONTAL]})
    release = threading.Event()
    threads: list[threading.Thread] = []
    read = ThumbnailReader.read

    def slow_read(reader: ThumbnailReader, wanted: Photo) -> bytes:
        threads.append(threading.current_thread())
        release.wait(10)  # a slow disk
        return read(reader, wanted)

    monkeypatch.setattr(ThumbnailReader, "read", slow_read)
    try:
        tab = open_photos(open_window, clinic, patient_id)
        tab.grid.viewport().repaint()
        qtbot.waitUntil(lambda: len(threads) == 1)
        # The worker is stuck on the file; the GUI thread is not: it answers with nothing yet
        # (the delegate paints a placeholder), and the grid still paints.
        index = tab.model.index_of(photo.id)
        assert index.data(Qt.ItemDataRole.DecorationRole) is None
        assert not tab.grid.grab().isNull()
        assert tab.loader.pending == 1 and tab.model.decoded == 0
        assert threads[0] is not threading.main_thread()
    finally:
        release.set()
    qtbot.waitUntil(lambda: tab.model.decoded == 1)
    pixmap = index.data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(pixmap, QPixmap) and not pixmap.isNull()
    assert max(pixmap.width(), pixmap.height()) <= 150  # scaled to the icon on the worker
    assert len(threads) == 1  # asked for once, though painted again and again


def test_a_thumbnail_that_arrives_after_the_patient_changed_is_ignored(
    qtbot: QtBot,
    open_window: WindowFactory,
    clinic: Clinic,
    patient_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    today = visits(clinic)[2]
    first = import_plan(clinic, patient_id, tmp_path / "a", {today: [View.FRONTAL, View.VERTEX]})
    other_id = clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "first_name": "Other", "nhs_number": ""}
    ).id
    second = import_plan(clinic, other_id, tmp_path / "b", {today: [View.FRONTAL]}, seed=50)
    release = threading.Event()
    started: list[str] = []
    read = ThumbnailReader.read

    def slow_read(reader: ThumbnailReader, wanted: Photo) -> bytes:
        started.append(wanted.id)
        if wanted.patient_id == patient_id:
            release.wait(10)
        return read(reader, wanted)

    monkeypatch.setattr(ThumbnailReader, "read", slow_read)
    try:
        tab = open_photos(open_window, clinic, patient_id)
        tab.grid.viewport().repaint()
        qtbot.waitUntil(lambda: bool(started))
        window = tab.window()
        window.open_patient(other_id)  # type: ignore[attr-defined]
        assert tab.patient_id == other_id
    finally:
        release.set()
    wait_for_thumbnails(qtbot, tab)
    qtbot.waitUntil(lambda: tab.model.cache.get(second[0].id) is not None)
    assert all(tab.model.cache.get(photo.id) is None for photo in first)
    assert [p.id for p in tab.model.photos] == [second[0].id]
    assert tab.model.decoded == 1  # the first patient's late results were dropped unseen


def test_only_the_photos_on_screen_are_decoded_and_the_cache_stays_bounded(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    start = visits(clinic)[0]
    plan = {start + timedelta(days=7 * week): [*View, None, None, None] for week in range(6)}
    import_plan(clinic, patient_id, tmp_path, plan)  # 60 photos
    tab = open_photos(open_window, clinic, patient_id)
    tab.window().resize(1000, 700)
    tab.model.cache.capacity = 40
    qtbot.wait(150)
    wait_for_thumbnails(qtbot, tab)
    assert len(tab.model.photos) == 60
    on_screen = tab.model.decoded
    assert 0 < on_screen < 30

    bar = tab.grid.verticalScrollBar()
    while bar.value() < bar.maximum():
        bar.setValue(bar.value() + bar.pageStep())
        wait_for_thumbnails(qtbot, tab)
    assert tab.model.decoded > on_screen
    assert len(tab.model.cache) <= 40
    last = tab.model.photos[-1]
    assert tab.model.cache.get(last.id) is not None  # the photos now on screen are there


def test_a_patient_without_photos_is_told_how_to_add_them(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    tab = open_photos(open_window, clinic, patient_id)
    assert tab.model.rowCount() == 0
    assert "drag photo files or folders here" in tab.grid.empty_text
    assert "Import photos…" in tab.grid.empty_text
    assert not tab.grid.grab().isNull()
    import_plan(clinic, patient_id, tmp_path, {visits(clinic)[2]: [View.FRONTAL]})
    tab.reload()  # as after an import
    assert tab.grid.empty_text == ""
    assert [heading for heading, _captions in groups(tab)] == [
        f"{visits(clinic)[2]:%d/%m/%Y} · Baseline"
    ]


def test_the_gallery_model_is_a_well_behaved_qt_model(
    qtbot: QtBot,
    qtmodeltester: Any,
    open_window: WindowFactory,
    clinic: Clinic,
    patient_id: str,
    tmp_path: Path,
) -> None:
    three_visits(clinic, patient_id, tmp_path)
    tab = open_photos(open_window, clinic, patient_id)
    qtmodeltester.check(tab.model, force_py=True)
    wait_for_thumbnails(qtbot, tab)
    qtmodeltester.check(tab.model, force_py=True)  # with thumbnails decoded
