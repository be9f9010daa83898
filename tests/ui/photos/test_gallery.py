"""The Photos tab: import in the background with a summary, thumbnails, the per-visit
checklist, the viewer and the compare dialog with its wipe slider."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clinicdesk.domain.photos import View
from clinicdesk.ui.photos.compare import CompareDialog, default_pair
from clinicdesk.ui.photos.gallery import PhotosTab, ThumbnailCache, checklist_text
from clinicdesk.ui.photos.grid import CHECKLIST_ROLE
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import VALID_PATIENT, Clinic
from tests.media import images
from tests.ui.conftest import WindowFactory


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


def open_photos(open_window: WindowFactory, clinic: Clinic, patient_id: str) -> PhotosTab:
    window = open_window(clinic.clinician)
    window.open_patient(patient_id)
    window.tabs.setCurrentWidget(window.photos)
    return window.photos


def import_and_wait(
    qtbot: QtBot, tab: PhotosTab, paths: list[Path], view: View | None, visit: date
) -> str:
    previous = tab.summary_dialog
    tab.import_files(paths, view, visit)
    qtbot.waitUntil(lambda: tab.task is None and tab.summary_dialog is not previous, timeout=10000)
    assert tab.summary_dialog is not None
    text = tab.summary_dialog.text()
    tab.summary_dialog.reject()
    return text


def test_import_shows_a_summary_with_reasons_and_the_thumbnails(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    tab = open_photos(open_window, clinic, patient_id)
    today = clinic.services.patients.today()
    files = [
        write(tmp_path, "one.jpg", images.jpeg((320, 240), seed=1)),
        write(tmp_path, "two.png", images.png((300, 200))),
        write(tmp_path, "scan.jpg", images.pdf()),
    ]
    tab.import_files(files, View.FRONTAL, today)
    assert tab.task is not None and not tab.import_button.isEnabled()
    qtbot.waitUntil(lambda: tab.task is None and tab.summary_dialog is not None, timeout=10000)
    assert tab.import_button.isEnabled()
    progress = tab.progress_dialog  # quick work: the dialog never showed, but was kept up to date
    assert progress is not None and not progress.isVisible()
    assert progress.maximum() == 3  # (it resets itself on reaching the end)
    assert tab.summary_dialog is not None and tab.summary_dialog.isVisible()
    summary = tab.summary_dialog.text()
    assert "Imported: 2" in summary
    assert "Refused: 1" in summary
    assert "scan.jpg" in summary and "Refused files:" in summary
    tab.summary_dialog.reject()

    assert len(tab.model.photos) == 2
    # The thumbnails are decoded on a worker once the grid paints them.
    tab.grid.viewport().repaint()
    first = tab.model.photos[0].id
    qtbot.waitUntil(lambda: tab.model.cache.get(first) is not None)
    pixmap = tab.model.cache.get(first)
    assert pixmap is not None and not pixmap.isNull() and pixmap.width() > 16
    decoration = tab.model.data(tab.model.index_of(first), Qt.ItemDataRole.DecorationRole)
    assert isinstance(decoration, QPixmap) and decoration.cacheKey() == pixmap.cacheKey()

    # The same file again is a duplicate, and nothing new appears.
    again = import_and_wait(qtbot, tab, files[:1], View.FRONTAL, today)
    assert "Imported: 0" in again and "Already in the record (not stored again): 1" in again
    assert len(tab.model.photos) == 2


def visit_checklist(tab: PhotosTab) -> str:
    """The checklist line under the (first) visit heading of the grid."""
    assert len(tab.model.headings()) >= 1
    return str(tab.model.index(0, 0).data(CHECKLIST_ROLE))


def test_the_checklist_changes_when_a_vertex_photo_is_added(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    tab = open_photos(open_window, clinic, patient_id)
    visit = clinic.services.patients.today() - timedelta(days=30)
    frontal = write(tmp_path, "frontal.jpg", images.jpeg(seed=2))
    import_and_wait(qtbot, tab, [frontal], View.FRONTAL, visit)
    assert tab.selected_visit() is None  # "All visits"
    tab.visit_list.setCurrentRow(1)
    assert tab.selected_visit() == visit
    assert visit_checklist(tab).startswith("Missing: vertex, midline part")
    assert "Missing: vertex" in tab.visit_list.item(1).text()

    vertex = write(tmp_path, "vertex.jpg", images.jpeg(seed=3))
    import_and_wait(qtbot, tab, [vertex], View.VERTEX, visit)
    assert tab.selected_visit() == visit  # the chosen visit stays chosen
    assert visit_checklist(tab).startswith("Missing: midline part")
    assert "vertex" not in visit_checklist(tab)
    assert "Missing: midline part" in tab.visit_list.item(1).text()
    assert len(tab.model.photos) == 2

    tab.view_filter.setCurrentIndex(tab.view_filter.findData(View.VERTEX.value))
    assert [p.view for p in tab.model.photos] == [View.VERTEX]


def test_checklist_text() -> None:
    assert checklist_text([]) == "All standard views present"
    assert checklist_text([View.VERTEX, View.TEMPORAL_LEFT]) == "Missing: vertex, temporal left"


def test_the_thumbnail_cache_is_bounded() -> None:
    cache = ThumbnailCache(capacity=3)
    for key in "abcd":
        cache.put(key, QPixmap(4, 4))
    assert len(cache) == 3 and cache.get("a") is None
    assert cache.get("b") is not None
    cache.put("e", QPixmap(4, 4))
    assert cache.get("b") is not None and cache.get("c") is None


def test_compare_pairs_baseline_and_latest_and_the_wipe_slider_moves_the_split(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    tab = open_photos(open_window, clinic, patient_id)
    today = clinic.services.patients.today()
    baseline, middle = today - timedelta(days=180), today - timedelta(days=90)
    for seed, visit in enumerate((baseline, middle, today)):
        path = write(tmp_path / str(seed), "vertex.jpg", images.jpeg((400, 300), seed=seed + 10))
        import_and_wait(qtbot, tab, [path], View.VERTEX, visit)
    frontal = write(tmp_path, "frontal.jpg", images.jpeg((400, 300), seed=30))
    import_and_wait(qtbot, tab, [frontal], View.FRONTAL, middle)
    assert len(tab.model.photos) == 4

    tab.view_filter.setCurrentIndex(tab.view_filter.findData(View.VERTEX.value))
    tab.grid.setCurrentIndex(tab.model.index(3, 0))  # the middle visit's vertex, after 2 headings
    selected = tab.selected_photo()
    assert selected is not None and selected.visit_date == middle
    first, last = default_pair(tab.photos, selected)
    assert (first.visit_date, last.visit_date) == (baseline, today)

    tab.compare_button.click()
    dialog = tab.compare_dialog
    assert isinstance(dialog, CompareDialog)
    qtbot.waitExposed(dialog)
    assert dialog.left_caption.text().startswith(baseline.strftime("%d/%m/%Y"))
    assert dialog.right_caption.text().startswith(today.strftime("%d/%m/%Y"))
    assert "Vertex" in dialog.left_caption.text() and "Vertex" in dialog.right_caption.text()
    assert dialog.left_box.count() == 3  # only the vertex photos

    # Side by side, zoom and pan in step.
    dialog.left_viewer.zoom_in()
    dialog.left_viewer.zoom_in()
    assert dialog.right_viewer.transform().m11() == pytest.approx(
        dialog.left_viewer.transform().m11()
    )
    qtbot.wait(20)  # the scroll bars follow the zoom
    dialog.left_viewer.horizontalScrollBar().setValue(37)
    assert dialog.right_viewer.horizontalScrollBar().value() == 37

    # The wipe: the split moves with the slider.
    dialog.mode_button.click()
    assert dialog.stack.currentIndex() == 1
    dialog.wipe.grab()  # paints it
    before = dialog.wipe.last_split_x
    assert before is not None
    qtbot.mouseClick(dialog.slider, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert dialog.slider.value() < 500
    dialog.wipe.grab()
    after = dialog.wipe.last_split_x
    assert after is not None and after < before
    dialog.slider.setValue(900)
    dialog.wipe.grab()
    assert dialog.wipe.last_split_x is not None and dialog.wipe.last_split_x > before
    dialog.reject()


def test_the_viewer_zooms_and_fits(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    tab = open_photos(open_window, clinic, patient_id)
    path = write(tmp_path, "one.jpg", images.jpeg((640, 480), seed=5))
    import_and_wait(qtbot, tab, [path], View.FRONTAL, clinic.services.patients.today())
    tab.grid.setFocus()
    tab.select_photo(tab.model.photos[0].id)
    qtbot.keyClick(tab.grid, Qt.Key.Key_Return)  # Enter opens the viewer
    dialog = tab.viewer_dialog
    assert dialog is not None
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    viewer = dialog.viewer
    fitted = viewer.scale_factor
    qtbot.keyClick(dialog, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert viewer.scale_factor == pytest.approx(fitted * 1.25)
    qtbot.keyClick(dialog, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert viewer.scale_factor < fitted
    qtbot.keyClick(dialog, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert viewer.fitted and viewer.scale_factor == pytest.approx(fitted)
    dialog.reject()


def test_archiving_a_photo_asks_and_takes_it_out(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.conftest import click_message_button, when_modal

    tab = open_photos(open_window, clinic, patient_id)
    path = write(tmp_path, "one.jpg", images.jpeg(seed=6))
    import_and_wait(qtbot, tab, [path], View.FRONTAL, clinic.services.patients.today())
    tab.select_photo(tab.model.photos[0].id)
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Yes))
    tab.archive_button.click()
    assert seen and "Archive the photo one.jpg" in seen[0]
    assert tab.model.photos == [] and tab.model.rowCount() == 0
    assert clinic.services.photos.list_photos(clinic.clinician, patient_id) == []


def test_reception_and_admin_have_no_photos_tab(
    open_window: WindowFactory, clinic: Clinic, patient_id: str
) -> None:
    for user in (clinic.reception, clinic.admin):
        window: MainWindow = open_window(user)
        window.open_patient(patient_id)
        assert window.tabs.indexOf(window.photos) < 0
    clinician = open_window(clinic.clinician)
    assert clinician.tabs.indexOf(clinician.photos) >= 0
    assert clinician.tabs.tabText(clinician.tabs.indexOf(clinician.photos)) == "P&hotos"
