"""Shared set-up for the Photos tab tests: photos imported through the service (quick), the
tab opened in a real main window, and waiting for the background thumbnails."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from clinicdesk.domain.photos import Photo, View
from clinicdesk.ui.photos.gallery import PhotosTab
from tests.conftest import Clinic
from tests.media import images
from tests.ui.conftest import WindowFactory


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def import_plan(
    clinic: Clinic,
    patient_id: str,
    folder: Path,
    plan: Mapping[date, Sequence[View | None]],
    *,
    seed: int = 0,
) -> list[Photo]:
    """For each visit, one photo per view listed (``None``: not tagged), through the
    service as the import dialog would; returns the photos imported."""
    service = clinic.services.photos
    ids: list[str] = []
    for visit, views in plan.items():
        for view in views:
            seed += 1
            path = write(
                folder / f"{seed}", f"IMG_{seed:04d}.JPG", images.jpeg((160, 120), seed=seed)
            )
            [outcome] = service.import_photos(
                clinic.clinician, patient_id, [path], view=view, visit_date=visit
            )
            assert outcome.status == "imported", outcome.reason
            assert outcome.photo_id is not None
            ids.append(outcome.photo_id)
    return [service.photo(clinic.clinician, photo_id) for photo_id in ids]


def open_photos(open_window: WindowFactory, clinic: Clinic, patient_id: str) -> PhotosTab:
    window = open_window(clinic.clinician)
    window.open_patient(patient_id)
    window.tabs.setCurrentWidget(window.photos)
    return window.photos


def wait_for_thumbnails(qtbot: QtBot, tab: PhotosTab) -> None:
    """Until the thumbnails the grid has painted are decoded and delivered."""
    tab.grid.viewport().repaint()
    qtbot.waitUntil(lambda: tab.loader.pending == 0, timeout=10000)
    tab.loader.wait_for_done()
    qtbot.wait(10)  # the last results are queued signals
