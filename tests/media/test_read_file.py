"""``read_image_file``: only regular files, never more than the limit (RELIABILITY row 33)."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path

import pytest

from clinicdesk.media.ingest import ImageRejected, read_image_file


def test_a_regular_file_is_read_whole_with_its_time(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(b"x" * 5000)
    data, modified = read_image_file(path, 5000)
    assert data == b"x" * 5000 and modified == path.stat().st_mtime


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(b"x" * 5001)
    with pytest.raises(ImageRejected, match="too large"):
        read_image_file(path, 5000)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")
    started = time.monotonic()
    with pytest.raises(ImageRejected, match="pipe") as refused:
        read_image_file(tmp_path / "pipe.jpg", 5000)
    assert time.monotonic() - started < 1
    assert refused.value.message.startswith("pipe.jpg: ")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_link_to_a_device_is_refused(tmp_path: Path, device: str) -> None:
    (tmp_path / "zero.jpg").symlink_to(device)
    with pytest.raises(ImageRejected, match="device"):
        read_image_file(tmp_path / "zero.jpg", 5000)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs UNIX sockets")
def test_a_socket_and_a_folder_are_refused(tmp_path: Path) -> None:
    short = Path(tempfile.mkdtemp(prefix="cd"))
    try:
        with socket.socket(socket.AF_UNIX) as listening:
            listening.bind(str(short / "s.jpg"))
            with pytest.raises(ImageRejected, match="socket"):
                read_image_file(short / "s.jpg", 5000)
    finally:
        (short / "s.jpg").unlink()
        short.rmdir()
    with pytest.raises(ImageRejected, match="folder"):
        read_image_file(tmp_path, 5000)
