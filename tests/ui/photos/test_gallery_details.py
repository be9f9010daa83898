"""Photo details…: correcting a photo's view and capture time from the context menu or the
viewer; the grid, the headings and the checklist follow."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.domain.photos import Photo, View
from clinicdesk.ui.photos.details import PhotoDetailsDialog
from clinicdesk.ui.photos.gallery import PhotosTab
from clinicdesk.ui.photos.grid import CHECKLIST_ROLE
from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory, when_modal
from tests.ui.gallery_setup import import_plan, open_photos

# The viewer names the patient after the photo (VALID_PATIENT).
WHO = "Siobhán O'Brien · born 03/07/1985 · NHS 943 476 5919"


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


def heading_checklist(tab: PhotosTab) -> str:
    return str(tab.model.index(0, 0).data(CHECKLIST_ROLE))


def details_from_context_menu(qtbot: QtBot, tab: PhotosTab, photo: Photo) -> PhotoDetailsDialog:
    """Right-click the photo's thumbnail and choose "Photo details…"."""
    qtbot.wait(150)  # laid out
    centre = tab.grid.visualRect(tab.model.index_of(photo.id)).center()
    tab.grid.customContextMenuRequested.emit(centre)
    menu = tab.context_menu
    assert menu is not None
    qtbot.waitExposed(menu)
    texts = [action.text() for action in menu.actions() if not action.isSeparator()]
    assert texts == ["&Open", "Photo &details…", "&Compare…", "&Archive photo…"]
    assert tab.selected_photo() == photo
    action = tab.details_action
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    dialog = tab.details_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def set_taken(dialog: PhotoDetailsDialog, when: datetime) -> None:
    dialog.taken_edit.setText(f"{when:%d/%m/%Y %H:%M}")


# A popup menu on the offscreen platform: these two are what it cannot do, nothing else.
@pytest.mark.qt_log_ignore(
    r"This plugin does not support raise\(\)",
    "This plugin does not support grabbing the keyboard",
    extend=True,
)
def test_changing_the_view_regroups_the_photo_and_updates_the_checklist(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    visit = clinic.services.patients.today() - timedelta(days=10)
    photos = import_plan(clinic, patient_id, tmp_path, {visit: [View.FRONTAL, None]})
    untagged = photos[1]
    tab = open_photos(open_window, clinic, patient_id)
    assert heading_checklist(tab).startswith("Missing: vertex, midline part")
    assert [str(tab.model.index_of(p.id).data()) for p in tab.model.photos] == [
        "Frontal",
        "Not tagged",
    ]

    dialog = details_from_context_menu(qtbot, tab, untagged)
    assert dialog.view_box.currentText() == "Not tagged"
    assert "file's date" in dialog.source_note.text()  # no EXIF: the form says to check it
    assert not dialog.region_box.isEnabled()
    dialog.view_box.setCurrentIndex(dialog.view_box.findData(View.VERTEX.value))
    corrected = datetime.combine(visit, datetime.min.time()).replace(hour=11, minute=5)
    set_taken(dialog, corrected)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    assert heading_checklist(tab).startswith("Missing: midline part, temporal left")
    assert "vertex" not in heading_checklist(tab)
    assert "Missing: midline part" in tab.visit_list.item(1).text()
    assert [str(tab.model.index_of(p.id).data()) for p in tab.model.photos] == [
        "Frontal",
        "Vertex",
    ]
    assert tab.selected_photo() is not None and tab.selected_photo().id == untagged.id
    stored = clinic.services.photos.photo(clinic.clinician, untagged.id)
    assert (stored.view, stored.taken_at) == (View.VERTEX, corrected)
    assert (
        tab.model.index_of(untagged.id)
        .data(Qt.ItemDataRole.ToolTipRole)
        .endswith(f"Taken {corrected:%d/%m/%Y %H:%M}")
    )

    # The filter follows too: vertex photos now include it.
    tab.view_filter.setCurrentIndex(tab.view_filter.findData(View.VERTEX.value))
    assert [p.id for p in tab.model.photos] == [untagged.id]


@pytest.mark.parametrize(
    ("days_from_today", "hour", "wanted"),
    [
        (None, 9, "Taken is before the patient's date of birth."),
        (1, 9, "Taken is in the future."),
        (400, 0, "Taken is in the future."),
    ],
)
def test_a_time_before_birth_or_in_the_future_is_refused_under_the_field_and_nothing_is_saved(
    qtbot: QtBot,
    open_window: WindowFactory,
    clinic: Clinic,
    patient_id: str,
    tmp_path: Path,
    days_from_today: int | None,
    hour: int,
    wanted: str,
) -> None:
    visit = clinic.services.patients.today()
    [photo] = import_plan(clinic, patient_id, tmp_path, {visit: [View.FRONTAL]})
    tab = open_photos(open_window, clinic, patient_id)
    tab.select_photo(photo.id)
    tab.details_button.click()
    dialog = tab.details_dialog
    assert dialog is not None and dialog.isVisible()
    if days_from_today is None:
        when = datetime(1985, 7, 2, hour, 0)  # the patient was born on 03/07/1985
    else:
        day = visit + timedelta(days=days_from_today)
        when = datetime(day.year, day.month, day.day, hour, 0)
    set_taken(dialog, when)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.taken_field.error == wanted
    assert dialog.taken_at == when  # as typed, to correct
    assert clinic.services.photos.photo(clinic.clinician, photo.id) == photo
    dialog.reject()


def test_the_viewer_opens_photo_details_and_shows_the_correction(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    visit = clinic.services.patients.today() - timedelta(days=2)
    [photo] = import_plan(clinic, patient_id, tmp_path, {visit: [View.VERTEX]})
    tab = open_photos(open_window, clinic, patient_id)
    tab.open_viewer(photo)
    viewer = tab.viewer_dialog
    assert viewer is not None
    qtbot.waitExposed(viewer)
    assert "Vertex" in viewer.caption.text()
    qtbot.mouseClick(viewer.details_button, Qt.MouseButton.LeftButton)
    dialog = tab.details_dialog
    assert dialog is not None and dialog.isVisible() and dialog.parent() is viewer
    dialog.view_box.setCurrentIndex(dialog.view_box.findData(View.TRICHOSCOPY.value))
    assert dialog.region_box.isEnabled()
    dialog.region_box.setCurrentIndex(dialog.region_box.findText("Vertex"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert viewer.caption.text().startswith(f"{visit:%d/%m/%Y} · Trichoscopy close-up (vertex)")
    assert viewer.windowTitle() == (
        f"Photo — {visit:%d/%m/%Y} · Trichoscopy close-up (vertex) — {WHO}"
    )
    assert str(tab.model.index_of(photo.id).data()) == "Trichoscopy close-up (vertex)"
    viewer.reject()


def test_a_photo_changed_elsewhere_meanwhile_shows_both_versions(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    visit = clinic.services.patients.today()
    [photo] = import_plan(clinic, patient_id, tmp_path, {visit: [View.FRONTAL]})
    tab = open_photos(open_window, clinic, patient_id)
    tab.select_photo(photo.id)
    tab.details_button.click()
    dialog = tab.details_dialog
    assert dialog is not None
    other = clinic.reopen()  # another workstation
    try:
        other.photos.update_details(
            clinic.clinician,
            photo.id,
            photo.version,
            view=View.OCCIPITAL_DONOR,
            region=None,
            taken_at=photo.taken_at,
        )
    finally:
        other.close()
    dialog.view_box.setCurrentIndex(dialog.view_box.findData(View.VERTEX.value))

    rows: list[list[str]] = []

    def use_saved(modal: QWidget) -> None:
        assert isinstance(modal, ConcurrentEditDialog)
        table = modal.table
        rows.extend([table.item(r, c).text() for c in range(3)] for r in range(table.rowCount()))
        modal.use_saved.click()

    when_modal(use_saved)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert ["View", "Vertex", "Occipital donor"] in rows
    assert dialog.isVisible() and dialog.view_box.currentText() == "Occipital donor"
    assert clinic.services.photos.photo(clinic.clinician, photo.id).view is View.OCCIPITAL_DONOR
    dialog.reject()
