"""A photo whose file is missing or damaged shows in the gallery as a placeholder saying why
(issue 13 item 7: a photo file missing or with a flipped byte), with what to do in its
tooltip; the other photos show as usual."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from clinicdesk.domain.photos import View
from clinicdesk.ui.photos.grid import UNREADABLE_ROLE, placeholder_text
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory
from tests.ui.gallery_setup import import_plan, open_photos, wait_for_thumbnails

VISIT = date(2025, 3, 4)


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


def test_missing_and_damaged_photos_show_why_in_their_place(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, patient_id: str, tmp_path: Path
) -> None:
    sound, missing, damaged = import_plan(
        clinic, patient_id, tmp_path, {VISIT: [View.FRONTAL, View.VERTEX, View.TEMPORAL_LEFT]}
    )
    paths = clinic.paths
    # Deleted, while its thumbnail is still in the cache: the gallery must not hide the loss.
    (paths.photos_dir / missing.sha256[:2] / missing.sha256).unlink()
    assert (paths.cache_dir / "thumbnail" / missing.sha256[:2] / missing.sha256).exists()
    # One byte flipped; its thumbnail is not cached (never shown yet, or the cache was lost),
    # so it is made from the damaged original.
    original = paths.photos_dir / damaged.sha256[:2] / damaged.sha256
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    original.write_bytes(bytes(data))
    (paths.cache_dir / "thumbnail" / damaged.sha256[:2] / damaged.sha256).unlink()

    tab = open_photos(open_window, clinic, patient_id)
    wait_for_thumbnails(qtbot, tab)
    model = tab.model

    def shown(photo_id: str) -> tuple[object, object, str]:
        index = model.index_of(photo_id)
        return (
            index.data(Qt.ItemDataRole.DecorationRole),
            index.data(UNREADABLE_ROLE),
            str(index.data(Qt.ItemDataRole.ToolTipRole)),
        )

    pixmap, reason, tip = shown(sound.id)
    assert isinstance(pixmap, QPixmap) and not pixmap.isNull()
    assert reason is None and "File" not in tip

    pixmap, reason, tip = shown(missing.id)
    assert isinstance(pixmap, QPixmap) and pixmap.isNull()
    assert reason == "File missing" == placeholder_text(model.index_of(missing.id))
    assert "missing from the photos folder; restore it from a backup" in tip
    assert "Check the clinic's data" in tip

    pixmap, reason, tip = shown(damaged.id)
    assert isinstance(pixmap, QPixmap) and pixmap.isNull()
    assert reason == "File damaged" == placeholder_text(model.index_of(damaged.id))
    assert "was changed or damaged" in tip

    index = model.index_of(damaged.id)
    assert str(index.data(Qt.ItemDataRole.AccessibleTextRole)).endswith(": File damaged")
    assert not tab.grid.grab().isNull()  # the placeholders paint
