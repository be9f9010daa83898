"""Cancel during a photo import: the import stops, what was imported stays and is shown, the
summary says it was cancelled, and no partial file is left in the photo store."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from clinicdesk.domain.photos import View
from clinicdesk.services.photos import ImportOutcome, PhotoService
from clinicdesk.ui.widgets.background import SHOW_AFTER_MS
from tests.conftest import VALID_PATIENT, Clinic
from tests.media import images
from tests.ui.conftest import WindowFactory
from tests.ui.gallery_setup import open_photos, wait_for_thumbnails, write

FILES = 20
SLOW_AFTER = 3  # files imported before the import slows down (a slow card reader)


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


def test_cancel_stops_the_import_and_keeps_what_was_imported(
    qtbot: QtBot,
    open_window: WindowFactory,
    clinic: Clinic,
    patient_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # After SLOW_AFTER files the import waits (at most 10 s) for Cancel, as a slow import
    # would still be running when the person presses it; then the service goes on as usual
    # and must notice the cancel itself.
    real_import = PhotoService.import_photos
    cancel_seen = threading.Event()

    def slow_import(
        service: PhotoService, *args: Any, progress: Any = None, cancelled: Any = None, **kw: Any
    ) -> list[ImportOutcome]:
        def reporting(done: int, total: int) -> None:
            progress(done, total)
            if done == SLOW_AFTER:
                for _ in range(1000):
                    if cancelled():
                        cancel_seen.set()
                        return
                    threading.Event().wait(0.01)

        return real_import(service, *args, progress=reporting, cancelled=cancelled, **kw)

    monkeypatch.setattr(PhotoService, "import_photos", slow_import)
    files: Sequence[Path] = [
        write(tmp_path / "card", f"IMG_{n:04d}.JPG", images.jpeg((640, 480), seed=n))
        for n in range(FILES)
    ]
    tab = open_photos(open_window, clinic, patient_id)
    tab.import_files(files, View.FRONTAL, clinic.services.patients.today())
    task = tab.task
    assert task is not None
    dialog = task.dialog

    # The progress dialog appears once the import has taken over half a second.
    qtbot.waitUntil(dialog.isVisible, timeout=SHOW_AFTER_MS + 5000)
    qtbot.waitUntil(lambda: dialog.value() == SLOW_AFTER)
    assert dialog.maximum() == FILES
    assert not tab.import_button.isEnabled()
    cancel = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert dialog.labelText() == "Cancelling…"

    qtbot.waitUntil(lambda: tab.task is None and tab.summary_dialog is not None, timeout=10000)
    assert cancel_seen.is_set()
    assert not dialog.isVisible()
    assert tab.summary_dialog is not None
    summary = tab.summary_dialog.text()
    assert f"Imported: {SLOW_AFTER}" in summary
    assert f"Cancelled: {FILES - SLOW_AFTER} file(s) were not imported." in summary
    tab.summary_dialog.reject()

    # What was imported before Cancel is kept, and shown.
    kept = clinic.services.photos.list_photos(clinic.clinician, patient_id)
    assert len(kept) == SLOW_AFTER < FILES
    assert sorted(p.original_name for p in kept) == [f"IMG_{n:04d}.JPG" for n in range(SLOW_AFTER)]
    assert sorted(p.id for p in tab.model.photos) == sorted(p.id for p in kept)
    assert tab.model.headings()[0].count_text == f"{SLOW_AFTER} photos"
    wait_for_thumbnails(qtbot, tab)
    assert all(tab.model.cache.get(p.id) is not None for p in kept)
    assert tab.import_button.isEnabled()

    # No partial or temporary file: the store holds exactly the kept originals.
    on_disk = sorted(p for p in clinic.paths.photos_dir.rglob("*") if p.is_file())
    assert sorted(p.name for p in on_disk) == sorted(p.sha256 for p in kept)
