"""The photo viewer moves to the previous and next photo in the grid's order, by button and by
key (Left/Right, Page Up/Page Down), saying where it is ("2 of 3"); the grid follows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clinicdesk.domain.photos import View
from clinicdesk.ui.photos.compare import photo_caption
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory
from tests.ui.gallery_setup import import_plan, open_photos


def test_next_and_previous_follow_the_grid(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, tmp_path: Path
) -> None:
    patient_id = clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id
    today = clinic.services.patients.today()
    earlier = today - timedelta(days=90)
    plan: dict[date, list[View | None]] = {
        earlier: [View.VERTEX, View.FRONTAL],
        today: [View.FRONTAL],
    }
    import_plan(clinic, patient_id, tmp_path, plan)
    tab = open_photos(open_window, clinic, patient_id)
    order = list(tab.model.photos)  # newest visit first, views in checklist order
    assert len(order) == 3
    tab.open_viewer(order[0])
    dialog = tab.viewer_dialog
    assert dialog is not None
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)

    def shown() -> tuple[str, str]:
        assert dialog is not None
        return dialog.position_label.text(), dialog.caption.text().split("   ")[0]

    assert shown() == ("1 of 3", photo_caption(order[0]))
    assert not dialog.previous_button.isEnabled() and dialog.next_button.isEnabled()

    dialog.viewer.setFocus()  # the arrows must not just scroll the picture
    qtbot.keyClick(dialog.viewer, Qt.Key.Key_Right)
    assert shown() == ("2 of 3", photo_caption(order[1]))
    assert tab.selected_photo() == order[1]  # the grid follows
    qtbot.keyClick(dialog, Qt.Key.Key_PageDown)
    assert shown() == ("3 of 3", photo_caption(order[2]))
    assert not dialog.next_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Right)  # nothing after the last
    assert shown()[0] == "3 of 3"
    qtbot.keyClick(dialog, Qt.Key.Key_Left)
    assert shown() == ("2 of 3", photo_caption(order[1]))
    qtbot.keyClick(dialog, Qt.Key.Key_PageUp)
    assert shown() == ("1 of 3", photo_caption(order[0]))
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert shown() == ("2 of 3", photo_caption(order[1]))
    assert not dialog.viewer.item.pixmap().isNull()
    dialog.reject()
