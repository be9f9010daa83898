"""Issue 13 item 7, a photo import on a full disk: each photo is refused with a message naming
the disk, nothing is half-written (no stored file, no row), the rest of the batch is reported,
and importing works again once space is freed. A real full filesystem (a small tmpfs), as a
clinic's disk fills: skipped where mounting is not permitted."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clinicdesk.services.context import ClinicServices
from clinicdesk.storage.database import integrity_ok
from tests.conftest import VALID_PATIENT, make_clinic
from tests.media import images
from tests.reliability.mounts import tmpfs


def fill_disk(folder: Path) -> Path:
    """A file taking every free byte of ``folder``'s disk."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1 << 16, 1 << 10, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size) > 0:
                    pass
    finally:
        os.close(fd)
    return filler


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def photo_rows(services: ClinicServices) -> int:
    return int(services.db.execute("SELECT count(*) FROM photos").fetchone()[0])


def test_a_full_disk_refuses_each_photo_naming_it_and_importing_works_once_space_is_freed(
    tmp_path: Path,
) -> None:
    with tmpfs(tmp_path / f"disk-{uuid.uuid4().hex[:8]}", "24m") as disk:
        clinic = make_clinic(disk / "clinic")
        services = clinic.services
        try:
            patient = services.patients.register(clinic.reception, dict(VALID_PATIENT))
            photos = []
            for n in range(3):
                path = tmp_path / f"IMG_{n:04d}.JPG"
                path.write_bytes(images.jpeg((640, 480), seed=n))
                photos.append(path)
            filler = fill_disk(disk)
            outcomes = services.photos.import_photos(clinic.clinician, patient.id, photos)
            assert [o.status for o in outcomes] == ["refused"] * 3
            for outcome, path in zip(outcomes, photos, strict=True):
                assert outcome.reason.startswith(f"{path.name}: The disk is full (")
                assert str(disk) in outcome.reason and "nothing was saved" in outcome.reason
            assert stored_files(clinic.paths.photos_dir) == []
            assert photo_rows(services) == 0
            assert integrity_ok(services.db)
            os.unlink(filler)
            outcomes = services.photos.import_photos(clinic.clinician, patient.id, photos)
            assert [o.status for o in outcomes] == ["imported"] * 3
            assert photo_rows(services) == 3
            assert len(stored_files(clinic.paths.photos_dir)) == 3
        finally:
            services.close()


def test_the_photos_tab_shows_the_full_disk_in_its_summary(qtbot: QtBot, tmp_path: Path) -> None:
    from clinicdesk.domain.photos import View
    from clinicdesk.ui.shell.main_window import MainWindow

    with tmpfs(tmp_path / f"disk-{uuid.uuid4().hex[:8]}", "24m") as disk:
        clinic = make_clinic(disk / "clinic")
        services = clinic.services
        window = MainWindow(services, clinic.clinician)
        try:
            window.show()
            patient = services.patients.register(clinic.reception, dict(VALID_PATIENT))
            window.open_patient(patient.id)
            tab = window.photos
            window.tabs.setCurrentWidget(tab)
            path = tmp_path / "IMG_0001.JPG"
            path.write_bytes(images.jpeg((640, 480), seed=1))
            filler = fill_disk(disk)
            tab.import_files([path], View.FRONTAL, services.patients.today())
            qtbot.waitUntil(
                lambda: tab.task is None and tab.summary_dialog is not None, timeout=10_000
            )
            summary = tab.summary_dialog.text()
            tab.summary_dialog.reject()
            assert "Imported: 0" in summary and "Refused: 1" in summary
            assert "IMG_0001.JPG: The disk is full (" in summary and str(disk) in summary
            os.unlink(filler)
            previous = tab.summary_dialog
            tab.import_files([path], View.FRONTAL, services.patients.today())
            qtbot.waitUntil(
                lambda: tab.task is None and tab.summary_dialog is not previous, timeout=10_000
            )
            assert "Imported: 1" in tab.summary_dialog.text()
            tab.summary_dialog.reject()
        finally:
            window.close()
            window.deleteLater()
            QApplication.processEvents()
            services.close()
