"""Dragging photo files and folders onto the Photos tab: the same import dialog as the button,
folders searched with their sub-folders, anything but local files ignored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import View
from clinicdesk.ui.photos import importing as photo_import
from clinicdesk.ui.photos.gallery import PhotosTab
from clinicdesk.ui.photos.importing import photo_files_in
from tests.conftest import VALID_PATIENT, Clinic
from tests.media import images
from tests.ui.conftest import WindowFactory
from tests.ui.gallery_setup import open_photos, wait_for_thumbnails, write

MOVE_OR_COPY = Qt.DropAction.MoveAction | Qt.DropAction.CopyAction


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


def files_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return mime


def drag_enter(tab: PhotosTab, mime: QMimeData) -> QDragEnterEvent:
    event = QDragEnterEvent(
        QPoint(200, 200), MOVE_OR_COPY, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    )
    QApplication.sendEvent(tab, event)
    return event


def drop(tab: PhotosTab, mime: QMimeData) -> QDropEvent:
    event = QDropEvent(
        QPointF(200, 200), MOVE_OR_COPY, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    )
    QApplication.sendEvent(tab, event)
    return event


def camera_card(root: Path) -> Path:
    """A card as a camera writes it: photos two folders down, and things that are not."""
    card = root / "CARD"
    write(card / "DCIM" / "100CANON", "IMG_0002.JPG", images.jpeg((200, 150), seed=2))
    write(card / "DCIM" / "100CANON", "IMG_0001.JPG", images.jpeg((200, 150), seed=1))
    write(card / "DCIM" / "101CANON", "IMG_0101.png", images.png((120, 90)))
    write(card / "DCIM" / "100CANON", "._IMG_0001.JPG", b"mac resource fork")
    write(card / "MISC", "notes.txt", b"not a photo")
    write(card / ".Trashes", "IMG_9999.JPG", images.jpeg(seed=99))
    return card


def test_photo_files_in_searches_folders_with_their_sub_folders(tmp_path: Path) -> None:
    card = camera_card(tmp_path)
    loose = write(tmp_path, "scan.pdf", images.pdf())  # a file is taken as given
    found = photo_files_in([loose, card, tmp_path / "gone"])
    assert [p.relative_to(tmp_path).as_posix() for p in found.files] == [
        "scan.pdf",
        "CARD/DCIM/100CANON/IMG_0001.JPG",
        "CARD/DCIM/100CANON/IMG_0002.JPG",
        "CARD/DCIM/101CANON/IMG_0101.png",
    ]
    assert (found.folders, found.truncated) == (1, False)
    assert found.description() == "4 files (from 1 folder) dropped."


def test_a_huge_folder_is_cut_short_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photo_import, "MAX_FOLDER_FILES", 3)
    for n in range(5):
        write(tmp_path / "big", f"IMG_{n}.jpg", b"x")
    found = photo_files_in([tmp_path / "big"])
    assert len(found.files) == 3 and found.truncated
    assert "Only the first 3 photos" in found.description()


def test_dropping_files_and_a_folder_imports_them_through_the_import_dialog(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    tab = open_photos(open_window, clinic, patient_id)
    card = camera_card(tmp_path)
    loose = write(tmp_path / "desktop", "vertex.jpg", images.jpeg((200, 150), seed=7))
    mime = files_mime(loose, card)

    assert not tab.grid.acceptDrops()  # the drop goes to the tab, wherever it lands
    entered = drag_enter(tab, mime)
    assert entered.isAccepted()
    assert entered.dropAction() == Qt.DropAction.CopyAction  # never a move: originals stay
    assert tab.status.text() == "Drop to import"
    dropped = drop(tab, mime)
    assert dropped.isAccepted() and dropped.dropAction() == Qt.DropAction.CopyAction

    dialog = tab.options_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.description.text() == "4 files (from 1 folder) dropped."
    visit = clinic.services.patients.today() - timedelta(days=3)
    dialog.view_box.setCurrentIndex(dialog.view_box.findData(View.VERTEX.value))
    dialog.visit_edit.setText(format_uk(visit))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: tab.summary_dialog is not None, timeout=10000)
    assert tab.summary_dialog is not None
    assert "Imported: 4" in tab.summary_dialog.text()
    tab.summary_dialog.reject()
    assert sorted(p.original_name for p in tab.model.photos) == [
        "IMG_0001.JPG",
        "IMG_0002.JPG",
        "IMG_0101.png",
        "vertex.jpg",
    ]
    [heading] = tab.model.headings()
    assert heading.visit.visit_date == visit
    assert heading.title == f"{visit:%d/%m/%Y} · Baseline"
    assert all(p.view is View.VERTEX for p in tab.model.photos)
    assert card.joinpath("DCIM", "100CANON", "IMG_0001.JPG").exists()  # copied, not moved
    wait_for_thumbnails(qtbot, tab)
    assert all(tab.model.cache.get(p.id) is not None for p in tab.model.photos)


def test_only_local_files_and_folders_can_be_dropped(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    tab = open_photos(open_window, clinic, patient_id)
    text = QMimeData()
    text.setText("/home/clinic/photo.jpg")
    web = QMimeData()
    web.setUrls([QUrl("https://example.com/photo.jpg")])
    for mime in (text, web):
        assert not drag_enter(tab, mime).isAccepted()
        assert not drop(tab, mime).isAccepted()
    assert tab.options_dialog is None

    # A folder with nothing to import says so instead of opening the dialog.
    write(tmp_path / "empty", "notes.txt", b"not a photo")
    assert drag_enter(tab, files_mime(tmp_path / "empty")).isAccepted()  # a folder may be dropped
    assert drop(tab, files_mime(tmp_path / "empty")).isAccepted()
    assert tab.options_dialog is None
    assert tab.drop_message is not None and tab.drop_message.isVisible()
    assert "No photo files" in tab.drop_message.text()
    tab.drop_message.accept()

    # With no patient open there is nowhere to import to.
    tab.set_patient(None)
    photo = write(tmp_path, "one.jpg", images.jpeg(seed=3))
    assert not drag_enter(tab, files_mime(photo)).isAccepted()
    assert not drop(tab, files_mime(photo)).isAccepted()
    assert tab.options_dialog is None


def test_dropping_files_that_are_not_photos_names_them_and_asks_nothing(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    tab = open_photos(open_window, clinic, patient_id)
    letter = write(tmp_path, "GP letter.docx", b"PK\x03\x04 a Word document")
    scan = write(tmp_path, "referral.pdf", images.pdf())
    for dropped, wanted in (
        ([letter], "GP letter.docx is not a photo: only JPEG, PNG, TIFF or HEIC photos"),
        ([letter, scan], "GP letter.docx, referral.pdf are not photos: only JPEG, PNG"),
    ):
        assert drag_enter(tab, files_mime(*dropped)).isAccepted()
        assert drop(tab, files_mime(*dropped)).isAccepted()
        assert tab.options_dialog is None  # no view or visit asked for nothing
        message = tab.drop_message
        assert message is not None and message.isVisible()
        assert message.text().startswith(wanted), message.text()
        assert "Nothing was imported; drop the photo files" in message.text()
        message.accept()
    assert clinic.services.photos.list_photos(clinic.clinician, patient_id) == []

    # With a photo among them the import goes ahead; the summary says why the rest was refused.
    photo = write(tmp_path, "vertex.jpg", images.jpeg((200, 150), seed=5))
    drag_enter(tab, files_mime(letter, photo))
    drop(tab, files_mime(letter, photo))
    dialog = tab.options_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.description.text() == "2 files dropped."
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.summary_dialog is not None, timeout=10000)
    assert tab.summary_dialog is not None
    text = tab.summary_dialog.text()
    assert "Imported: 1" in text and "GP letter.docx: this is not a JPEG, PNG" in text
    tab.summary_dialog.reject()
