"""RELIABILITY rows 19, 20 and 33: malformed images and things that are not files, in a batch.

Row 19/20: each malformed file (truncated PNGs, a broken zlib stream, a bad row filter, APNG
syntax errors, a JPEG whose header claims 7000 × 7000 over a few hundred bytes) imported
between two good photos: both good ones are imported, the bad one refused with a reason naming
it, and nothing of it is left in the photo store. Odd-mode TIFFs and a 7680 × 7680 16-bit PNG
are photos and are imported (Pillow's thumbnail used to raise on them).

Row 33: a FIFO, a link to /dev/zero and a socket in a batch, through the CLI and through the
folder walk of a drop, in a child process under a memory limit and a time-out.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from clinicdesk.services.photos import PhotoService
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.media import images

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


def store_files(clinic: Clinic) -> list[str]:
    """Every file in the photo store, temp files included."""
    return sorted(p.name for p in clinic.paths.photos_dir.rglob("*") if p.is_file())


def import_between_good_ones(
    clinic: Clinic, patient_id: str, folder: Path, name: str, data: bytes
) -> list[tuple[str, str, str]]:
    folder.mkdir()
    files = []
    for file_name, content in [
        ("before.jpg", images.jpeg(seed=1)),
        (name, data),
        ("after.jpg", images.jpeg(seed=2)),
    ]:
        (folder / file_name).write_bytes(content)
        files.append(folder / file_name)
    outcomes = clinic.services.photos.import_photos(
        clinic.clinician, patient_id, files, visit_date=date(2024, 5, 1)
    )
    return [(o.file.name, o.status, o.reason) for o in outcomes]


MALFORMED: dict[str, Callable[[], bytes]] = {
    "cut_in_pixels.png": lambda: images.png_cut_short(0.3),
    "cut_end_chunk.png": images.png_with_cut_end_chunk,
    "broken_stream.png": images.png_with_broken_data_stream,
    "bad_filter.png": images.png_with_bad_filter,
    "apng_no_frames.png": lambda: images.apng(0),
    "apng_two_actl.png": lambda: images.apng(1, repeat_actl=True),
    "apng_bad_sequence.png": lambda: images.apng(1, first_sequence=5),
    "header_only.jpg": images.jpeg_header_only,
    "half.jpg": images.truncated_jpeg,
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_image_is_refused_and_the_batch_goes_on(
    clinic: Clinic, patient_id: str, tmp_path: Path, name: str
) -> None:
    outcomes = import_between_good_ones(
        clinic, patient_id, tmp_path / "card", name, MALFORMED[name]()
    )
    assert [(file, status) for file, status, _ in outcomes] == [
        ("before.jpg", "imported"),
        (name, "refused"),
        ("after.jpg", "imported"),
    ]
    reason = outcomes[1][2]
    assert reason.startswith(f"{name}: ") and "damaged" in reason
    stored = clinic.services.photos.list_photos(clinic.clinician, patient_id)
    assert store_files(clinic) == sorted(p.sha256 for p in stored)  # no orphan, no temp file


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I", "F", "1", "LAB", "CMYK", "LA"])
def test_a_tiff_in_an_unusual_mode_is_imported_with_its_thumbnail(
    clinic: Clinic, patient_id: str, tmp_path: Path, mode: str
) -> None:
    name = f"scan_{mode.replace(';', '_')}.tif"
    outcomes = import_between_good_ones(
        clinic, patient_id, tmp_path / "scans", name, images.tiff_in_mode(mode)
    )
    assert [status for _, status, _ in outcomes] == ["imported"] * 3
    [_, photo, _] = clinic.services.photos.list_photos(clinic.clinician, patient_id)
    assert (photo.width, photo.height) == (1100, 600)
    assert clinic.services.photos.thumbnail(clinic.clinician, photo.id)[:2] == b"\xff\xd8"


def test_a_large_sixteen_bit_png_is_imported(
    clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    outcomes = import_between_good_ones(
        clinic, patient_id, tmp_path / "deep", "deep.png", images.big_sixteen_bit_png(7680)
    )
    assert [status for _, status, _ in outcomes] == ["imported"] * 3


def test_the_file_written_is_removed_when_recording_the_photo_fails(
    clinic: Clinic, patient_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos: PhotoService = clinic.services.photos
    path = tmp_path / "front.jpg"
    path.write_bytes(images.jpeg(seed=3))

    def broken_insert(*args: object, **kwargs: object) -> str:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(photos.repo, "insert", broken_insert)
    with pytest.raises(RuntimeError):
        photos.import_photos(clinic.clinician, patient_id, [path])
    assert store_files(clinic) == []


# -- RELIABILITY row 33: not a regular file ------------------------------------------------


@pytest.fixture
def odd_files(tmp_path: Path) -> Iterator[Path]:
    """A folder: two good photos around a FIFO, a link to /dev/zero and a socket, all named
    as photos. The socket lives in a short path (a socket's path is limited to ~100 bytes)."""
    if not hasattr(os, "mkfifo") or not Path("/dev/zero").exists():
        pytest.skip("needs FIFOs and /dev/zero")
    folder = Path(tempfile.mkdtemp(prefix="cd"))
    try:
        (folder / "a_good.jpg").write_bytes(images.jpeg(seed=11))
        os.mkfifo(folder / "b_pipe.jpg")
        (folder / "c_zero.jpg").symlink_to("/dev/zero")
        listening = socket.socket(socket.AF_UNIX)
        listening.bind(str(folder / "d_socket.jpg"))
        (folder / "e_good.jpg").write_bytes(images.jpeg(seed=12))
        yield folder
        listening.close()
    finally:
        for entry in folder.iterdir():
            entry.unlink()
        folder.rmdir()


EXPECTED = [
    ("a_good.jpg", "imported", ""),
    ("b_pipe.jpg", "refused", "pipe"),
    ("c_zero.jpg", "refused", "device"),
    ("d_socket.jpg", "refused", "socket"),
    ("e_good.jpg", "imported", ""),
]

# The child process: 1.5 GB of address space at most (an endless read of /dev/zero hits it in
# a second), then the import.
_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))
"""

_CLI = (
    _LIMITED
    + """
from clinicdesk.app import main
sys.exit(main(sys.argv[1:]))
"""
)

_DROP = (
    _LIMITED
    + """
import json
from pathlib import Path
from clinicdesk.paths import Paths
from clinicdesk.services.context import unlock_clinic
from clinicdesk.ui.photos.importing import photo_files_in
data_dir, password, patient_id, folder = sys.argv[1:]
dropped = photo_files_in([Path(folder)])
signed = unlock_clinic(Paths(Path(data_dir)), "clinician", password)
outcomes = signed.services.photos.import_photos(signed.user, patient_id, dropped.files)
print(json.dumps([{"file": str(o.file), "status": o.status, "reason": o.reason} for o in outcomes]))
"""
)


def run_limited(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLINICDESK_PASSWORD": PASSWORD}
    env["QT_QPA_PLATFORM"] = "offscreen"
    try:
        return subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the import hung on a file that is not a regular file")


def check_outcomes(rows: list[dict[str, str]]) -> None:
    assert [(Path(r["file"]).name, r["status"]) for r in rows] == [
        (name, status) for name, status, _ in EXPECTED
    ]
    for row, (name, _, word) in zip(rows, EXPECTED, strict=True):
        assert word in row["reason"]
        if word:
            assert row["reason"].startswith(f"{name}: ")


def test_cli_refuses_what_is_not_a_regular_file_at_once(
    clinic: Clinic, patient_id: str, odd_files: Path
) -> None:
    files = [str(odd_files / name) for name, _, _ in EXPECTED]
    result = run_limited(
        _CLI,
        "--data-dir",
        str(clinic.paths.data_dir),
        "--user",
        "clinician",
        "import-photos",
        patient_id,
        *files,
        "--json",
    )
    assert "unexpected error" not in result.stdout + result.stderr
    assert (result.returncode, result.stderr) == (0, "")
    check_outcomes(json.loads(result.stdout))


def test_a_dropped_folder_with_a_pipe_and_a_device_imports_the_photos(
    clinic: Clinic, patient_id: str, odd_files: Path
) -> None:
    result = run_limited(_DROP, str(clinic.paths.data_dir), PASSWORD, patient_id, str(odd_files))
    assert result.returncode == 0, result.stderr
    check_outcomes(json.loads(result.stdout))
    stored = clinic.services.photos.list_photos(clinic.clinician, patient_id)
    assert [p.original_name for p in stored] == ["a_good.jpg", "e_good.jpg"]
